"""Pages for styles: the catalog, a style's picture, and one's own styles (add, delete)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import get_object_or_404, redirect
from django.views import View
from django.views.generic import FormView, ListView

from gallery.budgets import UploadThrottle, over_limit
from gallery.errors import ServiceError
from gallery.models import Style
from gallery.styles.forms import StyleUploadForm
from gallery.styles.services import style_create
from gallery.web import RefusedFormMixin, file_response


class StyleListView(ListView):
    template_name = "gallery/style_list.html"
    context_object_name = "styles"

    def get_queryset(self):
        return Style.objects.catalog()


class StyleImageView(View):
    """Catalog styles are public; a private style only for its owner (and staff, who curate)."""

    def get(self, request, pk):
        qs = Style.objects.all() if request.user.is_staff else Style.objects.usable_by(request.user)
        style = get_object_or_404(qs, pk=pk)
        field = style.thumbnail if request.GET.get("size") == "thumb" and style.thumbnail else style.image
        return file_response(field, private=not style.is_catalog)


class MyStylesView(LoginRequiredMixin, RefusedFormMixin, FormView):
    form_class = StyleUploadForm
    template_name = "gallery/my_styles.html"
    error_fields = {"image": "image", "name": "name"}
    upload_fields = ("image",)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["styles"] = Style.objects.filter(owner=self.request.user)
        return ctx

    def form_valid(self, form):
        refusal = over_limit(self.request, self, UploadThrottle())
        if refusal:
            return self.refuse(form, refusal, 429)
        try:
            style = style_create(owner=self.request.user, upload=form.cleaned_data["image"],
                                 name=form.cleaned_data["name"])
        except ServiceError as exc:
            return self.refused(form, exc)
        messages.success(self.request, f"“{style.name}” is ready: pick it on the Create page.")
        return redirect("my-styles")


class MyStyleDeleteView(LoginRequiredMixin, View):
    def post(self, request, pk):
        style = get_object_or_404(Style, pk=pk, owner=request.user)
        name = style.name
        style.delete()
        messages.success(request, f"“{name}” was deleted. Pictures made with it are kept.")
        return redirect("my-styles")

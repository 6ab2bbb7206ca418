"""Pages for choosing styles: my own styles, and "Try every style" on a photo."""

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views import View
from django.views.generic import DetailView, FormView

from gallery import explore
from gallery.downloads import file_response
from gallery.errors import ServiceError
from gallery.jobs.scheduler import queue_position
from gallery.limits import RenderThrottle, UploadThrottle, over_limit, refund_request
from gallery.models import Exploration, Photo, Style
from gallery.styles import style_create
from gallery.views import RefusedFormMixin


class StyleUploadForm(forms.Form):
    name = forms.CharField(max_length=120, help_text="How it appears in your style list.")
    image = forms.FileField(help_text="Any painting, texture or photo whose look you like.",
                            widget=forms.ClearableFileInput(attrs={"accept": "image/*"}))


class MyStylesView(LoginRequiredMixin, RefusedFormMixin, FormView):
    form_class = StyleUploadForm
    template_name = "gallery/my_styles.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["styles"] = Style.objects.filter(owner=self.request.user)
        return ctx

    def form_valid(self, form):
        refusal = over_limit(self.request, self, UploadThrottle())
        if refusal:
            form.add_error(None, refusal)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        try:
            style = style_create(owner=self.request.user, upload=form.cleaned_data["image"],
                                 name=form.cleaned_data["name"])
        except ServiceError as exc:
            form.add_error("image" if exc.field == "image" else "name", str(exc))
            return self.form_invalid(form, status=exc.status)
        messages.success(self.request, f"“{style.name}” is ready: pick it on the Create page.")
        return redirect("my-styles")


class MyStyleDeleteView(LoginRequiredMixin, View):
    def post(self, request, pk):
        style = get_object_or_404(Style, pk=pk, owner=request.user)
        name = style.name
        style.delete()
        messages.success(request, f"“{name}” was deleted. Pictures made with it are kept.")
        return redirect("my-styles")


class ExplorationCreateView(LoginRequiredMixin, View):
    def post(self, request, pk):
        photo = get_object_or_404(Photo, pk=pk, owner=request.user)
        pending = photo.explorations.filter(status__in=["queued", "running"]).first()
        if pending:  # a second click while it renders: show the same grid, render nothing twice
            return redirect(pending)
        refusal = over_limit(request, self, RenderThrottle())
        if refusal:
            messages.error(request, refusal)
            return redirect("my-gallery")
        try:
            return redirect(explore.exploration_create(owner=request.user, photo=photo))
        except ServiceError as exc:
            refund_request(request)
            messages.error(request, str(exc))
            return redirect("my-gallery")


class OwnedExplorationMixin(LoginRequiredMixin):
    def get_object(self, queryset=None):
        return get_object_or_404(Exploration.objects.select_related("photo"),
                                 pk=self.kwargs["pk"], owner=self.request.user)


class ExplorationDetailView(OwnedExplorationMixin, DetailView):
    template_name = "gallery/exploration.html"
    context_object_name = "exploration"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ready = {p.style_id: p for p in self.object.previews.all()}
        ctx["tiles"] = [(style, ready.get(style.pk)) for style in
                        explore.exploration_styles(self.object)]
        ctx["queue_position"] = queue_position(self.object)
        return ctx


class ExplorationStatusView(OwnedExplorationMixin, View):
    def get(self, request, pk):
        exploration = self.get_object()
        previews = [{"style": str(p.style_id), "name": p.style.name,
                     "url": reverse("exploration-preview", args=[exploration.pk, p.style_id])}
                    for p in exploration.previews.select_related("style")]
        return JsonResponse({"status": exploration.status, "error": exploration.error,
                             "finished": exploration.is_finished, "progress": exploration.progress,
                             "queue_position": queue_position(exploration),
                             "total": explore.exploration_styles(exploration).count(),
                             "render_ms": exploration.render_ms, "previews": previews})


class ExplorationPreviewView(OwnedExplorationMixin, View):
    def get(self, request, pk, style):
        preview = self.get_object().previews.filter(style_id=style).first()
        if preview is None:
            raise Http404("No preview yet.")
        return file_response(preview.image)

"""Pages for batches: several photos × several styles in one go, the grid filling in, one ZIP."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views import View
from django.views.generic import DetailView, FormView

from gallery import batches, limits
from gallery.downloads import DOWNLOAD_FORMATS
from gallery.errors import ServiceError
from gallery.forms import BatchForm
from gallery.models import Batch, Photo, Style
from gallery.views import RefusedFormMixin

ERROR_FIELDS = {"photos": "photo_files", "photo": "photo_files", "styles": "styles",
                "max_side": "max_side"}


class BatchCreateView(LoginRequiredMixin, RefusedFormMixin, FormView):
    form_class = BatchForm
    template_name = "gallery/batch_create.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["styles"] = Style.objects.usable_by(self.request.user)
        ctx["photos"] = Photo.objects.filter(owner=self.request.user)[:24]
        ctx["budgets"] = limits.user_budgets(self.request.user)
        ctx["batch_max"] = settings.NST_BATCH_MAX
        return ctx

    def form_valid(self, form):
        d = form.cleaned_data
        uploads = d["photo_files"]
        try:
            limits.charge_batch(self.request, uploads=len(uploads), pictures=form.picture_count())
            batch = batches.batch_create(
                owner=self.request.user, photos=list(d["photos"]), uploads=uploads,
                styles=list(d["styles"]), strength=d["strength"],
                preserve_color=d["preserve_color"], max_side=d["max_side"],
                brush_scale=d["brush_scale"])
        except ServiceError as exc:
            message = str(exc) + (" Please choose the files again." if uploads else "")
            form.add_error(ERROR_FIELDS.get(exc.field or ""), message)
            return self.form_invalid(form, status=exc.status)
        return redirect(batch)


class OwnedBatchMixin(LoginRequiredMixin):
    def get_object(self, queryset=None):
        return get_object_or_404(Batch, pk=self.kwargs["pk"], owner=self.request.user)


class BatchDetailView(OwnedBatchMixin, DetailView):
    template_name = "gallery/batch_detail.html"
    context_object_name = "batch"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["pictures"] = (self.object.pictures.select_related("photo")
                           .prefetch_related("parts").order_by("created", "pk"))
        ctx["summary"] = self.object.summary()
        ctx["status_url"] = reverse("batch-status", args=[self.object.pk])
        return ctx


class BatchStatusView(OwnedBatchMixin, View):
    def get(self, request, pk):
        batch = self.get_object()
        pictures = [{"id": str(w.pk), "status": w.status, "error": w.error,
                     "url": w.get_absolute_url(),
                     "thumbnail_url": (reverse("stylization-image", args=[w.pk]) + "?size=thumb"
                                       if w.status == "done" else None)}
                    for w in batch.pictures.order_by("created", "pk")]
        return JsonResponse({**batch.summary(), "pictures": pictures})


class BatchZipView(OwnedBatchMixin, View):
    def get(self, request, pk):
        batch = self.get_object()
        fmt = request.GET.get("format", "png").lower()
        if fmt not in DOWNLOAD_FORMATS or not batch.summary()["done"]:
            raise Http404("Nothing to download yet.")
        return batches.zip_response(batch, fmt)


class BatchRetryView(OwnedBatchMixin, View):
    def post(self, request, pk):
        from django.contrib import messages

        batch = self.get_object()
        failed = batch.summary()["failed"]
        if failed:
            try:
                limits.charge_or_refuse(request, "renders", failed,
                                        need=f"Retrying needs {failed} renders")
                batches.batch_retry_failed(batch=batch)
            except ServiceError as exc:
                limits.refund_request(request)
                messages.error(request, str(exc))
        return redirect(batch)


"""Pages for batches: several photos × several styles in one go, the grid filling in, one ZIP."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views import View
from django.views.generic import DetailView, FormView

from gallery import budgets
from gallery.batches import services
from gallery.batches.forms import BatchForm
from gallery.batches.zip import zip_response
from gallery.errors import ServiceError
from gallery.models import Batch, Photo
from gallery.pictures.downloads import DOWNLOAD_FORMATS
from gallery.web import CreatePageMixin, OwnedMixin


class BatchCreateView(CreatePageMixin, FormView):
    form_class = BatchForm
    template_name = "gallery/batch_create.html"
    error_fields = {"photos": "photo_files", "photo": "photo_files", "styles": "styles",
                    "max_side": "max_side"}
    upload_fields = ("photo_files",)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["photos"] = Photo.objects.filter(owner=self.request.user)[:24]
        ctx["budgets"] = budgets.user_budgets(self.request.user)
        ctx["batch_max"] = settings.NST_BATCH_MAX
        return ctx

    def form_valid(self, form):
        d = form.cleaned_data
        uploads = d["photo_files"]
        try:
            budgets.charge_batch(self.request, uploads=len(uploads), pictures=form.picture_count())
            batch = services.batch_create(
                owner=self.request.user, photos=list(d["photos"]), uploads=uploads,
                styles=list(d["styles"]), controls=form.controls())
        except ServiceError as exc:
            return self.refused(form, exc)
        return redirect(batch)


class OwnedBatchMixin(OwnedMixin):
    model = Batch


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
        return zip_response(batch, fmt)


class BatchRetryView(OwnedBatchMixin, View):
    def post(self, request, pk):
        batch = self.get_object()
        failed = batch.summary()["failed"]
        if failed:
            try:
                budgets.charge_or_refuse(request, "renders", failed,
                                         need=f"Retrying needs {failed} renders")
                services.batch_retry_failed(batch=batch)
            except ServiceError as exc:
                budgets.refund_request(request)
                messages.error(request, str(exc))
        return redirect(batch)


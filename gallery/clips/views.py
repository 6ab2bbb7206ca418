"""Pages for clips: upload one with a progress bar, watch it render ("frame 120 of 360"),
play and download the result, cancel."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views import View
from django.views.generic import DetailView, FormView

from gallery import budgets
from gallery.clips import services
from gallery.clips.forms import ClipForm
from gallery.errors import ServiceError
from gallery.jobs.fair_queue import queue_position
from gallery.models import Video
from gallery.web import CreatePageMixin, OwnedMixin, file_response


class ClipCreateView(CreatePageMixin, FormView):
    form_class = ClipForm
    template_name = "gallery/clip_create.html"
    error_fields = {"video": "video", "style": "style", "max_side": "max_side"}
    upload_fields = ("video",)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["budget"] = budgets.usage(budgets.Budget.for_scope("videos"),
                                      f"user:{self.request.user.pk}")
        ctx["max_seconds"] = settings.NST_VIDEO_MAX_SECONDS
        return ctx

    def form_valid(self, form):
        d = form.cleaned_data
        try:
            clip = services.clip_create(
                owner=self.request.user, upload=d["video"], style=d["style"],
                controls=form.controls(), deflicker=d["deflicker"],
                charge=budgets.charge_seconds(self.request))
        except ServiceError as exc:
            return self.refused(form, exc)
        return redirect(clip)


class OwnedClipMixin(OwnedMixin):
    model = Video


class ClipDetailView(OwnedClipMixin, DetailView):
    template_name = "gallery/clip_detail.html"
    context_object_name = "clip"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["status_url"] = reverse("clip-status", args=[self.object.pk])
        ctx["queue_position"] = queue_position(self.object)
        return ctx


class ClipStatusView(OwnedClipMixin, View):
    def get(self, request, pk):
        clip = self.get_object()
        return JsonResponse({
            "status": clip.status, "status_label": clip.get_status_display(),
            "finished": clip.is_finished, "error": clip.error, "progress": clip.progress,
            "progress_percent": clip.progress_percent,
            "queue_position": queue_position(clip),
            "video_url": reverse("clip-file", args=[clip.pk]) if clip.output else None})


class ClipFileView(OwnedClipMixin, View):
    """The result (``?download=1`` as an attachment) or ``?which=preview``."""

    def get(self, request, pk):
        clip = self.get_object()
        if request.GET.get("which") == "preview":
            if not clip.preview:
                raise Http404("No preview yet.")
            return file_response(clip.preview)
        if not clip.output:
            raise Http404("Not rendered yet.")
        name = f"{clip.stem}-styled.mp4" if request.GET.get("download") else None
        response = file_response(clip.output, filename=name)
        response["Content-Type"] = "video/mp4"
        return response


class ClipCancelView(OwnedClipMixin, View):
    def post(self, request, pk):
        clip = self.get_object()
        try:
            services.clip_cancel(clip=clip)
            messages.info(request, "The clip was cancelled.")
        except ServiceError as exc:
            messages.error(request, str(exc))
        return redirect(clip)

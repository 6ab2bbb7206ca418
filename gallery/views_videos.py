"""Pages for clips: upload one with a progress bar, watch it render ("frame 120 of 360"),
play and download the result, cancel."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views import View
from django.views.generic import DetailView, FormView

from gallery import limits, videos
from gallery.downloads import file_response
from gallery.errors import ServiceError
from gallery.forms import VideoForm
from gallery.jobs.scheduler import queue_position
from gallery.models import Style, Video
from gallery.views import RefusedFormMixin


class VideoCreateView(LoginRequiredMixin, RefusedFormMixin, FormView):
    form_class = VideoForm
    template_name = "gallery/video_create.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_context_data(self, **kwargs):
        from django.conf import settings

        ctx = super().get_context_data(**kwargs)
        ctx["styles"] = Style.objects.usable_by(self.request.user)
        ctx["budget"] = limits.usage(limits.Budget.for_scope("videos"),
                                     f"user:{self.request.user.pk}")
        ctx["max_seconds"] = settings.NST_VIDEO_MAX_SECONDS
        return ctx

    def form_valid(self, form):
        d = form.cleaned_data
        try:
            clip = videos.video_create(
                owner=self.request.user, upload=d["video"], style=d["style"],
                strength=d["strength"], preserve_color=d["preserve_color"],
                max_side=d["max_side"], brush_scale=d["brush_scale"], deflicker=d["deflicker"],
                charge=limits.charge_seconds(self.request))
        except ServiceError as exc:
            field = {"video": "video", "style": "style", "max_side": "max_side"}.get(exc.field or "")
            form.add_error(field, str(exc) + (" Please choose the file again." if field == "video"
                                              else ""))
            return self.form_invalid(form, status=exc.status)
        return redirect(clip)


class OwnedVideoMixin(LoginRequiredMixin):
    def get_object(self, queryset=None):
        return get_object_or_404(Video, pk=self.kwargs["pk"], owner=self.request.user)


class VideoDetailView(OwnedVideoMixin, DetailView):
    template_name = "gallery/video_detail.html"
    context_object_name = "clip"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["status_url"] = reverse("video-status", args=[self.object.pk])
        ctx["queue_position"] = queue_position(self.object)
        return ctx


class VideoStatusView(OwnedVideoMixin, View):
    def get(self, request, pk):
        clip = self.get_object()
        return JsonResponse({
            "status": clip.status, "status_label": clip.get_status_display(),
            "finished": clip.is_finished, "error": clip.error, "progress": clip.progress,
            "queue_position": queue_position(clip),
            "video_url": reverse("video-file", args=[clip.pk]) if clip.output else None})


class VideoFileView(OwnedVideoMixin, View):
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


class VideoCancelView(OwnedVideoMixin, View):
    def post(self, request, pk):
        clip = self.get_object()
        try:
            videos.video_cancel(clip=clip)
            messages.info(request, "The clip was cancelled.")
        except ServiceError as exc:
            messages.error(request, str(exc))
        return redirect(clip)

"""API for clips (``/api/v1/clips/``; ``/api/v1/videos/`` is the same, for earlier clients):
upload and stylize (202), poll ("frame 120 of 360"), cancel, download the MP4 and its
animated WebP preview."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, parsers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from gallery import budgets
from gallery.api.base import ControlsSerializer, FileActionsMixin, UploadLimitMixin, absolute
from gallery.api.errors import ErrorSerializer, NotReady, api_fields
from gallery.clips import services
from gallery.jobs.fair_queue import queue_position
from gallery.models import Style, Video
from gallery.web import file_response
from stylize.engine import MIN_MAX_SIDE


class ClipCreateSerializer(ControlsSerializer):
    callback_url = None  # clips have no webhook
    video = serializers.FileField(help_text="MP4, WebM or MOV (animated GIF too): up to "
                                            "15 s and 100 MB.")
    style = serializers.UUIDField(help_text="A style you may use.")
    max_side = serializers.IntegerField(min_value=MIN_MAX_SIDE, max_value=1280, default=720)
    deflicker = serializers.BooleanField(default=True,
                                         help_text="Steady the frames: brushwork follows the motion "
                                                   "instead of jumping from frame to frame.")


class ClipSerializer(serializers.ModelSerializer):
    style = serializers.UUIDField(source="style_id", read_only=True, allow_null=True)
    queue_position = serializers.SerializerMethodField()
    progress_percent = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="While it renders: how far it is (0-100).")
    download_url = serializers.SerializerMethodField()
    preview_url = serializers.SerializerMethodField()

    class Meta:
        model = Video
        fields = ["id", "status", "error", "progress", "progress_percent", "queue_position",
                  "style", "style_name",
                  "strength", "preserve_color", "max_side", "brush_scale", "deflicker",
                  "seconds", "fps", "frames", "width", "height", "audio", "flicker", "created",
                  "finished", "render_ms", "download_url", "preview_url"]
        read_only_fields = fields

    def get_queue_position(self, obj) -> int | None:
        return queue_position(obj)

    def get_download_url(self, obj) -> str | None:
        return absolute(self, "api-clip-download", obj.pk) if obj.output else None

    def get_preview_url(self, obj) -> str | None:
        return absolute(self, "api-clip-preview", obj.pk) if obj.preview else None


@extend_schema_view(
    list=extend_schema(summary="Your clips, newest first"),
    retrieve=extend_schema(summary="One clip: poll until done or failed (progress: frame n of N)"),
    create=extend_schema(summary="Upload a clip and stylize it (multipart)",
                         request={"multipart/form-data": ClipCreateSerializer},
                         responses={202: ClipSerializer, 413: ErrorSerializer,
                                    415: ErrorSerializer, 429: ErrorSerializer}),
)
class ClipViewSet(FileActionsMixin, UploadLimitMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                   viewsets.GenericViewSet):
    """Short clips (up to 15 s) stylized frame by frame with one style into an H.264 MP4 with
    the clip's sound; the budget is counted in seconds of video."""

    queryset = Video.objects.none()
    serializer_class = ClipSerializer
    parser_classes = [parsers.MultiPartParser]
    file_actions = ("download", "preview")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Video.objects.none()
        return Video.objects.filter(owner=self.request.user)

    def create(self, request, *args, **kwargs):
        form = ClipCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        d = form.validated_data
        style = Style.objects.usable_by(request.user).filter(pk=d["style"]).first()
        if style is None:
            raise ValidationError({"style": ["That style was not found."]})
        with api_fields():
            clip = services.clip_create(
                owner=request.user, upload=d["video"], style=style, controls=form.controls(),
                deflicker=d["deflicker"], charge=budgets.charge_seconds(request))
        return Response(self.get_serializer(self.get_queryset().get(pk=clip.pk)).data,
                        status=status.HTTP_202_ACCEPTED)

    @extend_schema(summary="Stop it (a queued clip at once; a running one between frames)",
                   request=None, responses={200: ClipSerializer, 409: ErrorSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        clip = services.clip_cancel(clip=self.get_object())
        return Response(self.get_serializer(clip).data)

    @extend_schema(summary="The stylized clip (MP4)",
                   responses={(200, "video/mp4"): OpenApiTypes.BINARY, 409: ErrorSerializer})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        clip = self.get_object()
        if not clip.output:
            raise NotReady("The clip has not been rendered yet.")
        response = file_response(clip.output, filename=f"{clip.stem}-styled.mp4")
        response["Content-Type"] = "video/mp4"
        return response

    @extend_schema(summary="A short animated WebP preview",
                   responses={(200, "image/webp"): OpenApiTypes.BINARY, 409: ErrorSerializer})
    @action(detail=True, methods=["get"])
    def preview(self, request, pk=None):
        clip = self.get_object()
        if not clip.preview:
            raise NotReady("The clip has not been rendered yet.")
        return file_response(clip.preview)


@extend_schema(exclude=True)
class VideoViewSet(ClipViewSet):
    """``/api/v1/videos/``: the clips API under its first name, kept for earlier clients."""

"""API views for clips: upload and stylize (202), poll ("frame 120 of 360"), cancel,
download the MP4 and its animated WebP preview."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, parsers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from gallery import limits, videos
from gallery.api import serializers as s
from gallery.api.base import RawNegotiation, UploadLimitMixin
from gallery.api.errors import ErrorSerializer, NotReady, api_fields
from gallery.downloads import file_response
from gallery.models import Style, Video


@extend_schema_view(
    list=extend_schema(summary="Your clips, newest first"),
    retrieve=extend_schema(summary="One clip: poll until done or failed (progress: frame n of N)"),
    create=extend_schema(summary="Upload a clip and stylize it (multipart)",
                         request={"multipart/form-data": s.VideoCreateSerializer},
                         responses={202: s.VideoSerializer, 413: ErrorSerializer,
                                    415: ErrorSerializer, 429: ErrorSerializer}),
)
class VideoViewSet(UploadLimitMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                   viewsets.GenericViewSet):
    """Short clips (up to 15 s) stylized frame by frame with one style into an H.264 MP4 with
    the clip's sound; the budget is counted in seconds of video."""

    queryset = Video.objects.none()
    serializer_class = s.VideoSerializer
    parser_classes = [parsers.MultiPartParser]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Video.objects.none()
        return Video.objects.filter(owner=self.request.user)

    def get_content_negotiator(self):
        if getattr(self, "action", None) in ("download", "preview"):
            return RawNegotiation()
        return super().get_content_negotiator()

    def create(self, request, *args, **kwargs):
        form = s.VideoCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        d = form.validated_data
        style = Style.objects.usable_by(request.user).filter(pk=d["style"]).first()
        if style is None:
            raise ValidationError({"style": ["That style was not found."]})
        with api_fields():
            clip = videos.video_create(
                owner=request.user, upload=d["video"], style=style, strength=d["strength"],
                preserve_color=d["preserve_color"], max_side=d["max_side"],
                brush_scale=d["brush_scale"], deflicker=d["deflicker"],
                charge=limits.charge_seconds(request))
        return Response(self.get_serializer(self.get_queryset().get(pk=clip.pk)).data,
                        status=status.HTTP_202_ACCEPTED)

    @extend_schema(summary="Stop it (a queued clip at once; a running one between frames)",
                   request=None, responses={200: s.VideoSerializer, 409: ErrorSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        clip = videos.video_cancel(clip=self.get_object())
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

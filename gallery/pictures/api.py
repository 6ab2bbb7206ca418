"""API for pictures (stylizations): create (JSON, or multipart with the photo), poll, publish,
download; and the public feed of published pictures.

Creating goes through ``services.stylization_create`` exactly like the web form; the
render is enqueued when the transaction commits, so the answer is 202 with status
``queued`` and clients poll the detail endpoint.
"""

from __future__ import annotations

import json

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, parsers, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotAuthenticated, NotFound, ValidationError
from rest_framework.response import Response

from gallery.api.base import (
    FORMAT_PARAM,
    SIZE_PARAM,
    ControlsSerializer,
    FileActionsMixin,
    UploadLimitMixin,
    absolute,
    found_or_invalid,
)
from gallery.api.errors import ErrorSerializer, NotReady, api_fields
from gallery.api.parsers import SafeJSONParser
from gallery.budgets import RenderThrottle, UploadThrottle
from gallery.jobs.fair_queue import queue_position
from gallery.models import Photo, Style, Stylization
from gallery.pictures import services
from gallery.pictures.downloads import DOWNLOAD_FORMATS, check_format, download_response
from gallery.web import file_response, uuid_or_none
from stylize.engine import MAX_STYLES

STATUS_PARAM = OpenApiParameter("status", str, enum=Stylization.Status.values, required=False)
class StyleWeightSerializer(serializers.Serializer):
    style = serializers.UUIDField()
    weight = serializers.FloatField(min_value=0.0, max_value=1000.0, default=1.0)


class StylizationPartSerializer(serializers.Serializer):
    style = serializers.UUIDField(source="style_id", allow_null=True,
                                  help_text="Null once the style has been deleted.")
    name = serializers.CharField(source="display_name")
    weight = serializers.FloatField()


class _OptionsSerializer(ControlsSerializer):
    photo = serializers.UUIDField(required=False, help_text="One of your photos.")


class StylizationCreateSerializer(_OptionsSerializer):
    """JSON body: an existing photo and a list of styles with weights."""

    styles = StyleWeightSerializer(many=True, min_length=1, max_length=MAX_STYLES)


class JSONStylesField(serializers.CharField):
    """Multipart forms carry flat strings, so the style list travels as a JSON text."""

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):  # RecursionError: nested thousands deep
            raise serializers.ValidationError(
                'Give styles as JSON, e.g. [{"style": "<id>", "weight": 1.0}].') from None
        inner = StyleWeightSerializer(data=value, many=True, min_length=1, max_length=MAX_STYLES)
        inner.is_valid(raise_exception=True)
        return inner.validated_data


class StylizationUploadSerializer(_OptionsSerializer):
    """Multipart body: upload the photo and stylize it in one call."""

    photo_file = serializers.FileField(required=False, help_text="A new photo (instead of `photo`).")
    styles = JSONStylesField(help_text='JSON text: [{"style": "<style id>", "weight": 1.0}, ...]')


class StylizationSerializer(serializers.ModelSerializer):
    photo = serializers.UUIDField(source="photo_id", read_only=True)
    styles = StylizationPartSerializer(source="parts", many=True, read_only=True)
    result_url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()
    queue_position = serializers.SerializerMethodField(
        help_text="While queued: about how many jobs will start before this one; else null.")
    progress_percent = serializers.IntegerField(
        read_only=True, allow_null=True,
        help_text="While a large render runs tile by tile: how far it is (0-100); else null.")

    class Meta:
        model = Stylization
        fields = ["id", "status", "error", "queue_position", "progress", "progress_percent",
                  "photo", "styles",
                  "strength", "preserve_color", "max_side", "brush_scale", "is_public", "width",
                  "height", "created", "started", "finished", "render_ms", "result_url",
                  "thumbnail_url", "download_url"]
        read_only_fields = fields

    def get_queue_position(self, obj) -> int | None:
        return queue_position(obj)

    def _done(self, obj) -> bool:
        return obj.status == Stylization.Status.DONE

    def get_result_url(self, obj) -> str | None:
        return absolute(self, "api-stylization-image", obj.pk) if self._done(obj) else None

    def get_thumbnail_url(self, obj) -> str | None:
        if not self._done(obj):
            return None
        return absolute(self, "api-stylization-image", obj.pk, query="?size=thumb")

    def get_download_url(self, obj) -> str | None:
        return absolute(self, "api-stylization-download", obj.pk) if self._done(obj) else None


class StylizationPatchSerializer(serializers.Serializer):
    is_public = serializers.BooleanField(help_text="Publish (only when done) or unpublish.")


class PublicWorkSerializer(StylizationSerializer):
    author = serializers.CharField(source="owner.username", read_only=True)

    class Meta(StylizationSerializer.Meta):
        fields = ["id", "author", "styles", "width", "height", "created", "result_url",
                  "thumbnail_url", "download_url"]
        read_only_fields = fields


DOWNLOAD_RESPONSES = {(200, "image/png"): OpenApiTypes.BINARY, (200, "image/jpeg"): OpenApiTypes.BINARY,
                      (200, "image/webp"): OpenApiTypes.BINARY, 409: ErrorSerializer}
CREATE_REQUEST = {"application/json": StylizationCreateSerializer,
                  "multipart/form-data": StylizationUploadSerializer}


@extend_schema_view(
    list=extend_schema(summary="Your pictures, newest first", parameters=[STATUS_PARAM]),
    retrieve=extend_schema(summary="One of your pictures: poll this until status is done or failed"),
    create=extend_schema(summary="Stylize a photo (JSON), or upload and stylize (multipart)",
                         request=CREATE_REQUEST, responses={202: StylizationSerializer}),
    partial_update=extend_schema(summary="Publish or unpublish", request=StylizationPatchSerializer,
                                 responses={200: StylizationSerializer, 409: ErrorSerializer}),
    destroy=extend_schema(summary="Delete a picture"),
)
class StylizationViewSet(FileActionsMixin, UploadLimitMixin, mixins.ListModelMixin,
                         mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Your pictures: a photo rendered in one or more styles by the background worker."""

    queryset = Stylization.objects.none()
    serializer_class = StylizationSerializer
    parser_classes = [SafeJSONParser, parsers.MultiPartParser, parsers.FormParser]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    file_actions = ("image", "download")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Stylization.objects.none()
        qs = (Stylization.objects.filter(owner=self.request.user)
              .select_related("photo").prefetch_related("parts__style"))
        if self.action == "list" and "status" in self.request.query_params:
            wanted = self.request.query_params["status"]
            if wanted not in Stylization.Status.values:
                raise ValidationError({"status": [f"Use one of {', '.join(Stylization.Status.values)}."]})
            qs = qs.filter(status=wanted)
        return qs

    def get_permissions(self):
        # Files of published works are public, like the Explore page's pictures.
        if self.action in self.file_actions:
            return [permissions.AllowAny()]
        return super().get_permissions()

    def get_throttles(self):
        if self.action in ("create", "retry"):
            throttles = [RenderThrottle()]
            if self.action == "create" and not self.is_json():
                throttles.append(UploadThrottle())
            return throttles
        return super().get_throttles()

    def create(self, request, *args, **kwargs):
        form_class = StylizationCreateSerializer if self.is_json() else StylizationUploadSerializer
        form = form_class(data=request.data)
        form.is_valid(raise_exception=True)
        d = form.validated_data
        upload = d.get("photo_file")
        with api_fields(photo="photo_file" if upload else "photo"):
            work = services.stylization_create(
                owner=request.user, photo=self._photo(d.get("photo")), upload=upload,
                original_name=upload.name if upload else "", styles=self._styles(d["styles"]),
                controls=form.controls(), callback_url=d.get("callback_url") or "")
        return Response(self.get_serializer(self._fresh(work)).data, status=status.HTTP_202_ACCEPTED)

    def _photo(self, photo_id):
        if photo_id is None:
            return None
        photo = Photo.objects.filter(owner=self.request.user, pk=photo_id).first()
        if photo is None:
            raise ValidationError({"photo": ["That photo was not found."]})
        return photo

    def _styles(self, items) -> list[tuple[Style, float]]:
        styles = found_or_invalid(Style.objects.usable_by(self.request.user),
                                  [item["style"] for item in items], field="styles", noun="Style")
        return [(style, item["weight"]) for style, item in zip(styles, items, strict=True)]

    def _fresh(self, work):
        return self.get_queryset().get(pk=work.pk)

    def partial_update(self, request, *args, **kwargs):
        work = self.get_object()
        form = StylizationPatchSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.stylization_set_public(stylization=work, is_public=form.validated_data["is_public"])
        return Response(self.get_serializer(self._fresh(work)).data)

    def perform_destroy(self, instance):
        services.stylization_delete(stylization=instance)

    @extend_schema(summary="Render a failed picture again", request=None,
                   responses={202: StylizationSerializer, 409: ErrorSerializer})
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        work = services.stylization_retry(stylization=self.get_object())
        return Response(self.get_serializer(self._fresh(work)).data, status=status.HTTP_202_ACCEPTED)

    def _visible_work(self) -> Stylization:
        """Your own picture, or anyone's published one; private ones are 404 (401 when anonymous)."""
        user = self.request.user
        work = (Stylization.objects.visible_to(user).select_related("photo")
                .prefetch_related("parts__style").filter(pk=self.kwargs["pk"]).first()
                if uuid_or_none(self.kwargs["pk"]) else None)
        if work is None:
            raise NotAuthenticated() if not user.is_authenticated else NotFound("No such picture.")
        return work

    @extend_schema(summary="The result image (PNG) or its JPEG thumbnail",
                   parameters=[SIZE_PARAM], responses={**DOWNLOAD_RESPONSES})
    @action(detail=True, methods=["get"])
    def image(self, request, pk=None):
        work = self._visible_work()
        thumb = request.query_params.get("size") == "thumb"
        field = work.thumbnail if thumb else work.output
        if not field:
            raise NotReady()
        return file_response(field)

    @extend_schema(summary="Download the result as an attachment", parameters=[FORMAT_PARAM],
                   responses=DOWNLOAD_RESPONSES)
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        work = self._visible_work()
        fmt = request.query_params.get("format", "png").lower()
        if fmt not in DOWNLOAD_FORMATS:
            raise ValidationError({"format": ["Unknown format; use png, jpeg or webp."]})
        if not work.output:
            raise NotReady()
        check_format(work, fmt)
        return download_response(work, fmt, user=request.user)


@extend_schema_view(list=extend_schema(summary="Published works, newest first (no sign-in needed)"))
class GalleryViewSet(viewsets.ReadOnlyModelViewSet):
    """Works their authors published; readable by anyone."""

    serializer_class = PublicWorkSerializer
    permission_classes = [permissions.AllowAny]
    queryset = Stylization.objects.public().cards()

    def get_queryset(self):
        return Stylization.objects.public().cards()

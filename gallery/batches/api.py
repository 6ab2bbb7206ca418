"""API for batches: every photo × every style in one call, polled like a picture,
downloaded as one streamed ZIP. The same services as the pages (gallery/batches/services.py)."""

from __future__ import annotations

import json

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, parsers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from gallery import budgets
from gallery.api.base import (
    FORMAT_PARAM,
    ControlsSerializer,
    FileActionsMixin,
    UploadLimitMixin,
    absolute,
    found_or_invalid,
)
from gallery.api.errors import ErrorSerializer, NotReady, api_fields
from gallery.api.parsers import SafeJSONParser
from gallery.batches import services
from gallery.batches.zip import zip_response
from gallery.errors import Code, ServiceError
from gallery.models import Batch, Photo, Style
from gallery.pictures.api import StylizationSerializer
from gallery.pictures.downloads import DOWNLOAD_FORMATS


class BatchCreateSerializer(ControlsSerializer):
    """JSON body: every photo in every style, with the same controls."""

    photos = serializers.ListField(child=serializers.UUIDField(), min_length=1,
                                   help_text="Ids of your photos.")
    styles = serializers.ListField(child=serializers.UUIDField(), min_length=1,
                                   help_text="Ids of styles you may use.")


class JSONIdsField(serializers.CharField):
    """Multipart forms carry flat strings: a list of ids as JSON text (or comma-separated)."""

    def to_internal_value(self, data):
        text = super().to_internal_value(data).strip()
        try:
            value = json.loads(text) if text.startswith("[") else [v for v in text.split(",") if v]
        except (ValueError, RecursionError):
            raise serializers.ValidationError('Give ids as JSON, e.g. ["<id>", "<id>"].') from None
        return serializers.ListField(child=serializers.UUIDField()).run_validation(value)


class BatchUploadSerializer(ControlsSerializer):
    """Multipart body: upload photos (`photo_files`, repeated) and/or name yours, in one call."""

    photo_files = serializers.ListField(child=serializers.FileField(), required=False,
                                        help_text="New photos (repeat the field).")
    photos = JSONIdsField(required=False, help_text='JSON text: ["<photo id>", ...]')
    styles = JSONIdsField(help_text='JSON text: ["<style id>", ...]')


class BatchPictureSerializer(StylizationSerializer):
    class Meta(StylizationSerializer.Meta):
        fields = ["id", "status", "error", "photo", "styles", "width", "height", "result_url",
                  "thumbnail_url", "download_url"]
        read_only_fields = fields


class BatchSerializer(serializers.ModelSerializer):
    status = serializers.SerializerMethodField(
        help_text="queued, running, done (every picture done) or failed (all finished, some failed).")
    done = serializers.SerializerMethodField()
    failed = serializers.SerializerMethodField()
    pictures = BatchPictureSerializer(many=True, read_only=True)
    zip_url = serializers.SerializerMethodField(help_text="The finished pictures as one ZIP.")

    class Meta:
        model = Batch
        fields = ["id", "status", "done", "failed", "total", "created", "zip_url", "pictures"]
        read_only_fields = fields

    def _summary(self, obj) -> dict:
        if getattr(obj, "_summary_cache", None) is None:
            obj._summary_cache = obj.summary()
        return obj._summary_cache

    def get_status(self, obj) -> str:
        return self._summary(obj)["status"]

    def get_done(self, obj) -> int:
        return self._summary(obj)["done"]

    def get_failed(self, obj) -> int:
        return self._summary(obj)["failed"]

    def get_zip_url(self, obj) -> str:
        return absolute(self, "api-batch-zip", obj.pk)


CREATE_REQUEST = {"application/json": BatchCreateSerializer,
                  "multipart/form-data": BatchUploadSerializer}


@extend_schema_view(
    list=extend_schema(summary="Your batches, newest first"),
    retrieve=extend_schema(summary="One batch: poll until status is done or failed"),
    create=extend_schema(
        summary="Every photo in every style (JSON with photo ids; or multipart with photo_files)",
        request=CREATE_REQUEST, responses={202: BatchSerializer, 429: ErrorSerializer}),
)
class BatchViewSet(FileActionsMixin, UploadLimitMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                   viewsets.GenericViewSet):
    """Batches of pictures: several photos × several styles with the same controls. Each
    picture is also an ordinary stylization (`/api/v1/stylizations/{id}/`) and costs one
    render of your budget; the batch is refused whole (429) if the budget cannot cover it."""

    queryset = Batch.objects.none()
    serializer_class = BatchSerializer
    parser_classes = [SafeJSONParser, parsers.MultiPartParser, parsers.FormParser]
    file_actions = ("zip",)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Batch.objects.none()
        return Batch.objects.filter(owner=self.request.user).prefetch_related(
            "pictures__parts__style")

    def create(self, request, *args, **kwargs):
        form_class = BatchCreateSerializer if self.is_json() else BatchUploadSerializer
        form = form_class(data=request.data)
        form.is_valid(raise_exception=True)
        d = form.validated_data
        photos = self._photos(d.get("photos") or [])
        uploads = d.get("photo_files") or []
        styles = self._styles(d["styles"])
        with api_fields(photo="photo_files"):
            budgets.charge_batch(request, uploads=len(uploads),
                                 pictures=(len(photos) + len(uploads)) * len(styles))
            batch = services.batch_create(
                owner=request.user, photos=photos, uploads=uploads, styles=styles,
                controls=form.controls(), callback_url=d.get("callback_url") or "")
        return Response(self.get_serializer(self.get_queryset().get(pk=batch.pk)).data,
                        status=status.HTTP_202_ACCEPTED)

    def _photos(self, ids) -> list[Photo]:
        return found_or_invalid(Photo.objects.filter(owner=self.request.user), ids,
                                field="photos", noun="Photo")

    def _styles(self, ids) -> list[Style]:
        styles = found_or_invalid(Style.objects.usable_by(self.request.user), ids,
                                  field="styles", noun="Style")
        if len(set(ids)) != len(ids):
            raise ValidationError({"styles": ["Each style can be picked only once."]})
        return styles

    @extend_schema(summary="The finished pictures as one ZIP (streamed)",
                   parameters=[FORMAT_PARAM],
                   responses={(200, "application/zip"): OpenApiTypes.BINARY, 409: ErrorSerializer})
    @action(detail=True, methods=["get"])
    def zip(self, request, pk=None):
        batch = self.get_object()
        fmt = request.query_params.get("format", "png").lower()
        if fmt not in DOWNLOAD_FORMATS:
            raise ValidationError({"format": ["Unknown format; use png, jpeg or webp."]})
        if not batch.summary()["done"]:
            raise NotReady("No picture of this batch is done yet.")
        return zip_response(batch, fmt)

    @extend_schema(summary="Render the batch's failed pictures again", request=None,
                   responses={202: BatchSerializer, 409: ErrorSerializer})
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        batch = self.get_object()
        failed = batch.summary()["failed"]
        if not failed:
            raise ServiceError("No picture of this batch failed.", code=Code.CONFLICT)
        budgets.charge_or_refuse(request, "renders", failed,
                                 need=f"Retrying needs {failed} renders")
        services.batch_retry_failed(batch=batch)
        return Response(self.get_serializer(self.get_queryset().get(pk=batch.pk)).data,
                        status=status.HTTP_202_ACCEPTED)


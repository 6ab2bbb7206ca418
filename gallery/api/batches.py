"""API views for batches: every photo × every style in one call, polled like a picture,
downloaded as one streamed ZIP. The same services as the pages (gallery/batches.py)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, parsers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from gallery import batches, limits
from gallery.api import serializers as s
from gallery.api.base import RawNegotiation, UploadLimitMixin
from gallery.api.errors import ErrorSerializer, NotReady, api_fields
from gallery.api.parsers import SafeJSONParser
from gallery.api.stylizations import FORMAT_PARAM
from gallery.downloads import DOWNLOAD_FORMATS
from gallery.errors import ServiceError
from gallery.models import Batch, Photo, Style

CREATE_REQUEST = {"application/json": s.BatchCreateSerializer,
                  "multipart/form-data": s.BatchUploadSerializer}


@extend_schema_view(
    list=extend_schema(summary="Your batches, newest first"),
    retrieve=extend_schema(summary="One batch: poll until status is done or failed"),
    create=extend_schema(
        summary="Every photo in every style (JSON with photo ids; or multipart with photo_files)",
        request=CREATE_REQUEST, responses={202: s.BatchSerializer, 429: ErrorSerializer}),
)
class BatchViewSet(UploadLimitMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                   viewsets.GenericViewSet):
    """Batches of pictures: several photos × several styles with the same controls. Each
    picture is also an ordinary stylization (`/api/v1/stylizations/{id}/`) and costs one
    render of your budget; the batch is refused whole (429) if the budget cannot cover it."""

    queryset = Batch.objects.none()
    serializer_class = s.BatchSerializer
    parser_classes = [SafeJSONParser, parsers.MultiPartParser, parsers.FormParser]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Batch.objects.none()
        return Batch.objects.filter(owner=self.request.user).prefetch_related(
            "pictures__parts__style")

    def get_content_negotiator(self):
        if getattr(self, "action", None) == "zip":
            return RawNegotiation()
        return super().get_content_negotiator()

    def _is_json(self) -> bool:
        return (self.request.content_type or "").startswith("application/json")

    def create(self, request, *args, **kwargs):
        form_class = s.BatchCreateSerializer if self._is_json() else s.BatchUploadSerializer
        form = form_class(data=request.data)
        form.is_valid(raise_exception=True)
        d = form.validated_data
        photos = self._photos(d.get("photos") or [])
        uploads = d.get("photo_files") or []
        styles = self._styles(d["styles"])
        with api_fields(photo="photo_files"):
            limits.charge_batch(request, uploads=len(uploads),
                                pictures=(len(photos) + len(uploads)) * len(styles))
            batch = batches.batch_create(
                owner=request.user, photos=photos, uploads=uploads, styles=styles,
                strength=d["strength"], preserve_color=d["preserve_color"],
                max_side=d["max_side"], brush_scale=d["brush_scale"],
                callback_url=d.get("callback_url") or "")
        return Response(self.get_serializer(self.get_queryset().get(pk=batch.pk)).data,
                        status=status.HTTP_202_ACCEPTED)

    def _photos(self, ids) -> list[Photo]:
        found = Photo.objects.filter(owner=self.request.user).in_bulk(ids)
        missing = [str(i) for i in ids if i not in found]
        if missing:
            raise ValidationError({"photos": [f"Photo not found: {', '.join(missing)}."]})
        return [found[i] for i in ids]

    def _styles(self, ids) -> list[Style]:
        found = Style.objects.usable_by(self.request.user).in_bulk(ids)
        missing = [str(i) for i in ids if i not in found]
        if missing:
            raise ValidationError({"styles": [f"Style not found: {', '.join(missing)}."]})
        if len(set(ids)) != len(ids):
            raise ValidationError({"styles": ["Each style can be picked only once."]})
        return [found[i] for i in ids]

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
        return batches.zip_response(batch, fmt)

    @extend_schema(summary="Render the batch's failed pictures again", request=None,
                   responses={202: s.BatchSerializer, 409: ErrorSerializer})
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        batch = self.get_object()
        failed = batch.summary()["failed"]
        if not failed:
            raise ServiceError("No picture of this batch failed.", code="conflict")
        limits.charge_or_refuse(request, "renders", failed,
                                need=f"Retrying needs {failed} renders")
        batches.batch_retry_failed(batch=batch)
        return Response(self.get_serializer(self.get_queryset().get(pk=batch.pk)).data,
                        status=status.HTTP_202_ACCEPTED)


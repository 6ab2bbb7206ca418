"""API views for stylizations: create (JSON, or multipart with the photo), poll, publish, download.

Creating goes through ``services.stylization_create`` exactly like the web form; the
render is enqueued when the transaction commits, so the answer is 202 with status
``queued`` and clients poll the detail endpoint.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, parsers, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotAuthenticated, NotFound, ValidationError
from rest_framework.response import Response

from gallery import services
from gallery.api import serializers as s
from gallery.api.base import UploadLimitMixin
from gallery.api.errors import ErrorSerializer, NotReady, api_fields
from gallery.api.parsers import SafeJSONParser
from gallery.api.views import SIZE_PARAM, _FileNegotiationMixin
from gallery.downloads import DOWNLOAD_FORMATS, download_response, file_response
from gallery.limits import RenderThrottle, UploadThrottle
from gallery.models import Photo, Style, Stylization

STATUS_PARAM = OpenApiParameter("status", str, enum=Stylization.Status.values, required=False)
FORMAT_PARAM = OpenApiParameter("format", str, enum=["png", "jpeg", "webp"], required=False,
                                description="Default `png`.")
DOWNLOAD_RESPONSES = {(200, "image/png"): OpenApiTypes.BINARY, (200, "image/jpeg"): OpenApiTypes.BINARY,
                      (200, "image/webp"): OpenApiTypes.BINARY, 409: ErrorSerializer}
CREATE_REQUEST = {"application/json": s.StylizationCreateSerializer,
                  "multipart/form-data": s.StylizationUploadSerializer}


@extend_schema_view(
    list=extend_schema(summary="Your pictures, newest first", parameters=[STATUS_PARAM]),
    retrieve=extend_schema(summary="One of your pictures: poll this until status is done or failed"),
    create=extend_schema(summary="Stylize a photo (JSON), or upload and stylize (multipart)",
                         request=CREATE_REQUEST, responses={202: s.StylizationSerializer}),
    partial_update=extend_schema(summary="Publish or unpublish", request=s.StylizationPatchSerializer,
                                 responses={200: s.StylizationSerializer, 409: ErrorSerializer}),
    destroy=extend_schema(summary="Delete a picture"),
)
class StylizationViewSet(_FileNegotiationMixin, UploadLimitMixin, mixins.ListModelMixin,
                         mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Your pictures: a photo rendered in one or more styles by the background worker."""

    queryset = Stylization.objects.none()
    serializer_class = s.StylizationSerializer
    parser_classes = [SafeJSONParser, parsers.MultiPartParser, parsers.FormParser]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

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
            if self.action == "create" and not self._is_json():
                throttles.append(UploadThrottle())
            return throttles
        return super().get_throttles()

    def _is_json(self) -> bool:
        return (self.request.content_type or "").startswith("application/json")

    def create(self, request, *args, **kwargs):
        form_class = s.StylizationCreateSerializer if self._is_json() else s.StylizationUploadSerializer
        form = form_class(data=request.data)
        form.is_valid(raise_exception=True)
        d = form.validated_data
        upload = d.get("photo_file")
        with api_fields(photo="photo_file" if upload else "photo"):
            work = services.stylization_create(
                owner=request.user, photo=self._photo(d.get("photo")), upload=upload,
                original_name=upload.name if upload else "", styles=self._styles(d["styles"]),
                strength=d["strength"], preserve_color=d["preserve_color"], max_side=d["max_side"],
                brush_scale=d["brush_scale"], callback_url=d.get("callback_url") or "")
        return Response(self.get_serializer(self._fresh(work)).data, status=status.HTTP_202_ACCEPTED)

    def _photo(self, photo_id):
        if photo_id is None:
            return None
        photo = Photo.objects.filter(owner=self.request.user, pk=photo_id).first()
        if photo is None:
            raise ValidationError({"photo": ["That photo was not found."]})
        return photo

    def _styles(self, items) -> list[tuple[Style, float]]:
        ids = [item["style"] for item in items]
        found = Style.objects.usable_by(self.request.user).in_bulk(ids)
        missing = [str(i) for i in ids if i not in found]
        if missing:
            raise ValidationError({"styles": [f"Style not found: {', '.join(missing)}."]})
        return [(found[item["style"]], item["weight"]) for item in items]

    def _fresh(self, work):
        return self.get_queryset().get(pk=work.pk)

    def partial_update(self, request, *args, **kwargs):
        work = self.get_object()
        form = s.StylizationPatchSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.stylization_set_public(stylization=work, is_public=form.validated_data["is_public"])
        return Response(self.get_serializer(self._fresh(work)).data)

    def perform_destroy(self, instance):
        services.stylization_delete(stylization=instance)

    @extend_schema(summary="Render a failed picture again", request=None,
                   responses={202: s.StylizationSerializer, 409: ErrorSerializer})
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        work = services.stylization_retry(stylization=self.get_object())
        return Response(self.get_serializer(self._fresh(work)).data, status=status.HTTP_202_ACCEPTED)

    def _visible_work(self) -> Stylization:
        """Your own picture, or anyone's published one; private ones are 404 (401 when anonymous)."""
        user = self.request.user
        work = (Stylization.objects.visible_to(user).select_related("photo")
                .prefetch_related("parts__style").filter(pk=self.kwargs["pk"]).first()
                if _is_uuid(self.kwargs["pk"]) else None)
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
        return download_response(work, fmt, user=request.user)


def _is_uuid(value) -> bool:
    import uuid

    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True

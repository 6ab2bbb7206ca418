"""API for photos: upload (re-encoded, metadata stripped), list, fetch, delete."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, parsers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from gallery.api.base import IMAGE_RESPONSES, FileActionsMixin, UploadLimitMixin, absolute
from gallery.api.errors import api_fields
from gallery.budgets import UploadThrottle
from gallery.models import Photo
from gallery.photos import services
from gallery.web import file_response


class PhotoSerializer(serializers.ModelSerializer):
    image_url = serializers.SerializerMethodField()

    class Meta:
        model = Photo
        fields = ["id", "width", "height", "original_name", "image_url", "created"]
        read_only_fields = fields

    def get_image_url(self, obj) -> str:
        return absolute(self, "api-photo-image", obj.pk)


class PhotoCreateSerializer(serializers.Serializer):
    image = serializers.FileField(help_text="JPEG, PNG or WebP (GIF, TIFF, BMP too).")


@extend_schema_view(
    create=extend_schema(summary="Upload a photo", request={"multipart/form-data": PhotoCreateSerializer},
                         responses={201: PhotoSerializer}),
    destroy=extend_schema(summary="Delete a photo and every picture made from it"),
)
class PhotoViewSet(FileActionsMixin, UploadLimitMixin, mixins.ListModelMixin,
                   mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin,
                   viewsets.GenericViewSet):
    """Your photos. Uploads are re-encoded and stripped of metadata (GPS, comments)."""

    queryset = Photo.objects.none()
    serializer_class = PhotoSerializer
    parser_classes = [parsers.MultiPartParser, parsers.FormParser]
    file_actions = ("image",)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Photo.objects.none()
        return Photo.objects.filter(owner=self.request.user)

    def get_throttles(self):
        return [UploadThrottle()] if self.action == "create" else super().get_throttles()

    def create(self, request, *args, **kwargs):
        form = PhotoCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        upload = form.validated_data["image"]
        with api_fields(photo="image"):
            photo = services.photo_create(owner=request.user, upload=upload, original_name=upload.name)
        return Response(self.get_serializer(photo).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        services.photo_delete(photo=instance)

    @extend_schema(summary="The stored photo (re-encoded, metadata stripped)",
                   responses=IMAGE_RESPONSES)
    @action(detail=True, methods=["get"])
    def image(self, request, pk=None):
        return file_response(self.get_object().image)

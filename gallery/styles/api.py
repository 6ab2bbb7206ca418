"""API for styles: the catalog and your own (add one from any picture, delete it), and the
style pictures."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, parsers, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from gallery.api.base import (IMAGE_RESPONSES, SIZE_PARAM, FileActionsMixin, UploadLimitMixin,
                              absolute)
from gallery.budgets import UploadThrottle
from gallery.models import Style
from gallery.styles.services import style_create
from gallery.web import file_response


class StyleSerializer(serializers.ModelSerializer):
    image_url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()
    is_catalog = serializers.BooleanField(read_only=True)

    class Meta:
        model = Style
        fields = ["id", "slug", "name", "artist", "description", "image_url", "thumbnail_url",
                  "is_catalog"]
        read_only_fields = fields

    def get_image_url(self, obj) -> str:
        return absolute(self, "api-style-image", obj.pk)

    def get_thumbnail_url(self, obj) -> str:
        return absolute(self, "api-style-image", obj.pk, query="?size=thumb")


class StyleCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    # A plain file: the service's decoder decides what is an image (and answers 413/415).
    image = serializers.FileField(help_text="A painting or texture (JPEG, PNG, WebP, GIF, TIFF, BMP).")


@extend_schema_view(
    list=extend_schema(summary="Catalog styles and your own (anonymous: the catalog)"),
    create=extend_schema(summary="Add a private style",
                         request={"multipart/form-data": StyleCreateSerializer},
                         responses={201: StyleSerializer}),
    destroy=extend_schema(summary="Delete one of your styles (catalog styles: 403)"),
)
class StyleViewSet(FileActionsMixin, UploadLimitMixin, mixins.ListModelMixin,
                   mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin,
                   viewsets.GenericViewSet):
    """Styles you can use: the active catalog plus your own private ones."""

    queryset = Style.objects.none()
    serializer_class = StyleSerializer
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]
    parser_classes = [parsers.MultiPartParser, parsers.FormParser]
    file_actions = ("image",)

    def get_queryset(self):
        return Style.objects.usable_by(self.request.user)

    def get_throttles(self):
        return [UploadThrottle()] if self.action == "create" else super().get_throttles()

    def create(self, request, *args, **kwargs):
        form = StyleCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        style = style_create(owner=request.user, upload=form.validated_data["image"],
                             name=form.validated_data["name"])
        return Response(self.get_serializer(style).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        if instance.owner_id != self.request.user.pk:
            raise PermissionDenied("Catalog styles are curated by staff and cannot be deleted.")
        # Pictures made with it keep the style's name (StylizationStyle.style_name).
        instance.delete()

    @extend_schema(summary="The style picture (or its thumbnail)", parameters=[SIZE_PARAM],
                   responses=IMAGE_RESPONSES)
    @action(detail=True, methods=["get"])
    def image(self, request, pk=None):
        style = self.get_object()
        thumb = request.query_params.get("size") == "thumb" and style.thumbnail
        return file_response(style.thumbnail if thumb else style.image, private=not style.is_catalog)

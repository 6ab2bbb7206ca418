"""API views for tokens, styles, photos and the public gallery. Thin: services do the work.

Owner filtering is in ``get_queryset``, so another user's private object is simply not
found (404); object-level checks (catalog styles cannot be deleted) come second.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, parsers, permissions, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from gallery import services
from gallery.api import serializers as s
from gallery.api.base import RawNegotiation, UploadLimitMixin
from gallery.api.errors import api_fields
from gallery.api.parsers import SafeJSONParser
from gallery.downloads import file_response
from gallery.limits import TokenThrottle, UploadThrottle, user_budgets
from gallery.models import Photo, Style
from gallery.styles import style_create
from gallery.views import public_works

IMAGE_RESPONSES = {(200, "image/jpeg"): OpenApiTypes.BINARY, (200, "image/png"): OpenApiTypes.BINARY}
SIZE_PARAM = OpenApiParameter("size", str, enum=["thumb"], required=False,
                              description="`thumb` for the small preview.")


class TokenView(ObtainAuthToken):
    """Exchange a username and password for the API token (the same token every time)."""

    authentication_classes = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [TokenThrottle]
    parser_classes = [parsers.FormParser, parsers.MultiPartParser, SafeJSONParser]

    @extend_schema(request=s.TokenRequestSerializer, responses={200: s.TokenSerializer},
                   operation_id="auth_token_create", tags=["auth"])
    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, _ = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})


class MeView(APIView):
    """Who you are and what is left of your budgets (the same figures as the create page's
    and as the ``RateLimit-*`` headers on the answers that spend them)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses={200: s.MeSerializer}, operation_id="me_retrieve", tags=["auth"])
    def get(self, request):
        budgets = {name: u.as_dict() for name, u in user_budgets(request.user).items()}
        return Response({"username": request.user.get_username(), "budgets": budgets})


class _FileNegotiationMixin:
    file_actions = ("image", "download")

    def get_content_negotiator(self):
        if getattr(self, "action", None) in self.file_actions:
            return RawNegotiation()
        return super().get_content_negotiator()


@extend_schema_view(
    list=extend_schema(summary="Catalog styles and your own (anonymous: the catalog)"),
    create=extend_schema(summary="Add a private style",
                         request={"multipart/form-data": s.StyleCreateSerializer},
                         responses={201: s.StyleSerializer}),
    destroy=extend_schema(summary="Delete one of your styles (catalog styles: 403)"),
)
class StyleViewSet(_FileNegotiationMixin, UploadLimitMixin, mixins.ListModelMixin,
                   mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin,
                   viewsets.GenericViewSet):
    """Styles you can use: the active catalog plus your own private ones."""

    queryset = Style.objects.none()
    serializer_class = s.StyleSerializer
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]
    parser_classes = [parsers.MultiPartParser, parsers.FormParser]

    def get_queryset(self):
        return Style.objects.usable_by(self.request.user)

    def get_throttles(self):
        return [UploadThrottle()] if self.action == "create" else super().get_throttles()

    def create(self, request, *args, **kwargs):
        form = s.StyleCreateSerializer(data=request.data)
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


@extend_schema_view(
    create=extend_schema(summary="Upload a photo", request={"multipart/form-data": s.PhotoCreateSerializer},
                         responses={201: s.PhotoSerializer}),
    destroy=extend_schema(summary="Delete a photo and every picture made from it"),
)
class PhotoViewSet(_FileNegotiationMixin, UploadLimitMixin, mixins.ListModelMixin,
                   mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin,
                   viewsets.GenericViewSet):
    """Your photos. Uploads are re-encoded and stripped of metadata (GPS, comments)."""

    queryset = Photo.objects.none()
    serializer_class = s.PhotoSerializer
    parser_classes = [parsers.MultiPartParser, parsers.FormParser]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Photo.objects.none()
        return Photo.objects.filter(owner=self.request.user)

    def get_throttles(self):
        return [UploadThrottle()] if self.action == "create" else super().get_throttles()

    def create(self, request, *args, **kwargs):
        form = s.PhotoCreateSerializer(data=request.data)
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


@extend_schema_view(list=extend_schema(summary="Published works, newest first (no sign-in needed)"))
class GalleryViewSet(viewsets.ReadOnlyModelViewSet):
    """Works their authors published; readable by anyone."""

    serializer_class = s.PublicWorkSerializer
    permission_classes = [permissions.AllowAny]
    queryset = public_works()

    def get_queryset(self):
        return public_works()

"""API views for "Try every style": one job renders a small preview of a photo in every style
you may use; poll it and fetch the previews as they appear (the same as the explorer page)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from gallery import explore
from gallery.api import serializers as s
from gallery.api.base import RawNegotiation
from gallery.api.errors import ErrorSerializer
from gallery.api.parsers import SafeJSONParser
from gallery.downloads import file_response
from gallery.limits import RenderThrottle, refund_request
from gallery.models import Exploration, Photo


@extend_schema_view(
    list=extend_schema(summary="Your explorations, newest first"),
    retrieve=extend_schema(summary="One exploration: previews fill in; poll until done or failed"),
    create=extend_schema(summary="Preview a photo in every style (one render of your budget)",
                         request=s.ExplorationCreateSerializer,
                         responses={202: s.ExplorationSerializer, 429: ErrorSerializer}),
)
class ExplorationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                         viewsets.GenericViewSet):
    """"Try every style": small previews (at most 320 px) of one of your photos in every
    catalog style and your own. Asking again while one is pending returns that one."""

    queryset = Exploration.objects.none()
    serializer_class = s.ExplorationSerializer
    parser_classes = [SafeJSONParser]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Exploration.objects.none()
        return (Exploration.objects.filter(owner=self.request.user)
                .prefetch_related("previews__style"))

    def get_throttles(self):
        return [RenderThrottle()] if self.action == "create" else super().get_throttles()

    def get_content_negotiator(self):
        if getattr(self, "action", None) == "preview":
            return RawNegotiation()
        return super().get_content_negotiator()

    def create(self, request, *args, **kwargs):
        form = s.ExplorationCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        photo = Photo.objects.filter(owner=request.user, pk=form.validated_data["photo"]).first()
        if photo is None:
            raise ValidationError({"photo": ["That photo was not found."]})
        pending = photo.explorations.filter(status__in=["queued", "running"]).first()
        if pending:
            refund_request(request)  # nothing new is rendered
        exploration = pending or explore.exploration_create(
            owner=request.user, photo=photo,
            callback_url=form.validated_data.get("callback_url") or "")
        return Response(self.get_serializer(self.get_queryset().get(pk=exploration.pk)).data,
                        status=status.HTTP_202_ACCEPTED)

    @extend_schema(summary="One preview (JPEG)", responses={(200, "image/jpeg"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path=r"previews/(?P<style>[0-9a-f-]{36})",
            url_name="preview")
    def preview(self, request, pk=None, style=None):
        found = self.get_object().previews.filter(style_id=style).first()
        if found is None:
            raise NotFound("No preview in that style (yet).")
        return file_response(found.image)

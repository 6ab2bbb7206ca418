"""API views for "Try every style": one job renders a small preview of a photo in every style
you may use; poll it and fetch the previews as they appear (the same as its page)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from gallery.api.base import CALLBACK_HELP, FileActionsMixin, absolute
from gallery.api.errors import ErrorSerializer
from gallery.api.parsers import SafeJSONParser
from gallery.budgets import RenderThrottle, refund_request
from gallery.explorations.services import exploration_create, exploration_styles
from gallery.jobs.fair_queue import queue_position
from gallery.models import Exploration, Photo
from gallery.web import file_response


class ExplorationCreateSerializer(serializers.Serializer):
    photo = serializers.UUIDField(help_text="One of your photos.")
    callback_url = serializers.URLField(required=False, allow_blank=True, max_length=500,
                                        help_text=CALLBACK_HELP)


class ExplorationPreviewSerializer(serializers.Serializer):
    style = serializers.UUIDField(source="style_id")
    name = serializers.CharField(source="style.name")
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    image_url = serializers.SerializerMethodField()

    def get_image_url(self, obj) -> str:
        return absolute(self, "api-exploration-preview", obj.exploration_id, obj.style_id)


class ExplorationSerializer(serializers.ModelSerializer):
    photo = serializers.UUIDField(source="photo_id", read_only=True)
    styles = serializers.SerializerMethodField(help_text="How many styles it covers.")
    previews = ExplorationPreviewSerializer(many=True, read_only=True,
                                            help_text="Filled in as they are rendered.")
    queue_position = serializers.SerializerMethodField()

    class Meta:
        model = Exploration
        fields = ["id", "status", "error", "queue_position", "progress", "photo", "styles",
                  "created", "finished", "previews"]
        read_only_fields = fields

    def get_styles(self, obj) -> int:
        return exploration_styles(obj).count()

    def get_queue_position(self, obj) -> int | None:
        return queue_position(obj)


@extend_schema_view(
    list=extend_schema(summary="Your explorations, newest first"),
    retrieve=extend_schema(summary="One exploration: previews fill in; poll until done or failed"),
    create=extend_schema(summary="Preview a photo in every style (one render of your budget)",
                         request=ExplorationCreateSerializer,
                         responses={202: ExplorationSerializer, 429: ErrorSerializer}),
)
class ExplorationViewSet(FileActionsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                         mixins.CreateModelMixin, viewsets.GenericViewSet):
    """"Try every style": small previews (at most 320 px) of one of your photos in every
    catalog style and your own. Asking again while one is pending returns that one."""

    queryset = Exploration.objects.none()
    serializer_class = ExplorationSerializer
    parser_classes = [SafeJSONParser]
    file_actions = ("preview",)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Exploration.objects.none()
        return (Exploration.objects.filter(owner=self.request.user)
                .prefetch_related("previews__style"))

    def get_throttles(self):
        return [RenderThrottle()] if self.action == "create" else super().get_throttles()

    def create(self, request, *args, **kwargs):
        form = ExplorationCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        photo = Photo.objects.filter(owner=request.user, pk=form.validated_data["photo"]).first()
        if photo is None:
            raise ValidationError({"photo": ["That photo was not found."]})
        pending = photo.explorations.unfinished().first()
        if pending:
            refund_request(request)  # nothing new is rendered
        exploration = pending or exploration_create(
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

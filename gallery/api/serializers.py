"""What the API reads and writes. Validation of images and options stays in the services;
these only check shapes (so the schema can describe them) and build absolute links."""

from __future__ import annotations

import json

from django.urls import reverse
from rest_framework import serializers

from gallery.jobs.scheduler import queue_position
from gallery.models import Batch, Delivery, Exploration, Photo, Style, Stylization, Video
from stylize.engine import BRUSH_SCALE_RANGE, MAX_SIDE_LIMIT, MAX_STYLES, MIN_MAX_SIDE


def _absolute(serializer, name, obj, query="") -> str:
    url = reverse(name, args=[obj.pk]) + query
    request = serializer.context.get("request")
    return request.build_absolute_uri(url) if request else url


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
        return _absolute(self, "api-style-image", obj)

    def get_thumbnail_url(self, obj) -> str:
        return _absolute(self, "api-style-image", obj, "?size=thumb")


class StyleCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    # A plain file: the service's decoder decides what is an image (and answers 413/415).
    image = serializers.FileField(help_text="A painting or texture (JPEG, PNG, WebP, GIF, TIFF, BMP).")


class PhotoSerializer(serializers.ModelSerializer):
    image_url = serializers.SerializerMethodField()

    class Meta:
        model = Photo
        fields = ["id", "width", "height", "original_name", "image_url", "created"]
        read_only_fields = fields

    def get_image_url(self, obj) -> str:
        return _absolute(self, "api-photo-image", obj)


class PhotoCreateSerializer(serializers.Serializer):
    image = serializers.FileField(help_text="JPEG, PNG or WebP (GIF, TIFF, BMP too).")


class StyleWeightSerializer(serializers.Serializer):
    style = serializers.UUIDField()
    weight = serializers.FloatField(min_value=0.0, max_value=1000.0, default=1.0)


class StylizationPartSerializer(serializers.Serializer):
    style = serializers.UUIDField(source="style_id", allow_null=True,
                                  help_text="Null once the style has been deleted.")
    name = serializers.CharField(source="display_name")
    weight = serializers.FloatField()


CALLBACK_HELP = ("Optional: a public https:// URL told when it has finished (a POST signed with "
                 "your webhook secret; see docs/api.md).")


class _ControlsSerializer(serializers.Serializer):
    """The controls every picture takes, and the optional webhook."""

    callback_url = serializers.URLField(required=False, allow_blank=True, max_length=500,
                                        help_text=CALLBACK_HELP)
    strength = serializers.FloatField(min_value=0.0, max_value=1.0, default=1.0)
    preserve_color = serializers.BooleanField(default=False)
    max_side = serializers.IntegerField(min_value=MIN_MAX_SIDE, max_value=MAX_SIDE_LIMIT, default=1024)
    brush_scale = serializers.IntegerField(min_value=BRUSH_SCALE_RANGE[0],
                                           max_value=BRUSH_SCALE_RANGE[1], default=256)


class _OptionsSerializer(_ControlsSerializer):
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

    class Meta:
        model = Stylization
        fields = ["id", "status", "error", "queue_position", "progress", "photo", "styles",
                  "strength", "preserve_color", "max_side", "brush_scale", "is_public", "width",
                  "height", "created", "started", "finished", "render_ms", "result_url",
                  "thumbnail_url", "download_url"]
        read_only_fields = fields

    def get_queue_position(self, obj) -> int | None:
        return queue_position(obj)

    def _done(self, obj) -> bool:
        return obj.status == Stylization.Status.DONE

    def get_result_url(self, obj) -> str | None:
        return _absolute(self, "api-stylization-image", obj) if self._done(obj) else None

    def get_thumbnail_url(self, obj) -> str | None:
        return _absolute(self, "api-stylization-image", obj, "?size=thumb") if self._done(obj) else None

    def get_download_url(self, obj) -> str | None:
        return _absolute(self, "api-stylization-download", obj) if self._done(obj) else None


class StylizationPatchSerializer(serializers.Serializer):
    is_public = serializers.BooleanField(help_text="Publish (only when done) or unpublish.")


class PublicWorkSerializer(StylizationSerializer):
    author = serializers.CharField(source="owner.username", read_only=True)

    class Meta(StylizationSerializer.Meta):
        fields = ["id", "author", "styles", "width", "height", "created", "result_url",
                  "thumbnail_url", "download_url"]
        read_only_fields = fields


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()


class BudgetSerializer(serializers.Serializer):
    limit = serializers.IntegerField(help_text="How many are allowed per window.")
    used = serializers.IntegerField(help_text="How many were spent in the last window.")
    remaining = serializers.IntegerField()
    window_seconds = serializers.IntegerField(help_text="The sliding window, in seconds.")
    resets_in_seconds = serializers.IntegerField(
        help_text="Seconds until the oldest use in the window expires (0: nothing spent).")


class BudgetsSerializer(serializers.Serializer):
    renders = BudgetSerializer(help_text="New stylizations and retries (refused ones are free).")
    uploads = BudgetSerializer(help_text="Photo and style uploads (every attempt counts).")


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    budgets = BudgetsSerializer()


class BatchCreateSerializer(_ControlsSerializer):
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


class BatchUploadSerializer(_ControlsSerializer):
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
        return _absolute(self, "api-batch-zip", obj)


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
        url = reverse("api-exploration-preview", args=[obj.exploration_id, obj.style_id])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


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
        from gallery.explore import exploration_styles

        return exploration_styles(obj).count()

    def get_queue_position(self, obj) -> int | None:
        return queue_position(obj)


class DeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = Delivery
        fields = ["id", "event", "subject", "url", "status", "attempts", "last_status", "error",
                  "created", "finished", "queued_at", "payload"]
        read_only_fields = fields
        extra_kwargs = {
            "status": {"help_text": "queued (waiting for its next attempt: queued_at), running, "
                                    "done (the receiver answered 2xx) or failed (gave up)."},
            "error": {"help_text": "Why the last attempt failed."}}


class WebhookSecretSerializer(serializers.Serializer):
    secret = serializers.CharField(help_text="Shown this once: keep it where your receiver runs.")


class VideoCreateSerializer(_ControlsSerializer):
    callback_url = None  # clips have no webhook
    video = serializers.FileField(help_text="MP4, WebM or MOV (animated GIF too): up to "
                                            "15 s and 100 MB.")
    style = serializers.UUIDField(help_text="A style you may use.")
    max_side = serializers.IntegerField(min_value=MIN_MAX_SIDE, max_value=1280, default=720)
    deflicker = serializers.BooleanField(default=True,
                                         help_text="Steady the colours from frame to frame.")


class VideoSerializer(serializers.ModelSerializer):
    style = serializers.UUIDField(source="style_id", read_only=True, allow_null=True)
    queue_position = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()
    preview_url = serializers.SerializerMethodField()

    class Meta:
        model = Video
        fields = ["id", "status", "error", "progress", "queue_position", "style", "style_name",
                  "strength", "preserve_color", "max_side", "brush_scale", "deflicker",
                  "seconds", "fps", "frames", "width", "height", "audio", "flicker", "created",
                  "finished", "render_ms", "download_url", "preview_url"]
        read_only_fields = fields

    def get_queue_position(self, obj) -> int | None:
        return queue_position(obj)

    def get_download_url(self, obj) -> str | None:
        return _absolute(self, "api-video-download", obj) if obj.output else None

    def get_preview_url(self, obj) -> str | None:
        return _absolute(self, "api-video-preview", obj) if obj.preview else None

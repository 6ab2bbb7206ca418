"""The pieces every feature's API shares (each feature's endpoints and serializers are in its
own ``api.py``; the router is gallery/api_urls.py, so this kit imports no feature)."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation

from gallery.api.errors import TooLarge
from gallery.web import body_limit, body_too_large
from stylize.engine import BRUSH_SCALE_RANGE, MAX_SIDE_LIMIT, MIN_MAX_SIDE, Controls

IMAGE_RESPONSES = {(200, "image/jpeg"): OpenApiTypes.BINARY, (200, "image/png"): OpenApiTypes.BINARY}
SIZE_PARAM = OpenApiParameter("size", str, enum=["thumb"], required=False,
                              description="`thumb` for the small preview.")
FORMAT_PARAM = OpenApiParameter("format", str, enum=["png", "jpeg", "webp"], required=False,
                                description="Default `png`.")
CALLBACK_HELP = ("Optional: a public https:// URL told when it has finished (a POST signed with "
                 "your webhook secret; see docs/api.md).")


class RawNegotiation(DefaultContentNegotiation):
    """For file endpoints: DRF would treat ``?format=png`` as a renderer choice and 404.

    The first renderer (JSON) is kept for error bodies; successful answers are files.
    """

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class FileActionsMixin:
    """A viewset whose ``file_actions`` answer files (negotiated raw, see RawNegotiation)."""

    file_actions: tuple[str, ...] = ()

    def get_content_negotiator(self):
        if getattr(self, "action", None) in self.file_actions:
            return RawNegotiation()
        return super().get_content_negotiator()

    def is_json(self) -> bool:
        return (self.request.content_type or "").startswith("application/json")


class UploadLimitMixin:
    """Refuse an oversized body from its Content-Length, before a byte of it is parsed.

    Django bounds non-file form fields (DATA_UPLOAD_MAX_MEMORY_SIZE) but streams files of
    any size to disk; the decoder's own limit would only answer after the whole upload.
    """

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # auth first: strangers get 401, not 413
        if body_too_large(request):
            limit = (body_limit(request) - 1024 * 1024) // (1024 * 1024)
            raise TooLarge(f"The request is larger than the {limit} MB upload limit.")


def absolute(serializer, name: str, *args, query: str = "") -> str:
    """The URL named ``name`` (absolute when the serializer has its request)."""
    url = reverse(name, args=args) + query
    request = serializer.context.get("request")
    return request.build_absolute_uri(url) if request else url


def found_or_invalid(queryset, ids, *, field: str, noun: str) -> list:
    """The rows of ``ids`` in order, or a 400 naming those the caller may not use."""
    found = queryset.in_bulk(ids)
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise ValidationError({field: [f"{noun} not found: {', '.join(missing)}."]})
    return [found[i] for i in ids]


class ControlsSerializer(serializers.Serializer):
    """The controls every picture takes, and the optional webhook."""

    callback_url = serializers.URLField(required=False, allow_blank=True, max_length=500,
                                        help_text=CALLBACK_HELP)
    strength = serializers.FloatField(min_value=0.0, max_value=1.0, default=1.0)
    preserve_color = serializers.BooleanField(default=False)
    max_side = serializers.IntegerField(
        min_value=MIN_MAX_SIDE, max_value=MAX_SIDE_LIMIT, default=1024,
        help_text=f"The output's long side; never enlarged: {MAX_SIDE_LIMIT} (or any value at "
                  "or above the photo's long side) renders it at its own size, up to 50 MP.")
    brush_scale = serializers.IntegerField(min_value=BRUSH_SCALE_RANGE[0],
                                           max_value=BRUSH_SCALE_RANGE[1], default=256)

    def controls(self) -> Controls:
        return Controls.of(self.validated_data)

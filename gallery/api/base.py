"""Shared pieces of the API views."""

from __future__ import annotations

from rest_framework.negotiation import DefaultContentNegotiation

from gallery.api.errors import TooLarge
from gallery.middleware import body_limit, body_too_large


class RawNegotiation(DefaultContentNegotiation):
    """For file endpoints: DRF would treat ``?format=png`` as a renderer choice and 404.

    The first renderer (JSON) is kept for error bodies; successful answers are files.
    """

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


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

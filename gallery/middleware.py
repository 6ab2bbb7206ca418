"""Refuse oversized request bodies from their Content-Length, before Django reads them.

Django bounds form fields (DATA_UPLOAD_MAX_MEMORY_SIZE) but streams files of any size to
disk; without this a multi-GB POST to /create/ would fill the temp dir before the image
checks run. The API answers the same in JSON (gallery/api/base.py) after authentication.
"""

from django.conf import settings
from django.http import HttpResponse

# Clips are larger than photos: their pages and endpoint take up to NST_VIDEO_MAX_BYTES.
CLIP_PATHS = ("/create/clip/", "/api/v1/videos/")


def body_limit(request) -> int:
    if request.path in CLIP_PATHS:
        return settings.NST_VIDEO_MAX_BYTES + 1024 * 1024
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def body_too_large(request) -> bool:
    """The declared body exceeds the upload limit (plus room for the form's other fields)."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    return length > body_limit(request)


def upload_size_limit(get_response):
    def middleware(request):
        if body_too_large(request) and not request.path.startswith("/api/"):
            limit = (body_limit(request) - 1024 * 1024) // (1024 * 1024)
            return HttpResponse(
                f"The upload is too large: files up to {limit} MB are accepted.",
                status=413, content_type="text/plain; charset=utf-8")
        return get_response(request)

    return middleware

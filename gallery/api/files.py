"""Image bytes for the API: stored files as they are, downloads converted on the fly.

Mirrors gallery.views.StylizationDownloadView (same names, same encoder settings) so a
download is the same file whichever way it was asked for.
"""

from __future__ import annotations

from django.http import FileResponse, HttpResponse
from django.utils.http import content_disposition_header

from stylize import images

# format query value → (Pillow format, file extension)
DOWNLOAD_FORMATS = {"png": ("PNG", "png"), "jpeg": ("JPEG", "jpg"), "jpg": ("JPEG", "jpg"),
                    "webp": ("WEBP", "webp")}


def file_response(field, *, filename: str | None = None, private: bool = True) -> FileResponse:
    response = FileResponse(field.open("rb"), as_attachment=bool(filename), filename=filename or "")
    response["Cache-Control"] = "private, max-age=3600" if private else "public, max-age=3600"
    return response


def download_response(work, fmt: str) -> HttpResponse:
    """``work.output`` (always stored as PNG) as an attachment in ``fmt``."""
    pil_format, ext = DOWNLOAD_FORMATS[fmt]
    filename = f"{work.download_stem}.{ext}"
    if pil_format == "PNG":
        return file_response(work.output, filename=filename, private=not work.is_public)
    # Our own rendering: no size caps beyond what the renderer already allowed.
    with work.output.open("rb") as fh:
        raw = fh.read()
    img = images.open_image(raw, max_pixels=10**9, max_bytes=len(raw) + 1)
    data = images.encode(img, pil_format, quality=92)
    response = HttpResponse(data, content_type=images.OUTPUT_FORMATS[pil_format])
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, max-age=3600" if not work.is_public else "public, max-age=3600"
    return response

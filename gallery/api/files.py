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


def download_response(work, fmt: str, user=None) -> HttpResponse:
    """``work.output`` (always stored as PNG) as an attachment in ``fmt``."""
    pil_format, ext = DOWNLOAD_FORMATS[fmt]
    filename = f"{work.download_stem_for(user)}.{ext}"
    if pil_format == "PNG":
        return file_response(work.output, filename=filename)
    # Our own rendering: no size caps beyond what the renderer already allowed.
    with work.output.open("rb") as fh:
        raw = fh.read()
    img = images.open_stored(raw)
    data = images.encode(img, pil_format, quality=92)
    response = HttpResponse(data, content_type=images.OUTPUT_FORMATS[pil_format])
    response["Content-Disposition"] = content_disposition_header(True, filename)
    # private even when published: a shared cache must not outlive an unpublish
    response["Cache-Control"] = "private, max-age=600"
    return response

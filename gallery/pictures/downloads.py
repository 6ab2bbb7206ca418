"""Downloads of a result in PNG, JPEG or WebP, for the pages and the API alike.

Results are stored as PNG. A JPEG or WebP copy is made on the first request and kept
next to it (same name, other extension), so repeated downloads, even of a popular
public picture, cost no CPU. The copies go with the result (gallery/storage.py).
"""

from __future__ import annotations

import tempfile

from django.core.files.storage import default_storage
from django.http import FileResponse
from django.utils.text import slugify

from gallery.errors import ServiceError
from gallery.models import WEBP_MAX_SIDE
from gallery.storage import copy_name, write_atomically
from stylize import images, streams

# format query value → (Pillow format, file extension)
DOWNLOAD_FORMATS = {"png": ("PNG", "png"), "jpeg": ("JPEG", "jpg"), "jpg": ("JPEG", "jpg"),
                    "webp": ("WEBP", "webp")}


def check_format(work, fmt: str) -> None:
    """Refuse (400) a format the picture cannot be saved in, saying which ones it can."""
    if fmt not in DOWNLOAD_FORMATS:
        raise ServiceError("Unknown format; use png, jpeg or webp.", field="format")
    if DOWNLOAD_FORMATS[fmt][0] == "WEBP" and not work.fits_webp:
        raise ServiceError(
            f"WebP holds pictures up to {WEBP_MAX_SIDE} px a side; this one is {work.width} × "
            f"{work.height} px. Download it as PNG or JPEG.", field="format")


def download_name(work, fmt: str) -> str:
    """The stored file to send for ``fmt``, converting the PNG once if needed."""
    pil_format, ext = DOWNLOAD_FORMATS[fmt]
    if pil_format == "PNG":
        return work.output.name
    name = copy_name(work.output.name, ext)
    if not default_storage.exists(name):
        with work.output.open("rb") as fh:
            if pil_format == "JPEG":  # strip by strip: a 50-MP print is never whole in memory
                data = tempfile.TemporaryFile(prefix="nst-download-")
                streams.jpeg_of(fh, data, quality=92)
                data.seek(0)
            else:  # WebP's encoder takes the whole picture anyway
                data = images.encode(images.open_stored(fh.read()), pil_format, quality=92)
        try:
            write_atomically(name, data)
        finally:
            if not isinstance(data, bytes):
                data.close()
    return name


def download_stem(work, user) -> str:
    """``<photo>-<style>`` for the owner; others never learn the photo's file name."""
    styles = "-".join(slugify(p.display_name) for p in work.parts.all()) or "styled"
    base = work.photo.stem if user is not None and user.pk == work.owner_id else "picture"
    return f"{base}-{styles}"[:120]


def download_response(work, fmt: str, user) -> FileResponse:
    """``work``'s result as an attachment named ``<photo>-<style>.<ext>`` (owner) or
    ``picture-<style>.<ext>`` (anyone else)."""
    _, ext = DOWNLOAD_FORMATS[fmt]
    response = FileResponse(default_storage.open(download_name(work, fmt), "rb"),
                            as_attachment=True, filename=f"{download_stem(work, user)}.{ext}")
    # private even when published: a shared cache must not outlive an unpublish
    response["Cache-Control"] = "private, max-age=600"
    return response

"""Downloads of a result in PNG, JPEG or WebP, for the pages and the API alike.

Results are stored as PNG. A JPEG or WebP copy is made on the first request and kept
next to it (same name, other extension), so repeated downloads, even of a popular
public picture, cost no CPU. The copies go with the result (gallery.signals).
"""

from __future__ import annotations

import os

from django.core.files.storage import default_storage
from django.http import FileResponse

from gallery.storage import write_atomically
from stylize import images

# format query value → (Pillow format, file extension)
DOWNLOAD_FORMATS = {"png": ("PNG", "png"), "jpeg": ("JPEG", "jpg"), "jpg": ("JPEG", "jpg"),
                    "webp": ("WEBP", "webp")}
COPY_EXTENSIONS = ("jpg", "webp")


def copy_name(output_name: str, ext: str) -> str:
    return f"{os.path.splitext(output_name)[0]}.{ext}"


def download_name(work, fmt: str) -> str:
    """The stored file to send for ``fmt``, converting the PNG once if needed."""
    pil_format, ext = DOWNLOAD_FORMATS[fmt]
    if pil_format == "PNG":
        return work.output.name
    name = copy_name(work.output.name, ext)
    if not default_storage.exists(name):
        with work.output.open("rb") as fh:
            data = images.encode(images.open_stored(fh.read()), pil_format, quality=92)
        write_atomically(name, data)
    return name


def file_response(field, *, filename: str | None = None, private: bool = True) -> FileResponse:
    """A stored file. Works are "private" even when published: a shared cache would keep
    serving one after its owner unpublished it. Only catalog styles are cached publicly."""
    response = FileResponse(field.open("rb"), as_attachment=bool(filename), filename=filename or "")
    response["Cache-Control"] = "private, max-age=600" if private else "public, max-age=3600"
    return response


def download_response(work, fmt: str, user) -> FileResponse:
    """``work``'s result as an attachment named ``<photo>-<style>.<ext>`` (owner) or
    ``picture-<style>.<ext>`` (anyone else)."""
    _, ext = DOWNLOAD_FORMATS[fmt]
    response = FileResponse(default_storage.open(download_name(work, fmt), "rb"),
                            as_attachment=True, filename=f"{work.download_stem_for(user)}.{ext}")
    # private even when published: a shared cache must not outlive an unpublish
    response["Cache-Control"] = "private, max-age=600"
    return response

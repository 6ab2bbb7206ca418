"""A batch's finished pictures as one ZIP, streamed: one picture at a time is read and
written, never the whole archive in memory."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator, Sequence

from django.core.files.storage import default_storage
from django.http import StreamingHttpResponse
from django.utils.text import slugify

from gallery.models import Batch, Stylization
from gallery.pictures.downloads import DOWNLOAD_FORMATS, download_name


def zip_names(pictures: Sequence[Stylization], fmt: str) -> list[str]:
    """``<photo>-<style>.<ext>`` for each picture in ``fmt``, unique within the archive."""
    seen: dict[str, int] = {}
    names = []
    for work in pictures:
        ext = DOWNLOAD_FORMATS[_format_of(work, fmt)][1]
        style = slugify(work.style_names) or "styled"
        base = f"{slugify(work.photo.stem) or 'photo'}-{style}"[:120]
        seen[base] = seen.get(base, 0) + 1
        names.append(f"{base}{'' if seen[base] == 1 else '-' + str(seen[base])}.{ext}")
    return names


class _Pipe:
    """A write-only file whose bytes are handed out as they are written (zipfile writes
    to it; the response streams what it gives)."""

    def __init__(self):
        self.chunks: list[bytes] = []
        self.written = 0

    def write(self, data) -> int:
        self.chunks.append(bytes(data))
        self.written += len(data)
        return len(data)

    def tell(self) -> int:
        return self.written

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        out, self.chunks = b"".join(self.chunks), []
        return out


def _format_of(work, fmt: str) -> str:
    """``fmt``, or PNG for a picture too long for WebP."""
    return "png" if DOWNLOAD_FORMATS[fmt][0] == "WEBP" and not work.fits_webp else fmt


def zip_stream(batch: Batch, fmt: str) -> Iterator[bytes]:
    """The batch's finished pictures in ``fmt`` as a ZIP, produced picture by picture.
    Pictures are stored, not deflated: PNG, JPEG and WebP are compressed already."""
    pictures = list(batch.pictures.filter(status=Stylization.Status.DONE)
                    .select_related("photo").prefetch_related("parts").order_by("created", "pk"))
    pipe = _Pipe()
    with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_STORED) as archive:
        for work, name in zip(pictures, zip_names(pictures, fmt), strict=True):
            with default_storage.open(download_name(work, _format_of(work, fmt)), "rb") as fh:
                archive.writestr(name, fh.read())
            yield pipe.take()
    yield pipe.take()


def zip_response(batch: Batch, fmt: str) -> StreamingHttpResponse:
    """The ZIP as a download, for the batch page and the API alike."""
    response = StreamingHttpResponse(zip_stream(batch, fmt), content_type="application/zip")
    response["Content-Disposition"] = (f'attachment; filename="batch-{str(batch.pk)[:8]}'
                                       f'-{fmt}.zip"')
    response["Cache-Control"] = "private, no-store"
    return response

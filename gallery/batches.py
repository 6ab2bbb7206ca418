"""Batches: several photos × several styles with the same controls, in one go, and their ZIP.

A batch's pictures are ordinary stylizations (``Stylization.batch``): each is a job in the
fair queue (the per-user in-flight cap applies, so a batch of 48 never starves anyone) and a
render of the budget (the views charge ``total`` renders at once, all or nothing). The ZIP
is streamed: one picture at a time is read and written, never the whole archive in memory.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator, Sequence

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import StreamingHttpResponse
from django.utils.text import slugify

from gallery import jobs, webhooks
from gallery.downloads import DOWNLOAD_FORMATS, download_name
from gallery.errors import ServiceError
from gallery.models import Batch, Photo, Style, Stylization
from gallery.services import check_picture_options, new_picture, photo_with_files
from stylize.engine import EngineError, check_picture


def batch_create(
    *,
    owner,
    styles: Sequence[Style],
    photos: Sequence[Photo] = (),
    uploads: Sequence = (),
    strength: float = 1.0,
    preserve_color: bool = False,
    max_side: int = 1024,
    brush_scale: int = 256,
    callback_url: str = "",
) -> Batch:
    """Every photo (chosen or uploaded) in every style. Everything is checked first; the
    uploads are decoded and stored before the transaction and removed if anything fails."""
    count = len(photos) + len(uploads)
    if not count:
        raise ServiceError("Choose or upload at least one photo.", field="photos")
    if not styles:
        raise ServiceError("Choose at least one style.", field="styles")
    total = count * len(styles)
    if total > settings.NST_BATCH_MAX:
        raise ServiceError(
            f"A batch makes at most {settings.NST_BATCH_MAX} picture"
            f"{'s' if settings.NST_BATCH_MAX != 1 else ''}; {count} photo"
            f"{'s' if count != 1 else ''} × {len(styles)} style{'s' if len(styles) != 1 else ''}"
            f" would make {total}.", field="styles")
    if len({p.pk for p in photos}) != len(photos):
        raise ServiceError("Each photo can be picked only once.", field="photos")
    if any(p.owner_id != owner.pk for p in photos):
        raise ServiceError("That photo was not found.", code="not_found", field="photos")
    check_picture_options(owner, [(s, 1.0) for s in styles], strength=strength,
                          max_side=max_side, brush_scale=brush_scale)
    if callback_url:
        webhooks.check_callback_url(callback_url)
    new: list[Photo] = []
    try:
        for upload in uploads:
            new.append(photo_with_files(owner=owner, upload=upload,
                                        original_name=getattr(upload, "name", "")))
        every = [*photos, *new]
        for photo in every:
            try:
                check_picture(photo.width, photo.height, max_side)
            except EngineError as exc:
                raise ServiceError(f"{photo.stem}: {exc}", field="max_side") from None
        with transaction.atomic():
            for photo in new:
                photo.save()
            batch = Batch.objects.create(owner=owner, total=total, callback_url=callback_url)
            for photo in every:
                for style in styles:
                    new_picture(owner=owner, photo=photo, styles=[(style, 1.0)], batch=batch,
                                strength=strength, preserve_color=preserve_color,
                                max_side=max_side, brush_scale=brush_scale)
    except BaseException:
        for photo in new:
            for field in (photo.image, photo.thumbnail):
                if field:
                    field.storage.delete(field.name)
        raise
    return batch


def batch_retry_failed(*, batch: Batch) -> int:
    """Queue the batch's failed pictures again; how many."""
    failed = list(batch.pictures.filter(status=Stylization.Status.FAILED))
    if not failed:
        return 0
    jobs.require_broker()
    from gallery.services import stylization_retry

    for work in failed:
        stylization_retry(stylization=work)
    return len(failed)


def zip_names(pictures: Sequence[Stylization], ext: str) -> list[str]:
    """``<photo>-<style>.<ext>`` for each picture, unique within the archive."""
    seen: dict[str, int] = {}
    names = []
    for work in pictures:
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


def zip_stream(batch: Batch, fmt: str) -> Iterator[bytes]:
    """The batch's finished pictures in ``fmt`` as a ZIP, produced picture by picture.
    Pictures are stored, not deflated: PNG, JPEG and WebP are compressed already."""
    _, ext = DOWNLOAD_FORMATS[fmt]
    pictures = list(batch.pictures.filter(status=Stylization.Status.DONE)
                    .select_related("photo").prefetch_related("parts").order_by("created", "pk"))
    pipe = _Pipe()
    with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_STORED) as archive:
        for work, name in zip(pictures, zip_names(pictures, ext), strict=True):
            with default_storage.open(download_name(work, fmt), "rb") as fh:
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

"""Batches: several photos × several styles with the same controls, in one go.

A batch's pictures are ordinary stylizations (``Stylization.batch``): each is a job in the
fair queue (the per-user in-flight cap applies, so a batch of 48 never starves anyone) and a
render of the budget (the views charge ``total`` renders at once, all or nothing). The ZIP
is gallery/batches/zip.py.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.db import transaction

from gallery import jobs
from gallery.errors import Code, ServiceError, refusing
from gallery.models import Batch, Photo, Style, Stylization
from gallery.photos.services import photo_forget_files, photo_with_files
from gallery.pictures.services import check_new_pictures, new_picture, stylization_retry
from stylize.engine import DEFAULT_CONTROLS, Controls, check_picture


def batch_create(
    *,
    owner,
    styles: Sequence[Style],
    photos: Sequence[Photo] = (),
    uploads: Sequence = (),
    controls: Controls = DEFAULT_CONTROLS,
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
        raise ServiceError("That photo was not found.", code=Code.NOT_FOUND, field="photos")
    check_new_pictures(owner, [(s, 1.0) for s in styles], controls, callback_url)
    new: list[Photo] = []
    try:
        for upload in uploads:
            new.append(photo_with_files(owner=owner, upload=upload,
                                        original_name=getattr(upload, "name", "")))
        every = [*photos, *new]
        for photo in every:
            with refusing("max_side", prefix=f"{photo.stem}: "):
                check_picture(photo.width, photo.height, controls.max_side)
        with transaction.atomic():
            for photo in new:
                photo.save()
            batch = Batch.objects.create(owner=owner, total=total, callback_url=callback_url)
            for photo in every:
                for style in styles:
                    new_picture(owner=owner, photo=photo, styles=[(style, 1.0)], batch=batch,
                                controls=controls)
    except BaseException:
        for photo in new:
            photo_forget_files(photo)
        raise
    return batch


def batch_retry_failed(*, batch: Batch) -> int:
    """Queue the batch's failed pictures again; how many."""
    failed = list(batch.pictures.filter(status=Stylization.Status.FAILED))
    if not failed:
        return 0
    jobs.require_broker()
    for work in failed:
        stylization_retry(stylization=work)
    return len(failed)

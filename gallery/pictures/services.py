"""Pictures (stylizations): create one from a photo (or a new upload), retry, publish, delete.

Keyword-only, ``<entity>_<verb>``; each either finishes or leaves nothing behind. Errors a
person should read are ``ServiceError``s (gallery/errors.py). Rendering itself is a job
(gallery/pictures/render.py) run by the job system (gallery/jobs).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from gallery import jobs
from gallery.errors import Code, ServiceError, refusing
from gallery.models import Photo, Style, Stylization, StylizationStyle
from gallery.photos.services import photo_forget_files, photo_with_files
from gallery.webhooks.services import check_callback_url
from stylize.engine import DEFAULT_CONTROLS, Controls, check_picture

LARGE_SIDE = 2048  # renders above this many pixels on the long side count as large


def output_side(*, photo_width: int, photo_height: int, max_side: int) -> int:
    """The long side of the result: the photo's own, capped by ``max_side`` (never upscaled)."""
    return min(max(photo_width, photo_height), max_side)


def stylization_create(
    *,
    owner,
    styles: Sequence[tuple[Style, float]],
    photo: Photo | None = None,
    upload=None,
    original_name: str = "",
    controls: Controls = DEFAULT_CONTROLS,
    callback_url: str = "",
) -> Stylization:
    """Create a queued stylization of ``photo`` (or of a new ``upload``) and enqueue it.

    Everything is checked before anything is written; an uploaded photo is decoded and its
    files written before the transaction (decoding can take seconds, and SQLite's write lock
    would make every other writer wait); its row, the stylization and its styles are created
    in one transaction, the files removed if that fails, and the render is enqueued only
    once it has committed.
    """
    if (photo is None) == (upload is None):
        raise ServiceError("Upload a photo or choose one of yours.", field="photo")
    if photo is not None and photo.owner_id != owner.pk:
        raise ServiceError("That photo was not found.", code=Code.NOT_FOUND, field="photo")
    check_new_pictures(owner, styles, controls, callback_url)
    new = upload is not None
    if new:
        photo = photo_with_files(owner=owner, upload=upload, original_name=original_name)
    try:
        with refusing("max_side"):
            check_picture(photo.width, photo.height, controls.max_side)
        with transaction.atomic():
            if new:
                photo.save()
            stylization = new_picture(owner=owner, photo=photo, styles=styles,
                                      controls=controls, callback_url=callback_url)
    except BaseException:
        if new:
            photo_forget_files(photo)
        raise
    return stylization


def check_new_pictures(owner, styles: Sequence[tuple[Style, float]], controls: Controls,
                       callback_url: str = "") -> None:
    """What every new picture needs before anything is written: usable styles, valid
    controls, a callback URL webhooks may go to, and a broker that can wake a worker."""
    _check_styles(owner, styles)
    jobs.require_broker()
    with refusing():
        controls.check([w for _, w in styles])
    if callback_url:
        check_callback_url(callback_url)


def new_picture(*, owner, photo: Photo, styles: Sequence[tuple[Style, float]],
                controls: Controls, batch=None, callback_url: str = "") -> Stylization:
    """The rows of one queued picture (inside the caller's transaction), enqueued on commit."""
    side = output_side(photo_width=photo.width, photo_height=photo.height,
                       max_side=controls.max_side)
    stylization = Stylization.objects.create(
        owner=owner, photo=photo, **controls.as_dict(), large=side > LARGE_SIDE, batch=batch,
        callback_url=callback_url,
    )
    StylizationStyle.objects.bulk_create(
        StylizationStyle(stylization=stylization, style=s, style_name=s.name, weight=w)
        for s, w in styles
    )
    jobs.enqueue_on_commit(f"render-{stylization.pk}")
    return stylization


def _check_styles(owner, styles: Sequence[tuple[Style, float]]) -> None:
    if not styles:
        raise ServiceError("Choose a style.", field="styles")
    ids = [s.pk for s, _ in styles]
    if len(set(ids)) != len(ids):
        raise ServiceError("Each style can be picked only once.", field="styles")
    usable = set(Style.objects.usable_by(owner).filter(pk__in=ids).values_list("pk", flat=True))
    if usable != set(ids):
        raise ServiceError("That style was not found.", code=Code.NOT_FOUND, field="styles")


def stylization_retry(*, stylization: Stylization) -> Stylization:
    """Queue a failed stylization again."""
    if stylization.status != Stylization.Status.FAILED:
        raise ServiceError("Only a failed picture can be retried.", code=Code.CONFLICT)
    jobs.require_broker()
    with transaction.atomic():
        Stylization.objects.filter(pk=stylization.pk, status=Stylization.Status.FAILED).update(
            status=Stylization.Status.QUEUED, error="", attempts=0, started=None, finished=None,
            worker="", progress="", queued_at=timezone.now())
        jobs.enqueue_on_commit(f"render-{stylization.pk}")
    stylization.refresh_from_db()
    return stylization


def stylization_set_public(*, stylization: Stylization, is_public: bool) -> Stylization:
    if is_public and stylization.status != Stylization.Status.DONE:
        raise ServiceError("Only a finished picture can be published.", code=Code.CONFLICT)
    Stylization.objects.filter(pk=stylization.pk).update(is_public=is_public)
    stylization.is_public = is_public
    return stylization


def stylization_delete(*, stylization: Stylization) -> None:
    stylization.delete()

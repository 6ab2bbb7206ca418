"""Everything that changes photos and stylizations. Views and the API call these.

Keyword-only, ``<entity>_<verb>``; each either finishes or leaves nothing behind.
Errors a person should read are raised as ``ServiceError`` (gallery/errors.py). Rendering
itself is a job (gallery/render.py) run by the job system (gallery/jobs).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from gallery import jobs, webhooks
from gallery.errors import INTERNAL_ERROR, ServiceError  # noqa: F401  (views use services.*)
from gallery.models import Photo, Style, Stylization, StylizationStyle
from gallery.render import LARGE_SIDE, THUMB_SIDE, output_side
from gallery.storage import save_with_files, write_files
from stylize import images
from stylize.engine import EngineError, check_options, check_picture


def _decode_upload(upload, field: str = "photo") -> images.Image.Image:
    """Decode an upload and refuse what can never be stylized (too long and thin)."""
    try:
        img = images.open_image(
            upload, max_bytes=settings.NST_MAX_UPLOAD_BYTES, max_pixels=settings.NST_MAX_PIXELS
        )
        check_picture(*img.size)
    except images.ImageError as exc:
        raise ServiceError(str(exc), code=exc.code, field=field) from None
    except EngineError as exc:
        raise ServiceError(str(exc), field=field) from None
    return img


def encode_for_storage(img) -> tuple[bytes, str]:
    """Re-encode (all metadata dropped): PNG when there is transparency, else a fine JPEG."""
    if img.mode == "RGBA":
        return images.encode(img, "PNG"), ".png"
    return images.encode(img, "JPEG", quality=95), ".jpg"


def photo_create(*, owner, upload, original_name: str = "") -> Photo:
    """Validate and store an uploaded photo (re-encoded, metadata stripped, UUID name)."""
    photo = photo_with_files(owner=owner, upload=upload, original_name=original_name)
    save_with_files(photo, photo.image, photo.thumbnail)
    return photo


def photo_with_files(*, owner, upload, original_name: str) -> Photo:
    """Decode, re-encode and write a new photo's files; the row is not saved yet."""
    img = _decode_upload(upload)
    data, ext = encode_for_storage(img)
    photo = Photo(owner=owner, sha256=hashlib.sha256(data).hexdigest(), width=img.width,
                  height=img.height,
                  original_name=os.path.basename(original_name or "")[:255])
    # Pages list photos as small pictures; a 50-megapixel original is not a thumbnail.
    thumb = images.encode(images.fit(img, THUMB_SIDE), "JPEG", quality=85)
    write_files(photo, image=(f"upload{ext}", data), thumbnail=("thumb.jpg", thumb))
    return photo


def photo_delete(*, photo: Photo) -> None:
    """Delete a photo and every stylization made from it (files go on commit)."""
    photo.delete()


def stylization_create(
    *,
    owner,
    styles: Sequence[tuple[Style, float]],
    photo: Photo | None = None,
    upload=None,
    original_name: str = "",
    strength: float = 1.0,
    preserve_color: bool = False,
    max_side: int = 1024,
    brush_scale: int = 256,
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
        raise ServiceError("That photo was not found.", code="not_found", field="photo")
    check_picture_options(owner, styles, strength=strength, max_side=max_side,
                          brush_scale=brush_scale)
    if callback_url:
        webhooks.check_callback_url(callback_url)
    new_files = ()
    if upload is not None:
        photo = photo_with_files(owner=owner, upload=upload, original_name=original_name)
        new_files = (photo.image, photo.thumbnail)
    try:
        check_picture(photo.width, photo.height, max_side)
    except EngineError as exc:
        for field in new_files:
            field.storage.delete(field.name)
        raise ServiceError(str(exc), field="max_side") from None
    try:
        with transaction.atomic():
            if new_files:
                photo.save()
            stylization = new_picture(owner=owner, photo=photo, styles=styles,
                                      strength=strength, preserve_color=preserve_color,
                                      max_side=max_side, brush_scale=brush_scale,
                                      callback_url=callback_url)
    except BaseException:
        for field in new_files:
            field.storage.delete(field.name)
        raise
    return stylization


def check_picture_options(owner, styles: Sequence[tuple[Style, float]], *, strength: float,
                          max_side: int, brush_scale: int) -> None:
    """What every new picture needs before anything is written: usable styles, valid
    options, and a broker that can wake a worker for it."""
    _check_styles(owner, styles)
    jobs.require_broker()
    try:
        check_options(strength=strength, max_side=max_side, brush_scale=brush_scale,
                      weights=[w for _, w in styles])
    except EngineError as exc:
        raise ServiceError(str(exc)) from None


def new_picture(*, owner, photo: Photo, styles: Sequence[tuple[Style, float]], batch=None,
                strength: float, preserve_color: bool, max_side: int,
                brush_scale: int, callback_url: str = "") -> Stylization:
    """The rows of one queued picture (inside the caller's transaction), enqueued on commit."""
    side = output_side(photo_width=photo.width, photo_height=photo.height, max_side=max_side)
    stylization = Stylization.objects.create(
        owner=owner, photo=photo, strength=strength, preserve_color=preserve_color,
        max_side=max_side, brush_scale=brush_scale, large=side > LARGE_SIDE, batch=batch,
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
        raise ServiceError("That style was not found.", code="not_found", field="styles")


def stylization_retry(*, stylization: Stylization) -> Stylization:
    """Queue a failed stylization again."""
    if stylization.status != Stylization.Status.FAILED:
        raise ServiceError("Only a failed picture can be retried.", code="conflict")
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
        raise ServiceError("Only a finished picture can be published.", code="conflict")
    Stylization.objects.filter(pk=stylization.pk).update(is_public=is_public)
    stylization.is_public = is_public
    return stylization


def stylization_delete(*, stylization: Stylization) -> None:
    stylization.delete()


# -- housekeeping ----------------------------------------------------------------

SWEPT_FOLDERS = ("photos", "results", "styles", "videos")


def files_sweep(*, older_than: timedelta = timedelta(hours=1)) -> int:
    """Delete stored files that no row refers to, once old enough that no writer can still be
    about to commit them: a worker killed between writing its result and the row's UPDATE,
    a process that died mid-upload, a temporary ``.part`` file. Returns how many went."""
    from gallery.downloads import COPY_EXTENSIONS, copy_name
    from gallery.models import ExplorationPreview, Video

    referenced = set()
    for model, fields in ((Photo, ("image", "thumbnail")), (Style, ("image", "thumbnail")),
                          (Stylization, ("output", "thumbnail")), (ExplorationPreview, ("image",)),
                          (Video, ("source", "output", "preview"))):
        for row in model.objects.values_list(*fields):
            referenced.update(name for name in row if name)
    for output in Stylization.objects.exclude(output="").values_list("output", flat=True):
        referenced.update(copy_name(output, ext) for ext in COPY_EXTENSIONS)
    cutoff = timezone.now() - older_than
    count = 0
    for folder in SWEPT_FOLDERS:
        try:
            _, files = default_storage.listdir(folder)
        except FileNotFoundError:
            continue
        for filename in files:
            name = f"{folder}/{filename}"
            if name not in referenced and default_storage.get_modified_time(name) < cutoff:
                default_storage.delete(name)
                count += 1
    return count

"""Everything that changes photos and stylizations. Views, the API and tasks call these.

Keyword-only, ``<entity>_<verb>``; each either finishes or leaves nothing behind.
Errors a person should read are raised as ``ServiceError``.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from gallery.models import JobStatus, Photo, Style, Stylization, StylizationStyle, WorkerHeartbeat
from gallery.storage import save_with_files, write_atomically
from gallery.styles import style_input
from stylize import images
from stylize.engine import EngineError, ModelError, check_options
from stylize.runtime import configured_engine

log = logging.getLogger(__name__)

THUMB_SIDE = 480
INTERNAL_ERROR = (
    "Rendering failed because of a problem on our side. Please try again; "
    "if it keeps failing, let us know."
)


class ServiceError(Exception):
    """A request that cannot be done; ``str()`` is for the person, ``code`` for the API."""

    def __init__(self, message: str, code: str = "invalid", field: str | None = None):
        super().__init__(message)
        self.code = code
        self.field = field


def _decode_upload(upload) -> images.Image.Image:
    try:
        return images.open_image(
            upload, max_bytes=settings.NST_MAX_UPLOAD_BYTES, max_pixels=settings.NST_MAX_PIXELS
        )
    except images.ImageError as exc:
        raise ServiceError(str(exc), code=exc.code, field="photo") from None


def encode_for_storage(img) -> tuple[bytes, str]:
    """Re-encode (all metadata dropped): PNG when there is transparency, else a fine JPEG."""
    if img.mode == "RGBA":
        return images.encode(img, "PNG"), ".png"
    return images.encode(img, "JPEG", quality=95), ".jpg"


def photo_create(*, owner, upload, original_name: str = "") -> Photo:
    """Validate and store an uploaded photo (re-encoded, metadata stripped, UUID name)."""
    img = _decode_upload(upload)
    data, ext = encode_for_storage(img)
    photo = Photo(owner=owner, sha256=hashlib.sha256(data).hexdigest(), width=img.width,
                  height=img.height,
                  original_name=os.path.basename(original_name or "")[:255])
    photo.image.save(f"upload{ext}", ContentFile(data), save=False)
    # Pages list photos as small pictures; a 50-megapixel original is not a thumbnail.
    thumb = images.encode(images.fit(img, THUMB_SIDE), "JPEG", quality=85)
    photo.thumbnail.save("thumb.jpg", ContentFile(thumb), save=False)
    save_with_files(photo, photo.image, photo.thumbnail)
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
) -> Stylization:
    """Create a queued stylization of ``photo`` (or of a new ``upload``) and enqueue it.

    Everything is checked before anything is written; the photo (if uploaded),
    the stylization and its styles are created in one transaction, and the render
    is enqueued only once that has committed.
    """
    if (photo is None) == (upload is None):
        raise ServiceError("Upload a photo or choose one of yours.", field="photo")
    if photo is not None and photo.owner_id != owner.pk:
        raise ServiceError("That photo was not found.", code="not_found", field="photo")
    _check_styles(owner, styles)
    try:
        check_options(strength=strength, max_side=max_side, brush_scale=brush_scale,
                      weights=[w for _, w in styles])
    except EngineError as exc:
        raise ServiceError(str(exc)) from None
    with transaction.atomic():
        if upload is not None:
            photo = photo_create(owner=owner, upload=upload, original_name=original_name)
            stored = photo.image
        else:
            stored = None
        try:
            stylization = Stylization.objects.create(
                owner=owner, photo=photo, strength=strength, preserve_color=preserve_color,
                max_side=max_side, brush_scale=brush_scale,
            )
            StylizationStyle.objects.bulk_create(
                StylizationStyle(stylization=stylization, style=s, style_name=s.name, weight=w)
                for s, w in styles
            )
        except BaseException:
            if stored:
                stored.storage.delete(stored.name)
            raise
        # robust: if the broker is down the row is saved anyway and the reaper enqueues it later.
        transaction.on_commit(lambda: stylization_enqueue(stylization_id=stylization.pk), robust=True)
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


def stylization_enqueue(*, stylization_id) -> None:
    from django_q.tasks import async_task

    async_task("gallery.tasks.render_stylization", str(stylization_id),
               task_name=f"render-{stylization_id}", group="render")


def stylization_retry(*, stylization: Stylization) -> Stylization:
    """Queue a failed stylization again."""
    if stylization.status != Stylization.Status.FAILED:
        raise ServiceError("Only a failed picture can be retried.", code="conflict")
    with transaction.atomic():
        Stylization.objects.filter(pk=stylization.pk).update(
            status=Stylization.Status.QUEUED, error="", attempts=0, started=None, finished=None,
            queued_at=timezone.now())
        transaction.on_commit(lambda: stylization_enqueue(stylization_id=stylization.pk), robust=True)
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


# -- rendering (runs in the worker) ----------------------------------------


def stylization_render(*, stylization_id) -> None:
    """Render one stylization. Idempotent: a row that is already done is left alone."""
    now = timezone.now()
    # Only a queued row can be claimed: a duplicate delivery of a row another worker is
    # rendering does nothing (the reaper puts rows whose worker died back to queued).
    claimed = (
        Stylization.objects.filter(pk=stylization_id, status=Stylization.Status.QUEUED)
        .update(status=Stylization.Status.RUNNING, started=now, attempts=F("attempts") + 1)
    )
    if not claimed:
        return
    row = (Stylization.objects.select_related("photo")
           .prefetch_related("parts__style").get(pk=stylization_id))
    output = thumbnail = None
    try:
        engine = configured_engine()
        with row.photo.image.open("rb") as fh:
            photo = images.open_stored(fh.read())
        styles = [(style_input(part.style, engine=engine, brush_scale=row.brush_scale), part.weight)
                  for part in row.parts.all() if part.style_id]
        if not styles:
            raise ServiceError("The style of this picture has been deleted.")
        started = timezone.now()
        result = engine.stylize(photo, styles, strength=row.strength,
                                preserve_color=row.preserve_color, max_side=row.max_side,
                                brush_scale=row.brush_scale)
        render_ms = int((timezone.now() - started).total_seconds() * 1000)
        output = _save_atomically("results", images.encode(result, "PNG"), ".png")
        thumb = images.fit(result, THUMB_SIDE)
        thumbnail = _save_atomically("results", images.encode(thumb, "JPEG", quality=85), ".jpg")
    except Exception as exc:
        for name in (output, thumbnail):  # nothing half-made stays behind
            if name:
                default_storage.delete(name)
        if isinstance(exc, images.ImageError | EngineError | ServiceError):
            message = str(exc)
        elif isinstance(exc, ModelError):
            log.error("model not available: %s", exc)
            message = INTERNAL_ERROR
        else:
            log.exception("rendering %s failed", stylization_id)
            message = INTERNAL_ERROR
        _fail(stylization_id, message)
        return
    finished = Stylization.objects.filter(pk=stylization_id, status=Stylization.Status.RUNNING).update(
        status=Stylization.Status.DONE, output=output, thumbnail=thumbnail, width=result.width,
        height=result.height, engine=engine.model_id, finished=timezone.now(),
        render_ms=render_ms, error="",
    )
    if not finished:  # a duplicate delivery finished first, or the row was deleted meanwhile
        default_storage.delete(output)
        default_storage.delete(thumbnail)


def _fail(stylization_id, message: str) -> None:
    Stylization.objects.filter(pk=stylization_id).exclude(status=Stylization.Status.DONE).update(
        status=Stylization.Status.FAILED, error=message, finished=timezone.now())


def _save_atomically(folder: str, data: bytes, ext: str) -> str:
    import uuid

    return write_atomically(f"{folder}/{uuid.uuid4().hex}{ext}", data)


# -- housekeeping (periodic, in the worker) ----------------------------------


def worker_heartbeat(*, name: str = "qcluster") -> None:
    WorkerHeartbeat.objects.update_or_create(name=name, defaults={"seen": timezone.now()})


def stylizations_reap(*, now=None) -> int:
    """Requeue work a dead worker or a lost broker message left behind; give up after 3 tries.

    Rows stay ``running`` when a worker dies mid-render (the Redis broker drops such
    tasks) and ``queued`` when the broker lost the message. Re-enqueueing is safe
    because rendering is idempotent. Covers renders and "Try every style" jobs alike.
    """
    from gallery.explore import exploration_enqueue
    from gallery.models import Exploration

    now = now or timezone.now()
    q = settings.Q_CLUSTER
    stuck = Q(status=JobStatus.RUNNING, started__lt=now - timedelta(seconds=q["timeout"] + 60)) | Q(
        status=JobStatus.QUEUED, queued_at__lt=now - timedelta(seconds=q["retry"] + 60))
    jobs = [(Stylization, lambda pk: stylization_enqueue(stylization_id=pk),
             "Rendering did not finish after several attempts. Please try again."),
            (Exploration, exploration_enqueue,
             "The previews did not finish after several attempts. Please try again.")]
    count = 0
    for model, enqueue, give_up in jobs:
        for row in model.objects.filter(stuck):
            if row.attempts >= settings.NST_MAX_RENDER_ATTEMPTS:
                model.objects.filter(pk=row.pk).update(status=JobStatus.FAILED, error=give_up,
                                                       finished=now)
            else:
                model.objects.filter(pk=row.pk, status=row.status).update(
                    status=JobStatus.QUEUED, queued_at=now)
                enqueue(row.pk)
            count += 1
    return count

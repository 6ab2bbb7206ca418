"""Services for "Try every style": one job renders a small preview per active style."""

from __future__ import annotations

import logging
import time

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from gallery.models import Exploration, ExplorationPreview, Photo, Style, Stylization
from gallery.services import INTERNAL_ERROR, ServiceError
from gallery.styles import style_input
from stylize import images
from stylize.runtime import configured_engine

log = logging.getLogger(__name__)

PREVIEW_SIDE = 320


def exploration_create(*, owner, photo: Photo) -> Exploration:
    if photo.owner_id != owner.pk:
        raise ServiceError("That photo was not found.", code="not_found", field="photo")
    with transaction.atomic():
        exploration = Exploration.objects.create(owner=owner, photo=photo)
        transaction.on_commit(lambda: exploration_enqueue(exploration.pk), robust=True)
    return exploration


def exploration_enqueue(exploration_id) -> None:
    from django_q.tasks import async_task

    async_task("gallery.tasks.render_exploration", str(exploration_id),
               task_name=f"explore-{exploration_id}", group="explore")


def exploration_styles(exploration: Exploration):
    """The styles it covers: active catalog styles and the owner's own, in catalog order."""
    return Style.objects.usable_by(exploration.owner).order_by("owner_id", "position", "name")


def exploration_render(*, exploration_id) -> None:
    """Render every missing preview, saving each as soon as it exists (the grid fills in).

    Idempotent: a redelivered job only renders the styles that have no preview yet.
    """
    claimed = Exploration.objects.filter(pk=exploration_id, status=Stylization.Status.QUEUED).update(
        status=Stylization.Status.RUNNING, started=timezone.now(), attempts=F("attempts") + 1)
    if not claimed:
        return
    exploration = Exploration.objects.select_related("photo", "owner").get(pk=exploration_id)
    started = time.perf_counter()
    try:
        engine = configured_engine()
        with exploration.photo.image.open("rb") as fh:
            photo = images.flatten(images.fit(images.open_stored(fh.read()),
                                              PREVIEW_SIDE))
        done = set(exploration.previews.values_list("style_id", flat=True))
        for style in exploration_styles(exploration).exclude(pk__in=done):
            result = engine.stylize(photo, [(style_input(style, engine=engine, brush_scale=256), 1)],
                                    max_side=PREVIEW_SIDE)
            preview = ExplorationPreview(exploration=exploration, style=style,
                                         width=result.width, height=result.height)
            preview.image.save("preview.jpg", ContentFile(images.encode(result, "JPEG", quality=85)),
                               save=False)
            try:
                preview.save()
            except IntegrityError:
                preview.image.storage.delete(preview.image.name)
                if not Exploration.objects.filter(pk=exploration_id).exists():
                    return  # deleted meanwhile (with its photo): stop rendering for nobody
                # else a duplicate delivery saved this style first: carry on
    except (images.ImageError, ServiceError) as exc:
        _finish(exploration_id, Stylization.Status.FAILED, str(exc), started)
        return
    except Exception:
        log.exception("exploration %s failed", exploration_id)
        _finish(exploration_id, Stylization.Status.FAILED, INTERNAL_ERROR, started)
        return
    _finish(exploration_id, Stylization.Status.DONE, "", started)


def _finish(exploration_id, status, error, started) -> None:
    Exploration.objects.filter(pk=exploration_id).update(
        status=status, error=error, finished=timezone.now(),
        render_ms=int((time.perf_counter() - started) * 1000))

"""The "Try every style" job: a preview per style, each saved as soon as it exists."""

from __future__ import annotations

import logging

from django.core.files.base import ContentFile
from django.db import IntegrityError

from gallery.errors import ServiceError
from gallery.explorations.services import exploration_styles
from gallery.jobs import JobContext, JobKind, Result, register
from gallery.models import Exploration, ExplorationPreview
from gallery.styles.services import style_input
from gallery.webhooks.services import exploration_finished
from stylize import images
from stylize.engine import EngineError
from stylize.runtime import configured_engine

log = logging.getLogger(__name__)

PREVIEW_SIDE = 320


@register
class ExplorationJob(JobKind):
    """Saves each preview as soon as it exists (the grid fills in); a redelivered or
    handed-back job renders only the styles that have no preview yet."""

    name = "exploration"
    model = Exploration
    gave_up = "The previews did not finish after several attempts. Please try again."

    def load(self, pk):
        return Exploration.objects.select_related("photo", "owner").get(pk=pk)

    def finished(self, pk, status: str) -> None:
        exploration_finished(pk)

    def run(self, row: Exploration, ctx: JobContext) -> Result:
        engine = configured_engine()
        with row.photo.image.open("rb") as fh:
            photo = images.flatten(images.fit(images.open_stored(fh.read()), PREVIEW_SIDE))
        done = set(row.previews.values_list("style_id", flat=True))
        todo = list(exploration_styles(row).exclude(pk__in=done))
        total = len(done) + len(todo)
        skipped = 0
        for n, style in enumerate(todo, start=len(done) + 1):
            ctx.progress(f"{n} of {total} styles")
            try:
                result = engine.stylize(
                    photo, [(style_input(style, engine=engine, brush_scale=256), 1)],
                    max_side=PREVIEW_SIDE)
            except (images.ImageError, EngineError) as exc:  # one bad style sinks nothing else
                log.warning("exploration %s: style %s skipped: %s", row.pk, style.pk, exc)
                skipped += 1
                continue
            data = images.encode(result, "JPEG", quality=85)
            with ctx.committing():  # a stopping worker never leaves a file without its row
                if not self._save(row, style, result, data):
                    break
        if todo and skipped == len(todo) and not done:
            raise ServiceError("None of the styles could be rendered on this photo.")
        return Result()

    @staticmethod
    def _save(row, style, result, data) -> bool:
        preview = ExplorationPreview(exploration=row, style=style, width=result.width,
                                     height=result.height)
        preview.image.save("preview.jpg", ContentFile(data), save=False)
        try:
            preview.save()
        except IntegrityError:
            preview.image.storage.delete(preview.image.name)
            # deleted meanwhile (with its photo): stop; else a duplicate saved this style first
            return Exploration.objects.filter(pk=row.pk).exists()
        return True

"""The render job: one photo in one or more styles, at full resolution."""

from __future__ import annotations

import time

from gallery.errors import ServiceError
from gallery.jobs import JobContext, JobKind, Result, register
from gallery.models import Stylization
from gallery.photos.services import THUMB_SIDE
from gallery.pictures.services import output_side
from gallery.styles.services import style_input
from gallery.webhooks.services import stylization_finished
from stylize import images
from stylize.engine import Controls
from stylize.runtime import configured_engine

# Seconds per megapixel, learned from this process's renders; a first guess until then.
_seconds_per_mp = [0.6]


@register
class RenderJob(JobKind):
    name = "render"
    model = Stylization
    gave_up = "Rendering did not finish after several attempts. Please try again."

    def load(self, pk):
        return Stylization.objects.select_related("photo").prefetch_related("parts__style").get(pk=pk)

    def finished(self, pk, status: str) -> None:
        stylization_finished(pk)

    def run(self, row: Stylization, ctx: JobContext) -> Result:
        engine = configured_engine()
        with row.photo.image.open("rb") as fh:
            photo = images.open_stored(fh.read())
        styles = [(style_input(part.style, engine=engine, brush_scale=row.brush_scale), part.weight)
                  for part in row.parts.all() if part.style_id]
        if not styles:
            raise ServiceError("The style of this picture has been deleted.")
        side = output_side(photo_width=photo.width, photo_height=photo.height, max_side=row.max_side)
        megapixels = side * side * min(photo.width, photo.height) / max(photo.width, photo.height) / 1e6
        ctx.expect(megapixels * _seconds_per_mp[0] + 1)
        short = round(side * min(photo.width, photo.height) / max(photo.width, photo.height))
        size = f"{side} × {short} px" if photo.width >= photo.height else f"{short} × {side} px"
        ctx.progress(f"rendering {size}")
        began = time.perf_counter()
        result = engine.stylize(  # a large picture goes tile by tile: "tile 12 of 48"
            photo, styles, **Controls.of(row).as_dict(),
            progress=lambda n, total: ctx.progress(f"tile {n} of {total} · {size}"))
        del photo  # at 50 MP: 150 MB the encoders below can use
        took = time.perf_counter() - began
        _seconds_per_mp[0] = 0.7 * _seconds_per_mp[0] + 0.3 * took / max(megapixels, 0.01)
        thumb = images.fit(result, THUMB_SIDE)
        return Result(
            files={"output": ("results", images.encode(result, "PNG"), ".png"),
                   "thumbnail": ("results", images.encode(thumb, "JPEG", quality=85), ".jpg")},
            fields={"width": result.width, "height": result.height, "engine": engine.model_id})

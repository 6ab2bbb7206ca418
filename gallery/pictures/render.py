"""The render job: one photo in one or more styles, at full resolution."""

from __future__ import annotations

import contextlib
import tempfile
import time

from gallery.errors import ServiceError
from gallery.jobs import JobContext, JobKind, Result, register
from gallery.models import Stylization
from gallery.photos.services import THUMB_SIDE
from gallery.pictures.services import output_side
from gallery.styles.services import style_input
from gallery.webhooks.services import stylization_finished
from stylize import images, streams
from stylize.engine import Controls
from stylize.runtime import configured_engine
from stylize.spooled import SpooledPhoto

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
        styles = [(style_input(part.style, engine=engine, brush_scale=row.brush_scale), part.weight)
                  for part in row.parts.all() if part.style_id]
        if not styles:
            raise ServiceError("The style of this picture has been deleted.")
        with self._photo(row, engine) as photo:
            return self._render(row, ctx, engine, photo, styles)

    @staticmethod
    @contextlib.contextmanager
    def _photo(row: Stylization, engine):
        """The photo to render: decoded whole — or, when it will be rendered tile by tile,
        spooled to disk strip by strip (a 50-MP photo is never whole in memory)."""
        w, h = row.photo.width, row.photo.height
        side = output_side(photo_width=w, photo_height=h, max_side=row.max_side)
        scale = side / max(w, h, 1)
        with row.photo.image.open("rb") as fh:
            if w and h and engine.renders_in_tiles((round(w * scale), round(h * scale))):
                with SpooledPhoto(fh, max_side=side) as photo:
                    yield photo
                return
            photo = images.open_stored(fh.read())
        yield photo

    def _render(self, row: Stylization, ctx: JobContext, engine, photo, styles) -> Result:
        side = output_side(photo_width=photo.width, photo_height=photo.height, max_side=row.max_side)
        megapixels = side * side * min(photo.width, photo.height) / max(photo.width, photo.height) / 1e6
        ctx.expect(megapixels * _seconds_per_mp[0] + 1)
        short = round(side * min(photo.width, photo.height) / max(photo.width, photo.height))
        size = f"{side} × {short} px" if photo.width >= photo.height else f"{short} × {side} px"
        ctx.progress(f"rendering {size}")
        began = time.perf_counter()
        # The PNG is written as the rows are rendered (a large picture goes tile by tile:
        # "tile 12 of 48"), so a 50-MP result is never whole in memory (stylize/streams.py).
        png = tempfile.TemporaryFile(prefix="nst-render-")
        out = streams.Print(png, THUMB_SIDE, side)
        engine.stylize(photo, styles, **Controls.of(row).as_dict(), sink=out,
                       progress=lambda n, total: ctx.progress(f"tile {n} of {total} · {size}"))
        width, height, reduced = out.close()
        took = time.perf_counter() - began
        _seconds_per_mp[0] = 0.7 * _seconds_per_mp[0] + 0.3 * took / max(megapixels, 0.01)
        thumb = images.fit(reduced, THUMB_SIDE)
        return Result(
            files={"output": ("results", png, ".png"),
                   "thumbnail": ("results", images.encode(thumb, "JPEG", quality=85), ".jpg")},
            fields={"width": width, "height": height, "engine": engine.model_id})

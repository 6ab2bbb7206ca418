"""The clip job: every frame through the engine with one style vector, the sound kept, an
animated WebP preview; the budget settled on what was rendered."""

from __future__ import annotations

import dataclasses
import io
import os
import shutil
import tempfile

from django.conf import settings
from django.db import transaction

from gallery import budgets
from gallery.errors import ServiceError
from gallery.jobs import JobContext, JobKind, Result, register
from gallery.models import Video
from gallery.styles.services import style_input
from stylize import video
from stylize.engine import Controls, is_vector
from stylize.runtime import configured_engine

PREVIEW_SIDE = 320
PREVIEW_FRAMES = 24  # the preview: up to 24 frames, ~3 s


def _settle(row: Video, rendered: float) -> None:
    """The budget counts what was rendered: the seconds charged for the header's claim that
    the frames did not use are given back — this clip's own spends, once (a job run again
    finds them returned). More than was charged is never rendered (the frame checks)."""
    keep = budgets.paid_seconds(rendered - 0.01)
    with transaction.atomic():
        charged = (Video.objects.select_for_update().filter(pk=row.pk)
                   .values_list("charged", flat=True).first()) or []
        if len(charged) > keep:
            budgets.give_back(charged[keep:])
            Video.objects.filter(pk=row.pk).update(charged=charged[:keep])


class Cancelled(ServiceError):
    pass


@register
class VideoJob(JobKind):
    name = "clip"
    model = Video
    gave_up = "The clip did not finish after several attempts. Please try again."

    def run(self, row: Video, ctx: JobContext) -> Result:
        engine = configured_engine()
        vector = style_input(row.style, engine=engine, brush_scale=row.brush_scale) \
            if row.style_id else None
        if vector is None:
            raise ServiceError("The style of this clip has been deleted.")
        if engine.supports_vectors and not is_vector(vector):
            vector = engine.style_vector(vector, row.brush_scale)  # once for the whole clip
        previews: list = []
        every = max(1, round(row.fps / 8))  # the preview at ~8 frames a second
        ctx.expect(row.frames * 1.0 + 5)

        controls = Controls.of(row)

        def stylize(picture):  # frames come at the clip's size already
            return engine.stylize(picture, [(vector, 1.0)], **dataclasses.replace(
                controls, max_side=max(picture.size)).as_dict())

        def progress(n, total):
            if n % 10 == 0 or n == total:
                ctx.progress(f"frame {n} of {total}")
                if Video.objects.filter(pk=row.pk, cancel_requested=True).exists():
                    raise Cancelled("Cancelled.")

        def keep(frame_index, picture):
            if frame_index % every == 0 and len(previews) < PREVIEW_FRAMES:
                small = picture.copy()
                small.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE))
                previews.append(small)

        with tempfile.TemporaryDirectory() as tmp:
            source = os.path.join(tmp, "source")
            with row.source.open("rb") as src, open(source, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            target = os.path.join(tmp, "out.mp4")
            counter = {"n": 0}

            def stylize_and_keep(picture):
                out = stylize(picture)
                keep(counter["n"], out)
                counter["n"] += 1
                return out

            try:
                stats = self._render(source, target, stylize_and_keep, row, progress)
            except video.VideoError as exc:  # a clip that lied about itself: nothing kept
                name = row.source.name
                Video.objects.filter(pk=row.pk).update(source="")
                row.source.storage.delete(name)
                raise ServiceError(str(exc)) from None
            with open(target, "rb") as fh:
                data = fh.read()
        buf = io.BytesIO()
        previews[0].save(buf, "WEBP", save_all=True, append_images=previews[1:],
                         duration=round(1000 * every / max(row.fps, 1)), loop=0, quality=70)
        _settle(row, stats.seconds)
        return Result(
            files={"output": ("results", data, ".mp4"),
                   "preview": ("results", buf.getvalue(), ".webp")},
            fields={"width": stats.width, "height": stats.height, "frames": stats.frames,
                    "audio": stats.audio, "flicker": stats.flicker,
                    "seconds": round(stats.seconds, 3)})

    @staticmethod
    def _render(source, target, stylize, row: Video, progress):
        seconds = min(budgets.paid_seconds(row.seconds), settings.NST_VIDEO_MAX_SECONDS)
        return video.render(source, target, stylize, max_side=row.max_side,
                            deflicker=row.deflicker, progress=progress, total=row.frames,
                            limits=video.Limits(
                                seconds=seconds,
                                frames=int(seconds * max(row.fps, 1) * 1.1) + 10))


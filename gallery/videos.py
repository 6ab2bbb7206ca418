"""Clips: upload (probed before anything is kept), render as a job of its own kind (progress
"frame 120 of 360", cancel), an H.264 MP4 and an animated WebP preview (stylize/video.py).

The budget for clips is counted in seconds of video (``videos`` scope: the views charge
``ceil(seconds)``). A clip job is "large": at most one per user in flight.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile

from django.conf import settings
from django.core.files import File
from django.db import transaction

from gallery import jobs, limits
from gallery.errors import ServiceError
from gallery.jobs import JobContext, JobKind, Result, register
from gallery.models import Style, Video
from gallery.styles import style_input
from stylize import video
from stylize.engine import EngineError, check_options, check_picture, is_vector
from stylize.runtime import configured_engine

PREVIEW_SIDE = 320
PREVIEW_FRAMES = 24  # the preview: up to 24 frames, ~3 s
ALLOWED_EXTENSIONS = (".mp4", ".m4v", ".mov", ".webm", ".mkv", ".gif", ".webp")


def probe_upload(upload) -> tuple[video.ClipInfo, str]:
    """The clip's facts (and a local path to it), or a ServiceError; nothing is kept."""
    if upload.size > settings.NST_VIDEO_MAX_BYTES:
        raise ServiceError(f"The clip is too large ({upload.size / 1e6:.0f} MB); clips up to "
                           f"{settings.NST_VIDEO_MAX_BYTES / 1e6:.0f} MB are accepted.",
                           code="too_large", field="video")
    path = getattr(upload, "temporary_file_path", lambda: None)()
    if path is None:  # a small upload held in memory: probe it from a temporary file
        with tempfile.NamedTemporaryFile(suffix=".clip", delete=False) as fh:
            upload.seek(0)
            shutil.copyfileobj(upload, fh)
            path = fh.name
    try:
        info = video.probe(path, max_seconds=settings.NST_VIDEO_MAX_SECONDS)
    except video.VideoError as exc:
        _forget(upload, path)
        raise ServiceError(str(exc), code=exc.code, field="video") from None
    return info, path


def _forget(upload, path: str) -> None:
    if path != getattr(upload, "temporary_file_path", lambda: None)():
        os.unlink(path)


def video_create(*, owner, upload, style: Style, strength: float = 1.0,
                 preserve_color: bool = False, max_side: int = 720,
                 brush_scale: int = 256, deflicker: bool = True, charge=None) -> Video:
    """Probe, keep and queue a clip. ``charge(seconds)`` is called once its length is known,
    before anything is kept (the views spend the clip budget there and raise to refuse)."""
    if not Style.objects.usable_by(owner).filter(pk=style.pk).exists():
        raise ServiceError("That style was not found.", code="not_found", field="style")
    if max_side > settings.NST_VIDEO_MAX_SIDE:
        raise ServiceError(f"Clips are rendered at most {settings.NST_VIDEO_MAX_SIDE} px on the "
                           "long side.", field="max_side")
    try:
        check_options(strength=strength, max_side=max_side, brush_scale=brush_scale,
                      weights=[1.0])
    except EngineError as exc:
        raise ServiceError(str(exc)) from None
    jobs.require_broker()
    info, path = probe_upload(upload)
    width, height = video.output_size(info.width, info.height, max_side)
    try:  # the renderer's own rule, asked now: what it would refuse is refused here
        check_picture(width, height, max(width, height), what="clip")
    except EngineError as exc:
        _forget(upload, path)
        raise ServiceError(str(exc).replace(f"({width} × {height} px)",
                                            f"({info.width} × {info.height} px)"),
                           field="video") from None
    spent = None
    if charge is not None:
        try:
            spent = charge(info.seconds)
        except BaseException:
            _forget(upload, path)
            raise
    name = os.path.basename(getattr(upload, "name", "") or "clip.mp4")[:255]
    ext = os.path.splitext(name)[1].lower()
    row = Video(owner=owner, original_name=name, style=style, style_name=style.name,
                strength=strength, preserve_color=preserve_color, max_side=max_side,
                brush_scale=brush_scale, deflicker=deflicker, seconds=info.seconds,
                charged=list(spent.spend_ids) if spent is not None else [],
                fps=float(info.fps), frames=info.frames, width=width, height=height,
                large=True)
    try:
        with open(path, "rb") as fh:
            row.source.save(f"clip{ext if ext in ALLOWED_EXTENSIONS else '.mp4'}", File(fh),
                            save=False)
    except OSError as exc:
        from gallery.errors import OUT_OF_STORAGE, is_out_of_storage

        if is_out_of_storage(exc):
            raise ServiceError(OUT_OF_STORAGE, code="out_of_storage") from None
        raise
    finally:
        _forget(upload, path)
    try:
        with transaction.atomic():
            row.save()
            jobs.enqueue_on_commit(f"video-{row.pk}")
    except BaseException:
        row.source.storage.delete(row.source.name)
        raise
    return row


def video_cancel(*, clip: Video) -> Video:
    """Stop a queued or running clip; the worker notices between frames."""
    if clip.is_finished:
        raise ServiceError("This clip has finished already.", code="conflict")
    Video.objects.filter(pk=clip.pk, status=Video.Status.QUEUED).update(
        status=Video.Status.FAILED, error="Cancelled.", cancel_requested=True)
    Video.objects.filter(pk=clip.pk).update(cancel_requested=True)
    clip.refresh_from_db()
    return clip


def _settle(row: Video, rendered: float) -> None:
    """The budget counts what was rendered: the seconds charged for the header's claim that
    the frames did not use are given back — this clip's own spends, once (a job run again
    finds them returned). More than was charged is never rendered (the frame checks)."""
    keep = limits.paid_seconds(rendered - 0.01)
    with transaction.atomic():
        charged = (Video.objects.select_for_update().filter(pk=row.pk)
                   .values_list("charged", flat=True).first()) or []
        if len(charged) > keep:
            limits.give_back(charged[keep:])
            Video.objects.filter(pk=row.pk).update(charged=charged[:keep])


class Cancelled(ServiceError):
    pass


@register
class VideoJob(JobKind):
    name = "video"
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

        def stylize(picture):
            return engine.stylize(picture, [(vector, 1.0)], strength=row.strength,
                                  preserve_color=row.preserve_color, max_side=max(picture.size),
                                  brush_scale=row.brush_scale)

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
        seconds = min(limits.paid_seconds(row.seconds), settings.NST_VIDEO_MAX_SECONDS)
        return video.render(source, target, stylize, max_side=row.max_side,
                            deflicker=row.deflicker, progress=progress, total=row.frames,
                            limits=video.Limits(
                                seconds=seconds,
                                frames=int(seconds * max(row.fps, 1) * 1.1) + 10))


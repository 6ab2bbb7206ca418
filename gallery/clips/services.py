"""Clips: upload (probed before anything is kept) and queue one, cancel it. The render is a job
of its own kind (gallery/clips/job.py): progress "frame 120 of 360", an H.264 MP4 and an
animated WebP preview (stylize/video.py). The model is ``Video``.

The budget for clips is counted in seconds of video (``videos`` scope: the views charge
``ceil(seconds)``). A clip job is "large": at most one per user in flight.
"""

from __future__ import annotations

import os
import shutil
import tempfile

from django.conf import settings
from django.core.files import File
from django.db import transaction

from gallery import jobs
from gallery.errors import OUT_OF_STORAGE, Code, ServiceError, is_out_of_storage, refusing
from gallery.models import Style, Video
from stylize import video
from stylize.engine import Controls, check_picture

CLIP_CONTROLS = Controls(max_side=720)
ALLOWED_EXTENSIONS = (".mp4", ".m4v", ".mov", ".webm", ".mkv", ".gif", ".webp")


def probe_upload(upload) -> tuple[video.ClipInfo, str]:
    """The clip's facts (and a local path to it), or a ServiceError; nothing is kept."""
    if upload.size > settings.NST_VIDEO_MAX_BYTES:
        raise ServiceError(f"The clip is too large ({upload.size / 1e6:.0f} MB); clips up to "
                           f"{settings.NST_VIDEO_MAX_BYTES / 1e6:.0f} MB are accepted.",
                           code=Code.TOO_LARGE, field="video")
    path = getattr(upload, "temporary_file_path", lambda: None)()
    if path is None:  # a small upload held in memory: probe it from a temporary file
        with tempfile.NamedTemporaryFile(suffix=".clip", delete=False) as fh:
            upload.seek(0)
            shutil.copyfileobj(upload, fh)
            path = fh.name
    try:
        with refusing("video"):
            info = video.probe(path, max_seconds=settings.NST_VIDEO_MAX_SECONDS)
    except ServiceError:
        _forget(upload, path)
        raise
    return info, path


def _forget(upload, path: str) -> None:
    if path != getattr(upload, "temporary_file_path", lambda: None)():
        os.unlink(path)


def clip_create(*, owner, upload, style: Style, controls: Controls = CLIP_CONTROLS,
                deflicker: bool = True, charge=None) -> Video:
    """Probe, keep and queue a clip. ``charge(seconds)`` is called once its length is known,
    before anything is kept (the views spend the clip budget there and raise to refuse)."""
    if not Style.objects.usable_by(owner).filter(pk=style.pk).exists():
        raise ServiceError("That style was not found.", code=Code.NOT_FOUND, field="style")
    if controls.max_side > settings.NST_VIDEO_MAX_SIDE:
        raise ServiceError(f"Clips are rendered at most {settings.NST_VIDEO_MAX_SIDE} px on the "
                           "long side.", field="max_side")
    with refusing():
        controls.check()
    jobs.require_broker()
    info, path = probe_upload(upload)
    width, height = video.output_size(info.width, info.height, controls.max_side)
    try:  # the renderer's own rule, asked now: what it would refuse is refused here
        with refusing("video"):
            check_picture(width, height, max(width, height), what="clip")
    except ServiceError as exc:
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
                **controls.as_dict(), deflicker=deflicker, seconds=info.seconds,
                charged=list(spent.spend_ids) if spent is not None else [],
                fps=float(info.fps), frames=info.frames, width=width, height=height,
                large=True)
    try:
        with open(path, "rb") as fh:
            row.source.save(f"clip{ext if ext in ALLOWED_EXTENSIONS else '.mp4'}", File(fh),
                            save=False)
    except OSError as exc:
        if is_out_of_storage(exc):
            raise ServiceError(OUT_OF_STORAGE, code=Code.OUT_OF_STORAGE) from None
        raise
    finally:
        _forget(upload, path)
    try:
        with transaction.atomic():
            row.save()
            jobs.enqueue_on_commit(f"clip-{row.pk}")
    except BaseException:
        row.source.storage.delete(row.source.name)
        raise
    return row


def clip_cancel(*, clip: Video) -> Video:
    """Stop a queued or running clip; the worker notices between frames."""
    if clip.is_finished:
        raise ServiceError("This clip has finished already.", code=Code.CONFLICT)
    Video.objects.filter(pk=clip.pk, status=Video.Status.QUEUED).update(
        status=Video.Status.FAILED, error="Cancelled.", cancel_requested=True)
    Video.objects.filter(pk=clip.pk).update(cancel_requested=True)
    clip.refresh_from_db()
    return clip

"""Claim, finish, fail and hand back: the only code that changes a job's status.

Every change is a conditional UPDATE naming the worker that holds the job, so a duplicate
delivery, a reaped job whose old worker wakes up, or a hand-back racing a finish can never
both win: the loser changes nothing and removes the files it wrote.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from gallery.errors import (
    INTERNAL_ERROR,
    RENDER_OUT_OF_STORAGE,
    ServiceError,
    is_out_of_storage,
)
from gallery.jobs.heartbeats import fresh_heartbeats
from gallery.jobs.kinds import JobContext, JobKind, RetryLater, kinds
from gallery.models import JobStatus
from stylize import images
from stylize.engine import EngineError, ModelError

log = logging.getLogger(__name__)


def claim(kind: JobKind, pk, worker: str) -> bool:
    """Queued → running, held by ``worker``. Only a queued row can be claimed."""
    return kind.model.objects.filter(pk=pk, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, worker=worker, started=timezone.now(), finished=None,
        attempts=F("attempts") + 1, progress="") == 1


def run(kind: JobKind, pk, worker: str) -> str:
    """Claim this very job and run it inline; "" if it was not queued (done, running, gone)."""
    if not claim(kind, pk, worker):
        return ""
    return execute(kind, JobContext(kind, pk, worker))


def execute(kind: JobKind, ctx: JobContext) -> str:
    """Run a claimed job to its end: done with its files, or failed with a readable message
    and no files. Returns the final status ("" if the job was no longer ours to finish)."""
    started = time.perf_counter()
    written: list[str] = []
    try:
        row = kind.load(ctx.pk)
        result = kind.run(row, ctx)
        with ctx.committing():
            for attr, (folder, data, ext) in result.files.items():
                written.append(ctx.write(folder, data, ext))
                result.fields[attr] = written[-1]
            with transaction.atomic():
                finished = _held(kind, ctx).update(
                    status=JobStatus.DONE, finished=timezone.now(), error="", progress="",
                    render_ms=int((time.perf_counter() - started) * 1000), **result.fields)
            if not finished:  # handed back, reaped or deleted meanwhile: not ours any more
                ctx.discard(written)
                return ""
    except RetryLater as later:
        ctx.discard(written)
        _held(kind, ctx).update(
            status=JobStatus.QUEUED, worker="", error=later.reason[:500],
            queued_at=timezone.now() + timedelta(seconds=later.seconds),
            progress=f"next attempt in {later.seconds:.0f} s")
        return JobStatus.QUEUED
    except Exception as exc:
        committed = _committed(kind, ctx) if written else False
        if committed:  # the COMMIT happened but its answer was lost: the files are in use
            return JobStatus.DONE
        if committed is not None:  # when the database cannot tell, the file sweep decides
            ctx.discard(written)
        fail(kind, ctx.pk, ctx.worker, user_message(exc, kind, ctx.pk),
             render_ms=int((time.perf_counter() - started) * 1000))
        return JobStatus.FAILED
    _finished(kind, ctx.pk, JobStatus.DONE)
    return JobStatus.DONE


def _finished(kind: JobKind, pk, status: str) -> None:
    """The kind's hook for a job that ended (done, or failed for good); never breaks the
    life cycle: a hook's error is logged."""
    try:
        kind.finished(pk, status)
    except Exception:
        log.exception("%s %s: the finished hook failed", kind.name, pk)


def _committed(kind: JobKind, ctx: JobContext) -> bool | None:
    try:
        return kind.model.objects.filter(pk=ctx.pk, status=JobStatus.DONE,
                                         worker=ctx.worker).exists()
    except Exception:
        return None


def _held(kind: JobKind, ctx: JobContext):
    return kind.model.objects.filter(pk=ctx.pk, status=JobStatus.RUNNING, worker=ctx.worker)


def user_message(exc: Exception, kind: JobKind, pk) -> str:
    """What the person reads: our own errors say what was wrong; anything else is logged."""
    if isinstance(exc, images.ImageError | EngineError | ServiceError):
        return str(exc)
    if is_out_of_storage(exc):
        log.error("%s %s: out of storage: %s", kind.name, pk, exc)
        return RENDER_OUT_OF_STORAGE
    if isinstance(exc, ModelError):
        log.error("%s %s: model not available: %s", kind.name, pk, exc)
    else:
        log.exception("%s %s failed", kind.name, pk)
    return INTERNAL_ERROR


def fail(kind: JobKind, pk, worker: str, message: str, **fields) -> bool:
    try:
        failed = kind.model.objects.filter(pk=pk, status=JobStatus.RUNNING, worker=worker).update(
            status=JobStatus.FAILED, error=message, finished=timezone.now(), progress="",
            **fields) == 1
    except Exception:  # the database is gone too: the reaper or the idle check will see the row
        log.exception("could not mark %s %s failed", kind.name, pk)
        return False
    if failed:
        _finished(kind, pk, JobStatus.FAILED)
    return failed


def hand_back(workers, *, count_attempt: bool = False, started_before=None) -> int:
    """Running jobs held by these workers go back to the queue at once.

    A clean stop does not count as an attempt; a worker that died (perhaps killed by the job
    itself, say out of memory) does, so a job that kills every worker is given up after a few.
    """
    workers = [w for w in workers if w]
    count = 0
    for kind in kinds():
        held = kind.model.objects.running().filter(worker__in=workers)
        if started_before is not None:
            held = held.filter(started__lt=started_before)
        for pk, worker in held.values_list("pk", "worker"):
            if count_attempt:
                count += give_up_or_requeue(kind, pk, worker=worker)
            else:
                count += requeue(kind, pk, worker=worker)
    return count


def requeue(kind: JobKind, pk, *, worker: str) -> int:
    """Handed back by its worker (a clean stop): queued again, the attempt not counted.
    ``queued_at`` is kept, so the job keeps its place in its owner's queue."""
    return kind.model.objects.filter(pk=pk, status=JobStatus.RUNNING, worker=worker).update(
        status=JobStatus.QUEUED, worker="", progress="", attempts=F("attempts") - 1)


def give_up_or_requeue(kind: JobKind, pk, *, worker: str, unless_alive: bool = False) -> int:
    """Its worker died: queued again (the attempt counts), or failed after too many.
    With ``unless_alive`` the UPDATE itself re-checks that the worker is still silent."""
    from django.conf import settings

    held = kind.model.objects.filter(pk=pk, status=JobStatus.RUNNING, worker=worker)
    if unless_alive:
        held = held.exclude(worker__in=fresh_heartbeats().values("name"))
    failed = held.filter(attempts__gte=settings.NST_MAX_RENDER_ATTEMPTS).update(
        status=JobStatus.FAILED, error=kind.gave_up, finished=timezone.now(), progress="")
    if failed:
        _finished(kind, pk, JobStatus.FAILED)
    return failed + held.update(status=JobStatus.QUEUED, worker="", progress="")

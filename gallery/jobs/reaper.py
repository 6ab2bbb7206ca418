"""Liveness-based recovery: a running job whose worker stopped beating goes back to the queue.

Every worker process beats every ``NST_HEARTBEAT_SECONDS`` (not through the queue); one
not seen for ``NST_WORKER_DEAD_AFTER`` seconds is dead, and its jobs are requeued by the
next heartbeat of any live worker — so after ``kill -9`` of a rendering process or of a
whole cluster, the job runs again seconds later, not after the task timeout. A job that
kills its worker every time is given up after ``NST_MAX_RENDER_ATTEMPTS``.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from gallery.jobs.kinds import kinds
from gallery.jobs.lifecycle import requeue
from gallery.models import WorkerHeartbeat

FORGET_AFTER = timedelta(hours=1)  # rows of workers gone this long are deleted


def live_workers(now=None) -> set[str]:
    now = now or timezone.now()
    dead_after = timedelta(seconds=settings.NST_WORKER_DEAD_AFTER)
    return set(WorkerHeartbeat.objects.filter(seen__gte=now - dead_after)
               .values_list("name", flat=True))


def reap(now=None) -> int:
    """Requeue (or give up) running jobs whose worker is not alive; returns how many."""
    now = now or timezone.now()
    live = live_workers(now)
    # A row without a worker name predates heartbeats: fall back to the task timeout.
    legacy_cutoff = now - timedelta(seconds=settings.Q_CLUSTER["timeout"] + 60)
    count = 0
    for kind in kinds():
        rows = kind.model.objects.running().values_list("pk", "worker", "attempts", "started")
        for pk, worker, attempts, started in rows:
            if worker in live or (not worker and started and started > legacy_cutoff):
                continue
            count += requeue(kind, pk, count_attempt=True, attempts=attempts, worker=worker)
    WorkerHeartbeat.objects.filter(seen__lt=now - FORGET_AFTER).delete()
    return count


def claimed_within(seconds: float) -> bool:
    since = timezone.now() - timedelta(seconds=seconds)
    return any(kind.model.objects.filter(started__gte=since).exists() for kind in kinds())

"""Liveness-based recovery: a running job whose worker stopped beating goes back to the queue.

Every worker process beats every ``NST_HEARTBEAT_SECONDS`` (not through the queue), stamped
with the database's clock. One not seen for ``NST_WORKER_DEAD_AFTER`` seconds is dead, and
its jobs are requeued by the next heartbeat of any live worker — so after ``kill -9`` of a
rendering process or of a whole cluster the job runs again seconds later, not after the task
timeout. A worker on this very host whose process still exists is never taken for dead (its
beat may just be waiting for a database lock). The requeue re-checks staleness in the same
UPDATE, so a worker that beats at the last moment keeps its job. A job that kills its worker
every time is given up after ``NST_MAX_RENDER_ATTEMPTS``.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models.functions import Now
from django.utils import timezone

from gallery.jobs.heartbeats import alive_here, fresh_heartbeats
from gallery.jobs.kinds import kinds
from gallery.jobs.lifecycle import give_up_or_requeue
from gallery.models import WorkerHeartbeat

FORGET_AFTER = timedelta(hours=1)  # rows of workers gone this long are deleted


def reap() -> int:
    """Requeue (or give up) running jobs whose worker is not alive; returns how many."""
    running = {kind: list(kind.model.objects.running().values_list("pk", "worker", "started"))
               for kind in kinds()}
    holders = {worker for rows in running.values() for _, worker, _ in rows if worker}
    if not holders and not any(running.values()):
        return 0
    live = set(fresh_heartbeats().filter(name__in=holders).values_list("name", flat=True))
    stale = {hb.name: hb for hb in WorkerHeartbeat.objects.filter(name__in=holders - live)}
    dead = {name for name in holders - live if name not in stale or not alive_here(stale[name])}
    # A row without a worker name predates heartbeats: fall back to the task timeout.
    legacy_cutoff = timezone.now() - timedelta(seconds=settings.Q_CLUSTER["timeout"] + 60)
    count = 0
    for kind, rows in running.items():
        for pk, worker, started in rows:
            if worker in dead:
                count += give_up_or_requeue(kind, pk, worker=worker, unless_alive=True)
            elif not worker and started and started < legacy_cutoff:
                count += give_up_or_requeue(kind, pk, worker="")
    WorkerHeartbeat.objects.filter(seen__lt=Now() - FORGET_AFTER).delete()
    return count


def claimed_within(seconds: float) -> bool:
    since = timezone.now() - timedelta(seconds=seconds)
    return any(kind.model.objects.filter(started__gte=since).exists() for kind in kinds())

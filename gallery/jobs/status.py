"""The health report behind /healthz and ``manage.py jobs``.

503 only when something is wrong:
- the database, or the Redis broker when one is configured, does not answer;
- no worker process has beaten within ``NST_WORKER_DEAD_AFTER`` seconds;
- some user's queue has not moved for longer than
  ``NST_HEALTH_WAIT_BASE + NST_HEALTH_WAIT_PER_JOB × ceil(queued jobs / live workers)``.
  A user's queue "moves" when one of their jobs finishes: the wait is counted from their
  oldest queued job's arrival or their last finished job, whichever is later — so a user
  whose long series drains at their per-user cap is not a fault.
A long backlog that workers are working through is healthy; a fresh site is healthy as
soon as one worker has started (its first heartbeat comes at once).
"""

from __future__ import annotations

import math

from django.conf import settings
from django.db import connection
from django.db.models import Max, Min
from django.utils import timezone

from gallery.jobs.broker import broker_error
from gallery.jobs.kinds import kinds
from gallery.models import WorkerHeartbeat


def _seconds(now, then) -> float | None:
    return None if then is None else round((now - then).total_seconds(), 1)


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any driver error means "not reachable"
        return f"{exc.__class__.__name__}: {exc}"[:200]
    return ""


def _check_broker() -> tuple[str, str]:
    if not settings.Q_CLUSTER.get("redis"):
        return "database (django-q2 ORM broker)", ""
    return "redis", broker_error()


def health() -> dict:
    now = timezone.now()
    problems = []
    report = {"ok": False, "time": now.isoformat(), "database": {"ok": True},
              "broker": {}, "workers": [], "queue": {}, "problems": problems}
    db_error = _check_database()
    broker, broker_error = _check_broker()
    report["broker"] = {"kind": broker, "ok": not broker_error}
    if broker_error:
        report["broker"]["error"] = broker_error
        problems.append(f"broker down: {broker_error}")
    if db_error:
        report["database"] = {"ok": False, "error": db_error}
        problems.append(f"database down: {db_error}")
        return report

    dead_after = settings.NST_WORKER_DEAD_AFTER
    for hb in WorkerHeartbeat.objects.all():
        seen = _seconds(now, hb.seen)
        report["workers"].append({"name": hb.name, "host": hb.host, "pid": hb.pid,
                                  "alive": seen <= dead_after, "seen_seconds_ago": seen,
                                  "job": hb.job, "stopping": hb.stopping,
                                  "runtime": hb.runtime or None,
                                  "up_seconds": _seconds(now, hb.started)})
    alive = sum(w["alive"] for w in report["workers"])
    if not alive:
        problems.append("no live worker (start one: manage.py qcluster)")

    queued = running = 0
    first: dict = {}  # owner → oldest queued_at
    moved: dict = {}  # owner → last finished
    for kind in kinds():
        jobs = kind.model.objects
        queued += jobs.queued().count()
        running += jobs.running().count()
        for owner, at in jobs.queued().values("owner_id").annotate(at=Min("queued_at")).values_list(
                "owner_id", "at"):
            first[owner] = min(at, first.get(owner, at))
    for kind in kinds():
        for owner, at in (kind.model.objects.filter(owner_id__in=list(first), finished__isnull=False)
                          .values("owner_id").annotate(at=Max("finished"))
                          .values_list("owner_id", "at")):
            moved[owner] = max(at, moved.get(owner, at))
    since = [max(at, moved.get(owner, at)) for owner, at in first.items()]
    limit = (settings.NST_HEALTH_WAIT_BASE
             + settings.NST_HEALTH_WAIT_PER_JOB * math.ceil(queued / max(alive, 1)))
    oldest = _seconds(now, min(first.values())) if first else None
    stuck = _seconds(now, min(since)) if since else None
    report["queue"] = {"queued": queued, "running": running, "oldest_wait_seconds": oldest,
                       "longest_unmoved_seconds": stuck, "wait_limit_seconds": limit}
    if stuck is not None and stuck > limit:
        problems.append(f"a queue has not moved for {stuck:.0f} s (limit {limit} s)")
    report["ok"] = not problems
    return report

"""Which queued job runs next: each user has at most ``NST_USER_JOBS`` jobs in flight (and
``NST_USER_LARGE_JOBS`` large ones); among users with room, round-robin — fewest jobs in
flight first, then whoever's last job started longest ago — and each user's oldest job first.

The pick and the claim happen under one lock (PostgreSQL advisory lock; SQLite's write
lock, taken at BEGIN IMMEDIATE), so two workers never overrun a user's cap together.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max

from gallery.jobs.kinds import JobKind, kinds
from gallery.jobs.lifecycle import claim
from gallery.models import JobStatus

LOOKAHEAD = 500  # queued rows per kind considered at each pick (oldest first)
_LOCK_ID = 0x6E7374  # "nst"


@dataclass(frozen=True)
class Queued:
    kind: JobKind
    pk: object
    owner_id: int
    large: bool
    queued_at: datetime


def queued_jobs() -> list[Queued]:
    jobs = []
    for kind in kinds():
        rows = (kind.model.objects.queued().order_by("queued_at")
                .values_list("pk", "owner_id", "large", "queued_at")[:LOOKAHEAD])
        jobs += [Queued(kind, *row) for row in rows]
    jobs.sort(key=lambda j: j.queued_at)
    return jobs


def in_flight() -> tuple[Counter, Counter]:
    running, large = Counter(), Counter()
    for kind in kinds():
        for owner, is_large in kind.model.objects.running().values_list("owner_id", "large"):
            running[owner] += 1
            large[owner] += is_large
    return running, large


def pick() -> Queued | None:
    """The job that should run next, or None if nothing queued may run now."""
    queued = queued_jobs()
    if not queued:
        return None
    running, running_large = in_flight()
    cap, large_cap = settings.NST_USER_JOBS, settings.NST_USER_LARGE_JOBS
    runnable = [j for j in queued if running[j.owner_id] < cap
                and not (j.large and running_large[j.owner_id] >= large_cap)]
    if not runnable:
        return None
    owners = {j.owner_id for j in runnable}
    last_start: dict[int, datetime] = {}
    for kind in kinds():
        for owner, started in (kind.model.objects.filter(owner_id__in=owners, started__isnull=False)
                               .values("owner_id").annotate(last=Max("started"))
                               .values_list("owner_id", "last")):
            last_start[owner] = max(started, last_start.get(owner, started))
    first = {}
    for j in runnable:  # oldest runnable job per user (queued is sorted)
        first.setdefault(j.owner_id, j)
    never = datetime.min.replace(tzinfo=runnable[0].queued_at.tzinfo)
    return min(first.values(), key=lambda j: (running[j.owner_id],
                                              last_start.get(j.owner_id, never), j.queued_at))


def claim_next(worker: str) -> Queued | None:
    """Pick and claim, atomically; None when nothing may run now."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_ID])
        job = pick()
        if job is not None and claim(job.kind, job.pk, worker):
            return job
    return None


def queue_position(row) -> int | None:
    """About how many jobs will start before this queued one (the round-robin's estimate:
    the owner's own older jobs, plus up to as many turns for each other user)."""
    if row.status != JobStatus.QUEUED:
        return None
    mine_before, per_owner = 0, Counter()
    for job in queued_jobs():
        if job.owner_id == row.owner_id:
            if job.queued_at < row.queued_at or (job.queued_at == row.queued_at
                                                  and str(job.pk) < str(row.pk)):
                mine_before += 1
        else:
            per_owner[job.owner_id] += 1
    turn = mine_before + 1
    return mine_before + sum(min(n, turn) for n in per_owner.values())

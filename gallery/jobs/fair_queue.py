"""The fair queue: which queued job runs next. Each user has at most ``NST_USER_JOBS`` jobs in
flight (and ``NST_USER_LARGE_JOBS`` large ones); among users with room, round-robin — fewest
jobs in flight first, then whoever's last job started longest ago — and each user's oldest
job first.

The pick and the claim happen under one lock (PostgreSQL advisory lock; SQLite's write
lock, taken at BEGIN IMMEDIATE), so two workers never overrun a user's cap together.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from gallery.jobs.kinds import JobKind, kinds
from gallery.jobs.lifecycle import claim
from gallery.models import JobStatus

POSITION_LOOKAHEAD = 2000  # queued rows per kind a queue position is estimated from
_LOCK_ID = 0x6E7374  # "nst"


@dataclass(frozen=True)
class Queued:
    kind: JobKind
    pk: object
    owner_id: int
    queued_at: datetime


def in_flight() -> tuple[Counter, Counter]:
    running, large = Counter(), Counter()
    for kind in kinds():
        for owner, is_large in kind.model.objects.running().values_list("owner_id", "large"):
            running[owner] += 1
            large[owner] += is_large
    return running, large


def _runnable(kind: JobKind, running: Counter, running_large: Counter):
    """Queued jobs of this kind whose owner has room for them now (filtered in SQL)."""
    full = [o for o, n in running.items() if n >= settings.NST_USER_JOBS]
    large_full = [o for o, n in running_large.items() if n >= settings.NST_USER_LARGE_JOBS]
    # queued_at in the future: a job that asked to be retried later (jobs.kinds.RetryLater).
    return (kind.model.objects.queued().filter(queued_at__lte=timezone.now())
            .exclude(owner_id__in=full).exclude(large=True, owner_id__in=large_full))


def _last_starts(owners) -> dict:
    last: dict = {}
    for kind in kinds():
        rows = (kind.model.objects.filter(owner_id__in=owners, started__isnull=False)
                .values("owner_id").annotate(last=Max("started")).values_list("owner_id", "last"))
        for owner, started in rows:
            last[owner] = max(started, last.get(owner, started))
    return last


def _rotation(first_queued: dict, running: Counter) -> list:
    """Users in the order they get their next turn."""
    last = _last_starts(list(first_queued))
    never = min(first_queued.values()).replace(year=1)
    return sorted(first_queued, key=lambda o: (running[o], last.get(o, never), first_queued[o]))


def pick() -> Queued | None:
    """The job that should run next, or None if nothing queued may run now."""
    running, running_large = in_flight()
    first: dict = {}  # owner → oldest runnable queued_at, over every kind
    for kind in kinds():
        rows = (_runnable(kind, running, running_large).values("owner_id")
                .annotate(first=Min("queued_at")).values_list("owner_id", "first"))
        for owner, at in rows:
            first[owner] = min(at, first.get(owner, at))
    if not first:
        return None
    owner = _rotation(first, running)[0]
    candidates = []
    for kind in kinds():
        row = (_runnable(kind, running, running_large).filter(owner_id=owner)
               .order_by("queued_at").values_list("pk", "queued_at").first())
        if row:
            candidates.append(Queued(kind, row[0], owner, row[1]))
    return min(candidates, key=lambda j: j.queued_at)


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
    """How many queued jobs will start before this one: the round-robin played forward
    (each user in turn, oldest job first). Caps can only make the real wait longer."""
    if row.status != JobStatus.QUEUED:
        return None
    queues: dict = {}
    for kind in kinds():
        for pk, owner, at in (kind.model.objects.queued().order_by("queued_at")
                              .values_list("pk", "owner_id", "queued_at")[:POSITION_LOOKAHEAD]):
            queues.setdefault(owner, []).append((at, str(pk)))
    target = (row.queued_at, str(row.pk))
    if target not in queues.get(row.owner_id, []):
        return None  # beyond the lookahead: no estimate
    running, _ = in_flight()
    order = _rotation({o: min(q)[0] for o, q in queues.items()}, running)
    turns = {o: deque(sorted(q)) for o, q in queues.items()}
    ahead = 0
    while order:
        for owner in list(order):
            job = turns[owner].popleft()
            if owner == row.owner_id and job == target:
                return ahead
            ahead += 1
            if not turns[owner]:
                order.remove(owner)
    return None

"""Budgets: how many renders, uploads, login attempts… one user (or address) may spend in a
sliding window, counted atomically in the database.

Each use is a ``Spend`` row. ``spend()`` counts the key's rows inside the window and adds one
only if there is room, under a lock (a PostgreSQL advisory lock on the key; SQLite's write
lock, taken at BEGIN IMMEDIATE), so 150 requests at once can never get past a limit of 60 —
a cache's read-modify-write could. The database is the one store every process already
shares and needs, so a Redis outage never locks anybody out of signing in.

Rates for renders, uploads and the token endpoint come from
``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (read per request, so tests can change them).
The request side (DRF throttles, the pages' checks, charges and refunds) is
gallery/budgets/throttles.py; ``RefundMiddleware`` (gallery/budgets/middleware.py) gives back
what a refused request spent and tells API clients their budget.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Min
from django.utils import timezone
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from gallery.models import Spend

LOGIN_ATTEMPTS = 10
LOGIN_WINDOW = 15 * 60
LONGEST_WINDOW = 24 * 3600  # rates are per second, minute, hour or day
_LOCK_CLASS = 7346  # PostgreSQL advisory locks of budgets: (this, hash of the key)


@dataclass(frozen=True)
class Budget:
    name: str  # "renders"; also the start of every key
    limit: int
    window: int  # seconds

    @classmethod
    def for_scope(cls, scope: str) -> Budget | None:
        """The API's rate for ``scope`` ("renders", "uploads", "auth"), or None if unlimited."""
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(scope)
        if not rate:
            return None
        limit, window = SimpleRateThrottle.parse_rate(None, rate)
        return cls(scope, limit, window)

    @property
    def period(self) -> str:
        """The window in words, for sentences such as "12 of 60 renders this hour"."""
        return {1: "this second", 60: "this minute", 3600: "this hour",
                86400: "today"}.get(self.window, f"in {self.window} seconds")


@dataclass(frozen=True)
class Usage:
    budget: Budget
    used: int  # including this request's spend, if it was allowed
    allowed: bool
    reset_in: int  # seconds until the oldest spend in the window expires (0: none spent)
    spend_ids: tuple[int, ...] = ()

    @property
    def remaining(self) -> int:
        return max(0, self.budget.limit - self.used)

    def as_dict(self) -> dict:
        b = self.budget
        return {"limit": b.limit, "used": self.used, "remaining": self.remaining,
                "window_seconds": b.window, "resets_in_seconds": self.reset_in}


def _key(budget: Budget, ident: str) -> str:
    return f"{budget.name}:{ident}"


def _counted(key: str, budget: Budget, now) -> tuple[int, int]:
    rows = Spend.objects.filter(key=key, at__gt=now - timedelta(seconds=budget.window))
    found = rows.aggregate(n=Count("pk"), oldest=Min("at"))
    if not found["n"]:
        return 0, 0
    reset = found["oldest"] + timedelta(seconds=budget.window) - now
    return found["n"], max(1, int(reset.total_seconds() + 0.999))


def usage(budget: Budget, ident: str) -> Usage:
    """What ``ident`` has spent of ``budget`` now (reads only)."""
    used, reset = _counted(_key(budget, ident), budget, timezone.now())
    return Usage(budget, used, used < budget.limit, reset)


def spend(budget: Budget, ident: str, count: int = 1) -> Usage:
    """Spend ``count`` uses of ``budget`` if there is room for all of them (a batch), else
    none; atomic across processes and hosts."""
    key = _key(budget, ident)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [_LOCK_CLASS, key])
        now = timezone.now()
        Spend.objects.filter(key=key, at__lte=now - timedelta(seconds=budget.window)).delete()
        used, reset = _counted(key, budget, now)
        if used + count > budget.limit:
            return Usage(budget, used, False, reset)
        # PostgreSQL and SQLite (3.35+) both return the new rows' keys.
        rows = Spend.objects.bulk_create(Spend(key=key, at=now) for _ in range(count))
    return Usage(budget, used + count, True, reset or budget.window, tuple(r.pk for r in rows))


def refund(spent: Usage) -> Usage:
    """Give back what ``spend()`` took (a request refused for its input costs nothing);
    the usage as it is afterwards."""
    if not (spent.allowed and spent.spend_ids):
        return spent
    Spend.objects.filter(pk__in=spent.spend_ids).delete()
    return Usage(spent.budget, spent.used - len(spent.spend_ids), True, spent.reset_in)


def give_back(spend_ids) -> int:
    """Return these spends (a clip that held fewer seconds than its header claimed); how
    many were still there to return."""
    return Spend.objects.filter(pk__in=list(spend_ids)).delete()[0] if spend_ids else 0


def prune() -> int:
    """Delete spends older than any window (housekeeping)."""
    cutoff = timezone.now() - timedelta(seconds=LONGEST_WINDOW)
    return Spend.objects.filter(at__lt=cutoff).delete()[0]


def client_address(request) -> str:
    # The same client-address rule as DRF's throttles (honours NUM_PROXIES).
    return BaseThrottle().get_ident(request)


def login_budget() -> Budget:
    return Budget("logins", LOGIN_ATTEMPTS, LOGIN_WINDOW)


def signup_budget() -> Budget:
    return Budget("signups", settings.NST_SIGNUPS_PER_HOUR, 3600)


def user_budgets(user) -> dict[str, Usage]:
    """A signed-in user's budgets (renders, uploads, seconds of video), for the create page
    and /api/v1/me/."""
    found = {}
    for scope in ("renders", "uploads", "videos"):
        budget = Budget.for_scope(scope)
        if budget is not None:
            found[scope] = usage(budget, f"user:{user.pk}")
    return found

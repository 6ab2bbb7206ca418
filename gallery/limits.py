"""Budgets: how many renders, uploads, login attempts… one user (or address) may spend in a
sliding window, counted atomically in the database.

Each use is a ``Spend`` row. ``spend()`` counts the key's rows inside the window and adds one
only if there is room, under a lock (a PostgreSQL advisory lock on the key; SQLite's write
lock, taken at BEGIN IMMEDIATE), so 150 requests at once can never get past a limit of 60 —
a cache's read-modify-write could. The database is the one store every process already
shares and needs, so a Redis outage never locks anybody out of signing in.

Rates for renders, uploads and the token endpoint come from
``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (read per request, so tests can change them).
A render refused (bad input, or the server could not take it) costs nothing
(``RefundMiddleware`` gives it back); an upload attempt always counts, because decoding it is
the work the limit protects.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Min
from django.utils import timezone
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from gallery.errors import ServiceError
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


# -- the request side: DRF throttles, the pages' check, refunds and headers ---------------

def _remember(request, spent: Usage, refundable: bool) -> None:
    """Kept on the Django request: RefundMiddleware refunds and adds RateLimit headers."""
    raw = getattr(request, "_request", request)
    if not hasattr(raw, "nst_spent"):
        raw.nst_spent = []
    raw.nst_spent.append((spent, refundable))


class BudgetThrottle(BaseThrottle):
    """A DRF throttle backed by a budget: per user when signed in, else per address."""

    scope = ""
    refundable = False
    usage: Usage | None = None

    def ident(self, request) -> str:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return f"user:{user.pk}"
        return f"ip:{self.get_ident(request)}"

    def allow_request(self, request, view) -> bool:
        budget = Budget.for_scope(self.scope)
        if budget is None:
            return True
        self.usage = spend(budget, self.ident(request))
        _remember(request, self.usage, self.refundable)
        return self.usage.allowed

    def wait(self):
        return self.usage.reset_in if self.usage else None


class UploadThrottle(BudgetThrottle):
    scope = "uploads"


class RenderThrottle(BudgetThrottle):
    scope = "renders"
    refundable = True


class TokenThrottle(BudgetThrottle):
    """Password guessing on the token endpoint, counted per client address."""

    scope = "auth"

    def ident(self, request) -> str:
        return f"ip:{self.get_ident(request)}"


def over_limit(request, view, *throttles) -> str | None:
    """For the web pages: None when allowed, else a sentence saying when to try again.

    The pages and the API share the same budgets, so a user cannot dodge the API's limits
    by scripting the HTML forms instead.
    """
    for throttle in throttles:
        if not throttle.allow_request(request, view):
            minutes = max(1, round((throttle.wait() or 60) / 60))
            return (f"You have reached the limit of {throttle.scope} for now. "
                    f"Please try again in about {minutes} minute{'s' if minutes != 1 else ''}.")
    return None


def charge(request, scope: str, count: int, *, refundable: bool = True) -> Usage | None:
    """Spend ``count`` of the signed-in user's ``scope`` budget for this request (a batch's
    renders or uploads); a refundable spend is given back if the request then fails.
    None: the scope is unlimited."""
    budget = Budget.for_scope(scope)
    if budget is None:
        return None
    spent = spend(budget, f"user:{request.user.pk}", count)
    _remember(request, spent, refundable)
    return spent


def charge_or_refuse(request, scope: str, count: int, *, need: str, of_unit: str = "",
                     refundable: bool = True) -> Usage | None:
    """Spend ``count`` of ``scope`` for this request, or refuse with a ServiceError (429)
    saying what was needed and what is left: "This batch needs 6 renders and 5 of your 60
    are left this hour. Try again in about 12 minutes." """
    spent = charge(request, scope, count, refundable=refundable)
    if spent is not None and not spent.allowed:
        minutes = max(1, round(spent.reset_in / 60))
        error = ServiceError(
            f"{need} and {spent.remaining} of your {spent.budget.limit}{of_unit} are left "
            f"{spent.budget.period}. Try again in about {minutes} minute"
            f"{'s' if minutes != 1 else ''}.", code="throttled")
        error.retry_after = spent.reset_in
        raise error
    return spent


def charge_batch(request, *, uploads: int, pictures: int) -> None:
    """A batch: each uploaded file is an upload (spent even if refused later: decoding is
    the cost), each picture a render (all or nothing)."""
    if uploads:
        charge_or_refuse(request, "uploads", uploads, need=f"This batch uploads {uploads} photos",
                         of_unit=" uploads", refundable=False)
    charge_or_refuse(request, "renders", max(1, pictures),
                     need=f"This batch needs {pictures} renders")


def paid_seconds(seconds: float) -> int:
    """What a clip of ``seconds`` costs of the ``videos`` budget (whole seconds, at least 1)."""
    return max(1, math.ceil(seconds))


def charge_seconds(request):
    """For clips: a callback that spends the ``videos`` budget in seconds of video once the
    clip's length is known, and refuses (429) when it cannot."""

    def spend_seconds(seconds: float) -> Usage | None:
        need = paid_seconds(seconds)
        return charge_or_refuse(request, "videos", need, need=f"This clip is {need} s long",
                                of_unit=" seconds of video")

    return spend_seconds


def refund_request(request) -> None:
    """Give back what this request spent on refundable budgets (its action was refused);
    the RateLimit headers then show the budget as it is after the refund."""
    raw = getattr(request, "_request", request)
    kept = []
    for spent, refundable in getattr(raw, "nst_spent", []):
        kept.append((refund(spent) if refundable else spent, False))
    raw.nst_spent = kept


class RefundMiddleware:
    """After the response: refund refundable spends of a refused or failed request (any 4xx or
    5xx), and tell API clients their budget in ``RateLimit-*`` headers (the IETF draft's fields)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        spent = getattr(request, "nst_spent", [])
        if not spent:
            return response
        refused = response.status_code >= 400  # bad input, or our own failure
        final = []
        for usage_, refundable in spent:
            final.append(refund(usage_) if refused and refundable else usage_)
        if request.path.startswith("/api/"):
            tightest = min(final, key=lambda u: u.remaining)
            b = tightest.budget
            response["RateLimit-Limit"] = str(b.limit)
            response["RateLimit-Remaining"] = str(tightest.remaining)
            response["RateLimit-Reset"] = str(tightest.reset_in)
            response["RateLimit-Policy"] = f"{b.limit};w={b.window}"
        return response

"""The request side of budgets: DRF throttles, the pages' checks, a request's charges, and
refunds. A render refused (bad input, or the server could not take it) costs nothing
(``RefundMiddleware`` gives it back); an upload attempt always counts, because decoding it is
the work the limit protects.
"""

from __future__ import annotations

import math

from rest_framework.throttling import BaseThrottle

from gallery.budgets.ledger import Budget, Usage, refund, spend
from gallery.errors import Code, ServiceError


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
            f"{'s' if minutes != 1 else ''}.", code=Code.THROTTLED)
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

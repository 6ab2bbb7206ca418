"""Budgets: how many renders, uploads, seconds of clips, login attempts… a user (or an address)
may spend in a sliding window. ``ledger`` counts them atomically in the database;
``throttles`` is the request side (DRF throttles, the pages' checks, charges, refunds);
``middleware`` gives back what a refused request spent and sends the RateLimit headers."""

from gallery.budgets.ledger import (  # noqa: F401
    LOGIN_ATTEMPTS,
    Budget,
    Usage,
    client_address,
    give_back,
    login_budget,
    prune,
    refund,
    signup_budget,
    spend,
    usage,
    user_budgets,
)
from gallery.budgets.throttles import (  # noqa: F401
    RenderThrottle,
    TokenThrottle,
    UploadThrottle,
    charge,
    charge_batch,
    charge_or_refuse,
    charge_seconds,
    over_limit,
    paid_seconds,
    refund_request,
)

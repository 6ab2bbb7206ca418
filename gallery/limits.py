"""Per-user limits, one scope per kind of cost: uploads (disk, decoding) and renders (CPU).

Rates come from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (set from the environment in
settings). They are read per request rather than at import, so tests can change them.
State lives in Django's cache, which settings make shared by every process (the
database, or Redis with REDIS_URL), so the limits hold across gunicorn workers.
"""

from rest_framework.settings import api_settings
from rest_framework.throttling import UserRateThrottle


class _ScopedUserThrottle(UserRateThrottle):
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class UploadThrottle(_ScopedUserThrottle):
    scope = "uploads"


class RenderThrottle(_ScopedUserThrottle):
    scope = "renders"


class TokenThrottle(_ScopedUserThrottle):
    """Password guessing on the token endpoint, counted per client IP (nobody is signed in)."""

    scope = "auth"


def over_limit(request, view, *throttles) -> str | None:
    """For the web pages: None when allowed, else a sentence saying when to try again.

    The pages and the API share the same counters, so a user cannot dodge the API's
    limits by scripting the HTML forms instead.
    """
    for throttle in throttles:
        if not throttle.allow_request(request, view):
            wait = throttle.wait() or 60
            minutes = max(1, round(wait / 60))
            what = "uploads" if throttle.scope == "uploads" else "renders"
            return (f"You have reached the limit of {what} for now. "
                    f"Please try again in about {minutes} minute{'s' if minutes != 1 else ''}.")
    return None


LOGIN_ATTEMPTS = 10
LOGIN_WINDOW = 15 * 60


def login_key(request) -> str:
    # The same client-address rule as the API's limits (honours NUM_PROXIES).
    return f"nst-login:{TokenThrottle().get_ident(request)}"


def signup_key(request) -> str:
    return f"nst-signup:{TokenThrottle().get_ident(request)}"

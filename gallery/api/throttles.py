"""Per-user throttles, one scope per kind of cost: uploads (disk, decoding) and renders (CPU).

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

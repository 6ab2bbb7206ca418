import pytest


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_limits():
    """Rate-limit counters live in the (per-process) test cache: each test starts clean."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()

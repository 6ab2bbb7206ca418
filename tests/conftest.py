import uuid

import pytest

from tests.storage import on_s3

# Fixtures every feature's tests share: users, styles, pictures and upload files; real workers,
# brokers and Redis; the live server and Chromium for the page tests.
pytest_plugins = ["tests.fixtures", "tests.jobs.qcluster", "tests.browser.kit"]


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Each test stores its files apart: its own MEDIA_ROOT, or on S3 (NST_S3_BUCKET, as
    tests/test_scale_out.py runs the storage-touching tests) its own key prefix."""
    settings.MEDIA_ROOT = tmp_path / "media"
    default = settings.STORAGES["default"]
    if on_s3():
        options = {**default["OPTIONS"], "location": f"tests/{uuid.uuid4().hex}"}
        settings.STORAGES = {**settings.STORAGES, "default": {**default, "OPTIONS": options}}


def pytest_configure(config):
    """Every process the tests start (real workers, gunicorn, the CLI) keeps NST_RUNTIME=auto's
    verdict in the same file as this one, so a test run measures it once, not per worker
    (tests/stylize/test_runtime_choice.py measures it for real)."""
    import os

    from django.conf import settings

    os.environ.setdefault("NST_RUNTIME_VERDICT_FILE", settings.NST_RUNTIME_VERDICT_FILE)

"""Settings for pytest: the real settings with jobs run inline and fast hashing."""

from nstsite.settings import *  # noqa: F403
from nstsite.settings import Q_CLUSTER

DEBUG = False
Q_CLUSTER = {**Q_CLUSTER, "sync": True}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Media as configured (the filesystem, or S3 with NST_S3_BUCKET: tests/test_scale_out.py runs
# the storage-touching tests that way); static files found where they are, uncollected.
STORAGES = {**STORAGES,  # noqa: F405
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not :memory:, so a real worker process (tests/jobs/test_worker.py)
    # can share the test database.
    # One per test run, so two runs at once (a developer and CI) never share it.
    import os
    import tempfile

    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"nstsite-test-{os.getpid()}.sqlite3")
    }

# Tests serve static files through the finders (no collectstatic needed).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STATIC_ROOT = DATA_DIR / "test-static"  # noqa: F405
STATIC_ROOT.mkdir(parents=True, exist_ok=True)

# Nothing of ours uses the cache (budgets are rows in the database, rolled back per test).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

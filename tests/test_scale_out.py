"""The scale-out path: PostgreSQL for data, Redis as the django-q2 broker, and media on
S3-compatible object storage (a private moto server) instead of a shared disk.

pytest-django picks one database per session, so this runs the storage-touching site and
API tests, the real-worker tests and the service tests again in a child pytest with
DATABASE_URL, REDIS_URL and NST_S3_* pointing at the machine's PostgreSQL and Redis (`.ci/run`
starts both when they are down) and at the moto server. The main run covers the other
corner: SQLite, the ORM broker and the filesystem.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.storage import S3Server

ROOT = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get("NST_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("NST_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
CHILD_TESTS = [  # the tests that touch files, the queue or database locks (the suite's budget)
    "tests/jobs/test_worker.py", "tests/jobs/test_worker_faults.py",
    "tests/jobs/test_jobs.py", "tests/pictures/test_services.py",
    "tests/budgets/test_budgets.py", "tests/photos/test_thin_and_failed_uploads.py",
    "tests/clips/test_clips.py",
    "tests/pictures/test_api.py", "tests/batches/test_api.py",
]


@pytest.mark.slow
def test_site_api_and_workers_on_postgresql_redis_and_object_storage(tmp_path):
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()  # db 15 is ours alone
    s3 = S3Server(tmp_path / "moto.log")
    try:
        s3.make_bucket("nst-scale-out")
        env = {**os.environ, "DATABASE_URL": PG_URL, "REDIS_URL": REDIS_URL,
               "NST_DATA_DIR": str(tmp_path / "var"), "SECRET_KEY": "scale-out-test",
               **s3.env("nst-scale-out")}
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *CHILD_TESTS],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200,
        )
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
        summary = result.stdout.strip().splitlines()[-1]  # "77 passed in 261.20s"
        assert " passed" in summary and "failed" not in summary and "error" not in summary
        # It really ran on PostgreSQL, the Redis broker and the bucket:
        probe = subprocess.run(
            [sys.executable, "-c", "import django, os; os.environ['DJANGO_SETTINGS_MODULE']="
             "'nstsite.test_settings'; django.setup(); from django.conf import settings as s; "
             "from django.core.files.storage import default_storage as d; "
             "print(s.DATABASES['default']['ENGINE'], s.Q_CLUSTER.get('redis'), "
             "d.bucket_name, type(d._wrapped).__name__)"],
            cwd=ROOT, env=env, capture_output=True, text=True, check=True,
        )
        assert probe.stdout.split() == ["django.db.backends.postgresql", REDIS_URL,
                                        "nst-scale-out", "S3Storage"]
        keys = s3.keys("nst-scale-out")
        assert any("/results/" in k for k in keys) and any("/photos/" in k for k in keys)
    finally:
        s3.stop()

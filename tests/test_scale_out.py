"""The scale-out path: PostgreSQL for data and Redis as the django-q2 broker.

pytest-django picks one database per session, so this runs the real-worker tests and
the service tests again in a child pytest with DATABASE_URL and REDIS_URL pointing at
the machine's PostgreSQL and Redis (`.ci/run` starts both when they are down).
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get("NST_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("NST_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.mark.slow
def test_worker_and_services_on_postgresql_and_redis(tmp_path):
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()  # db 15 is ours alone
    env = {**os.environ, "DATABASE_URL": PG_URL, "REDIS_URL": REDIS_URL,
           "NST_DATA_DIR": str(tmp_path / "var")}
    env["SECRET_KEY"] = "scale-out-test"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "tests/gallery/test_worker.py", "tests/gallery/test_worker_faults.py",
         "tests/gallery/test_jobs.py", "tests/gallery/test_services.py",
         "tests/gallery/test_budgets.py"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "failed" not in result.stdout
    # It really ran on PostgreSQL with the Redis broker:
    probe = subprocess.run(
        [sys.executable, "-c", "import django, os; os.environ['DJANGO_SETTINGS_MODULE']="
         "'nstsite.test_settings'; django.setup(); from django.conf import settings as s; "
         "print(s.DATABASES['default']['ENGINE'], s.Q_CLUSTER.get('redis'))"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )
    assert probe.stdout.split() == ["django.db.backends.postgresql", REDIS_URL]

"""The whole flow with a real `manage.py qcluster` process on the ORM broker (no sync mode)."""

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse
from django_q.conf import Conf
from PIL import Image

from gallery import services
from gallery.models import Stylization
from tests.gallery.conftest import client_for, upload

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def real_queue(monkeypatch):
    monkeypatch.setattr(Conf, "SYNC", False)  # enqueue into the ORM broker, don't run inline


def _database_url() -> str:
    """The test database as a URL, so the worker process opens the very same one."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def start_qcluster(transactional_db, tmp_path):
    """Factory: start a real `manage.py qcluster` on the test database; stopped at teardown."""
    procs = []

    def start():
        env = {
            **{k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE",)},
            "DJANGO_SETTINGS_MODULE": "nstsite.settings",
            "DATABASE_URL": _database_url(),
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "NST_DATA_DIR": str(tmp_path / "worker-var"),
            "SECRET_KEY": settings.SECRET_KEY,  # tasks are signed with it
            "NST_WORKERS": "1",
        }
        log = open(tmp_path / "qcluster.log", "w")
        proc = subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=ROOT, env=env,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        procs.append((proc, log))
        return proc

    yield start
    for proc, log in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=5)  # a graceful stop can take 30 s; the test is over anyway
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        log.close()


@pytest.fixture
def qcluster(start_qcluster):
    return start_qcluster()


def _wait_for(predicate, timeout, proc, tmp_path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        assert proc.poll() is None, (tmp_path / "qcluster.log").read_text()[-3000:]
        time.sleep(0.3)
    pytest.fail(f"timed out; worker log:\n{(tmp_path / 'qcluster.log').read_text()[-3000:]}")


def test_upload_is_rendered_by_a_real_worker_process_and_downloads(
    real_queue, qcluster, client, tmp_path, alice, catalog_style
):
    work = services.stylization_create(owner=alice, upload=upload(size=(240, 180)),
                                       original_name="garden.jpg", styles=[(catalog_style, 1.0)],
                                       max_side=200)
    assert Stylization.objects.get(pk=work.pk).status == "queued"

    def finished():
        return Stylization.objects.get(pk=work.pk).status in ("done", "failed")

    _wait_for(finished, 120, qcluster, tmp_path)
    work.refresh_from_db()
    assert work.status == "done", work.error
    assert work.attempts == 1

    response = client_for(client, alice).get(reverse("stylization-download", args=[work.pk]),
                                             {"format": "png"})
    img = Image.open(io.BytesIO(b"".join(response.streaming_content)))
    assert img.format == "PNG" and img.size == (200, 150)


def test_the_housekeeping_schedule_is_installed_by_migrations(db):
    from django_q.models import Schedule

    schedule = Schedule.objects.get(func="gallery.tasks.housekeeping")
    assert schedule.schedule_type == Schedule.MINUTES and schedule.minutes == 1
    assert schedule.repeats < 0  # forever
    from gallery.tasks import housekeeping

    assert housekeeping() == 0  # nothing stuck: nothing requeued

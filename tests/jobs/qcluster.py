"""Real `manage.py qcluster` processes for tests: started on the test database (and on the
Redis broker when REDIS_URL is set), signalled for real, always stopped at teardown."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from django.conf import settings
from django.db import connection
from django_q.conf import Conf

from gallery.models import Style, Stylization
from gallery.photos.services import photo_create
from gallery.pictures.services import stylization_create
from stylize.engine import Controls
from tests.imagegen import encoded, photo
from tests.storage import on_s3, stored_files

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    """The test database as a URL, so the worker process opens the very same one."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class QCluster:
    def __init__(self, proc: subprocess.Popen, log: Path):
        self.proc, self.log_path = proc, log

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log(self, tail: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-tail:]

    def family(self) -> list[psutil.Process]:
        try:
            return [psutil.Process(self.pid), *psutil.Process(self.pid).children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def signal_group(self, sig) -> float:
        os.killpg(self.pid, sig)
        return time.monotonic()

    def wait_exit(self, timeout: float) -> float | None:
        """Seconds until the main process exits, or None if it is still running."""
        began = time.monotonic()
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        return time.monotonic() - began

    def alive(self) -> bool:
        return self.proc.poll() is None


@pytest.fixture
def real_queue(monkeypatch):
    monkeypatch.setattr(Conf, "SYNC", False)  # enqueue into the real broker, don't run inline


@pytest.fixture
def start_qcluster(transactional_db, tmp_path, real_queue):
    """Factory: start a real `manage.py qcluster` (default settings) on the test database."""
    started: list[QCluster] = []

    def start(workers: int = 1, command=None, cwd=ROOT, **extra_env) -> QCluster:
        """``command`` defaults to ``python manage.py qcluster``; another command (honcho with
        the Procfile, a systemd unit's ExecStart) gets the same environment."""
        env = {
            **{k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
            "DJANGO_SETTINGS_MODULE": "nstsite.settings",
            "DATABASE_URL": database_url(),
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "NST_DATA_DIR": str(tmp_path / "worker-var"),
            "SECRET_KEY": settings.SECRET_KEY,  # tasks are signed with it
            "NST_WORKERS": str(workers),
            # On S3 the worker shares the test's key prefix (tests/conftest.py).
            **({"NST_S3_PREFIX": settings.STORAGES["default"]["OPTIONS"]["location"]}
               if on_s3() else {}),
            **extra_env,
        }
        log = tmp_path / f"qcluster-{len(started)}.log"
        proc = subprocess.Popen(command or [sys.executable, "manage.py", "qcluster"], cwd=cwd,
                                env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
                                start_new_session=True)
        started.append(QCluster(proc, log))
        return started[-1]

    yield start
    for cluster in started:
        leftovers = cluster.family()
        if cluster.alive():
            os.killpg(cluster.pid, signal.SIGKILL)
            cluster.proc.wait(5)
        for proc in leftovers:
            try:
                proc.kill()
            except psutil.NoSuchProcess:
                pass


def wait_for(predicate, timeout: float, *clusters: QCluster, every: float = 0.05) -> float:
    """Seconds until ``predicate()`` holds; fails with the workers' logs on timeout."""
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        if predicate():
            return time.monotonic() - began
        time.sleep(every)
    logs = "\n---\n".join(c.log() for c in clusters)
    pytest.fail(f"timed out after {timeout} s; worker logs:\n{logs}")


def queue_renders(user, n: int, *, size=(1600, 1200), max_side: int = 2048, seed: int = 0):
    """``n`` renders of one new photo, queued through the service (enqueued on commit)."""
    style = Style.objects.catalog().first() or Style.objects.first()
    photo_row = photo_create(owner=user, upload=encoded(photo(*size, seed=seed), "JPEG"),
                                      original_name="test.jpg")
    return [stylization_create(owner=user, photo=photo_row, styles=[(style, 1.0)],
                                        controls=Controls(max_side=max_side)).pk for _ in range(n)]


def statuses(pks) -> dict:
    return dict(Stylization.objects.filter(pk__in=pks).values_list("pk", "status"))


def all_done(pks):
    return lambda: set(statuses(pks).values()) == {"done"}


def running(pks):
    return Stylization.objects.filter(pk__in=pks, status="running").first()


def rendering(pks):
    """Jobs inside the engine call (seconds long): a kill now hits a render, not a commit."""
    return list(Stylization.objects.filter(pk__in=pks, status="running",
                                           progress__startswith="rendering"))


def holder_pid(work) -> int:
    return int(work.worker.split(":")[1])


def stored_results() -> set[str]:
    return stored_files("results")


def referenced_files() -> set[str]:
    names = set()
    for out, thumb in Stylization.objects.values_list("output", "thumbnail"):
        names |= {n for n in (out, thumb) if n}
    return names


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(port: int) -> bool:
    """Does something accept connections on this local port?"""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
    except OSError:
        return False
    return True


@pytest.fixture
def private_redis(tmp_path):
    """A Redis server of the test's own on a free port: (process, URL). Stop it to fake
    nothing: the outage is real."""
    server = shutil.which("redis-server") or "/usr/bin/redis-server"
    port = free_port()
    proc = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(tmp_path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(lambda: answers(port), 10)
    yield proc, f"redis://127.0.0.1:{port}/0"
    proc.kill()
    proc.wait()


def refuse_in_database(table: str, *, event: str, when_done: bool = False) -> None:
    """A real database error: a trigger (rolled back with the test's transaction) that makes
    every ``event`` (INSERT / UPDATE) on ``table`` fail, or only updates to status 'done'."""
    name = f"nst_refuse_{table}"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            check = "IF NEW.status = 'done' THEN " if when_done else ""
            end = " END IF;" if when_done else ""
            cursor.execute(f"CREATE FUNCTION {name}() RETURNS trigger AS $$ BEGIN {check}"
                           f"RAISE EXCEPTION 'refused by test';{end} RETURN NEW; END $$ "
                           "LANGUAGE plpgsql")
            cursor.execute(f"CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW "
                           f"EXECUTE FUNCTION {name}()")
        else:
            when = " WHEN NEW.status = 'done'" if when_done else ""
            cursor.execute(f"CREATE TRIGGER {name} BEFORE {event} ON {table}{when} "
                           "BEGIN SELECT RAISE(ABORT, 'refused by test'); END")

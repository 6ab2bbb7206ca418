"""Several "hosts" without a shared disk: two web servers (gunicorn) and two workers
(`qcluster`), each with its own empty MEDIA_ROOT and data directory, sharing only
PostgreSQL, a Redis broker and an S3-compatible object store (moto's server), all real
processes. A person signs up and uploads through one web server, one of the workers
renders, that worker's whole cluster is killed mid-render and the other one finishes, the
download comes through the other web server. Afterwards no file exists under any MEDIA_ROOT
and the bucket holds exactly the objects the database refers to.

(Separate network namespaces would isolate the hosts further; these processes share the
loopback interface, and nothing in the flow goes through the filesystem.)
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from PIL import Image

from tests.imagegen import encoded, painting, photo
from tests.jobs.qcluster import answers, free_port, wait_for
from tests.storage import S3Server

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN_URL = os.environ.get("NST_TEST_POSTGRES_URL",
                              "postgres://postgres@127.0.0.1:5432/postgres")
BUCKET = "nst-multi-host"
VENV_BIN = Path(sys.executable).parent


@pytest.fixture
def fresh_database():
    """An empty PostgreSQL database of the test's own on the machine's server."""
    import psycopg

    name = f"nst_multihost_{os.getpid()}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Host:
    """One process with its own MEDIA_ROOT and NST_DATA_DIR (its "disk")."""

    def __init__(self, name: str, root: Path, env: dict, command: list[str], port: int = 0):
        self.name, self.port = name, port
        self.media = root / name / "media"
        self.media.mkdir(parents=True)
        self.env = {**env, "MEDIA_ROOT": str(self.media), "NST_DATA_DIR": str(root / name / "var")}
        self.log = root / f"{name}.log"
        self.proc = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=self.log.open("w"),
                                     stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def pids(self) -> set[int]:
        try:
            me = psutil.Process(self.proc.pid)
            return {me.pid, *(c.pid for c in me.children(recursive=True))}
        except psutil.NoSuchProcess:
            return set()

    def kill(self) -> None:
        """kill -9 of the whole process group: the host "loses power"."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def files(self) -> list[str]:
        return sorted(str(p) for p in self.media.rglob("*") if p.is_file())


def _signed_in_session(web: Host, username: str, password: str):
    import requests

    s = requests.Session()
    page = s.get(f"{web.url}/accounts/signup/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    r = s.post(f"{web.url}/accounts/signup/", timeout=30, allow_redirects=False,
               data={"csrfmiddlewaretoken": token, "username": username,
                     "password1": password, "password2": password},
               headers={"Referer": f"{web.url}/accounts/signup/"})
    assert r.status_code == 302 and r.headers["Location"] == "/create/", r.text[-2000:]
    return s


def _token(web: Host, username: str, password: str) -> dict:
    import requests

    r = requests.post(f"{web.url}/api/v1/auth/token/", json={"username": username,
                                                             "password": password}, timeout=30)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Token {r.json()['token']}"}


def _rows(db_url: str, sql: str) -> list[tuple]:
    import psycopg

    with psycopg.connect(db_url) as conn:
        return conn.execute(sql).fetchall()


@pytest.mark.slow
def test_two_webs_and_two_workers_share_nothing_but_the_services(tmp_path, fresh_database,
                                                                 private_redis):
    import requests

    _, redis_url = private_redis
    s3 = S3Server(tmp_path / "moto.log")
    hosts: list[Host] = []
    try:
        s3.make_bucket(BUCKET)
        env = {**{k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE",)},
               "DJANGO_SETTINGS_MODULE": "nstsite.settings", "DEBUG": "0",
               "SECRET_KEY": "multi-host-test", "ALLOWED_HOSTS": "127.0.0.1",
               "DATABASE_URL": fresh_database, "REDIS_URL": redis_url,
               "STATIC_ROOT": str(tmp_path / "static"), **s3.env(BUCKET)}
        # One release step from one machine: the database setup is `migrate`, nothing else.
        for command in (["migrate"], ["collectstatic"]):
            subprocess.run([sys.executable, "manage.py", *command, "--noinput", "-v", "0"],
                           cwd=ROOT, env=env, check=True)
        for name in ("web-a", "web-b"):
            port = free_port()
            hosts.append(Host(name, tmp_path, env, [str(VENV_BIN / "gunicorn"), "nstsite.wsgi",
                                                     "--bind", f"127.0.0.1:{port}", "--workers",
                                                     "1", "--threads", "4"], port))
        for name in ("worker-1", "worker-2"):
            hosts.append(Host(name, tmp_path, {**env, "NST_WORKERS": "1"},
                              [sys.executable, "manage.py", "qcluster"]))
        web_a, web_b, *workers = hosts
        for web in (web_a, web_b):
            wait_for(lambda web=web: answers(web.port), 30)

        # Sign up and upload through web A.
        _signed_in_session(web_a, "ada", "pw-ada-multi-1")
        auth = _token(web_a, "ada", "pw-ada-multi-1")
        style = requests.post(f"{web_a.url}/api/v1/styles/", headers=auth, timeout=60,
                              data={"name": "Ink"},
                              files={"image": ("ink.png", encoded(painting(seed=5)), "image/png")})
        assert style.status_code == 201, style.text
        shot = encoded(photo(2400, 1600, seed=7), "JPEG")
        created = requests.post(
            f"{web_a.url}/api/v1/stylizations/", headers=auth, timeout=60,
            data={"styles": json.dumps([{"style": style.json()["id"]}]), "max_side": "2400"},
            files={"photo_file": ("lake.jpg", shot, "image/jpeg")})
        assert created.status_code == 202, created.text
        pk = created.json()["id"]

        # One of the workers takes it; that whole "host" dies mid-render.
        def holder():
            rows = _rows(fresh_database, f"SELECT status, worker FROM gallery_stylization "
                                         f"WHERE id = '{pk}'")
            return rows[0] if rows else ("", "")

        wait_for(lambda: holder()[0] == "running", 90)
        pid = int(holder()[1].split(":")[1])
        first = next(w for w in workers if pid in w.pids())
        other = next(w for w in workers if w is not first)
        first.kill()
        started = time.monotonic()

        # The other worker finishes it (after the liveness window), read through web B.
        def status():
            return requests.get(f"{web_b.url}/api/v1/stylizations/{pk}/", headers=auth,
                                timeout=30).json()["status"]

        wait_for(lambda: status() == "done", 90)
        recovered = time.monotonic() - started
        assert holder()[1].split(":")[1] != str(pid)  # finished by another process
        assert any(p for p in other.pids())
        download = requests.get(f"{web_b.url}/api/v1/stylizations/{pk}/download/",
                                params={"format": "png"}, headers=auth, timeout=60)
        assert download.status_code == 200 and download.headers["Content-Type"] == "image/png"
        assert Image.open(io.BytesIO(download.content)).size == (2400, 1600)
        jpeg = requests.get(f"{web_b.url}/api/v1/stylizations/{pk}/download/",
                            params={"format": "jpeg"}, headers=auth, timeout=60)
        assert jpeg.status_code == 200  # converted once, stored in the bucket

        # Another person sees nothing of it, on either web server.
        _signed_in_session(web_b, "bob", "pw-bob-multi-1")
        bob = _token(web_b, "bob", "pw-bob-multi-1")
        for web in (web_a, web_b):
            for path in (f"/api/v1/stylizations/{pk}/download/", f"/api/v1/stylizations/{pk}/image/"):
                assert requests.get(web.url + path, headers=bob, timeout=30).status_code == 404
        print(f"\nmulti-host: worker killed mid-render, done by the other {recovered:.1f} s later")
    finally:
        for host in hosts:
            host.stop()
        keys = s3.keys(BUCKET) if s3.proc.poll() is None else set()
        s3.stop()

    # No host kept a file; the bucket holds exactly what the rows refer to (plus converted
    # copies of live results).
    for host in hosts:
        assert host.files() == [], (host.name, host.files())
    referenced = set()
    for table, columns in (("gallery_photo", "image, thumbnail"),
                           ("gallery_style", "image, thumbnail"),
                           ("gallery_stylization", "output, thumbnail")):
        for row in _rows(fresh_database, f"SELECT {columns} FROM {table}"):
            referenced.update(name for name in row if name)
    outputs = [r[0] for r in _rows(fresh_database, "SELECT output FROM gallery_stylization")]
    copies = {f"{os.path.splitext(o)[0]}.{ext}" for o in outputs if o for ext in ("jpg", "webp")}
    assert referenced <= keys, referenced - keys
    assert keys - referenced <= copies, keys - referenced - copies
    assert f"{os.path.splitext(outputs[0])[0]}.jpg" in keys

"""Outages, for real: a Redis the test starts and stops, a full disk (a small tmpfs), and a
PostgreSQL the test starts and stops under a real gunicorn. Each answers with its own status
and message, in the interface's own format, and leaves no row or file behind."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from gallery import budgets
from gallery.jobs import lifecycle
from gallery.jobs.kinds import kinds
from gallery.models import Photo, Stylization
from gallery.photos.services import photo_create
from gallery.pictures.services import stylization_create, stylization_retry
from stylize.engine import Controls
from tests.fixtures import client_for, upload
from tests.jobs.qcluster import answers, free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]


def _api(user) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return api


def _files(media: Path, folder: str) -> list[str]:
    where = media / folder
    return sorted(p.name for p in where.iterdir()) if where.exists() else []


# -- Redis down -----------------------------------------------------------------------------

def test_with_redis_down_sign_in_works_and_submits_answer_503(
    settings, private_redis, alice, catalog_style, django_capture_on_commit_callbacks
):
    proc, url = private_redis
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "redis": url}
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": url}}
    proc.terminate()
    proc.wait()

    web = Client()
    r = web.post(reverse("login"), {"username": "alice", "password": "pw-alice-123"})
    assert r.status_code == 302 and "_auth_user_id" in web.session
    r = Client().post(reverse("login"), {"username": "alice", "password": "wrong"})
    assert r.status_code == 400  # the attempt cap still counts (in the database)
    token = APIClient().post("/api/v1/auth/token/", {"username": "alice",
                                                     "password": "pw-alice-123"}, format="json")
    assert token.status_code == 200 and token.json()["token"]

    page = web.post(reverse("create"), {"photo_file": upload(), "style": catalog_style.pk,
                                        "strength": "1", "max_side": "512", "brush_scale": "256"})
    assert page.status_code == 503, page.content.decode()[-3000:]
    assert "render queue cannot be reached" in page.content.decode()
    api = _api(alice)
    r = api.post("/api/v1/stylizations/", {"photo_file": upload(), "styles":
                 f'[{{"style": "{catalog_style.pk}"}}]'}, format="multipart")
    assert r.status_code == 503 and r.json()["code"] == "unavailable"
    assert "nothing was saved" in r.json()["detail"]
    photo = photo_create(owner=alice, upload=upload())  # no job: works without Redis
    r = api.post("/api/v1/stylizations/", {"photo": str(photo.pk),
                                           "styles": [{"style": str(catalog_style.pk)}]},
                 format="json")
    assert r.status_code == 503
    assert Stylization.objects.count() == 0 and Photo.objects.count() == 1
    assert _files(Path(settings.MEDIA_ROOT), "photos") == sorted(
        Path(n).name for n in (photo.image.name, photo.thumbnail.name))
    assert budgets.user_budgets(alice)["renders"].used == 0  # a refused submit costs nothing
    assert Client().get("/healthz").status_code == 503


# -- disk full ------------------------------------------------------------------------------

@pytest.fixture
def small_disk(tmp_path, settings):
    """MEDIA_ROOT on a real 2-MB tmpfs (needs root, as CI has); ``fill(leave)`` fills it up to
    ``leave`` bytes free, ``free()`` empties the filler."""
    mount = tmp_path / "small-disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode:
        pytest.fail(f"this test mounts a small tmpfs and needs root: {done.stderr.strip()}")
    settings.MEDIA_ROOT = mount
    filler = mount / "filler"

    class Disk:
        path = mount

        @staticmethod
        def fill(leave: int = 0):
            with filler.open("ab", buffering=0) as fh:
                try:
                    while True:
                        fh.write(b"\0" * 4096)
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC
            if leave:
                os.truncate(filler, filler.stat().st_size - leave)

        @staticmethod
        def free():
            filler.unlink(missing_ok=True)

    yield Disk
    subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.mark.parametrize("leave", [0, 24 * 1024], ids=["full", "nearly-full"])
def test_a_full_disk_refuses_uploads_with_507_and_leaves_no_file(small_disk, alice, catalog_style,
                                                                 leave):
    big = {"size": (900, 700), "seed": 4}  # about 200 KB as stored
    before = {folder: _files(small_disk.path, folder) for folder in ("photos", "styles")}
    small_disk.fill(leave)
    api = _api(alice)
    r = api.post("/api/v1/photos/", {"image": upload(**big)}, format="multipart")
    assert r.status_code == 507 and r.json()["code"] == "out_of_storage"
    assert "out of storage space" in r.json()["detail"]
    r = api.post("/api/v1/styles/", {"name": "Mine", "image": upload(**big)}, format="multipart")
    assert r.status_code == 507
    page = client_for(Client(), alice).post(
        reverse("create"), {"photo_file": upload(**big), "style": catalog_style.pk, "strength": "1",
                            "max_side": "512", "brush_scale": "256"})
    assert page.status_code == 507 and "out of storage space" in page.content.decode()
    assert Photo.objects.count() == 0 and Stylization.objects.count() == 0
    for folder in ("photos", "styles"):  # no partial, no empty file
        assert _files(small_disk.path, folder) == before[folder], folder
    small_disk.free()
    assert api.post("/api/v1/photos/", {"image": upload(**big)}, format="multipart"
                    ).status_code == 201


def test_a_render_on_a_full_disk_fails_saying_so_and_a_retry_works(
    small_disk, alice, catalog_style, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        work = stylization_create(owner=alice, upload=upload(size=(640, 480)),
                                           styles=[(catalog_style, 1.0)], controls=Controls(max_side=640))
    small_disk.fill(leave=8 * 1024)  # room for a little, not for the result
    render = next(k for k in kinds() if k.name == "render")
    assert lifecycle.run(render, work.pk, "test-worker") == "failed"
    work.refresh_from_db()
    assert work.error == ("Rendering failed because the server is out of storage. "
                          "Please try again later.")
    assert _files(small_disk.path, "results") == []
    small_disk.free()
    stylization_retry(stylization=work)
    assert lifecycle.run(render, work.pk, "test-worker") == "done"
    work.refresh_from_db()
    assert work.output and work.thumbnail and work.error == ""


# -- database down --------------------------------------------------------------------------

PG_BIN = Path("/usr/lib/postgresql")


def _pg_tool(name: str) -> str:
    found = sorted(PG_BIN.glob(f"*/bin/{name}"))
    assert found, f"PostgreSQL's {name} not found under {PG_BIN}"
    return str(found[-1])


def _as_postgres(args, **kw):
    """PostgreSQL refuses to run as root: its tools run as the postgres user."""
    if os.geteuid() == 0:
        args = ["runuser", "-u", "postgres", "--", *args]
    return subprocess.run(args, capture_output=True, text=True, **kw)


@pytest.fixture
def private_postgres():
    """A PostgreSQL cluster of the test's own: (start, stop, url)."""
    # Its own directory under /tmp: pytest's are private to root, and the server is not root.
    data = Path(tempfile.mkdtemp(prefix="nst-pg-"))
    if os.geteuid() == 0:
        subprocess.run(["chown", "postgres", str(data)], check=True)
    port = free_port()
    done = _as_postgres([_pg_tool("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                         "-E", "UTF8", "--no-sync"])
    assert done.returncode == 0, done.stderr
    log = data / "server.log"

    def start():
        done = _as_postgres([_pg_tool("pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-o",
                             f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off",
                             "start"])
        assert done.returncode == 0, done.stderr + log.read_text()

    def stop():
        done = _as_postgres([_pg_tool("pg_ctl"), "-D", str(data), "-m", "immediate", "-w",
                             "stop"])
        assert done.returncode == 0, done.stderr

    start()
    yield start, stop, f"postgres://postgres@127.0.0.1:{port}/postgres"
    _as_postgres([_pg_tool("pg_ctl"), "-D", str(data), "-m", "immediate", "stop"])
    shutil.rmtree(data, ignore_errors=True)


def _get(url: str, **headers) -> tuple[int, str, dict]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, r.read().decode(), dict(r.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(), dict(exc.headers)


@pytest.mark.slow
def test_with_the_database_down_pages_and_api_answer_503_then_recover(private_postgres, tmp_path):
    start, stop, url = private_postgres
    env = {**{k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE",
                                                                 "REDIS_URL")},
           "DJANGO_SETTINGS_MODULE": "nstsite.settings", "DATABASE_URL": url,
           "NST_DATA_DIR": str(tmp_path / "var"), "SECRET_KEY": "db-down-test", "DEBUG": "0",
           "ALLOWED_HOSTS": "127.0.0.1", "DB_CONN_MAX_AGE": "60"}
    env["STATIC_ROOT"] = str(tmp_path / "static")  # production settings: collected files
    for command in (["migrate"], ["collectstatic"]):
        subprocess.run([sys.executable, "manage.py", *command, "--noinput", "-v", "0"], cwd=ROOT,
                       env=env, check=True)
    subprocess.run([sys.executable, "-c", "import django; django.setup(); "
                    "from django.contrib.auth import get_user_model; "
                    "from rest_framework.authtoken.models import Token; "
                    "u = get_user_model().objects.create_user('carol', password='pw-carol-123');"
                    " Token.objects.create(user=u, key='c' * 40)"],
                   cwd=ROOT, env=env, check=True)
    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "nstsite.wsgi", "--bind",
         f"127.0.0.1:{port}", "--workers", "1", "--threads", "2"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=(tmp_path / "gunicorn.log").open("w"))
    try:
        wait_for(lambda: answers(port), 30)
        base = f"http://127.0.0.1:{port}"
        auth = {"Authorization": "Token " + "c" * 40}
        status, _, up_headers = _get(f"{base}/explore/")
        assert status == 200
        assert _get(f"{base}/api/v1/me/", **auth)[0] == 200
        _migrate_was_the_whole_database_setup(base, url)

        stop()
        status, body, headers = _get(f"{base}/explore/")
        assert status == 503 and headers["Content-Type"].startswith("text/html")
        assert "database cannot be reached" in body and "Traceback" not in body
        assert headers["Retry-After"] == "60"
        security = ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options",
                    "Referrer-Policy", "Cross-Origin-Opener-Policy")
        assert all(up_headers.get(h) for h in security)
        assert {h: headers.get(h) for h in security} == {h: up_headers[h] for h in security}
        status, body, headers = _get(f"{base}/api/v1/me/", **auth)
        assert status == 503 and headers["Content-Type"] == "application/json"
        assert json.loads(body)["code"] == "unavailable"
        status, body, _ = _get(f"{base}/api/v1/gallery/")
        assert status == 503 and json.loads(body)["detail"].startswith("The site is temporarily")
        assert _get(f"{base}/healthz")[0] == 503

        start()
        deadline = time.monotonic() + 20
        while _get(f"{base}/explore/")[0] != 200:  # the old connection is found broken, replaced
            assert time.monotonic() < deadline, "the site did not recover"
            time.sleep(0.2)
        assert _get(f"{base}/api/v1/me/", **auth)[0] == 200
    finally:
        server.terminate()
        server.wait(10)


def _migrate_was_the_whole_database_setup(base: str, database_url: str) -> None:
    """After `migrate` alone on an empty database: signing in and the token endpoint work,
    and the database cache's table exists (django-q2 keeps its statistics there)."""
    import psycopg
    import requests

    web = requests.Session()
    page = web.get(f"{base}/accounts/login/", timeout=30)
    csrf = page.text.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    r = web.post(f"{base}/accounts/login/", data={"csrfmiddlewaretoken": csrf, "username": "carol",
                                                  "password": "pw-carol-123"},
                 allow_redirects=False, timeout=30)
    assert r.status_code == 302 and web.get(f"{base}/create/", timeout=30).status_code == 200
    r = requests.post(f"{base}/api/v1/auth/token/", json={"username": "carol",
                                                          "password": "pw-carol-123"}, timeout=30)
    assert r.status_code == 200 and r.json()["token"] == "c" * 40
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT to_regclass('nst_cache')").fetchone()[0] == "nst_cache"

"""The whole flow with real `manage.py qcluster` processes (no sync mode): rendering,
the fair queue across users, and /healthz while a worker is busy or gone.

tests/test_scale_out.py runs this module again on PostgreSQL with the Redis broker."""

import io
import os
import subprocess
import sys
import time

from django.urls import reverse
from PIL import Image

from gallery.jobs import fair_queue
from gallery.models import Stylization, WorkerHeartbeat
from gallery.pictures.services import stylization_create
from stylize.engine import Controls
from tests.fixtures import client_for, upload
from tests.jobs.qcluster import (
    ROOT,
    all_done,
    database_url,
    queue_renders,
    wait_for,
)


def test_upload_is_rendered_by_a_real_worker_process_and_downloads(
    start_qcluster, client, alice, catalog_style
):
    cluster = start_qcluster()
    work = stylization_create(owner=alice, upload=upload(size=(240, 180)),
                                       original_name="garden.jpg", styles=[(catalog_style, 1.0)],
                                       controls=Controls(max_side=200))
    wait_for(lambda: Stylization.objects.get(pk=work.pk).is_finished, 120, cluster)
    work.refresh_from_db()
    assert work.status == "done", work.error
    assert work.attempts == 1 and work.worker.split(":")[1].isdigit()
    beat = WorkerHeartbeat.objects.get(name=work.worker)  # the process that rendered it beats
    assert beat.pid == int(work.worker.split(":")[1])

    response = client_for(client, alice).get(reverse("stylization-download", args=[work.pk]),
                                             {"format": "png"})
    img = Image.open(io.BytesIO(b"".join(response.streaming_content)))
    assert img.format == "PNG" and img.size == (200, 150)


def test_a_small_job_goes_before_the_third_of_six_large_ones_and_health_stays_green(
    start_qcluster, client, alice, bob, catalog_style, settings
):
    # A short liveness window (3 s), so the backlog below is several windows long on any machine.
    settings.NST_WORKER_DEAD_AFTER = 3
    big = queue_renders(alice, 6, size=(2400, 1200), max_side=4096)  # over 2048 px: large
    small = queue_renders(bob, 1, size=(300, 200), seed=1)[0]
    assert all(Stylization.objects.filter(pk__in=big).values_list("large", flat=True))
    assert fair_queue.queue_position(Stylization.objects.get(pk=small)) == 1
    cluster = start_qcluster(NST_HEARTBEAT_SECONDS="1", NST_WORKER_DEAD_AFTER="3")
    codes = []

    def finished():
        codes.append(client.get(reverse("healthz")).status_code)
        return all_done(big + [small])()

    wait_for(finished, 180, cluster, every=0.5)
    started = dict(Stylization.objects.values_list("pk", "started"))
    third_large = sorted(started[pk] for pk in big)[2]
    assert started[small] < third_large
    row = Stylization.objects.get(pk=small)
    backlog = max(Stylization.objects.values_list("finished", flat=True)) - min(started.values())
    print(f"fair queue: the small job waited {(row.started - row.queued_at).total_seconds():.1f} s "
          f"behind 6 large ones ({backlog.total_seconds():.1f} s of work); /healthz polled "
          f"{len(codes)} times: {codes.count(200)} × 200 ({codes.index(200)} before the first beat)")
    # The worker beat all along, however long the backlog: healthy from its first beat on.
    first_ok = codes.index(200)
    assert set(codes[first_ok:]) == {200}, codes
    # ...through a backlog longer than the time after which a silent worker counts as dead.
    busy = max(Stylization.objects.values_list("finished", flat=True)) - min(
        Stylization.objects.values_list("started", flat=True))
    assert busy.total_seconds() > 2 * settings.NST_WORKER_DEAD_AFTER


def test_the_housekeeping_schedule_is_installed_by_migrations(db):
    from django_q.models import Schedule

    from gallery.tasks import housekeeping

    schedule = Schedule.objects.get(func="gallery.tasks.housekeeping")
    assert schedule.schedule_type == Schedule.MINUTES and schedule.minutes == 1
    assert schedule.repeats < 0  # forever
    assert housekeeping() == 0  # nothing stuck: nothing requeued


def test_a_new_worker_compiles_its_network_before_any_job(start_qcluster, tmp_path, db):
    cluster = start_qcluster(NST_RUNTIME="openvino")  # what `auto` picks on VNNI / AMX CPUs
    cache = tmp_path / "worker-var" / "openvino-cache"  # NST_COMPILE_CACHE_DIR's default
    wait_for(lambda: cache.exists() and any(cache.glob("*.blob")), 60, cluster, every=0.2)
    assert not Stylization.objects.exists()  # no job asked for it
    # What it renders with, and why, in /healthz and `manage.py jobs`:
    wait_for(lambda: WorkerHeartbeat.objects.exclude(runtime="").exists(), 30, cluster)
    from django.test import Client

    [worker] = [w for w in Client().get("/healthz").json()["workers"] if w["alive"]]
    assert worker["runtime"].startswith("openvino 20") and "NST_RUNTIME=openvino" in worker["runtime"]
    out = subprocess.run([sys.executable, "manage.py", "jobs"], cwd=ROOT, capture_output=True,
                         text=True, env={**os.environ, "DATABASE_URL": database_url()})
    assert f"renders with {worker['runtime']}" in out.stdout, out.stdout + out.stderr


def test_a_full_size_render_goes_tile_by_tile_and_its_progress_is_seen_moving(
    start_qcluster, client, alice, catalog_style
):
    """A real worker forced into small tiles: the result page's status (and the API) count
    "tile n of N" while it renders, and the picture comes out at the photo's own size."""
    from stylize.engine import MAX_SIDE_LIMIT

    cluster = start_qcluster(NST_UNTILED_MAX_PIXELS="0", NST_TILE_SIDE="256")
    work = stylization_create(owner=alice, upload=upload(size=(1500, 1100)),
                              original_name="print.jpg", styles=[(catalog_style, 1.0)],
                              controls=Controls(max_side=MAX_SIDE_LIMIT))
    status, api = reverse("stylization-status", args=[work.pk]), f"/api/v1/stylizations/{work.pk}/"
    web = client_for(client, alice)
    seen, texts = [], set()
    deadline = time.monotonic() + 180
    while not Stylization.objects.get(pk=work.pk).is_finished:
        data = web.get(status).json()
        if data["progress_percent"] is not None:
            seen.append(data["progress_percent"])
            texts.add(data["progress"].split(" · ")[0])
            shown = web.get(api).json()  # a moment later: the job may have finished meanwhile
            assert shown["progress_percent"] is not None or shown["status"] != "running"
        assert time.monotonic() < deadline, cluster.log()
        time.sleep(0.05)
    work.refresh_from_db()
    assert work.status == "done", work.error
    assert (work.width, work.height) == (1500, 1100) and work.size_label == "Full size"
    assert len(set(seen)) >= 3 and seen == sorted(seen), seen  # moving forward, never back
    total = {t.rsplit(" of ", 1)[1] for t in texts}
    assert len(total) == 1 and int(total.pop()) >= 30, texts  # "tile n of 35"
    assert web.get(status).json()["progress_percent"] is None  # done: no bar

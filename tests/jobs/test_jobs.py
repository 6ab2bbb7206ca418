"""The job system in one process: fair claims, queue positions, hand-backs, failures that
leave nothing behind, the health report. Real worker processes: test_worker*.py."""

import subprocess
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from gallery.errors import INTERNAL_ERROR
from gallery.jobs import JobContext, fair_queue, lifecycle
from gallery.jobs.kinds import kind_named
from gallery.jobs.status import health
from gallery.models import Stylization, WorkerHeartbeat
from tests.fixtures import client_for
from tests.jobs.qcluster import refuse_in_database
from tests.storage import stored_files

RENDER = kind_named("render")
T0 = timezone.now() - timedelta(minutes=10)


@pytest.fixture
def queue(make_work, catalog_style):
    """queue(user, n, large=False): n queued renders, queued in call order."""
    made = []

    def add(user, n=1, *, large=False):
        rows = []
        for _ in range(n):
            work = make_work(user, catalog_style, render=False)
            Stylization.objects.filter(pk=work.pk).update(
                large=large, queued_at=T0 + timedelta(seconds=len(made)))
            made.append(work.pk)
            rows.append(work.pk)
        return rows

    return add


def _owner(job):
    return Stylization.objects.get(pk=job.pk).owner.username


def _finish(pk):
    Stylization.objects.filter(pk=pk).update(status="done")


def test_a_user_at_the_cap_waits_while_other_users_go_first(alice, bob, queue):
    a = queue(alice, 3)
    b = queue(bob, 1)
    first = fair_queue.claim_next("w1")
    assert first.pk == a[0]  # the oldest job
    assert fair_queue.claim_next("w2").pk == b[0]  # round-robin: bob has had no turn yet
    assert fair_queue.claim_next("w3").pk == a[1]  # both had a turn; alice's started longest ago
    assert fair_queue.claim_next("w4") is None  # alice has 2 in flight (the cap), bob has none left
    assert Stylization.objects.get(pk=a[2]).status == "queued"
    _finish(first.pk)
    assert fair_queue.claim_next("w1").pk == a[2]
    held = dict(Stylization.objects.filter(status="running").values_list("pk", "worker"))
    assert held == {b[0]: "w2", a[1]: "w3", a[2]: "w1"}


def test_large_renders_have_their_own_smaller_cap(alice, queue, settings):
    big = queue(alice, 2, large=True)
    small = queue(alice, 1)
    assert fair_queue.claim_next("w1").pk == big[0]
    assert fair_queue.claim_next("w2").pk == small[0]  # the second large one must wait
    assert fair_queue.claim_next("w3") is None
    settings.NST_USER_JOBS, settings.NST_USER_LARGE_JOBS = 3, 2
    assert fair_queue.claim_next("w3").pk == big[1]


def test_one_worker_serves_a_small_job_before_the_third_of_six_large_ones(alice, bob, queue):
    queue(alice, 6, large=True)
    small = queue(bob, 1)[0]
    order = []
    while (job := fair_queue.claim_next("only")) is not None:
        order.append(job.pk)
        _finish(job.pk)
    assert len(order) == 7 and order.index(small) == 1


def test_queue_position_counts_the_jobs_that_will_start_first(alice, bob, queue, client):
    a = queue(alice, 3)
    b = queue(bob, 1)
    position = {pk: fair_queue.queue_position(Stylization.objects.get(pk=pk)) for pk in a + b}
    assert position == {a[0]: 0, b[0]: 1, a[1]: 2, a[2]: 3}  # round-robin: a0 b0 a1 a2
    c = client_for(client, bob)
    assert c.get(reverse("stylization-status", args=[b[0]])).json()["queue_position"] == 1
    page = c.get(reverse("stylization-detail", args=[b[0]])).content.decode()
    assert "1 job ahead of yours" in page
    assert c.get(f"/api/v1/stylizations/{b[0]}/").json()["queue_position"] == 1
    fair_queue.claim_next("w1")
    assert fair_queue.queue_position(Stylization.objects.get(pk=a[0])) is None  # running


def test_a_clean_hand_back_is_not_an_attempt_but_a_dead_worker_is(alice, queue):
    pk = queue(alice)[0]
    place = Stylization.objects.get(pk=pk).queued_at
    assert lifecycle.claim(RENDER, pk, "w1")
    assert lifecycle.hand_back(["w1"]) == 1
    row = Stylization.objects.get(pk=pk)
    assert (row.status, row.attempts, row.worker) == ("queued", 0, "")
    assert row.queued_at == place  # it keeps its place in the queue
    for attempt in (1, 2, 3):
        assert lifecycle.claim(RENDER, pk, "w2")
        assert lifecycle.hand_back(["w2"], count_attempt=True) == 1
        row = Stylization.objects.get(pk=pk)
        assert row.attempts == attempt
    assert row.status == "failed" and "several attempts" in row.error


def test_a_database_error_at_the_final_update_leaves_no_file_behind(alice, queue):
    pk = queue(alice)[0]
    refuse_in_database("gallery_stylization", event="UPDATE", when_done=True)
    assert lifecycle.run(RENDER, pk, "w1") == "failed"
    row = Stylization.objects.get(pk=pk)
    assert row.status == "failed" and row.error == INTERNAL_ERROR and not row.output
    assert stored_files("results") == set()


def test_an_idle_worker_hands_back_a_job_it_still_holds(alice, queue):
    from gallery.jobs import worker

    pk = queue(alice)[0]
    me = worker.identity()
    assert lifecycle.claim(RENDER, pk, me)
    Stylization.objects.filter(pk=pk).update(started=timezone.now() - timedelta(seconds=5))
    worker._state.idle_wall = timezone.now()  # it finished its last job a moment ago
    worker._check_idle_holdings()
    assert Stylization.objects.get(pk=pk).status == "queued"


def test_health_reports_a_redis_broker_that_goes_down(db, settings, private_redis):
    proc, url = private_redis
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "redis": url}
    WorkerHeartbeat.objects.create(name="h:1:x", seen=timezone.now())
    report = health()
    assert report["ok"] and report["broker"] == {"kind": "redis", "ok": True}
    proc.terminate()
    proc.wait()
    report = health()
    assert not report["ok"] and not report["broker"]["ok"]
    assert "Connection" in report["broker"]["error"] and "broker down" in report["problems"][0]


def test_manage_py_jobs_prints_the_report_and_fails_when_unhealthy(alice, queue, capsys):
    queue(alice, 2)
    Stylization.objects.update(queued_at=timezone.now() - timedelta(seconds=30))
    WorkerHeartbeat.objects.create(name="h:7:live", host="h", pid=7, seen=timezone.now(),
                                   job="render:abc")
    call_command("jobs")
    out = capsys.readouterr().out
    assert "nstsite jobs: healthy" in out and "1 alive, 0 gone" in out
    assert "render:abc" in out and "2 queued, 0 running" in out
    WorkerHeartbeat.objects.update(seen=timezone.now() - timedelta(minutes=5))
    with pytest.raises(SystemExit) as exit_:
        call_command("jobs")
    assert exit_.value.code == 1 and "no live worker" in capsys.readouterr().out


def test_try_every_style_waits_its_turn_in_the_same_fair_queue(
    alice, bob, queue, client, django_capture_on_commit_callbacks
):
    from gallery.explorations.services import exploration_create

    renders = queue(alice, 2)
    photo = Stylization.objects.get(pk=renders[0]).photo
    with django_capture_on_commit_callbacks(execute=False):
        exploration = exploration_create(owner=alice, photo=photo)
    c = client_for(client, alice)
    assert c.get(reverse("exploration-status", args=[exploration.pk])).json()["queue_position"] == 2
    assert "2 jobs ahead" in c.get(exploration.get_absolute_url()).content.decode()
    claimed = [fair_queue.claim_next(f"w{i}") for i in range(3)]
    assert [j.kind.name for j in claimed[:2]] == ["render", "render"]
    assert claimed[2] is None  # alice's two renders fill her cap; the grid waits for one
    _finish(renders[0])
    job = fair_queue.claim_next("w9")
    assert (job.kind.name, job.pk) == ("exploration", exploration.pk)
    assert lifecycle.execute(job.kind, JobContext(job.kind, job.pk, "w9")) == "done"


@pytest.mark.django_db(transaction=True)
def test_workers_claiming_at_once_never_overrun_a_users_cap(real_queue, alice, bob, queue):
    import threading

    from django import db

    queue(alice, 6)
    queue(bob, 1)
    start = threading.Barrier(6)
    claimed = []

    def claim(n):
        try:
            start.wait()
            job = fair_queue.claim_next(f"w{n}")
            if job is not None:
                claimed.append(job.pk)
        finally:
            db.connections.close_all()

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    owners = [Stylization.objects.get(pk=pk).owner.username for pk in claimed]
    assert sorted(owners) == ["alice", "alice", "bob"]  # alice's cap is 2, whoever asked first
    assert Stylization.objects.filter(status="running").count() == 3


def test_a_live_worker_on_this_host_is_not_reaped_because_its_beat_is_late(alice, queue):
    import sys

    import psutil

    from gallery.jobs import reaper
    from gallery.jobs.heartbeats import HOST

    slow = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        started = timezone.datetime.fromtimestamp(psutil.Process(slow.pid).create_time(),
                                                  tz=timezone.get_current_timezone())
        WorkerHeartbeat.objects.create(name=f"{HOST}:{slow.pid}:late", host=HOST, pid=slow.pid,
                                       started=started, seen=timezone.now() - timedelta(minutes=1))
        pk = queue(alice)[0]
        assert lifecycle.claim(RENDER, pk, f"{HOST}:{slow.pid}:late")
        assert reaper.reap() == 0  # waiting for a lock, say: its process still runs
        assert Stylization.objects.get(pk=pk).status == "running"
    finally:
        slow.kill()
        slow.wait()
    assert reaper.reap() == 1
    assert Stylization.objects.get(pk=pk).status == "queued"


def test_a_capped_users_long_series_is_not_reported_as_a_stuck_queue(alice, bob, queue):
    now = timezone.now()
    WorkerHeartbeat.objects.create(name="h:1:a", seen=now)
    WorkerHeartbeat.objects.create(name="h:2:b", seen=now)
    series = queue(alice, 4, large=True)  # one at a time: her large cap is 1
    Stylization.objects.filter(pk__in=series).update(queued_at=now - timedelta(seconds=400))
    Stylization.objects.filter(pk__in=series[:3]).update(
        status="done", finished=now - timedelta(seconds=20))  # her queue keeps moving
    report = health()
    assert report["ok"], report["problems"]
    assert report["queue"]["oldest_wait_seconds"] >= 400
    assert report["queue"]["longest_unmoved_seconds"] < 30
    stuck = queue(bob, 1)[0]  # a queue that has not moved at all
    Stylization.objects.filter(pk=stuck).update(queued_at=now - timedelta(seconds=300))
    report = health()
    assert not report["ok"] and "has not moved" in report["problems"][0]


def test_the_file_sweep_removes_only_old_files_no_row_refers_to(done_work):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from gallery.storage import files_sweep

    # Any backend: "old" is older than the sweep's cut-off, so wait past a short one.
    orphan = default_storage.save("results/orphan.png", ContentFile(b"data"))
    part = default_storage.save("photos/x.jpg.123.part", ContentFile(b"data"))
    time.sleep(2.1)
    fresh = default_storage.save("results/just-written.png", ContentFile(b"data"))
    assert files_sweep(older_than=timedelta(seconds=2)) == 2
    assert not default_storage.exists(orphan) and not default_storage.exists(part)
    assert default_storage.exists(fresh)  # may be about to be committed
    assert default_storage.exists(done_work.output.name)  # old, but a row refers to them
    assert default_storage.exists(done_work.photo.image.name)

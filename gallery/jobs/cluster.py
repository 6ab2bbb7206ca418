"""The ``qcluster`` main process: django-q2's cluster with a stop that finishes in seconds.

django-q2's own SIGTERM handler sets a multiprocessing Event from signal context, which can
deadlock (django-q2 issue #346: "Q Cluster … stopping." and then nothing until SIGKILL), and
drains every prefetched task before exiting. Here the handler only sets a flag; the main
loop then sends SIGTERM to the whole family (sentinel, pusher, monitor, workers — each
worker hands its job back, see ``worker``), waits at most ``STOP_TIMEOUT`` seconds, kills
what is left, hands back whatever those workers still held, and exits. A SIGTERM to the
process group (honcho's Ctrl-C, systemd's default stop) ends the same way.
"""

from __future__ import annotations

import logging
import os
import signal
import time
import uuid

import psutil
from django import db

from gallery.jobs import broker, lifecycle
from gallery.jobs.worker import CLUSTER_ENV
from gallery.models import WorkerHeartbeat

log = logging.getLogger(__name__)

STOP_TIMEOUT = 8.0  # seconds the family gets before SIGKILL (systemd and docker allow 10–90)


class _Flag:
    stop = False
    signum = 0


def run_cluster(*, run_once: bool = False) -> None:
    from django_q.cluster import Cluster

    flag = _Flag()

    def on_signal(signum, frame):  # async-signal-safe: a plain assignment
        flag.stop, flag.signum = True, signum

    db.connections.close_all()  # the forked sentinel must not share our sockets
    cluster_id = uuid.uuid4().hex
    os.environ[CLUSTER_ENV] = cluster_id  # inherited by every process the sentinel forks
    cluster = Cluster()  # installs django-q2's handlers; ours replace them
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    cluster.start()
    sentinel = psutil.Process(cluster.sentinel.pid)
    family: dict[int, psutil.Process] = {sentinel.pid: sentinel}
    while not flag.stop and not run_once and cluster.sentinel.is_alive():
        _remember(sentinel, family)
        time.sleep(0.2)
    _remember(sentinel, family)
    started = time.monotonic()
    log.info("qcluster stopping (%s): %d processes", signal.Signals(flag.signum).name
             if flag.signum else "run once" if run_once else "sentinel gone", len(family))
    stop_family(list(family.values()), cluster_id)
    cluster.sentinel.join(1)  # reap it: no zombie
    cluster.start_event = cluster.stop_event = None
    log.info("qcluster stopped in %.1f s", time.monotonic() - started)


def _remember(sentinel: psutil.Process, family: dict) -> None:
    """Know every descendant while the sentinel lives: once it dies they are orphans."""
    try:
        for child in sentinel.children(recursive=True):
            family.setdefault(child.pid, child)
    except psutil.NoSuchProcess:
        pass


def _running(proc: psutil.Process) -> bool:
    # An orphaned grandchild that exited is a zombie until init reaps it: it is gone for us.
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _wait(procs: list[psutil.Process], timeout: float) -> list[psutil.Process]:
    deadline = time.monotonic() + timeout
    alive = [p for p in procs if _running(p)]
    while alive and time.monotonic() < deadline:
        time.sleep(0.05)
        alive = [p for p in alive if _running(p)]
    return alive


def stop_family(procs: list[psutil.Process], cluster_id: str) -> None:
    for proc in procs:
        try:
            proc.send_signal(signal.SIGTERM)
        except psutil.NoSuchProcess:
            pass
    alive = _wait(procs, STOP_TIMEOUT)
    for proc in alive:
        log.warning("process %s did not stop in %.0f s: killed", proc.pid, STOP_TIMEOUT)
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            pass
    _wait(alive, 2)
    try:
        names = list(WorkerHeartbeat.objects.filter(cluster=cluster_id)
                     .values_list("name", flat=True))
        if lifecycle.hand_back(names):  # held by a worker that was killed: requeue now
            broker.enqueue("handed-back")
        WorkerHeartbeat.objects.filter(name__in=names).delete()
    except Exception:  # database or broker down: the reaper of the next worker does it
        log.exception("could not hand back the jobs of stopped workers")
    finally:
        db.connections.close_all()

"""Who is alive: every worker process beats every ``NST_HEARTBEAT_SECONDS`` (a row stamped with
the database's clock, gallery/jobs/worker.py); one not seen for ``NST_WORKER_DEAD_AFTER``
seconds is dead, unless its process still exists on this very host."""

from __future__ import annotations

import socket
from datetime import timedelta

import psutil
from django.conf import settings
from django.db.models.functions import Now

from gallery.models import WorkerHeartbeat

HOST = socket.gethostname()[:60]


def _dead_after() -> timedelta:
    return timedelta(seconds=settings.NST_WORKER_DEAD_AFTER)


def fresh_heartbeats():
    return WorkerHeartbeat.objects.filter(seen__gte=Now() - _dead_after())


def alive_here(hb: WorkerHeartbeat) -> bool:
    """Is the process behind this (stale) row still running on this host?"""
    if hb.host != HOST or not hb.pid:
        return False
    try:
        created = psutil.Process(hb.pid).create_time()
    except psutil.Error:
        return False
    # The same process, not a later one that got its pid: it started just before its first beat.
    return abs(hb.started.timestamp() - created) < 60

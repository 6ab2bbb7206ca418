"""The broker's side of a job: wake a worker (a django-q2 "kick"), and refuse new work
while no worker could be woken. The queue of record is the database (gallery/jobs)."""

from __future__ import annotations

import functools
import logging

from django.db import transaction

from gallery.errors import QUEUE_UNAVAILABLE, ServiceError

log = logging.getLogger(__name__)


def enqueue(reason: str = "") -> None:
    """Wake a worker: it will claim the fairest runnable job (not necessarily this one)."""
    from django_q.tasks import async_task

    async_task("gallery.tasks.run_next_job", reason, task_name=f"kick-{reason}"[:100] if reason
               else None, group="jobs")


def broker_error() -> str:
    """"" when the broker answers, else why not. The ORM broker is the database itself."""
    from django.conf import settings

    url = settings.Q_CLUSTER.get("redis")
    if not url:
        return ""
    try:
        _redis(url).ping()
    except Exception as exc:  # any client error means "not reachable"
        return f"{exc.__class__.__name__}: {exc}"[:200]
    return ""


@functools.lru_cache(maxsize=4)
def _redis(url: str):
    """One client (and connection pool) per broker URL: every submit pings the broker, so
    the connection is kept rather than opened each time."""
    import redis

    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def require_broker() -> None:
    """Refuse a new job while no worker could be woken for it (the broker is down), rather
    than accept work nobody will start; the person is told to try again."""
    problem = broker_error()
    if problem:
        log.warning("refusing a new job: the broker is unreachable (%s)", problem)
        raise ServiceError(QUEUE_UNAVAILABLE, code="unavailable")


def enqueue_on_commit(reason: str = "") -> None:
    # robust: if the broker is down the row is saved anyway and an idle worker's pump finds it.
    transaction.on_commit(lambda: enqueue(reason), robust=True)

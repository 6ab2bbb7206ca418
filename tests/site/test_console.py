"""The worker's console: the housekeeping schedule's routine lines (four a minute from
django-q2) are kept out of it at INFO and shown at DEBUG; what housekeeping did that a person
should know (a stopped worker's jobs put back) is logged at INFO. Runs django-q2's own
scheduler, so the lines are the ones `make run` prints."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone
from django_q.models import Schedule
from django_q.scheduler import scheduler

from gallery.models import Stylization

HOUSEKEEPING = "nstsite housekeeping"


def _due():
    Schedule.objects.filter(name=HOUSEKEEPING).update(
        next_run=timezone.now() - timedelta(seconds=1))


def _run_schedule(caplog) -> list[str]:
    caplog.clear()
    before = Schedule.objects.get(name=HOUSEKEEPING).next_run
    scheduler()
    assert Schedule.objects.get(name=HOUSEKEEPING).next_run > before  # it ran
    return [r.getMessage() for r in caplog.records]


def test_the_housekeeping_routine_is_quiet_at_info_and_shown_at_debug(db, caplog):
    queue_logger = logging.getLogger("django-q")
    caplog.set_level(logging.INFO)
    _due()
    assert [line for line in _run_schedule(caplog) if "housekeeping" in line
            or line.startswith("Enqueued")] == []

    level = queue_logger.level
    queue_logger.setLevel(logging.DEBUG)
    try:
        _due()
        lines = _run_schedule(caplog)
    finally:
        queue_logger.setLevel(level)
    assert any("from schedule [nstsite housekeeping]" in line for line in lines), "\n".join(lines)


def test_the_bare_enqueued_line_is_shown_only_at_debug(db, caplog):
    from django_q.tasks import async_task

    queue_logger = logging.getLogger("django-q")
    caplog.set_level(logging.INFO)
    async_task("gallery.tasks.housekeeping", sync=False)  # onto the ORM broker, not run
    assert not [r for r in caplog.records if r.getMessage().startswith("Enqueued [")]
    level = queue_logger.level
    queue_logger.setLevel(logging.DEBUG)
    try:
        async_task("gallery.tasks.housekeeping", sync=False)
    finally:
        queue_logger.setLevel(level)
    assert [r.getMessage() for r in caplog.records if r.getMessage().startswith("Enqueued [")]


def test_housekeeping_says_when_it_put_a_stopped_workers_job_back(db, caplog, done_work):
    caplog.set_level(logging.INFO)
    Stylization.objects.filter(pk=done_work.pk).update(
        status=Stylization.Status.RUNNING, worker="gone-host:4242:dead", started=timezone.now())
    _due()
    lines = _run_schedule(caplog)
    assert "housekeeping: 1 job of a stopped worker put back in the queue" in lines

"""What the worker's console shows: real events, not the minute-by-minute routine.

django-q2 logs four INFO lines for every run of the housekeeping schedule ("Enqueued …",
"created task … from schedule", "processing …", "Processed …"), which buried the URL and
the renders in ``make run``'s console. This filter (on the ``django-q`` logger, see
settings.LOGGING) passes those lines only when the logger is set to DEBUG; the housekeeping
task itself logs at INFO when it did something a person should know (jobs of a dead worker
requeued, orphan files swept).
"""

from __future__ import annotations

import logging


def routine(record: logging.LogRecord) -> bool:
    """A line about the housekeeping schedule, or the bare "Enqueued [queue] n" that every
    task gets (the worker's "processing …" line tells the same for the tasks that matter)."""
    message = record.getMessage()
    return "housekeeping" in message or message.startswith("Enqueued [")


class QuietRoutine(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO or not routine(record):
            return True
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)

"""Entry points for django-q2. Thin on purpose: the job system does the work."""

import logging

log = logging.getLogger(__name__)


def run_next_job(reason: str = "") -> str:
    """A kick: claim the fairest runnable job of any kind and run it (gallery/jobs)."""
    from gallery.jobs.worker import run_next

    return run_next(reason)


def housekeeping() -> int:
    """Every minute, as a backstop to the workers' heartbeat threads: requeue the jobs of
    dead workers and wake a worker if runnable jobs wait. Once an hour (across all
    workers: a budget of one sweep an hour, counted in the database), sweep files that no
    row refers to and forget spent budgets older than any window."""
    from gallery import budgets, jobs, storage
    from gallery.jobs import fair_queue, reaper

    count = reaper.reap()
    if count:
        log.info("housekeeping: %d job%s of a stopped worker put back in the queue", count,
                 "s" if count != 1 else "")
    if count or fair_queue.pick() is not None:
        jobs.enqueue("housekeeping")
    if budgets.spend(budgets.Budget("sweeps", 1, 3600), "all").allowed:
        swept = storage.files_sweep()
        budgets.prune()
        if swept:
            log.info("housekeeping: %d stored file%s that nothing refers to deleted", swept,
                     "s" if swept != 1 else "")
    return count


# Names of tasks queued by earlier versions: they now just kick the queue.
def render_stylization(stylization_id: str = "") -> str:
    return run_next_job(f"render-{stylization_id}")


def render_exploration(exploration_id: str = "") -> str:
    return run_next_job(f"exploration-{exploration_id}")

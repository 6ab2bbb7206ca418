"""Entry points for django-q2. Thin on purpose: the job system does the work."""


def run_next_job(reason: str = "") -> str:
    """A kick: claim the fairest runnable job of any kind and run it (gallery/jobs)."""
    from gallery.jobs.worker import run_next

    return run_next(reason)


def housekeeping() -> int:
    """Every minute, as a backstop to the workers' heartbeat threads: requeue the jobs of
    dead workers and wake a worker if runnable jobs wait. Once an hour (across all
    workers: the flag is in the shared cache), sweep files that no row refers to."""
    from django.core.cache import cache

    from gallery import jobs, services
    from gallery.jobs import reaper, scheduler

    count = reaper.reap()
    if count or scheduler.pick() is not None:
        jobs.enqueue("housekeeping")
    if cache.add("nst-files-sweep", 1, timeout=3600):
        services.files_sweep()
    return count


# Names of tasks queued by earlier versions: they now just kick the queue.
def render_stylization(stylization_id: str = "") -> str:
    return run_next_job(f"render-{stylization_id}")


def render_exploration(exploration_id: str = "") -> str:
    return run_next_job(f"explore-{exploration_id}")

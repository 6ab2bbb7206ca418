"""What runs inside a worker process: the task body, a heartbeat thread, and a clean stop.

- ``run_next``: the django-q2 task. Claims the fairest runnable job and runs it in a thread
  while the process's main thread waits, so SIGTERM is handled within a fraction of a
  second even in the middle of a long render (a signal handler only runs between Python
  bytecodes, never inside one long call into the network runtime).
- On SIGTERM: an idle worker exits at once; a busy one hands its job back to the queue
  (not counted as an attempt) and exits, unless the job is committing its result or
  expected to end within ``STOP_WAIT`` seconds, in which case it lets it finish first.
- The heartbeat thread writes this process's row every ``NST_HEARTBEAT_SECONDS``, requeues
  the jobs of workers that stopped beating (``reaper``), and while idle, kicks the queue
  if a runnable job waits and nobody has claimed anything lately (lost or stranded broker
  messages cost a few seconds, never a job).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import os
import signal
import threading
import time
import uuid

from django import db
from django.conf import settings
from django.db.models.functions import Now
from django.utils import timezone
from django_q.conf import Conf
from django_q.exceptions import TimeoutException

from gallery.jobs import broker, fair_queue, lifecycle, reaper
from gallery.jobs.heartbeats import HOST
from gallery.jobs.kinds import JobContext
from gallery.models import WorkerHeartbeat

log = logging.getLogger(__name__)

STOP_WAIT = 3.0  # seconds a stopping worker waits for a job that is about to finish
STOP_DEADLINE = 4.0  # and at most this long for a commit under way (honcho SIGKILLs at 5 s)
CLUSTER_ENV = "NST_CLUSTER_ID"  # set by the qcluster main process for its whole family
TOO_LONG = ("This took longer than the {seconds}-second limit and was stopped. "
            "Try a smaller output size.")


class _State:
    name: str | None = None
    pid: int | None = None
    ppid = 0
    cluster = ""
    busy = False
    stopping = False
    stop_at = 0.0
    job = ""
    idle_since = time.monotonic()
    idle_wall = None  # wall-clock time it last became idle
    registered = False
    runtime = ""  # "openvino 2026.4.1 — auto: OpenVINO kept the fidelity contract here (…)"


_state = _State()


def identity() -> str:
    """This process's worker name: host, pid and a random token (pids are reused)."""
    if _state.pid != os.getpid():
        _state.pid, _state.name, _state.registered = os.getpid(), None, False
    if _state.name is None:
        _state.name = f"{HOST}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    return _state.name


# -- heartbeat -----------------------------------------------------------------


def beat() -> None:
    """Write this process's row with the database's clock (hosts' clocks may disagree)."""
    fields = {"seen": Now(), "job": _state.job, "stopping": _state.stopping,
              "runtime": _state.runtime[:400]}
    if not WorkerHeartbeat.objects.filter(name=identity()).update(**fields):
        WorkerHeartbeat.objects.create(name=identity(), host=HOST, pid=os.getpid(),
                                       cluster=_state.cluster, **fields)
    _state.registered = True


def _heartbeat_loop() -> None:
    interval = settings.NST_HEARTBEAT_SECONDS
    _warm_up_engine_soon()
    while True:
        if os.getppid() != _state.ppid:  # our cluster is gone: never linger as an orphan
            _request_stop()
        try:
            beat()
            if reaper.reap():
                broker.enqueue("reaped")
            _pump(interval)
            _check_idle_holdings()
        except Exception:  # the database may be down for a while: keep trying
            log.warning("worker heartbeat failed", exc_info=True)
            db.connections.close_all()
        time.sleep(interval)


def _warm_up_engine_soon() -> None:
    """Load the engine and compile its networks beside the first beats, not in the first job."""
    def warm():
        try:
            from stylize.runtime import configured_engine

            engine = configured_engine()  # NST_RUNTIME=auto measures here, once a machine
            engine.warm_up()
            _state.runtime = describe(engine)
            log.info("worker %s renders with %s", identity(), _state.runtime)
            beat()  # shown at once in /healthz and `manage.py jobs`
        except Exception:  # the first job will report it properly
            log.warning("engine warm-up failed", exc_info=True)
        finally:
            db.connections.close_all()

    threading.Thread(target=warm, name="nst-warm-up", daemon=True).start()


def describe(engine) -> str:
    """What an engine renders with and why: "openvino 2026.4.1 — auto: OpenVINO kept …"."""
    label = engine.runtime_label or engine.name
    return f"{label} — {engine.runtime_reason}" if engine.runtime_reason else label


def _pump(interval: float) -> None:
    """Idle for a whole beat while a runnable job waits: wake a worker (perhaps this one)."""
    if _state.busy or _state.stopping or time.monotonic() - _state.idle_since < interval:
        return
    if fair_queue.pick() is not None and not reaper.claimed_within(interval):
        broker.enqueue("pump")


def _check_idle_holdings() -> None:
    """A job that is still marked as ours while we are idle (its final UPDATE failed, say)."""
    idle_wall = _state.idle_wall
    if not _state.busy and idle_wall is not None:  # rows claimed since are not stale
        lifecycle.hand_back([identity()], count_attempt=True, started_before=idle_wall)


def start_heartbeat(**kwargs) -> None:
    """django-q2's ``post_spawn`` (in every new worker process): beat, and stop cleanly.
    In sync mode django-q2 calls its worker loop inline, in the caller's process: not ours."""
    if Conf.SYNC:
        return
    identity()
    _state.ppid, _state.cluster = os.getppid(), os.environ.get(CLUSTER_ENV, "")
    signal.signal(signal.SIGTERM, _on_sigterm)
    threading.Thread(target=_heartbeat_loop, name="nst-heartbeat", daemon=True).start()


def _on_sigterm(signum, frame) -> None:
    _request_stop()


def _request_stop() -> None:
    if not _state.stopping:  # a second SIGTERM does not extend the deadline
        _state.stopping, _state.stop_at = True, time.monotonic()
    if not _state.busy:
        os._exit(0)  # idle: nothing to hand back


# -- the task ------------------------------------------------------------------


def run_next(reason: str = "") -> str:
    """Claim the fairest runnable job and run it to its end. Returns what happened."""
    _state.busy = True
    try:
        if _state.stopping:
            return "stopping"
        worker = identity()
        if not _state.registered and not Conf.SYNC:
            beat()  # the reaper must know us before we hold anything
        job = fair_queue.claim_next(worker)
        if job is None:
            return "nothing to do"
        _state.job = f"{job.kind.name}:{job.pk}"
        ctx = JobContext(job.kind, job.pk, worker)
        if Conf.SYNC:
            outcome = lifecycle.execute(job.kind, ctx)
        else:
            outcome = _supervise(ctx)
        if fair_queue.pick() is not None:  # a user who was at their cap may go now
            broker.enqueue("next")
        return f"{job.kind.name} {job.pk}: {outcome or 'not ours any more'}"
    finally:
        _state.busy, _state.job, _state.idle_since = False, "", time.monotonic()
        _state.idle_wall = timezone.now()
        if _state.stopping:
            os._exit(0)
        give_back_memory()


def give_back_memory() -> None:
    """Return the memory a finished job freed to the system. Each job runs in a thread of its
    own, and glibc gives each thread its own heap: what one job freed stayed reserved in its
    heap while the next job's thread allocated anew — a 50-MP print's second job peaked
    ~450 MB above its first (measured). ``malloc_trim`` releases every heap's free pages."""
    gc.collect()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _glibc():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:  # not glibc (musl, macOS): nothing to trim
        return None


_LIBC = _glibc()


def _supervise(ctx: JobContext) -> str:
    outcome = []

    def work():
        try:
            outcome.append(lifecycle.execute(ctx.kind, ctx))
        finally:
            db.connections.close_all()  # this thread's connections

    thread = threading.Thread(target=work, name=f"nst-{ctx.kind.name}", daemon=True)
    thread.start()
    try:
        while thread.is_alive():
            thread.join(0.1)
            if _state.stopping and not _may_finish(ctx):
                _hand_back_and_exit(ctx)
    except TimeoutException:  # django-q2's task timeout; it recycles this process next
        if ctx.commit_lock.acquire(timeout=1):  # not while a commit is under way
            lifecycle.fail(ctx.kind, ctx.pk, ctx.worker, TOO_LONG.format(
                seconds=settings.Q_CLUSTER["timeout"]))
        raise
    return outcome[0] if outcome else ""


def _may_finish(ctx: JobContext) -> bool:
    """While stopping: may the job go on? Yes while it commits its result (up to
    ``STOP_DEADLINE``) or when it should be done within ``STOP_WAIT`` of the signal."""
    waited = time.monotonic() - _state.stop_at
    if ctx.commit_lock.locked():
        return waited < STOP_DEADLINE
    return (waited < STOP_WAIT and ctx.expected_end is not None
            and ctx.expected_end - time.monotonic() < STOP_WAIT - waited)


def _hand_back_and_exit(ctx: JobContext) -> None:
    # Holding the commit lock, the job thread cannot start writing its result meanwhile.
    # If it is committing past the deadline, exit anyway: the row stays "running" and the
    # reaper requeues it; files written without their row are swept (services.files_sweep).
    if ctx.commit_lock.acquire(blocking=False):
        handed = lifecycle.requeue(ctx.kind, ctx.pk, worker=ctx.worker)
        log.warning("stopping: %s %s handed back to the queue", ctx.kind.name, ctx.pk)
        if handed:
            broker.enqueue("handed-back")
    try:
        WorkerHeartbeat.objects.filter(name=ctx.worker).delete()
    finally:
        os._exit(0)

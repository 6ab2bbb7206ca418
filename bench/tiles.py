"""Tiled rendering (stylize/tiling.py), measured on this machine: `.venv/bin/python bench/tiles.py`.

- the receptive field: how far one changed pixel moves the output (statistics fixed), and
  from how far inside a tile its output is the whole render's;
- per tile side, the tile pass's time per megapixel of output (overlaps included);
- fresh-process time per megapixel and peak RSS, both runtimes: 2048×1536, 4096×3072 and
  8160×6120 (50 MP) tiled, 2048×1536 untiled (each child renders twice: the first includes
  OpenVINO's compile of the tile shape, the second is what a warm worker does);
- the statistics: thumbnail sizes and full-resolution samples against the untiled render, by
  the fidelity contract (stylize/fidelity.py), at 2048×1536, for tile sides 1024 and 512;
- seams (fidelity.seams, and the blend zones' colour steps, tiling.Zones) on a real photo
  upscaled to 4096 wide: untiled, tiled, and tiled with each tile's own statistics (what
  tiling without shared statistics looks like);
  crops of each are saved under /tmp/nst-tiles/ to look at.
Results print as Markdown and go to bench/tiles.json. Compare figures within one run.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

OUT = Path("/tmp/nst-tiles")
PHOTO = Path("/work/shared/photos/content/chicago.jpg")
RUNTIMES = ("onnxruntime", "openvino")
SIZES = ((2048, 1536), (4096, 3072), (8160, 6120))
STYLES = ("cypress-swirl", "crimson-fire", "woodcut-sun")


def _engine(runtime, **kw):
    from stylize.embedded import EmbeddedEngine

    return EmbeddedEngine(runtime=runtime, **kw)


def _catalog_vectors(engine):
    from stylize import images

    entries = {e["slug"]: e for e in json.loads((ROOT / "styles" / "catalog.json").read_text())["styles"]}
    return [engine.style_vector(images.open_image(ROOT / "styles" / entries[s]["image"]))
            for s in STYLES]


def _source() -> Image.Image:
    if PHOTO.exists():
        return Image.open(PHOTO).convert("RGB")
    from tests.imagegen import photo

    return photo(712, 474, seed=3)


def _mosaic(w: int, h: int) -> Image.Image:
    """The real photo at its own resolution, mirrored edge to edge: detail at every size."""
    from PIL import ImageOps

    src = _source()
    quad = [[src, ImageOps.mirror(src)], [ImageOps.flip(src), ImageOps.flip(ImageOps.mirror(src))]]
    out = Image.new("RGB", (w, h))
    for y in range(0, h, src.height):
        for x in range(0, w, src.width):
            out.paste(quad[(y // src.height) % 2][(x // src.width) % 2], (x, y))
    return out


def _photo_file(w: int, h: int) -> Path:
    """A JPEG of the real photo upscaled to w×h (made once, outside the measured children)."""
    path = OUT / f"photo-{w}x{h}.jpg"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        _source().resize((w, h), Image.Resampling.LANCZOS).save(path, quality=92)
    return path


# -- children: one render each, in a fresh process ----------------------------------------


def child(runtime: str, w: int, h: int, mode: str) -> dict:
    from stylize import images

    engine = _engine(runtime)
    vector = _catalog_vectors(engine)[0]
    photo = images.open_image(_photo_file(w, h), max_pixels=10**8)
    seconds = []
    for _ in range(2):
        t = time.perf_counter()
        if mode == "tiled":
            out = engine.transform_tiled(photo, vector)
        else:
            out = np.asarray(engine.transform(photo, vector))
        seconds.append(time.perf_counter() - t)
        assert out.shape == (h, w, 3)
        del out
    return {"cold_s": seconds[0], "warm_s": seconds[1],
            "s_per_mp": seconds[1] / (w * h / 1e6), "cold_s_per_mp": seconds[0] / (w * h / 1e6),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _in_child(*args) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", *map(str, args)],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


# -- in this process --------------------------------------------------------------------


def receptive_field(runtime: str) -> dict:
    from stylize import tiling
    from tests.imagegen import photo

    engine = _engine(runtime)
    passes, vec = engine.tiling_passes(), _catalog_vectors(engine)[0]
    pixels = np.asarray(photo(768, 768, seed=5))
    stats = passes.statistics(pixels, vec)
    whole = passes.tile(pixels, vec, stats).astype(np.int16)
    moved = pixels.copy()
    moved[384, 384] = 255 - moved[384, 384]
    changed = np.abs(passes.tile(moved, vec, stats) - whole).max(axis=2)
    ys, xs = np.nonzero(changed)
    reach = int(max(np.abs(ys - 384).max(), np.abs(xs - 384).max()))
    o, side = 128, 512
    tile = passes.tile(np.ascontiguousarray(pixels[o:o + side, o:o + side]), vec, stats)
    diff = np.abs(tile.astype(np.int16) - whole[o:o + side, o:o + side]).max(axis=2)
    g = np.arange(side)
    dist = np.minimum(np.minimum.outer(g, g), np.minimum.outer(side - 1 - g, side - 1 - g))
    exact_from = int(max(dist[diff > 0].max() + 1, 0)) if diff.any() else 0
    return {"reach_px": reach, "exact_from_px": exact_from, "margin": tiling.MARGIN}


def tile_sides(runtime: str, sides=(384, 512, 768, 1024, 1536, 2048)) -> dict:
    import statistics as st

    from stylize import tiling
    from tests.imagegen import photo

    engine = _engine(runtime)
    passes, vec = engine.tiling_passes(), _catalog_vectors(engine)[0]
    big = np.asarray(photo(2048, 2048, seed=1))
    stats = passes.statistics(np.ascontiguousarray(big[:768, :1024]), vec)
    rows = {}
    for side in sides:
        pixels = np.ascontiguousarray(big[:side, :side])
        t = time.perf_counter()
        passes.prepare(side, side)
        compile_s = time.perf_counter() - t
        passes.tile(pixels, vec, stats)
        times = []
        for _ in range(3):
            t = time.perf_counter()
            passes.tile(pixels, vec, stats)
            times.append(time.perf_counter() - t)
        step = side - tiling.OVERLAP
        rows[side] = {"tile_s": st.median(times), "s_per_mp_out": st.median(times) / (step * step / 1e6),
                      "compile_s": compile_s}
    return rows


def _estimator(side: int, kind: str):
    from stylize import tiling

    return lambda passes, pic, v: passes.statistics(tiling.thumbnail(pic, side, kind), v)


ESTIMATORS = {f"{kind} {side}": _estimator(side, kind)
              for kind, side in (("downscaled", 512), ("downscaled", 768), ("downscaled", 1024),
                                 ("sample", 1024), ("sample", 1536))}
DEFAULT_ESTIMATOR = "sample 1536"


def fidelity_sweep(estimators: dict, tile_sides_=(1024, 512)) -> dict:
    """Each statistics estimator (and tile side) against the untiled reference, by the
    contract; on both runtimes. Photos: the real one upscaled, the real one mirrored edge to
    edge at its own resolution, and a test-made one; three catalog styles."""
    from stylize import fidelity, tiling
    from tests.imagegen import photo

    w, h = 2048, 1536
    reference = _engine("onnxruntime", exact_rewrite=False)
    vectors = _catalog_vectors(reference)
    photos = {"upscaled": _source().resize((w, h), Image.Resampling.LANCZOS),
              "mirrored": _mosaic(w, h), "made": photo(w, h, seed=7)}
    cases = []
    for name, pic in photos.items():
        refs = [reference.transform(pic, v) for v in vectors]
        scale = fidelity.style_scale(reference, refs)
        cases += [(name, pic, v, r, scale, fidelity.jitter(reference, pic, v, r))
                  for v, r in zip(vectors, refs, strict=True)]
    results = {}
    for runtime in RUNTIMES:
        engine = _engine(runtime)
        passes = engine.tiling_passes()
        rows = {"untiled": [fidelity.compare(reference, engine.transform(pic, v), r, s, j)
                            for _, pic, v, r, s, j in cases]}
        for label, estimate in estimators.items():
            for side in tile_sides_ if label == DEFAULT_ESTIMATOR else tile_sides_[:1]:
                verdicts, cost = [], []
                for _, pic, v, r, s, j in cases:
                    t = time.perf_counter()
                    stats = estimate(passes, pic, v)
                    cost.append(time.perf_counter() - t)
                    out = tiling.render(passes, pic, v, tile_side=side, statistics=stats)
                    verdicts.append(fidelity.compare(reference, Image.fromarray(out), r, s, j))
                rows[f"{label}, tiles {side}"] = verdicts
                rows[f"{label}, tiles {side}"].append(float(np.median(cost)))
        results[runtime] = {k: _summary(v) for k, v in rows.items()}
    return results


def _summary(verdicts) -> dict:
    cost = verdicts.pop() if verdicts and isinstance(verdicts[-1], float) else None
    return {"ok": sum(v.ok for v in verdicts), "cases": len(verdicts),
            "worst_share_of_bound": max(v.style_ratio / v.allowed for v in verdicts),
            "worst_content": max(v.content_difference for v in verdicts),
            "statistics_s": cost}


def seam_check() -> dict:
    """Seams on the real photo upscaled to 4096 wide, both runtimes."""
    from stylize import fidelity, tiling

    src = _source()
    w = 4096
    h = round(src.height * w / src.width)
    pic = src.resize((w, h), Image.Resampling.LANCZOS)
    results = {}
    for runtime in RUNTIMES:
        engine = _engine(runtime)
        vec = _catalog_vectors(engine)[0]
        untiled = np.asarray(engine.transform(pic, vec))
        zones, own_zones = tiling.Zones(), tiling.Zones()
        tiled = engine.transform_tiled(pic, vec, zones=zones)
        own = tiling.render(tiling.OwnStatistics(engine.tiling_passes()), pic, vec,
                            statistics=[], zones=own_zones)
        row = {"zones": {"tiled": zones.worst, "own statistics": own_zones.worst,
                         "limit": tiling.ZONE_STEP_LIMIT}}
        for label, img in (("untiled", untiled), ("tiled", tiled), ("own statistics", own)):
            s = fidelity.seams(img)
            row[label] = {"rows": s.rows, "columns": s.columns, "row_at": s.row_at,
                          "column_at": s.column_at}
            OUT.mkdir(parents=True, exist_ok=True)  # a crop around a tile corner, to look at
            Image.fromarray(img[700:1300, 600:1400]).save(OUT / f"{runtime}-{label.replace(' ', '-')}.png")
        row["tiled within"] = fidelity.seams(tiled).within(fidelity.seams(untiled))
        row["own within"] = fidelity.seams(own).within(fidelity.seams(untiled))
        row["size"] = [w, h]
        results[runtime] = row
    return results


def main(args) -> dict:
    from stylize import tiling

    simd = sorted({f for f in Path("/proc/cpuinfo").read_text().split()
                   if f in ("avx2", "avx512_vnni", "amx_int8", "avx512f")})
    res: dict = {"cpu": simd, "defaults": {"tile_side": tiling.DEFAULT_TILE_SIDE,
                                           "thumb_side": tiling.DEFAULT_THUMB_SIDE,
                                           "overlap": tiling.OVERLAP, "margin": tiling.MARGIN}}
    for (w, h) in SIZES:
        _photo_file(w, h)
    for runtime in RUNTIMES:  # memory first, in fresh processes
        res[f"{runtime}_untiled_2048x1536"] = _in_child(runtime, 2048, 1536, "untiled")
        for w, h in SIZES:
            res[f"{runtime}_tiled_{w}x{h}"] = _in_child(runtime, w, h, "tiled")
    for runtime in RUNTIMES:
        res[f"{runtime}_receptive_field"] = receptive_field(runtime)
        res[f"{runtime}_tile_sides"] = tile_sides(runtime)
    res["seams"] = seam_check()
    if not args.quick:
        res["fidelity"] = fidelity_sweep(ESTIMATORS)
    return res


def table(r: dict) -> str:
    lines = [f"CPU: {' + '.join(r['cpu'])}; defaults {r['defaults']}", "",
             "| runtime | render | warm s/MP | cold s/MP | peak RSS | ÷ 2048×1536 tiled | ÷ untiled |",
             "|---|---|---|---|---|---|---|"]
    for runtime in RUNTIMES:
        base_t = r[f"{runtime}_tiled_2048x1536"]["s_per_mp"]
        base_u = r[f"{runtime}_untiled_2048x1536"]["s_per_mp"]
        for key in ["untiled_2048x1536"] + [f"tiled_{w}x{h}" for w, h in SIZES]:
            row = r[f"{runtime}_{key}"]
            lines.append(f"| {runtime} | {key.replace('_', ' ')} | {row['s_per_mp']:.3f} | "
                         f"{row['cold_s_per_mp']:.3f} | {row['peak_rss_mb']:.0f} MB | "
                         f"{row['s_per_mp'] / base_t:.2f}× | {row['s_per_mp'] / base_u:.2f}× |")
    lines.append("")
    for runtime in RUNTIMES:
        rf = r[f"{runtime}_receptive_field"]
        lines.append(f"- {runtime}: one pixel reaches {rf['reach_px']} px; a tile is the whole render "
                     f"from {rf['exact_from_px']} px inside its edges (margin {rf['margin']})")
        sides = "; ".join(f"{k}: {v['s_per_mp_out']:.3f} s/MP out (compile {v['compile_s']:.2f} s)"
                          for k, v in r[f"{runtime}_tile_sides"].items())
        lines.append(f"  - tile pass per side: {sides}")
    for runtime, row in r["seams"].items():
        lines.append(f"- seams {runtime} ({row['size'][0]}×{row['size'][1]}): " + "; ".join(
            f"{k} rows {row[k]['rows']:.2f} (at {row[k]['row_at']}) columns {row[k]['columns']:.2f} "
            f"(at {row[k]['column_at']})" for k in ("untiled", "tiled", "own statistics"))
            + f"; tiled within target: {row['tiled within']}, own statistics: {row['own within']}"
            + f"; blend zones' worst colour step: tiled {row['zones']['tiled']:.2f}, own statistics "
            f"{row['zones']['own statistics']:.2f} (limit {row['zones']['limit']:.0f})")
    for runtime, rows in r.get("fidelity", {}).items():
        lines.append(f"- fidelity vs untiled reference, 2048×1536, {runtime}:")
        for k, v in rows.items():
            cost = f", statistics {v['statistics_s']:.2f} s" if v["statistics_s"] else ""
            lines.append(f"  - {k}: {v['ok']}/{v['cases']} within the contract, worst style "
                         f"{v['worst_share_of_bound']:.0%} of its bound, worst blurred difference "
                         f"{v['worst_content']:.2f}/255{cost}")
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", nargs="*")
    parser.add_argument("--quick", action="store_true", help="skip the fidelity sweep")
    args = parser.parse_args()
    if args.child:
        runtime, w, h, mode = args.child
        print(json.dumps(child(runtime, int(w), int(h), mode)))
        sys.exit(0)
    results = main(args)
    (ROOT / "bench" / "tiles.json").write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))

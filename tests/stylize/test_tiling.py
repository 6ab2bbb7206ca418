"""Tiled rendering (stylize/tiling.py, stylize/normstats.py): the norms' statistics split out
of the graph, tiles rendered with shared statistics, and the seam measure
(stylize/fidelity.py) — on both runtimes, with the real weights, on test-made photos."""

import numpy as np
import onnx
import pytest
from PIL import Image

from stylize import embedded, fidelity, normstats, tiling
from stylize.backends import get_engine
from tests.imagegen import painting, photo

RUNTIMES = ["onnxruntime", "openvino"]
SMALL_TILE = tiling.MIN_TILE_SIDE  # 256: many tiles on a small photo


@pytest.fixture(scope="module")
def reference():
    """The shipped graph made shape-dynamic, on onnxruntime (as in test_fidelity.py)."""
    return embedded.EmbeddedEngine(runtime="onnxruntime", exact_rewrite=False)


@pytest.fixture(scope="module")
def vectors(reference):
    return [reference.style_vector(painting(seed=s)) for s in (1, 2, 3)]


def _engine(runtime):
    return get_engine("embedded", runtime=runtime)


def _case(reference, vectors, pic):
    """(reference output per style, style scale, shift jitter per style) for one photo."""
    refs = [reference.transform(pic, v) for v in vectors]
    scale = fidelity.style_scale(reference, refs)
    return refs, scale, [fidelity.jitter(reference, pic, v, r) for v, r in zip(vectors, refs, strict=True)]


def test_the_13_norms_are_found_and_split_out_in_their_documented_order():
    model = embedded._model("arbitrary_transform.onnx")
    assert [s.name for s in normstats.find(model)] == list(normstats.NAMES)
    assert len(normstats.NAMES) == 26 and normstats.NAMES[0].endswith("residual1/conv1/StyleNorm/mean")
    stats = normstats.statistics_model(model)
    assert [o.name for o in stats.graph.output] == list(normstats.NAMES)
    tile = normstats.tile_model(model)
    names = [i.name for i in tile.graph.input]
    assert names[2:] == list(normstats.NAMES) and len(names) == 28
    assert not any(n.op_type == "GlobalAveragePool" for n in tile.graph.node)  # nothing pooled
    onnx.checker.check_model(stats)
    onnx.checker.check_model(tile)


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_the_tile_pass_fed_the_statistics_pass_is_the_plain_render(runtime, reference, vectors):
    """On one whole picture: bit for bit on onnxruntime (the exact graph), within the
    fidelity contract on OpenVINO."""
    engine = _engine(runtime)
    passes = engine.tiling_passes()
    pic = photo(332, 516, seed=11)
    pixels = np.asarray(pic)
    refs, scale, jitters = _case(reference, vectors, pic)
    for vec, ref, jitter in zip(vectors, refs, jitters, strict=True):
        stats = passes.statistics(pixels, vec)
        assert [s.shape for s in stats][:2] == [(1, 32, 1, 1)] * 2 and len(stats) == 26
        out = passes.tile(pixels, vec, stats)
        if runtime == "onnxruntime":
            assert np.array_equal(out, np.asarray(engine.transform(pic, vec)))
        verdict = fidelity.compare(reference, Image.fromarray(out), ref, scale, jitter)
        assert verdict.ok, verdict


def test_a_tiled_render_with_the_photos_own_statistics_is_the_plain_render_bit_for_bit(vectors):
    """onnxruntime is translation-invariant: with the same statistics, tiles 56 px and more
    from their edges are the whole render, so 256-px tiles at an odd size give it exactly."""
    engine = _engine("onnxruntime")
    pic = photo(1001, 667, seed=12)
    out = engine.transform_tiled(pic, vectors[0], tile_side=SMALL_TILE, thumb_side=1024)
    assert out.shape == (667, 1001, 3) and out.dtype == np.uint8
    assert np.array_equal(out, np.asarray(engine.transform(pic, vectors[0])))


def test_one_changed_pixel_moves_the_output_less_than_the_margin(vectors):
    """The receptive field (with fixed statistics) is what the overlap is built on."""
    passes = _engine("onnxruntime").tiling_passes()
    pixels = np.asarray(photo(256, 256, seed=13))
    stats = passes.statistics(pixels, vectors[0])
    moved = pixels.copy()
    moved[128, 128] = 255 - moved[128, 128]
    changed = np.abs(passes.tile(moved, vectors[0], stats).astype(int)
                     - passes.tile(pixels, vectors[0], stats)).max(axis=2)
    ys, xs = np.nonzero(changed)
    reach = max(np.abs(ys - 128).max(), np.abs(xs - 128).max())
    assert 40 < reach < tiling.MARGIN, reach


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_tiled_renders_meet_the_fidelity_contract_against_the_untiled_reference(
        runtime, reference, vectors):
    """Forced small tiles and the default ones, statistics from the photo itself (it fits the
    statistics pass). A statistics image smaller than the photo does NOT keep the contract in
    general: bench/tiles.py measures by how much."""
    engine = _engine(runtime)
    pic = photo(640, 480, seed=14)
    refs, scale, jitters = _case(reference, vectors[:2], pic)
    worst = 0.0
    for vec, ref, jitter in zip(vectors, refs, jitters, strict=False):
        for tile_side in (SMALL_TILE, tiling.DEFAULT_TILE_SIDE):
            out = engine.transform_tiled(pic, vec, tile_side=tile_side)
            assert out.shape == (480, 640, 3)
            verdict = fidelity.compare(reference, Image.fromarray(out), ref, scale, jitter)
            assert verdict.ok, (tile_side, verdict, verdict.allowed)
            worst = max(worst, verdict.style_ratio / verdict.allowed)
    print(f"{runtime}: worst style distance {worst:.0%} of its case's bound")


def _smooth(w, h):
    """A made-up photo without hard edges (the discs of imagegen.photo stand out by themselves)."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    arr = np.stack([0.5 + 0.4 * np.sin(x / w * 5), 0.5 + 0.4 * np.cos(y / h * 4), (x + y) / (w + h)], -1)
    return Image.fromarray((arr * 255).astype(np.uint8))


def test_the_seam_measure_passes_shared_statistics_and_fails_each_tiles_own(vectors):
    """Each tile normalised by its own statistics, cut hard (a 1-px ramp), is caught. (Blended
    over the default 16-px ramp, such seams are smeared over 16 rows and this per-row measure
    misses them on this photo: the blend zones' check below sees those.)"""
    engine = _engine("onnxruntime")
    pic = _smooth(768, 512)
    untiled = fidelity.seams(engine.transform(pic, vectors[1]))
    shared = fidelity.seams(engine.transform_tiled(pic, vectors[1], tile_side=SMALL_TILE))
    own = fidelity.seams(tiling.render(tiling.OwnStatistics(engine.tiling_passes()), pic, vectors[1],
                                       tile_side=SMALL_TILE, statistics=[], ramp=1))
    assert shared.within(untiled), (shared, untiled)
    assert not own.within(untiled), (own, untiled)
    print(f"untiled {untiled.worst:.2f}, shared statistics {shared.worst:.2f}, "
          f"each tile's own {own.worst:.2f}")


class _Offset:
    """Passes whose tiles come out ``d`` brighter or darker in a checkerboard: neighbours
    disagree by exactly 2d everywhere (a runtime that is not translation-invariant, made up)."""

    def __init__(self, passes, d, columns):
        self.passes, self.d, self.columns, self.n = passes, d, columns, 0
        self.exact_pixels = passes.exact_pixels

    def prepare(self, h, w):
        self.passes.prepare(h, w)

    def statistics(self, pixels, vector):
        return self.passes.statistics(pixels, vector)

    def tile(self, pixels, vector, statistics):
        r, c = divmod(self.n, self.columns)
        self.n += 1
        out = self.passes.tile(pixels, vector, statistics).astype(np.int16)
        return np.clip(out + (self.d if (r + c) % 2 else -self.d), 0, 255).astype(np.uint8)


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_the_blend_zones_agree_with_shared_statistics_and_not_with_each_tiles_own(runtime, vectors):
    """The check that sees seams the ramp smears: what the two tiles meeting at each blend
    zone rendered there. Shared statistics — the photo's own and a thumbnail's (what a
    photo above the exact limit gets) — agree to the pixel; each tile's own statistics leave
    whole tiles in other colours, caught with the product's 16-px ramp; and the check reads a
    made-up disagreement of 2d as a step of 2d, so its limit is in the picture's units."""
    engine = _engine(runtime)
    pic = photo(900, 620, seed=21)
    passes = engine.tiling_passes()
    thumb = passes.statistics(tiling.thumbnail(pic, 512, exact_pixels=0), vectors[0])
    for statistics in (None, thumb):
        zones = tiling.Zones()
        engine.transform_tiled(pic, vectors[0], tile_side=SMALL_TILE, statistics=statistics,
                               zones=zones)
        columns, rows = len(tiling.positions(900, SMALL_TILE)), len(tiling.positions(620, SMALL_TILE))
        assert len(zones.steps) == rows * (columns - 1) + (rows - 1)  # every zone looked at
        assert zones.worst == 0.0 and zones.strokes == 0.0 and zones.within
    own = tiling.Zones()
    tiling.render(tiling.OwnStatistics(passes), pic, vectors[0], tile_side=SMALL_TILE,
                  statistics=[], zones=own)
    assert not own.within and own.worst > 5 * tiling.ZONE_STEP_LIMIT, own.worst
    for d, within in ((1, True), (3, False)):
        offset = tiling.Zones()
        tiling.render(_Offset(passes, d, columns), pic, vectors[0], tile_side=SMALL_TILE,
                      zones=offset)
        assert offset.worst == pytest.approx(2 * d, abs=0.05) and offset.within is within
    print(f"{runtime}: each tile's own statistics step {own.worst:.1f}/255 at the worst zone, "
          f"brushwork {own.strokes:.1f}")


def test_a_tiled_render_whose_tiles_disagree_is_logged(vectors, caplog):
    engine = _engine("onnxruntime")
    pic = photo(600, 400, seed=22)
    with caplog.at_level("WARNING", logger="stylize.embedded"):
        engine.transform_tiled(pic, vectors[0], tile_side=SMALL_TILE)
    assert not caplog.records  # shared statistics: nothing to say
    thumb = engine.tiling_passes()
    engine._tiling = _Offset(thumb, 4, len(tiling.positions(600, SMALL_TILE)))
    try:
        with caplog.at_level("WARNING", logger="stylize.embedded"):
            engine.transform_tiled(pic, vectors[0], tile_side=SMALL_TILE)
    finally:
        engine._tiling = thumb
    assert "differ by up to 8.0/255 at a blend zone" in caplog.text and "seams" in caplog.text


def test_the_seam_measure_finds_a_seam_drawn_into_a_picture():
    rng = np.random.default_rng(0)
    texture = rng.integers(100, 120, (300, 400, 3)).astype(np.uint8)
    clean = fidelity.seams(texture)
    assert clean.worst < 1.3
    stepped = texture.astype(int)
    stepped[:, 250:] += 30  # one column boundary where everything jumps
    stepped[150:] -= 25  # and one row boundary
    seen = fidelity.seams(np.clip(stepped, 0, 255).astype(np.uint8))
    assert seen.columns > 1.8 and seen.column_at == 249
    assert seen.rows > 1.8 and seen.row_at == 149
    assert not seen.within(clean) and clean.within(clean)


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_progress_counts_every_tile_and_odd_sizes_come_out_at_the_photos_size(runtime, vectors):
    engine = _engine(runtime)
    for w, h in ((1001, 667), (97, 413), (517, 333)):
        calls = []
        out = engine.transform_tiled(photo(w, h, seed=16), vectors[2], tile_side=SMALL_TILE,
                                     thumb_side=256, progress=lambda d, t, c=calls: c.append((d, t)))
        assert out.shape == (h, w, 3) and out.dtype == np.uint8
        total = len(tiling.positions(w, min(SMALL_TILE, -(-w // 4) * 4))) * len(
            tiling.positions(h, min(SMALL_TILE, -(-h // 4) * 4)))
        assert calls == [(n, total) for n in range(1, total + 1)]
        assert np.asarray(out).std() > 10  # a picture, not an empty canvas
    assert total > 1


def test_tile_origins_are_aligned_overlap_enough_and_end_at_the_edge():
    for length in (256, 257, 1000, 1001, 4096, 8160):
        for tile in (256, 512, 1024):
            xs = tiling.positions(length, tile)
            end = -(-length // 4) * 4
            assert xs[0] == 0 and all(x % 4 == 0 for x in xs)
            assert xs[-1] + min(tile, end) == end
            assert all(b - a <= tile - tiling.OVERLAP for a, b in zip(xs, xs[1:], strict=False))


def test_a_given_canvas_is_written_and_bad_tile_sides_are_refused(vectors):
    engine = _engine("onnxruntime")
    pic = photo(300, 260, seed=17)
    canvas = np.zeros((260, 300, 3), np.uint8)
    assert engine.transform_tiled(pic, vectors[0], tile_side=SMALL_TILE, out=canvas) is canvas
    assert canvas.std() > 10
    for bad in (SMALL_TILE - 4, 514):
        with pytest.raises(ValueError, match="tile side"):
            engine.transform_tiled(pic, vectors[0], tile_side=bad)


def test_stylize_renders_a_picture_over_the_untiled_limit_in_tiles(vectors):
    """Engine.stylize: above ``untiled_max_pixels`` the render goes tile by tile (progress
    counted), and with the photo's own statistics (it is under 4 MP) it is the untiled one."""
    engine = get_engine("embedded", runtime="onnxruntime")
    pic = photo(900, 604, seed=17)
    whole = engine.stylize(pic, [(vectors[1], 1.0)], max_side=900, strength=0.8)
    calls = []
    try:
        engine.configure_tiles(tile_side=SMALL_TILE, untiled_max_pixels=0)
        tiled = engine.stylize(pic, [(vectors[1], 1.0)], max_side=900, strength=0.8,
                               progress=lambda done, total: calls.append((done, total)))
    finally:
        engine.configure_tiles(tile_side=tiling.DEFAULT_TILE_SIDE, untiled_max_pixels=4_000_000)
    total = len(tiling.positions(900, SMALL_TILE)) * len(tiling.positions(604, SMALL_TILE))
    assert total > 4 and calls == [(n, total) for n in range(1, total + 1)]
    assert tiled.size == whole.size == (900, 604)
    assert np.array_equal(np.asarray(tiled), np.asarray(whole))


def test_a_sink_gets_every_row_once_in_order_and_the_canvas_render_bit_for_bit(vectors):
    """The bounded-memory form: finished rows handed over top to bottom, no canvas, never
    more than two rows of tiles held — the same picture as the canvas form."""
    engine = _engine("onnxruntime")
    pic = photo(610, 900, seed=23)
    canvas = engine.transform_tiled(pic, vectors[2], tile_side=SMALL_TILE)
    pieces = []
    assert engine.transform_tiled(pic, vectors[2], tile_side=SMALL_TILE,
                                  sink=lambda y, rows: pieces.append((y, rows.copy()))) is None
    ys = [y for y, _ in pieces]
    assert ys[0] == 0 and ys == sorted(ys) and len(pieces) == len(tiling.positions(900, SMALL_TILE))
    assert all(y + len(rows) == nxt for (y, rows), nxt in zip(pieces, ys[1:] + [900], strict=True))
    assert max(len(rows) for _, rows in pieces) < 2 * SMALL_TILE
    assert np.array_equal(np.concatenate([rows for _, rows in pieces]), canvas)


def test_colours_kept_strip_by_strip_are_the_whole_pictures(vectors):
    """Tiled, "keep colours" is put back strip by strip (a whole-size YCbCr copy would cost a
    gigabyte at 50 MP): the same picture as keeping them on the whole result."""
    from stylize.engine import keep_colour

    engine = get_engine("embedded", runtime="onnxruntime")
    pic = photo(700, 520, seed=24)
    try:
        engine.configure_tiles(tile_side=SMALL_TILE, untiled_max_pixels=0)
        plain = engine.stylize(pic, [(vectors[0], 1.0)], max_side=700)
        kept = engine.stylize(pic, [(vectors[0], 1.0)], max_side=700, preserve_color=True)
    finally:
        engine.configure_tiles(tile_side=tiling.DEFAULT_TILE_SIDE, untiled_max_pixels=4_000_000)
    assert np.array_equal(np.asarray(kept), np.asarray(keep_colour(plain, pic)))
    assert not np.array_equal(np.asarray(kept), np.asarray(plain))


def test_rows_handed_to_a_sink_are_the_returned_picture_with_alpha_and_kept_colours(vectors):
    """Engine.stylize(sink=...): what a render job writes, tile by tile, is the picture
    stylize returns — alpha put back and colours kept strip by strip."""
    import io

    from stylize import streams

    engine = get_engine("embedded", runtime="onnxruntime")
    pic = photo(520, 700, seed=25).convert("RGBA")
    alpha = np.asarray(pic).copy()
    alpha[..., 3] = np.linspace(0, 255, 520, dtype=np.uint8)[None, :]
    pic = Image.fromarray(alpha, "RGBA")
    for tiled in (True, False):
        try:
            if tiled:
                engine.configure_tiles(tile_side=SMALL_TILE, untiled_max_pixels=0)
            whole = engine.stylize(pic, [(vectors[1], 1.0)], max_side=700, preserve_color=True)
            buf = io.BytesIO()
            sink = streams.Print(buf, 60, 700)
            assert engine.stylize(pic, [(vectors[1], 1.0)], max_side=700, preserve_color=True,
                                  sink=sink) is None
        finally:
            engine.configure_tiles(tile_side=tiling.DEFAULT_TILE_SIDE, untiled_max_pixels=4_000_000)
        width, height, reduced = sink.close()
        written = Image.open(buf)
        assert (width, height) == whole.size == (520, 700) and written.mode == whole.mode == "RGBA"
        assert np.array_equal(np.asarray(written), np.asarray(whole)), tiled
        assert engine.last.width == 520 and reduced.size == (520 // 5, 700 // 5)

"""Tiled rendering in bounded memory (URST, Chen et al., AAAI 2022). No Django here.

The transformer's 13 instance norms are the only place where the whole picture meets
itself (stylize/normstats.py). So: their statistics are computed once, on a thumbnail of the
photo (the *statistics pass*), and the photo is rendered in overlapping tiles of one fixed
shape that all use those statistics (the *tile pass*). With shared statistics the network
is local: a tile's output differs from the whole render only within the receptive field of
its edges, so two neighbours agree in the middle of their overlap, where they are blended
with a cosine ramp. Tiles go straight into a preallocated uint8 canvas; nothing full-size
is ever float.

Tile origins are multiples of 4 (the network's quarter-resolution grid stays aligned) and
the last tile of a row or column is moved back to end at the photo's edge, so every tile
has the one shape (one OpenVINO compile serves every photo size) and no tile is padded
beyond the ≤ 3 px reflect padding to a multiple of 4 that an untiled render does too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from stylize import graphopt, normstats

MULTIPLE = 4
DEFAULT_TILE_SIDE = 1024
DEFAULT_THUMB_SIDE = 1536
DEFAULT_THUMB_KIND = "sample"
# Up to this many pixels the statistics pass runs on the photo itself: its statistics are the
# whole render's, so the tiles are the untiled render (bit for bit on onnxruntime). It costs
# what an untiled render of that size costs in memory, for a moment (the pass gives it back),
# so it stops where untiled renders stop: above, peak memory stays flat with the photo's size
# (issue 20). OpenVINO once went to 16 MP: a 12-MP print then peaked at 1.15 GB in a worker
# against 0.5–0.7 GB for every other size (bench/prints.py).
EXACT_STATISTICS_PIXELS = 4_000_000
# Measured at 2048×1536 (bench/tiles.py; 3 photos × 3 styles, onnxruntime): a downscaled
# 1024-px thumbnail keeps the contract in 0/9 cases (worst style 285 % of its bound); a
# 1536-px mosaic of 3×3 crops of 512 px in 6/9 (worst 100 %), of 6×6 crops of 256 px in 6/9
# (worst 148 %); 1024-px mosaics in 1–4/9.
SAMPLE_CROP = 512
# Measured (bench/tiles.py, both runtimes): changing one input pixel moves outputs up to
# 54 px away (the receptive field's radius), and a tile's output is the whole render's,
# bit for bit, from 56 px inside its edges on (given the same statistics). So neighbours
# agree exactly between their margins, and the ramp there only hides what a runtime whose
# kernels were not translation-invariant would add.
MARGIN = 56
RAMP = 16
OVERLAP = 2 * MARGIN + RAMP
MIN_TILE_SIDE = 2 * OVERLAP


def _up(n: int) -> int:
    return -(-n // MULTIPLE) * MULTIPLE


def positions(length: int, tile: int, overlap: int = OVERLAP) -> list[int]:
    """Tile origins along one side: multiples of 4, steps of ``tile - overlap``, the last
    one ending at the (4-padded) edge. One tile if the side fits in one."""
    end = _up(length)
    if end <= tile:
        return [0]
    step = tile - overlap
    count = 1 + math.ceil((end - tile) / step)
    return [min(i * step, end - tile) for i in range(count)]


def _ramp(width: int) -> np.ndarray:
    """The new tile's weight across a blend zone: a half cosine from 0 to 1."""
    t = (np.arange(width, dtype=np.float32) + 0.5) / width
    return (0.5 - 0.5 * np.cos(np.pi * t)).astype(np.float32)


def _zone(prev_start: int, start: int, tile: int, ramp: int) -> tuple[int, int]:
    """The blend zone [z0, z1) between a tile at ``prev_start`` and the next at ``start``:
    ``ramp`` px wide, centred in their overlap."""
    lo, hi = start, prev_start + tile
    mid = (lo + hi) // 2
    width = min(ramp, hi - lo)
    return mid - width // 2, mid - width // 2 + width


ZONE_CELL = 16  # px along a blend zone over which the two tiles' colours are compared
# The largest colour step (0–255, ZONE_CELL-px cells) two tiles may show across a blend zone.
# Judged by eye (tiles of a 1280-px render offset by ±d, 200 % crops of a stylized sky): a
# step of 16 shows as faint blocks, 8 only when one knows where to look, 4 and 2 not at all.
# With shared statistics the step is 0.00 on both runtimes; with each tile's own it is 29–53
# at the median zone and 86–144 at the worst (3 photos × 3 styles).
ZONE_STEP_LIMIT = 4.0


def cell_steps(old: np.ndarray, new: np.ndarray, axis: int) -> np.ndarray:
    """Per ``ZONE_CELL``-px stretch along a blend zone, how far apart the two tiles' colours
    are there (the largest of the three channels' mean differences, 0–255). ``old`` and
    ``new`` are the zone's pixels from the tile (strip) already placed and the one arriving;
    ``axis`` 1: the zone runs down the picture (tiles side by side), 0: across it."""
    diff = new.astype(np.float32) - old.astype(np.float32)
    diff = diff.mean(axis=axis)  # across the zone's width: one value per pixel along it
    n = len(diff) // ZONE_CELL * ZONE_CELL
    cells = [diff[:n].reshape(-1, ZONE_CELL, 3).mean(axis=1)] if n else []
    if n < len(diff):
        cells.append(diff[n:].mean(axis=0, keepdims=True))
    return np.abs(np.concatenate(cells)).max(axis=1)


@dataclass
class Zones:
    """What the two tiles meeting at each blend zone rendered there, before the blend. The
    ramp fades one into the other, so the picture's colour steps across a zone by what they
    disagree: with shared statistics they agree (bit for bit from ``MARGIN`` in, both
    runtimes), with each tile's own statistics whole tiles come out in other colours — a seam
    a person sees even when the ramp smears it past the row/column measure
    (fidelity.seams). ``render(..., zones=Zones())`` fills one in."""

    steps: list = field(default_factory=list)  # (axis, position, worst cell step) per zone
    strokes: float = 0.0  # the largest mean |difference| over a zone (0–255): brushwork

    def record(self, axis: int, at: int, old: np.ndarray, new: np.ndarray) -> None:
        cells = cell_steps(old, new, axis)
        self.steps.append((axis, at, float(cells.max()) if len(cells) else 0.0))
        self.strokes = max(self.strokes, float(np.abs(new.astype(np.int16) - old).mean()))

    @property
    def worst(self) -> float:
        """The largest colour step any stretch of any zone has (0–255)."""
        return max((s for _, _, s in self.steps), default=0.0)

    @property
    def within(self) -> bool:
        """No stretch of any zone steps by more than ``ZONE_STEP_LIMIT``."""
        return self.worst <= ZONE_STEP_LIMIT


class OwnStatistics:
    """Passes that give every tile its own statistics: tiling without URST, which leaves
    seams (for the checks and the benchmark that must be able to see them)."""

    def __init__(self, passes):
        self.passes = passes
        self.exact_pixels = passes.exact_pixels

    def prepare(self, h: int, w: int) -> None:
        self.passes.prepare(h, w)

    def statistics(self, pixels: np.ndarray, vector: np.ndarray) -> None:
        return None  # each tile computes its own in tile()

    def tile(self, pixels: np.ndarray, vector: np.ndarray, statistics) -> np.ndarray:
        return self.passes.tile(pixels, vector, self.passes.statistics(pixels, vector))


def _blend(dst: np.ndarray, src: np.ndarray, weight: np.ndarray) -> None:
    """dst ← dst + (src − dst)·weight, rounded, in place (uint8 arrays, small float work)."""
    a = dst.astype(np.float32)
    a += (src.astype(np.float32) - a) * weight
    a += 0.5
    np.clip(a, 0, 255, out=a)
    dst[...] = a.astype(np.uint8)


def thumbnail(photo: Image.Image, side: int, kind: str = DEFAULT_THUMB_KIND, *,
              exact_pixels: int = EXACT_STATISTICS_PIXELS) -> np.ndarray:
    """The picture (uint8, sides multiples of 4, longer side at most ``side``) on which the
    statistics pass runs. A photo that fits (``side``, or ``exact_pixels``) is used
    as it is (reflect-padded to a multiple of 4, as an untiled render pads it): its
    statistics are then the whole render's.

    ``kind`` ``"sample"``: a mosaic of full-resolution crops (``SAMPLE_CROP`` px on their
    longer side, the photo's aspect) taken on an even grid over the photo — the network
    sees detail at the scale it will render, which keeps its statistics close to the whole
    render's (bench/tiles.py). ``"downscaled"``: the photo shrunk to fit, as in URST; its
    detail is at the wrong scale and its statistics stray further."""
    w, h = photo.size
    if max(w, h) <= side or w * h <= exact_pixels:  # crop: a spooled photo reads it from disk
        return _padded(np.asarray(photo.crop((0, 0, w, h))))
    if kind == "downscaled":
        scale = side / max(w, h)
        size = (max(16, round(w * scale / MULTIPLE) * MULTIPLE),
                max(16, round(h * scale / MULTIPLE) * MULTIPLE))
        return np.asarray(photo.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0))
    if kind != "sample":
        raise ValueError(f"Unknown thumbnail kind {kind!r}: use sample or downscaled.")
    grid = max(1, side // SAMPLE_CROP)
    scale = side / max(w, h) / grid
    cw = max(16, int(w * scale) // MULTIPLE * MULTIPLE)
    ch = max(16, int(h * scale) // MULTIPLE * MULTIPLE)
    mosaic = np.empty((ch * grid, cw * grid, 3), np.uint8)
    for j in range(grid):
        for i in range(grid):
            left = min(max(0, round((i + 0.5) * w / grid) - cw // 2), w - cw)
            top = min(max(0, round((j + 0.5) * h / grid) - ch // 2), h - ch)
            mosaic[j * ch:(j + 1) * ch, i * cw:(i + 1) * cw] = np.asarray(
                photo.crop((left, top, left + cw, top + ch)))
    return mosaic


def _padded(pixels: np.ndarray) -> np.ndarray:
    h, w = pixels.shape[:2]
    ph, pw = _up(h) - h, _up(w) - w
    if ph or pw:
        pixels = np.pad(pixels, ((0, ph), (0, pw), (0, 0)), mode="reflect")
    return pixels


def render(passes, photo: Image.Image, vector: np.ndarray, *, tile_side: int = DEFAULT_TILE_SIDE,
           thumb_side: int = DEFAULT_THUMB_SIDE, thumb_kind: str = DEFAULT_THUMB_KIND,
           progress=None, statistics=None, out: np.ndarray | None = None,
           ramp: int = RAMP, zones: Zones | None = None, sink=None) -> np.ndarray | None:
    """``photo`` (RGB) stylized tile by tile into a uint8 HxWx3 array (``out`` if given).

    ``statistics``: the 26 norm statistics to use (default: the statistics pass on
    :func:`thumbnail` (``thumb_side``, ``thumb_kind``)); ``progress(done, total)`` is called
    after each tile; ``zones``: a :class:`Zones` to record what the tiles meeting at each
    blend zone rendered there. ``sink(y, rows)``: instead of a canvas, the finished rows are
    handed over top to bottom as they are done (``rows`` a uint8 array, valid during the
    call) and nothing is returned — then at most two rows of tiles are held, whatever the
    photo's size.
    """
    if tile_side % MULTIPLE or tile_side < MIN_TILE_SIDE:
        raise ValueError(f"The tile side must be a multiple of {MULTIPLE}, at least "
                         f"{MIN_TILE_SIDE} px (got {tile_side}).")
    photo = photo.convert("RGB") if photo.mode != "RGB" else photo
    w, h = photo.size
    if statistics is None:
        statistics = passes.statistics(thumbnail(photo, thumb_side, thumb_kind,
                                                 exact_pixels=passes.exact_pixels), vector)
    canvas = None
    if sink is None:
        canvas = np.empty((h, w, 3), np.uint8) if out is None else out
        if canvas.shape != (h, w, 3) or canvas.dtype != np.uint8:
            raise ValueError(f"out must be a uint8 array of shape {(h, w, 3)}")

        def sink(y0, rows):
            canvas[y0:y0 + len(rows)] = rows
    tw, th = min(tile_side, _up(w)), min(tile_side, _up(h))
    xs, ys = positions(w, tw), positions(h, th)
    passes.prepare(th, tw)
    total, done = len(xs) * len(ys), 0
    previous, previous_y, emitted = None, 0, 0  # the last strip; rows above ``emitted`` are out
    for r, y in enumerate(ys):
        rows = min(th, h - y)
        strip = np.empty((rows, w, 3), np.uint8)
        for c, x in enumerate(xs):
            tile = _padded(np.asarray(photo.crop((x, y, min(x + tw, w), y + rows))))
            result = passes.tile(tile, vector, statistics)[:rows, :min(tw, w - x)]
            if c == 0:
                strip[:, :result.shape[1]] = result
            else:
                z0, z1 = _zone(xs[c - 1], x, tw, ramp)
                if zones is not None:
                    zones.record(1, z0, strip[:, z0:z1], result[:, z0 - x:z1 - x])
                _blend(strip[:, z0:z1], result[:, z0 - x:z1 - x], _ramp(z1 - z0)[None, :, None])
                strip[:, z1:x + result.shape[1]] = result[:, z1 - x:]
            done += 1
            if progress is not None:
                progress(done, total)
        if previous is not None:
            z0, z1 = _zone(ys[r - 1], y, th, ramp)
            old = previous[z0 - previous_y:z1 - previous_y]
            if zones is not None:
                zones.record(0, z0, old, strip[z0 - y:z1 - y])
            _blend(old, strip[z0 - y:z1 - y], _ramp(z1 - z0)[:, None, None])
            sink(emitted, previous[emitted - previous_y:z1 - previous_y])  # down to the zone's end
            emitted = z1
        previous, previous_y = strip, y
        del strip
    sink(emitted, previous[emitted - previous_y:])
    return canvas


# -- the two passes on each runtime -------------------------------------------------------


class OnnxruntimeStatistics:
    """The statistics pass on onnxruntime's exact graph (stylize/networks.py's
    ``exact_model``): the statistics the fidelity contract's reference computes, bit for bit."""

    def __init__(self, threads: int = 0, model=None):
        from stylize import networks

        model = networks.exact_model(threads) if model is None else model
        # The statistics pass runs on up to 4 MP, the tiles on 1 MP: its arena would otherwise
        # stay reserved while the rows and the encoders need the memory.
        self._session = networks.frozen_session(normstats.statistics_model(model), threads,
                                                arena=False)
        self._content, self._vector = (i.name for i in self._session.get_inputs()[:2])

    def statistics(self, pixels: np.ndarray, vector: np.ndarray) -> list[np.ndarray]:
        return self._session.run(None, _feed(self._content, self._vector, pixels, vector))


def _feed(content: str, vector_name: str, pixels: np.ndarray, vector: np.ndarray) -> dict:
    return {content: (np.asarray(pixels, np.float32) * (1.0 / 255.0))[None],
            vector_name: np.asarray(vector, np.float32).reshape(1, 1, 1, -1)}


class OnnxruntimePasses:
    """Both passes rewritten from the exact onnxruntime graph: the tile pass fed the
    statistics pass's result on the same picture is that engine's render, bit for bit."""

    exact_pixels = EXACT_STATISTICS_PIXELS

    def __init__(self, threads: int = 0):
        from stylize import networks

        model = networks.exact_model(threads)
        self._stats = OnnxruntimeStatistics(threads, model)
        tile = normstats.tile_model(model)
        del model
        output_q = graphopt.quantized_output(tile)
        self._table = None if output_q is None else networks._pixel_table(*output_q)
        self._tile = networks.frozen_session(tile, threads)
        self._content, self._vector = (i.name for i in self._tile.get_inputs()[:2])

    def prepare(self, h: int, w: int) -> None:
        pass

    def statistics(self, pixels: np.ndarray, vector: np.ndarray) -> list[np.ndarray]:
        return self._stats.statistics(pixels, vector)

    def tile(self, pixels: np.ndarray, vector: np.ndarray, statistics) -> np.ndarray:
        feed = _feed(self._content, self._vector, pixels, vector)
        feed.update(zip(normstats.NAMES, statistics, strict=True))
        out = self._tile.run(None, feed)[0][0]
        del feed
        if self._table is not None:
            return self._table[out.view(np.uint8)]
        return np.asarray(_from_array(out))


class OpenVINOPasses:
    """The tile pass on OpenVINO, compiled for the tile shape; the statistics from
    onnxruntime's exact graph — the reference's own statistics, bit for bit. OpenVINO's own
    statistics pass on the shipped graph left the contract at 2048×1536 and 4096×3072 (style
    1.0–4.1× its bound, content up to 9.7/255: its pooling over large maps loses precision,
    see stylize/openvino_rt.py's TWO_STAGE_POOLS); its tiles fed onnxruntime's statistics
    stay at 0.2–0.4 of the bound and under 0.8/255 (3 photos × 3 styles at 12 MP: 9/9). The
    statistics pass runs on at most 4 MP, so it costs a second or two of a print's render."""

    exact_pixels = EXACT_STATISTICS_PIXELS

    def __init__(self, threads: int = 0, cache_dir: str | None = None):
        from stylize import networks, openvino_rt

        self._threads = threads
        self._stats: OnnxruntimeStatistics | None = None  # built on first use
        model = networks._model("arbitrary_transform.onnx")
        self._tile = openvino_rt.OpenVINOTransformer(
            normstats.tile_model(model).SerializeToString(), threads=threads, cache_dir=cache_dir)

    def prepare(self, h: int, w: int) -> None:
        self._tile.warm_up([(h, w)], dynamic=False)  # compiled once (or found in the cache)

    def statistics(self, pixels: np.ndarray, vector: np.ndarray) -> list[np.ndarray]:
        if self._stats is None:
            self._stats = OnnxruntimeStatistics(self._threads)
        return self._stats.statistics(pixels, vector)

    def tile(self, pixels: np.ndarray, vector: np.ndarray, statistics) -> np.ndarray:
        return self._tile.run(np.ascontiguousarray(pixels), np.asarray(vector, np.float32),
                              statistics)


def _from_array(arr: np.ndarray) -> Image.Image:
    from stylize import images

    return images.from_array(arr, inplace=True)

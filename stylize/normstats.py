"""The transformer's 13 conditional instance norms, split out of the graph (in memory).

Each norm (``<layer>/StyleNorm``) computes its input's per-channel mean and variance with
two GlobalAveragePools — the only ops where the whole image meets itself — and quantizes
each to 8 bits (a QuantizeLinear after the pool in the shipped graph; one
QLinearGlobalAveragePool after onnxruntime's fusions, with the variance in uint8 there).
Two rewrites of any of those graphs:

- :func:`statistics_model`: the same network, outputs every norm's mean and variance
  instead of the image (the last norm sits on the last convolution, so the whole network
  still runs);
- :func:`tile_model`: the same network where each norm's mean and variance are graph
  inputs instead of being computed from the picture (the pools and everything that only
  fed them are gone).

The statistics travel as float32 ``[1, C, 1, 1]`` arrays: the dequantized 8-bit values the
norm really uses. The tile graph quantizes them again with the same scale and zero point,
which gives back exactly the same 8-bit values (a value ``(q - zp) * scale`` divided by
``scale`` rounds to ``q - zp``), so the tile pass fed what the statistics pass computed on
the same picture is the plain render, bit for bit on the same runtime. Floats also make the
statistics the same kind of thing on every graph and runtime.

Order (fixed, :data:`NAMES`): norms in data-flow order — residual1/conv1, residual1/conv2,
…, residual5/conv2, expand/conv1, expand/conv2, expand/conv3 — and for each its mean, then
its variance: 26 arrays. Inputs and outputs are named ``<layer>/StyleNorm/mean`` and
``<layer>/StyleNorm/variance``.
"""

from __future__ import annotations

from dataclasses import dataclass

import onnx
from onnx import helper

MEAN, VARIANCE = "mean", "variance"
LAYERS = tuple(
    [f"transformer/residual/residual{b}/conv{c}" for b in range(1, 6) for c in (1, 2)]
    + [f"transformer/expand/conv{c}/conv" for c in (1, 2, 3)]
)
NAMES = tuple(f"{layer}/StyleNorm/{kind}" for layer in LAYERS for kind in (MEAN, VARIANCE))


class GraphError(RuntimeError):
    """The graph does not hold the norms this module knows how to split out."""


@dataclass(frozen=True)
class Statistic:
    name: str  # one of NAMES
    tensor: str  # the 8-bit tensor the norm computes
    scale: str  # its quantization scale and zero point (initializer names)
    zero_point: str
    producer: int  # index of the node that computes it


def find(model: onnx.ModelProto) -> list[Statistic]:
    """The 26 statistics of ``model`` (shipped, shape-dynamic or onnxruntime-fused graph)."""
    nodes = list(model.graph.node)
    users: dict[str, list[int]] = {}
    for i, n in enumerate(nodes):
        for name in n.input:
            users.setdefault(name, []).append(i)
    by_name = {n.name: i for i, n in enumerate(nodes)}
    found = []
    for name in NAMES:
        layer, kind = name.rsplit("/StyleNorm/", 1)
        i = by_name.get(f"{layer}/StyleNorm/moments/{kind}_prequant")
        if i is None:
            raise GraphError(f"no {kind} pool for {layer}")
        pool = nodes[i]
        if pool.op_type == "QLinearGlobalAveragePool":  # onnxruntime fused pool + quantize
            found.append(Statistic(name, pool.output[0], pool.input[3], pool.input[4], i))
            continue
        if pool.op_type != "GlobalAveragePool":
            raise GraphError(f"{pool.name} is a {pool.op_type}")
        after = users.get(pool.output[0], [])
        quant = nodes[after[0]] if len(after) == 1 else None
        if quant is None or quant.op_type != "QuantizeLinear" or len(quant.input) < 3:
            raise GraphError(f"{pool.name} is not followed by one QuantizeLinear")
        found.append(Statistic(name, quant.output[0], quant.input[1], quant.input[2], after[0]))
    return found


def _float_info(name: str, channels: int) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, [1, channels, 1, 1])


def _prune(model: onnx.ModelProto) -> None:
    """Drop the nodes nothing needed any more and the initializers nobody reads."""
    graph = model.graph
    needed = {o.name for o in graph.output}
    keep = []
    for node in reversed(list(graph.node)):
        if any(o in needed for o in node.output):
            keep.append(node)
            needed.update(node.input)
    keep.reverse()
    del graph.node[:]
    graph.node.extend(keep)
    used = [i for i in graph.initializer if i.name in needed]
    del graph.initializer[:]
    graph.initializer.extend(used)
    inputs = [i for i in graph.input if i.name in needed]
    del graph.input[:]
    graph.input.extend(inputs)
    del graph.value_info[:]


def _channels(model: onnx.ModelProto, stats: list[Statistic]) -> dict[str, int]:
    """Each statistic's channel count, from the weights of the convolution it normalises."""
    out: dict[str, int] = {}
    inits = {i.name: i for i in model.graph.initializer}
    for s in stats:
        layer = s.name.rsplit("/StyleNorm/", 1)[0]
        dims = [i.dims for name, i in inits.items()
                if name.startswith(f"{layer}/weights") and len(i.dims) == 4]
        if not dims:
            raise GraphError(f"no convolution weights for {layer}")
        out[s.name] = dims[0][0]
    return out


def statistics_model(model: onnx.ModelProto) -> onnx.ModelProto:
    """A copy of ``model`` whose outputs are the 26 statistics (float32, in NAMES order)."""
    out = onnx.ModelProto()
    out.CopyFrom(model)
    stats = find(out)
    channels = _channels(out, stats)
    del out.graph.output[:]
    for s in stats:
        out.graph.node.append(helper.make_node(
            "DequantizeLinear", [s.tensor, s.scale, s.zero_point], [s.name],
            name=f"{s.name}__dequantize"))
        out.graph.output.append(_float_info(s.name, channels[s.name]))
    _prune(out)
    return out


def tile_model(model: onnx.ModelProto) -> onnx.ModelProto:
    """A copy of ``model`` that takes the 26 statistics as inputs after its own two (in
    NAMES order, float32) instead of computing them from the picture."""
    out = onnx.ModelProto()
    out.CopyFrom(model)
    stats = find(out)
    channels = _channels(out, stats)
    nodes = list(out.graph.node)
    for s in stats:
        nodes[s.producer] = helper.make_node(  # same output name, so every user is kept
            "QuantizeLinear", [s.name, s.scale, s.zero_point], [s.tensor],
            name=f"{s.name}__quantize")
        out.graph.input.append(_float_info(s.name, channels[s.name]))
    del out.graph.node[:]
    out.graph.node.extend(nodes)
    _prune(out)
    return out

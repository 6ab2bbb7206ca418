"""Exact speed-ups for the wheel's int8 (QDQ) transformer graph.

The transformer stores every activation as int8 and wraps each float op in
DequantizeLinear / QuantizeLinear. Its Pad (reflect) and Resize (nearest) nodes
therefore run on float tensors that are only copies of int8 values: at 1024²
that is ~50 MB of float traffic per pad, plus a quantize and a dequantize.
The rewrite here moves those copy ops onto the int8 tensors and drops the
``Q(DQ(x))`` round trips left behind. Copying a value and then quantizing it
with the scale it was dequantized with gives back exactly the same int8, so
the output is bit-for-bit the shipped graph's: no float op is reordered.

That exactness is the point. The network is chaotic under rounding: scaling one
early conv's output by (1 + 1e-6) moves most pixels, some by 80-90/255, because
the quantized instance-norm statistics flip. So only rewrites that keep every
float operation as it is are allowed here (see tests/stylize/test_graphopt.py).
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, numpy_helper

# Ops that only move or repeat values: f(dequantize(q)) == dequantize(f(q)).
_COPY_OPS = {"Pad", "Resize", "Transpose", "Reshape"}


def _attrs(node: onnx.NodeProto) -> dict:
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


class _Graph:
    def __init__(self, model: onnx.ModelProto):
        self.model = model
        self.graph = model.graph
        self.consts = {i.name: numpy_helper.to_array(i) for i in self.graph.initializer}
        self.outputs = {o.name for o in self.graph.output}
        self._index: tuple[dict, dict] | None = None

    def _indexed(self) -> tuple[dict, dict]:
        # Rebuilt lazily after each change: the graph has ~1,100 nodes.
        if self._index is None:
            users: dict[str, list[onnx.NodeProto]] = {}
            makers: dict[str, onnx.NodeProto] = {}
            for n in self.graph.node:
                for name in n.input:
                    users.setdefault(name, []).append(n)
                for name in n.output:
                    makers[name] = n
            self._index = (users, makers)
        return self._index

    def consumers(self, name: str) -> list[onnx.NodeProto]:
        return list(self._indexed()[0].get(name, []))

    def producer(self, name: str) -> onnx.NodeProto | None:
        return self._indexed()[1].get(name)

    def same_params(self, a: onnx.NodeProto, b: onnx.NodeProto) -> bool:
        """Do two Q/DQ nodes use equal scale and zero point (by value, not name)?"""
        pa, pb = list(a.input[1:3]), list(b.input[1:3])
        if len(pa) != 2 or len(pb) != 2 or not all(p in self.consts for p in pa + pb):
            return False
        return all(
            self.consts[x].dtype == self.consts[y].dtype
            and np.array_equal(self.consts[x], self.consts[y])
            for x, y in zip(pa, pb, strict=True)
        )

    def movable_dequantize(self, node: onnx.NodeProto) -> bool:
        """A standard, per-tensor DequantizeLinear of an 8-bit activation."""
        if node.op_type != "DequantizeLinear" or node.domain not in ("", "ai.onnx"):
            return False
        if node.input[0] in self.consts or len(node.input) < 3:
            return False
        scale, zero = self.consts.get(node.input[1]), self.consts.get(node.input[2])
        # Per-channel scales would land on the wrong axis after a Transpose or Reshape,
        # and other integer widths may have no Pad / Resize kernel.
        return (
            scale is not None and zero is not None and scale.size == 1 and zero.size == 1
            and zero.dtype in (np.int8, np.uint8)
        )

    def is_copy(self, node: onnx.NodeProto) -> bool:
        if node.op_type not in _COPY_OPS:
            return False
        attrs = _attrs(node)
        if node.op_type == "Pad":
            # A constant pad would write 0.0, which may not be a representable int8 level;
            # a constant_value input (ignored when reflecting) would be float, not int8.
            has_value = len(node.input) > 2 and node.input[2] != ""
            return attrs.get("mode", b"constant") in (b"reflect", b"edge") and not has_value
        if node.op_type == "Resize":
            # tf_crop_and_resize writes extrapolation_value, a float, outside the crop.
            return (
                attrs.get("mode", b"nearest") == b"nearest"
                and attrs.get("coordinate_transformation_mode") != b"tf_crop_and_resize"
            )
        return True

    def is_identity_resize(self, node: onnx.NodeProto) -> bool:
        if node.op_type != "Resize" or len(node.input) != 3 or not self.is_copy(node):
            return False
        scales = self.consts.get(node.input[2])
        return scales is not None and scales.size > 0 and bool(np.all(scales == 1.0))

    def replace_uses(self, old: str, new: str) -> None:
        for n in self.graph.node:
            for i, name in enumerate(n.input):
                if name == old:
                    n.input[i] = new
        self._index = None

    def remove(self, node: onnx.NodeProto) -> None:
        self.graph.node.remove(node)
        self._index = None

    def insert_after(self, anchor: onnx.NodeProto, *nodes: onnx.NodeProto) -> None:
        at = list(self.graph.node).index(anchor) + 1
        for k, n in enumerate(nodes):
            self.graph.node.insert(at + k, n)
        self._index = None


def _drop_identity_resizes(g: _Graph) -> int:
    count = 0
    for node in list(g.graph.node):
        if g.is_identity_resize(node) and node.output[0] not in g.outputs:
            g.replace_uses(node.output[0], node.input[0])
            g.remove(node)
            count += 1
    return count


def _sink_dequantize(g: _Graph) -> int:
    """DQ(q) -> copy op   becomes   copy op on q -> DQ, one step at a time."""
    moved = 0
    changed = True
    while changed:
        changed = False
        for dq in list(g.graph.node):
            if not g.movable_dequantize(dq):
                continue
            for op in g.consumers(dq.output[0]):
                if not g.is_copy(op) or op.input[0] != dq.output[0] or dq.output[0] in op.input[1:]:
                    continue
                quantized = f"{op.output[0]}__int8"
                new_op = helper.make_node(
                    op.op_type, [dq.input[0], *op.input[1:]], [quantized],
                    name=quantized, domain=op.domain,  # output names are unique; names may be ""
                )
                new_op.attribute.extend(op.attribute)
                new_dq = helper.make_node(
                    "DequantizeLinear", [quantized, *dq.input[1:]], [op.output[0]],
                    name=f"{op.output[0]}__dequantize",
                )
                new_dq.attribute.extend(dq.attribute)
                g.insert_after(op, new_op, new_dq)
                g.remove(op)
                moved += 1
                changed = True
            if not g.consumers(dq.output[0]) and dq.output[0] not in g.outputs:
                g.remove(dq)
    return moved


def _drop_round_trips(g: _Graph) -> int:
    """Q(DQ(q)) with the same scale and zero point is q itself."""
    dropped = 0
    for q in list(g.graph.node):
        if q.op_type != "QuantizeLinear" or q.domain not in ("", "ai.onnx"):
            continue
        dq = g.producer(q.input[0])
        if dq is None or not g.movable_dequantize(dq) or not g.same_params(dq, q):
            continue
        if q.output[0] in g.outputs or _attrs(q) != _attrs(dq):
            continue
        g.replace_uses(q.output[0], dq.input[0])
        g.remove(q)
        dropped += 1
        if not g.consumers(dq.output[0]) and dq.output[0] not in g.outputs:
            g.remove(dq)
    return dropped


def optimize_qdq(model: onnx.ModelProto) -> dict[str, int]:
    """Rewrite ``model`` in place; returns how many nodes each step changed."""
    g = _Graph(model)
    if any(a.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS)
           for n in model.graph.node for a in n.attribute):
        # Subgraphs (If / Loop / Scan) may use our tensors unseen: leave such models alone.
        return {"identity_resizes": 0, "copies_on_int8": 0, "round_trips": 0}
    stats = {"identity_resizes": _drop_identity_resizes(g)}
    stats["copies_on_int8"] = _sink_dequantize(g)
    stats["round_trips"] = _drop_round_trips(g)
    return stats


def quantized_output(model: onnx.ModelProto) -> tuple[float, int] | None:
    """Make the image output the int8 tensor before its final DequantizeLinear.

    Returns that dequantize's (scale, zero point) so the caller can map the 256
    possible values straight to 8-bit pixels, or None if the graph does not end so.
    """
    g = _Graph(model)
    out = model.graph.output[0]
    dq = g.producer(out.name)
    if dq is None or dq.op_type != "DequantizeLinear" or len(dq.input) < 3:
        return None
    if g.consumers(out.name) or not all(p in g.consts for p in dq.input[1:3]):
        return None
    scale, zero = g.consts[dq.input[1]], g.consts[dq.input[2]]
    if scale.size != 1 or zero.dtype != np.int8:
        return None
    g.remove(dq)
    out.name = dq.input[0]
    out.type.tensor_type.elem_type = onnx.TensorProto.INT8
    return float(scale.reshape(())), int(zero.reshape(()))

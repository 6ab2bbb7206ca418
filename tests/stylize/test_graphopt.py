"""The exact int8 rewrite of the transformer graph: faster, and not one bit different."""

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from stylize import embedded, graphopt, images
from tests.imagegen import painting, photo


def _run(model: onnx.ModelProto, feed: dict) -> np.ndarray:
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    return session.run(None, feed)[0]


def _qdq_model(
    op: onnx.NodeProto | list[onnx.NodeProto], extra_inits, *, q_scale=0.05, q_zero=3,
    dtype=np.int8, opset=15,
) -> onnx.ModelProto:
    """x -> DequantizeLinear -> op(s) -> QuantizeLinear -> DequantizeLinear -> float y."""
    inits = [
        numpy_helper.from_array(np.array(0.05, np.float32), "s_in"),
        numpy_helper.from_array(np.array(3, dtype), "z_in"),
        numpy_helper.from_array(np.array(q_scale, np.float32), "s_out"),
        numpy_helper.from_array(np.array(q_zero, dtype), "z_out"),
        *extra_inits,
    ]
    nodes = [
        helper.make_node("DequantizeLinear", ["x", "s_in", "z_in"], ["xf"]),
        *(op if isinstance(op, list) else [op]),
        helper.make_node("QuantizeLinear", ["yf", "s_out", "z_out"], ["yq"]),
        helper.make_node("DequantizeLinear", ["yq", "s_out", "z_out"], ["y"]),
    ]
    elem = helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
    graph = helper.make_graph(
        nodes, "t",
        [helper.make_tensor_value_info("x", elem, [1, 2, 5, 6])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8 if opset < 21 else 10
    return model


PADS = numpy_helper.from_array(np.array([0, 0, 1, 2, 0, 0, 1, 2], np.int64), "pads")
SCALES = numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "scales")
ROI = numpy_helper.from_array(np.zeros(0, np.float32), "roi")
X = {"x": np.random.default_rng(0).integers(-128, 128, (1, 2, 5, 6)).astype(np.int8)}


def _fed_by(model) -> list[tuple[str, str]]:
    """(op type, op type that produced its first input, or 'input') for every node."""
    makers = {o: n.op_type for n in model.graph.node for o in n.output}
    return [(n.op_type, makers.get(n.input[0], "input")) for n in model.graph.node]


def _op_inputs(model) -> dict[str, str]:
    return dict(_fed_by(model))


def test_reflect_pad_moves_onto_the_int8_tensor_and_the_round_trip_goes():
    model = _qdq_model(
        helper.make_node("Pad", ["xf", "pads"], ["yf"], mode="reflect"), [PADS],
        q_scale=0.05, q_zero=3,
    )
    before = _run(model, X)
    stats = graphopt.optimize_qdq(model)
    assert stats["copies_on_int8"] == 1 and stats["round_trips"] == 1
    assert [n.op_type for n in model.graph.node] == ["Pad", "DequantizeLinear"]
    np.testing.assert_array_equal(_run(model, X), before)


def test_nearest_resize_moves_but_a_requantize_to_another_scale_stays():
    model = _qdq_model(
        helper.make_node("Resize", ["xf", "roi", "scales"], ["yf"], mode="nearest"),
        [ROI, SCALES], q_scale=0.07, q_zero=3,
    )
    before = _run(model, X)
    stats = graphopt.optimize_qdq(model)
    assert stats["copies_on_int8"] == 1 and stats["round_trips"] == 0
    assert _op_inputs(model)["Resize"] == "input"
    assert "QuantizeLinear" in _op_inputs(model)  # 0.05 -> 0.07 is real arithmetic
    np.testing.assert_array_equal(_run(model, X), before)


@pytest.mark.parametrize(
    "op, inits",
    [
        # A constant pad writes 0.0, which is not the int8 zero point here.
        (helper.make_node("Pad", ["xf", "pads"], ["yf"], mode="constant"), [PADS]),
        # Linear interpolation computes new values: it must stay in float.
        (helper.make_node("Resize", ["xf", "roi", "scales"], ["yf"], mode="linear"), [ROI, SCALES]),
        (helper.make_node("Relu", ["xf"], ["yf"]), []),
        # Outside the crop box this writes extrapolation_value, a float.
        (
            helper.make_node(
                "Resize", ["xf", "roi", "scales"], ["yf"], mode="nearest",
                coordinate_transformation_mode="tf_crop_and_resize", extrapolation_value=0.0,
            ),
            [numpy_helper.from_array(np.array([0, 0, 0, 0, 1, 1, 1.2, 1.2], np.float32), "roi"),
             SCALES],
        ),
        # Reflect ignores constant_value, but moving a float input next to int8 data fails.
        (
            helper.make_node("Pad", ["xf", "pads", "value"], ["yf"], mode="reflect"),
            [PADS, numpy_helper.from_array(np.array(0.0, np.float32), "value")],
        ),
    ],
)
def test_ops_that_compute_values_are_left_in_float(op, inits):
    model = _qdq_model(op, inits)
    before = _run(model, X)
    assert graphopt.optimize_qdq(model) == {
        "identity_resizes": 0, "copies_on_int8": 0, "round_trips": 0,
    }
    assert _op_inputs(model)[op.op_type] == "DequantizeLinear"
    np.testing.assert_array_equal(_run(model, X), before)


def test_two_unnamed_copy_ops_get_distinct_names_and_still_load():
    ops = [
        helper.make_node("Transpose", ["xf"], ["tf"], perm=[0, 1, 3, 2]),
        helper.make_node("Pad", ["tf", "pads"], ["yf"], mode="edge"),
    ]
    model = _qdq_model(ops, [PADS])
    before = _run(model, X)
    assert graphopt.optimize_qdq(model)["copies_on_int8"] == 2
    names = [n.name for n in model.graph.node]
    assert len(set(names)) == len(names)
    np.testing.assert_array_equal(_run(model, X), before)


def test_a_16_bit_dequantize_is_left_alone():
    model = _qdq_model(
        helper.make_node("Pad", ["xf", "pads"], ["yf"], mode="reflect"), [PADS],
        dtype=np.int16, opset=21,
    )
    assert graphopt.optimize_qdq(model)["copies_on_int8"] == 0
    assert _op_inputs(model)["Pad"] == "DequantizeLinear"


def test_a_model_with_subgraphs_is_left_alone():
    model = _qdq_model(helper.make_node("Pad", ["xf", "pads"], ["yf"], mode="reflect"), [PADS])
    branch = helper.make_graph(
        [helper.make_node("Identity", ["xf"], ["b"])], "branch", [],
        [helper.make_tensor_value_info("b", TensorProto.FLOAT, None)],
    )
    model.graph.initializer.append(numpy_helper.from_array(np.array(True), "cond"))
    model.graph.node.append(
        helper.make_node("If", ["cond"], ["side"], then_branch=branch, else_branch=branch)
    )
    model.graph.output.append(helper.make_tensor_value_info("side", TensorProto.FLOAT, None))
    before = _run(model, X)
    assert graphopt.optimize_qdq(model) == {
        "identity_resizes": 0, "copies_on_int8": 0, "round_trips": 0,
    }
    np.testing.assert_array_equal(_run(model, X), before)


def test_a_per_channel_dequantize_is_not_moved_across_a_transpose():
    model = _qdq_model(helper.make_node("Transpose", ["xf"], ["yf"], perm=[0, 3, 1, 2]), [])
    # Two channels, two scales: moving the Transpose would apply them along the wrong axis.
    model.graph.initializer[0].CopyFrom(
        numpy_helper.from_array(np.array([0.05, 0.5], np.float32), "s_in")
    )
    model.graph.initializer[1].CopyFrom(numpy_helper.from_array(np.array([3, 3], np.int8), "z_in"))
    model.graph.node[0].attribute.append(helper.make_attribute("axis", 1))
    before = _run(model, X)
    assert graphopt.optimize_qdq(model)["copies_on_int8"] == 0
    assert _op_inputs(model)["Transpose"] == "DequantizeLinear"
    np.testing.assert_array_equal(_run(model, X), before)


def test_the_wheels_transformer_runs_every_pad_and_resize_on_int8():
    model = onnx.load_from_string(embedded.model_bytes("arbitrary_transform.onnx"))
    embedded.make_dynamic(model, {model.graph.input[0].name})
    stats = graphopt.optimize_qdq(model)
    assert stats["identity_resizes"] == 1  # a Resize by 1×1 that only copied
    assert stats["copies_on_int8"] >= 16
    fed_by = [x for x in _fed_by(model) if x[0] in ("Pad", "Resize")]
    # Only the very first pad, on the float photo itself, is still in float.
    assert [x for x in fed_by if x[1] == "DequantizeLinear"] == []
    assert [x for x in fed_by if x[1] == "input"] == [("Pad", "input")]


@pytest.fixture(scope="module")
def engines():
    # The rewrite serves the onnxruntime runtime (the fallback).
    return (embedded.EmbeddedEngine(runtime="onnxruntime"),
            embedded.EmbeddedEngine(runtime="onnxruntime", exact_rewrite=False))


@pytest.mark.parametrize("size", [(97, 413), (640, 480), (33, 35)])
def test_rewritten_engine_equals_the_plain_dynamic_graph_bit_for_bit(engines, size):
    fast, plain = engines
    vec = fast.style_vector(painting(seed=7))
    pic = photo(*size, seed=sum(size))
    a, b = fast.transform(pic, vec), plain.transform(pic, vec)
    assert a.size == b.size == size
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_the_output_table_is_from_array_of_each_dequantized_int8_value(engines):
    fast, _ = engines
    model = onnx.load_from_string(embedded.model_bytes("arbitrary_transform.onnx"))
    scale, zero = graphopt.quantized_output(model)
    values = np.arange(-128, 128, dtype=np.int8)
    floats = ((values.astype(np.float32) - np.float32(zero)) * np.float32(scale))
    expected = np.asarray(images.from_array(np.repeat(floats[None, :, None], 3, axis=2)))[0, :, 0]
    table = fast._pixels
    assert table is not None and table.shape == (256,) and table.dtype == np.uint8
    np.testing.assert_array_equal(table[values.view(np.uint8)], expected)
    assert expected[0] == 0 and expected[-1] >= 254  # the sigmoid's whole range

"""What blind review #3 found left over: a Loop body's Identities and carried value, a dynamic
crash's model, a wrong output count taken for wrong values, titles and checks that miss the trigger."""
from __future__ import annotations

import numpy as np
import onnx

from fuzzer.minimize.onnx_model import _without_optional_inputs, reduce_model
from fuzzer.report.bug_repro import title_for
from fuzzer.report.onnx_repro import COMPARE, fragments
from fuzzer.report.vocabulary import sentence_start

LOOP = onnx.parser.parse_model('''
<ir_version: 7, opset_import: ["" : 14]>
repro (float[1,1] x0) => (float[3,1,1] out0)
   <bool t1 = {1}, int64 t2 = {3}>
{
   t3, out0 = Loop (t2, t1, x0) <body: graph = body (int64 t4, bool t5, float[1,1] t6) => (bool t7, float[1,1] t8, float[1,1] t9) {
      t8 = Identity (t6)
      t7 = Identity (t5)
      t9 = Identity (t8)
   }>
}
''')


def _scan_output_shape(model):
    from onnx.reference import ReferenceEvaluator

    onnx.checker.check_model(model, full_check=True)
    return ReferenceEvaluator(model).run(None, {"x0": np.ones((1, 1), np.float32)})[0].shape


def test_a_loop_loses_its_carried_value_and_body_identities_while_the_failure_holds():
    shape = _scan_output_shape(LOOP)

    def holds(candidate):
        try:
            return _scan_output_shape(candidate) == shape
        except Exception:
            return False

    best, _ = reduce_model(LOOP, holds, 60)
    loop = best.graph.node[0]
    body = loop.attribute[0].g
    assert list(loop.input) == ["t2", "t1"]  # no carried value
    assert [n.op_type for n in body.node] == ["Identity"]  # the scan output's one Identity, of the outer x0
    assert list(body.node[0].input) == ["x0"] and [i.name for i in best.graph.input] == ["x0"]


def test_a_loop_keeps_its_trip_count_and_condition():
    assert not list(_without_optional_inputs(LOOP))


def _one_node(text):
    return onnx.parser.parse_model('<ir_version: 8, opset_import: ["" : 17]>\nrepro (' + text)


def test_the_title_names_non_default_attributes_and_a_0d_input():
    meta = {"system": "onnxslim", "kind": "convert_crash", "role": "transformer", "path": "onnx-direct@17", "stage": "convert"}
    empty_axes = _one_node('float[2,3] x) => (float[] y) { y = ReduceMax <axes: ints = []> (x) }')
    assert "ReduceMax <axes = []>" in title_for(meta, None, empty_axes)
    default_axes = _one_node('float[2,3] x) => (float[] y) { y = ReduceMax <keepdims = 1> (x) }')
    assert "ReduceMax on" in title_for(meta, None, default_axes)  # a default said out loud is no trigger
    celu = _one_node('float[2] x) => (float[2] y) { y = Celu <alpha = 0.5> (x) }')
    assert "Celu <alpha = 0.5>" in title_for({**meta, "system": "tract", "role": "runtime"}, None, celu)
    zero_d = _one_node('float x) => (float y) { y = Softsign (x) }')
    assert "Softsign on a 0-d float32" in title_for({**meta, "role": "runtime"}, None, zero_d)


def test_a_wrapped_cause_is_checked_with_the_op_the_wrapper_names():
    error = ('TractError: Evaluating #1 "t7.slice-axis-0" Slice\n\nCaused by:\n'
             '    Invalid range 1..8 for slicing 2,3,F32 0.75 on axis 0')
    assert fragments(error) == ["Invalid range", '" Slice']


def test_another_number_of_outputs_is_not_the_wrong_values_filed():
    scope = {"np": np, "RTOL": 1e-3}
    exec(COMPARE.replace("{strict}", "True"), scope)
    one = [np.ones(2, np.float32)]
    assert scope["differs"](one, [np.zeros(2, np.float32)])  # wrong values: reported
    try:
        scope["differs"](one + one, one)
    except RuntimeError as e:  # __main__ makes that exit 2
        assert "2 outputs, expected 1" in str(e)
    else:
        raise AssertionError("a different output count passed for the bug")


def test_a_lower_case_system_name_starts_a_sentence_as_its_project_spells_it():
    assert sentence_start("tf2onnx fails") == "tf2onnx fails"
    assert sentence_start("torch.onnx.export (dynamo exporter) fails").startswith("torch.onnx.export")
    assert sentence_start("onnxslim's output") == "onnxslim's output"
    assert sentence_start("the ONNX reference evaluator") == "The ONNX reference evaluator"


def test_a_float16_constant_written_as_raw_bits_is_given_its_value():
    from fuzzer.report.onnx_repro import _half_bits_said

    model = onnx.parser.parse_model('<ir_version: 8, opset_import: ["" : 17]>\n'
                                    'repro (float16[1] x) => (float16[1] y) <float16 t1 = {49134}> { y = Add (x, t1) }')
    assert _half_bits_said(model) == ["# ONNX's text format writes 16-bit float constants as their raw bits; their values: t1 = -1.98242"]


def test_the_failure_message_takes_the_repros_node_names_on_every_line():
    from fuzzer.report.regenerate import error_from_repro

    meta = {"kind": "invalid_model", "error": "ValidationError: Unrecognized attribute: axes for operator ReduceMean\n\n"
                                              "==> Context: Bad node spec for node. Name: node_ReduceMean_1 OpType: ReduceMean"}
    output = ("the model is invalid: ValidationError Unrecognized attribute: axes for operator ReduceMean\n\n"
              "==> Context: Bad node spec for node. Name:  OpType: ReduceMean")
    error_from_repro(meta, output)
    assert meta["error"].endswith("Name:  OpType: ReduceMean")


def test_a_tf_title_names_the_keywords_a_call_sets():
    from fuzzer.report.tf_repro import tf_trigger

    source = ("def compute(x0, x3):\n    v1 = tf.cast(x0, tf.int64)\n"
              "    v3 = tf.linalg.matmul(v1, x3, transpose_b=True)\n    v4 = tf.roll(v3, shift=[-3], axis=[0])\n")
    assert tf_trigger(source) == "tf.linalg.matmul(transpose_b=True) -> tf.roll(shift=[-3], axis=[0])"


def test_an_int8_graph_widened_to_int64_with_its_constant_made_an_input():
    from fuzzer.ir import Graph
    from fuzzer.report.bug_repro import consts_as_inputs, ints_widened

    graph = Graph.from_json({"format": "onnxfuzz-graph/1", "nodes": [
        {"id": 0, "op": "input", "attrs": {}, "outputs": [{"dtype": "int8", "shape": [1, 1, 1]}], "inputs": []},
        {"id": 3, "op": "const", "attrs": {}, "outputs": [{"dtype": "int8", "shape": [3, 1]}], "inputs": [],
         "value": {"dtype": "int8", "shape": [3, 1], "b64": "AQEB"}},
        {"id": 4, "op": "linear", "attrs": {}, "outputs": [{"dtype": "int8", "shape": [1, 1, 3]}], "inputs": [[0, 0], [3, 0]]}],
        "outputs": [[4, 0]]})
    wide, feeds = ints_widened(graph, {"x0": np.array([[[-1]]], np.int8)})
    assert {str(v.type.dtype) for n in wide.nodes for v in n.outputs} == {"int64"}
    assert feeds["x0"].dtype == np.int64
    made, fed = consts_as_inputs(wide)  # an input already there needs no feed from it
    assert len(made.inputs) == 2 and not made.consts
    assert [a.tolist() for a in fed.values()] == [[[1], [1], [1]]]


def test_a_bare_builtin_error_must_come_from_torch_onnx():
    from fuzzer.report.torch_repro import _in_exporter

    assert "torch/onnx/" in _in_exporter("IndexError: list index out of range")
    assert _in_exporter("RuntimeError: Unsupported: ONNX export of operator aten::foo, opset 19") == ""

import numpy as np

from oracles import Kind, Reference, Stage, Verdict, compare, judge_error, judge_outputs, normalize_error


def ref_for(truth, dtype="float32", eager=None, jump=None):
    truth = np.asarray(truth, dtype=np.float64 if dtype.startswith("float") else None)
    return Reference(
        truth=[truth],
        eager32=[np.asarray(truth if eager is None else eager)],
        jump=[np.zeros(truth.shape) if jump is None else np.asarray(jump, np.float64)],
        dtypes=[dtype],
        ops=[["tanh"]],
    )


def test_compare_reports_statistics():
    c = compare(np.array([1.0, 2.0, 3.5]), np.array([1.0, 2.0, 3.0]), np.full(3, 0.1))
    assert not c.ok
    assert c.max_abs == 0.5 and c.worst_index == (2,)
    assert c.worst_actual == 3.5 and c.worst_expected == 3.0
    assert c.mismatched == 1 and c.compared == 3
    assert abs(c.needed_scale - 5.0) < 1e-9
    assert "max abs 0.5" in c.summary()


def test_compare_respects_mask():
    c = compare(np.array([1.0, 9.0]), np.array([1.0, 2.0]), np.zeros(2), mask=np.array([True, False]))
    assert c.ok and c.compared == 1


def test_float32_rounding_passes():
    t = np.linspace(-3, 3, 50)
    out = t.astype(np.float32)
    assert judge_outputs(ref_for(t), [out], "p", "r").kind is Kind.PASS


def test_wrong_sign_is_value_mismatch_with_stats():
    t = np.linspace(0.5, 3, 8)
    v = judge_outputs(ref_for(t), [(-t).astype(np.float32)], "torchscript@17", "onnxruntime")
    assert v.kind is Kind.VALUE_MISMATCH
    assert v.stats["max_abs"] > 5 and v.stats["output"] == 0
    assert v.ops == ["tanh"] and v.signature is not None


def test_shape_and_dtype_mismatch():
    t = np.ones((2, 3))
    assert judge_outputs(ref_for(t), [np.ones((3, 2), np.float32)], "p", "r").kind is Kind.SHAPE_MISMATCH
    assert judge_outputs(ref_for(t), [np.ones((2, 3), np.float64)], "p", "r").kind is Kind.DTYPE_MISMATCH
    assert judge_outputs(ref_for(t), [], "p", "r").kind is Kind.SHAPE_MISMATCH


def test_nan_where_truth_is_finite():
    t = np.ones(4)
    out = np.array([1, np.nan, 1, 1], np.float32)
    assert judge_outputs(ref_for(t), [out], "p", "r").kind is Kind.NAN_INF


def test_unstable_case_never_a_bug():
    # float32 eager misses the truth badly: whatever a runtime says is not judged
    t = np.array([1.0, 2.0])
    r = ref_for(t, eager=np.array([1.5, 2.0]))
    assert r.stability()[0] is False
    assert judge_outputs(r, [np.array([7.0, 7.0], np.float32)], "p", "r").kind is Kind.UNSTABLE


def test_sensitive_elements_get_wider_tolerance_or_are_skipped():
    t = np.array([1.0, 2.0])
    # element 0 moves a lot under a 1e-6 perturbation (a floor near its step): not judged
    r = ref_for(t, jump=[1.0, 0.0])
    assert judge_outputs(r, [np.array([0.0, 2.0], np.float32)], "p", "r").kind is Kind.PASS
    assert judge_outputs(r, [np.array([0.0, 3.0], np.float32)], "p", "r").kind is Kind.VALUE_MISMATCH


def test_int_outputs_are_exact_unless_they_flip():
    t = np.array([1, 2, 3], np.int64)
    assert judge_outputs(ref_for(t, "int64"), [t.copy()], "p", "r").kind is Kind.PASS
    assert judge_outputs(ref_for(t, "int64"), [t + 1], "p", "r").kind is Kind.VALUE_MISMATCH
    flips = ref_for(t, "int64", jump=[0, 1, 0])
    assert judge_outputs(flips, [np.array([1, 5, 3])], "p", "r").kind is Kind.PASS


def test_error_verdicts():
    gap = judge_error(Stage.LOAD, RuntimeError("Could not find an implementation"), True, "p", "r")
    assert gap.kind is Kind.UNSUPPORTED and gap.signature is None
    crash = judge_error(Stage.RUN, RuntimeError("Conv failed at 0x7f00"), False, "p", "r", ["Conv", "Relu"])
    assert crash.kind is Kind.RUN_CRASH and crash.ops == ["Conv"]


def test_signature_ignores_numbers_names_and_opset():
    a = Verdict(Kind.RUN_CRASH, Stage.RUN, "torchscript@17", "onnxruntime", [], "Error: node 'v12' shape (3,4) at 0xdead")
    b = Verdict(Kind.RUN_CRASH, Stage.RUN, "torchscript@13", "onnxruntime", [], "Error: node 'v7' shape (5,1) at 0xbeef")
    c = Verdict(Kind.RUN_CRASH, Stage.RUN, "dynamo@18", "onnxruntime", [], "Error: node 'v7' shape (5,1) at 0xbeef")
    assert a.signature == b.signature != c.signature
    assert Verdict(Kind.PASS, Stage.JUDGE, "p", "r").signature is None


def test_normalize_error_keeps_the_first_cause():
    text = "ValueError: axis 3 is out of bounds for array of dimension 2\nlast output:\nsome log line 17"
    assert normalize_error(Kind.RUN_CRASH, text) == "ValueError: axis <n> is out of bounds for array of dimension <n>"
    cascade = (
        "InferenceError: [ShapeInferenceError] Inference error(s): (op_type:MaxPool, node name: /MaxPool_3): bad dilations "
        "(op_type:Sub, node name: /Sub): Input 0 expected to have type but instead is null"
    )
    assert "Sub" not in normalize_error(Kind.INVALID_MODEL, cascade)
    assert "MaxPool" in normalize_error(Kind.INVALID_MODEL, cascade)


def test_precision_lowering_transformers_get_that_precision_tolerance():
    t = np.linspace(-3, 3, 50)
    half = t.astype(np.float16).astype(np.float32)
    assert judge_outputs(ref_for(t), [half], "p", "r").kind is Kind.VALUE_MISMATCH
    assert judge_outputs(ref_for(t), [half], "p", "r", precision="float16").kind is Kind.PASS
    quantized = (np.round(t * 40) / 40).astype(np.float32)
    assert judge_outputs(ref_for(t), [quantized], "p", "r", precision="int8").kind is Kind.PASS
    assert judge_outputs(ref_for(t), [(-t).astype(np.float32)], "p", "r", precision="int8").kind is Kind.VALUE_MISMATCH


def test_stability_and_tolerances_are_computed_once_per_case():
    r = ref_for(np.linspace(-3, 3, 20))
    assert r.stability() is r.stability()
    assert r.tolerance(0)[0] is r.tolerance(0)[0]
    assert r.tolerance(0, precision="float16")[0] is not r.tolerance(0)[0]


def test_a_float16_step_within_rounding_of_flipping_is_not_judged():
    # x = 0.9996 rounds to 1.0 in float16, so floor gives 1 on a correct runtime while the
    # float64 truth gives 0: the perturbation must be float16-sized to see that it is unstable
    import numpy as np

    from fuzzer.choices import NumpyChoices
    from fuzzer.ir import DType, Graph, TensorType
    from fuzzer.run.eager import reference
    from oracles import Kind, judge_outputs

    g = Graph()
    x = g.add_input(TensorType(DType.float32, (2,)))
    h = g.add_node("cast", [x], {"to": DType.float16}, [TensorType(DType.float16, (2,))]).outputs[0]
    y = g.add_node("floor", [h], {}, [TensorType(DType.float16, (2,))]).outputs[0]
    g.outputs = [y]
    ref, _ = reference(g, NumpyChoices(0), given={x.name: np.array([0.9996, 0.25], np.float32)})
    assert ref.truth[0].tolist() == [0.0, 0.0]
    _, mask = ref.tolerance(0)
    assert mask.tolist() == [False, True]  # the near-step element is not judged, the other is
    assert judge_outputs(ref, [np.array([1.0, 0.0], np.float16)], "p", "r").kind is Kind.PASS
    assert judge_outputs(ref, [np.array([1.0, 1.0], np.float16)], "p", "r").kind is Kind.VALUE_MISMATCH

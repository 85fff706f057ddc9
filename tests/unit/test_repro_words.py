"""What a repro looks for in an error, and the plain words of a report's tables."""
from fuzzer.report.onnx_repro import fragment
from fuzzer.report.vocabulary import verdict_words


def test_a_wrapped_error_is_told_by_its_cause_not_by_the_wrapper():
    dynamo = ("ConversionError: Failed to convert the exported program to an ONNX model. This is step 3/3\n"
              "- If there is a missing ONNX function, implement it.\n\n## Exception summary\n\n"
              "<class 'ValueError'>: Required parameter 'dim' is not provided. Signature: aten_amax(self, dim: T_dim)\n")
    frag = fragment(dynamo)
    assert "Required parameter 'dim' is not provided" in frag and "Failed to convert" not in frag
    tract = ('TractError: Translating node #3 "_n3" Gemm ToTypedTranslator\n\nCaused by:\n'
             "    Output mismatch after rewiring expansion for output #0: expected 1,1,F16 got 1,1,F32")
    assert fragment(tract) == "Output mismatch after rewiring expansion for output #"
    chain = ('TractError: Failed analyse for node #3 "_n6" Range\n\nCaused by:\n    0: Infering facts\n'
             "    1: Applying rule outputs[0].shape[0] == Val(4)\n    2: Impossible to unify Val(5) with Val(4).")
    assert fragment(chain) == "Impossible to unify Val", "of a chain of causes, the root"


def test_a_plain_error_is_told_by_its_first_line_without_run_specific_names():
    assert fragment("ValidationError: Unrecognized attribute: noop_with_empty_axes for operator ReduceMean\n\n"
                    "==> Context: Bad node spec for node. Name: node_ReduceMean_1") == \
        "ValidationError: Unrecognized attribute: noop_with_empty_axes for operator ReduceMean"
    assert fragment("RuntimeError: bad 'node_7' here") == "RuntimeError: bad"
    assert fragment("short") == ""


def test_verdict_kinds_read_as_plain_words():
    assert verdict_words("value_mismatch") == "wrong values"
    assert verdict_words("pass") == "correct"
    assert "_" not in verdict_words("some_new_kind")


def test_explaining_twice_changes_nothing():
    from fuzzer.report.vocabulary import explain

    once = explain("- system at fault: float16 (transformer); float16 emits a model the checker rejects")
    assert once.count("onnxconverter-common's float16 conversion") == 2
    assert explain(once) == once


def test_a_checker_error_is_told_by_its_message_not_its_wrapper_or_node_name():
    from fuzzer.report.onnx_repro import error_test, fragments

    error = ("InferenceError: [ShapeInferenceError] Inference error(s): (op_type:Squeeze, node name: node_squeeze): "
             "[ShapeInferenceError] Dimension of input 0 must be 1 instead of 2\n")
    frags = fragments(error)
    assert "Dimension of input" in frags and not any("node_squeeze" in f or "node name" in f for f in frags)
    test = error_test(frags)
    unnamed = "[ShapeInferenceError] Inference error(s): (op_type:Squeeze): [ShapeInferenceError] Dimension of input 0 must be 1"

    class InferenceError(Exception):
        pass

    e = InferenceError(unnamed)
    assert eval(test, {"e": e}), "the repro's model names no node: its error must still match"
    e = InferenceError("[ShapeInferenceError] Inference error(s): (op_type:Squeeze): [ShapeInferenceError] Input rank must be >= 1")
    assert not eval(test, {"e": e}), "another checker message is another failure"


def test_a_runtime_error_is_told_past_its_generic_head():
    from fuzzer.report.onnx_repro import fragments

    error = ('InvalidGraph: [ONNXRuntimeError] : 10 : INVALID_GRAPH : This is an invalid model. In Node, ("_n2_quant", '
             'QAttention, "com.microsoft", -1) : ("x0_quantized": tensor(uint8),) -> ("out0": tensor(float),) , '
             "Error Required attribute 'num_heads' is missing.")
    frags = fragments(error)
    assert any("Required attribute 'num_heads' is missing" in f for f in frags)
    assert not any("_n2_quant" in f for f in frags)
    assert fragments("AttributeError: 'NoneType' object has no attribute 'view'") == \
        ["AttributeError: 'NoneType' object has no attribute 'view'"], "quoted names without a number are the failure's"


def test_the_upstream_banner_says_known_only_for_a_report():
    from fuzzer.report.writer import upstream_lines

    known = upstream_lines({"upstream": ["pytorch/pytorch#85663 (closed): scalars told by rank"]})
    assert known[0].startswith("> **Known upstream**: pytorch/pytorch#85663")
    none = upstream_lines({"upstream": ["Not found reported upstream. Related to, but not the same as, a/b#320."],
                           "upstream_searched": "2026-12-06"})
    assert none[0] == "> **Upstream**: no upstream report found (searched 2026-12-06). Related to, but not the same as, a/b#320."
    checked = upstream_lines({"upstream": "onnx main f75469120: still reproduces; no fix after 1.23.2 found"})
    assert "Known upstream" not in checked[0] and "no upstream report found" in checked[0]


def test_the_oracle_tolerance_scale_is_told_in_plain_words_or_left_out():
    from fuzzer.report.writer import error_words

    error = "output 0: 1/2 elements off; max abs 6, max rel 3 at [1] (got 8, expected 2); tolerance x6e+300 would pass"
    exact = error_words(error, {}, "Arrays are not equal\n\nMismatched elements: 1 / 2 (50%)")
    assert "tolerance" not in exact and exact.endswith("(got 8, expected 2)")
    close = error_words(error.replace("6e+300", "12.5"), {}, "Not equal to tolerance rtol=0.001, atol=0.002")
    assert close.endswith("; the largest difference is 12.5 times the allowed tolerance") and "would pass" not in close


def test_an_exporter_crash_on_its_own_model_is_no_valid_model_failing():
    from fuzzer.report.writer import symptom_words

    assert "valid model" not in symptom_words({"role": "exporter", "kind": "run_crash"})
    assert symptom_words({"role": "runtime", "kind": "run_crash"}) == "running a valid model fails"


def test_how_it_was_found_says_what_onnxfuzz_is_and_no_campaign_jargon():
    import json
    from pathlib import Path

    from fuzzer.report.writer import how_found

    found = how_found({"filed": "2026-01-01", "found": {"onnxfuzz": "0.1.0", "case_id": 7, "seed": 3, "time": "2026-01-01"}})
    assert "differential fuzzer" in found and "test case 7" in found and "random seed 3" in found
    checked = how_found({"filed": "2026-01-01", "found_by": "onnxfuzz check"})
    assert "differential fuzzer" in checked and "`check` command" in checked
    bugs = Path(__file__).resolve().parents[2] / "bugs"
    for report in bugs.glob("*/report.md"):  # every filed report carries today's line
        meta = json.loads((report.parent / "case.json").read_text(encoding="utf-8"))["bug"]
        text = report.read_text(encoding="utf-8")
        assert how_found(meta) in text, report.parent.name
        for jargon in ("campaign, case", "generator seed"):
            assert jargon not in text, (report.parent.name, jargon)

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

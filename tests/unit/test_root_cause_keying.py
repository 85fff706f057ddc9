"""The root-cause key of issue 13's second round: exporter bugs by the framework op family and
the ONNX op the error names, process deaths by their panic or assertion line, and filing that
consults the reviewed bugs/ collection instead of writing a folder it already has."""
from __future__ import annotations

import json

from fuzzer.report.rootcause import cause_of, death_line, root_key, root_parts
from tests.unit.test_root_cause import twoflip  # noqa: F401 (a fixture)

# ---- exporters: siblings of one op family fold, other errors and wrong results stay apart

AXIS = ("InferenceError: [ShapeInferenceError] Inference error(s): (op_type:{op}, node name: /{op}): "
        "[ShapeInferenceError] axis must be in [-rank, rank-1]. Input rank was 0")


def ts_check(error, sinks):
    return root_key("torchscript", "exporter", "invalid_model", "check", error, "", sinks, False)


def test_one_exporter_defect_through_sibling_ops_is_one_key():
    # TorchScript's reduction over dim 0 of a 0-d tensor, met through amax, mean, amin and sum
    keys = {ts_check(AXIS.format(op=op), [aten]) for op, aten in
            (("ReduceMax", "amax"), ("ReduceMean", "mean"), ("ReduceMin", "amin"), ("ReduceSum", "sum"))}
    assert len(keys) == 1
    # another message about the same ONNX op is another defect
    rank = AXIS.format(op="ReduceMean").replace("axis must be in [-rank, rank-1]. Input rank was 0",
                                                "Inferred shape and existing shape differ in rank: (0) vs (1)")
    assert ts_check(rank, ["mean"]) not in keys
    # an op of no shared family stays its own
    assert ts_check(AXIS.format(op="ReduceMean"), ["mean"]) != ts_check(AXIS.format(op="Conv"), ["conv2d"])


def test_a_wrong_result_keeps_its_exact_op():
    def mismatch(sinks):
        return root_key("torchscript", "exporter", "shape_mismatch", "judge", "shape_mismatch", "onnx-reference", sinks, False)

    assert mismatch(["var"]) != mismatch(["mean"]) != mismatch(["any"])


DYNAMO = ("ConversionError: Failed to convert the exported program to an ONNX model. This is step 3/3 of exporting.\n"
          "## Exception summary\n\n<class 'ValueError'>: Required parameter 'dim' is not provided. Signature: "
          "pkg.onnxscript.torch_lib::aten_{fn}(self: TReal, dim: T_dim) where TReal={types}. Args: (x,).\n"
          "⬆️\n<class 'GraphConstructionError'>: Error calling function 'aten_{fn}' at 0x7fd82a1cd300")


def test_a_dynamo_crash_is_keyed_by_its_root_exception_not_its_preamble():
    def key(fn, types, sinks, summary=None):
        error = DYNAMO.format(fn=fn, types=types)
        if summary:
            error = error.replace("Required parameter 'dim' is not provided", summary)
        return root_key("dynamo", "exporter", "export_crash", "export", error, "", sinks, False)

    assert cause_of(DYNAMO.format(fn="amax", types="INT32 | FLOAT")) == "ValueError: Required parameter 'dim' is not provided"
    # the type lists it prints come in no fixed order; amax and amin are one torchlib defect
    assert key("amax", "INT32 | FLOAT", ["amax"]) == key("amin", "FLOAT | INT32", ["amin"])
    # another exception under the same preamble, or another op family, is another bug
    assert key("amax", "FLOAT", ["amax"]) != key("amax", "FLOAT", ["amax"], summary="Unsupported dtype BOOL")
    assert key("amax", "FLOAT", ["amax"]) != key("roll", "FLOAT", ["roll"])


def test_torchscript_messages_are_cut_before_the_graph_they_quote():
    said = ("SymbolicValueError: Cannot determine scalar type for this '<class 'torch.TensorType'>' instance and a "
            "default value was not provided. [Caused by the value '5 defined in (%5 : Tensor = onnx::{op}[keepdims=0](%0, %4)")
    assert ts_check(said.format(op="ReduceMean"), ["mean"]) == ts_check(said.format(op="ReduceSum"), ["sum"])


def test_a_model_runtimes_refuse_is_one_exporter_bug_whichever_runtime_refused_it():
    ort = ("Fail: [ONNXRuntimeError] : 1 : FAIL : Non-zero status code returned while running Slice node. "
           "Name:'roll/Slice' Status Message: slice.h:53 FillVectorsFromInput Ends must be a 1-D array")
    tract = 'TractError: Failed analyse for node #7 "roll/strided_slice" StridedSlice\n\nCaused by:\n    0: Infering facts'
    by_ort = root_key("tf2onnx", "exporter", "run_crash", "run", ort, "onnxruntime-extended", ["roll"], False)
    assert by_ort == root_key("tf2onnx", "exporter", "load_crash", "load", tract, "tract", ["roll"], False)
    # the ONNX op the refusal names tells two defects of one op family apart
    scatter = "InvalidArgument: [ONNXRuntimeError] : 2 : INVALID_ARGUMENT : Non-zero status code returned while running {} node."
    assert (root_key("torchscript", "exporter", "run_crash", "run", scatter.format("ScatterElements"), "onnxruntime", ["scatter"], False)
            != root_key("torchscript", "exporter", "run_crash", "run", scatter.format("If"), "onnxruntime", ["scatter_reduce"], False))


def test_a_runtime_error_is_keyed_by_its_innermost_cause():
    gemm = 'TractError: Translating node #{n} "{name}" Gemm ToTypedTranslator\n\nCaused by:\n    {cause}'
    f16 = "Output mismatch after rewiring expansion for output #0: expected 1,1,F16 got 1,1,F32"

    def key(n, name, cause, sinks=("Gemm",)):
        return root_key("tract", "runtime", "load_crash", "load", gemm.format(n=n, name=name, cause=cause), "tract", list(sinks), False)

    assert key(3, "out0", f16) == key(4, "/Gemm", f16)
    assert key(3, "out0", f16) != key(3, "out0", "Condition failed: `a_rank > 1 || b_rank > 1`")
    # a numbered chain: its last line; the op an inner line names when the first names none
    prop = 'TractError: running pass PropConst(0)\n\nCaused by:\n    0: Eager eval #{n} "{name}" Mul during optimisation\n    1: Tensor datum type error: tensor is F32, accessed as F64'
    parts = root_parts("tract", "runtime", "load_crash", "load", prop.format(n=5, name="_n4.beta_c"), "tract", ["Gemm"], False)
    assert parts[-1] == "Mul" and parts[3].endswith("Tensor datum type error: tensor is F<n>, accessed as F<n>")
    assert parts == root_parts("tract", "runtime", "load_crash", "load", prop.format(n=30, name="/Gemm.beta_c"), "tract", ["MatMul"], False)


# ---- process deaths: the line that says why


def panic(where: str, message: str, thread: int) -> str:
    return (f"worker died: signal SIGABRT\nlast output:\nthread '<unnamed>' ({thread}) panicked at {where}:24:18:\n{message}\n"
            "stack backtrace:\n   0: __rustc::rust_begin_unwind\n"
            f"thread '<unnamed>' ({thread}) panicked at /rustc/b94008/library/core/src/panicking.rs:225:5:\n"
            "panic in a function that cannot unwind\n  41:     0x55acd16d9081 - _start\n")


def test_a_death_is_keyed_by_its_panic_line_without_addresses_or_the_op():
    weights = "Can't build a WeightType from I64"
    a = root_key("tract", "runtime", "load_crash", "load", panic("linalg/src/frame/weights.rs", weights, 14537), "tract", ["MatMul"], False)
    b = root_key("tract", "runtime", "load_crash", "load", panic("linalg/src/frame/weights.rs", weights, 22660), "tract", ["Gemm"], False)
    assert a == b
    assert death_line(panic("linalg/src/frame/weights.rs", weights, 1)) == "panic at linalg/src/frame/weights.rs: Can't build a WeightType from I<n>"
    other = root_key("tract", "runtime", "load_crash", "load", panic("onnx/src/ops/nn/attention.rs", "index out of bounds", 1), "tract", ["MatMul"], False)
    assert other != a
    # a panic inside a dependency says little of which defect it is: the op stays in its key
    dep = "/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/ndarray-0.17.2/src/arraytraits.rs"
    assert death_line(panic(dep, "ndarray: index out of bounds", 1)).startswith("dependency panic at ndarray/src/arraytraits.rs")
    assert (root_key("tract", "runtime", "run_crash", "run", panic(dep, "ndarray: index out of bounds", 1), "tract", ["OneHot"], False)
            != root_key("tract", "runtime", "run_crash", "run", panic(dep, "ndarray: index out of bounds", 2), "tract", ["Gather"], False))


def test_a_death_whose_kept_error_lost_its_line_takes_it_from_the_repro():
    buried = "worker died: signal SIGABRT\nlast output:\n  40:     0x7f4946845305 - __libc_start_main_impl\nthread caused non-unwinding panic. aborting."
    said = death_line(panic("linalg/src/frame/weights.rs", "Can't build a WeightType from I64", 3))
    assert death_line(buried) == ""
    lost = root_key("tract", "runtime", "load_crash", "load", buried, "tract", ["MatMul"], False)
    told = root_key("tract", "runtime", "load_crash", "load", buried, "tract", ["Gemm"], False, death=said)
    assert told != lost
    assert told == root_key("tract", "runtime", "load_crash", "load", panic("linalg/src/frame/weights.rs", "Can't build a WeightType from I64", 9),
                            "tract", ["MatMul"], False)


def test_native_deaths():
    heap = "worker died: signal SIGABRT\nlast output:\n{}\n"
    assert death_line(heap.format("free(): invalid pointer")) == death_line(heap.format("malloc_consolidate(): invalid chunk size")) \
        == "heap corruption (glibc)"
    # where glibc noticed it says nothing of the defect: the op stays in the key
    assert (root_key("torchscript", "exporter", "export_crash", "export", heap.format("free(): invalid pointer"), "", ["pad"], False)
            != root_key("torchscript", "exporter", "export_crash", "export", heap.format("free(): invalid pointer"), "", ["sort"], False))
    assert death_line("thread 'main' panicked at 'index out of bounds', src/ops/x.rs:3:9\nnote: run with RUST_BACKTRACE") \
        == "panic at src/ops/x.rs: index out of bounds"
    assert death_line("python: shape.cc:12: void f(): Assertion `rank >= 0' failed.") == "rank >= <n>"
    assert death_line("terminate called after throwing an instance of 'std::out_of_range'\n  what():  vector::_M_range_check: 5") \
        == "std::out_of_range vector::_M_range_check: <n>"
    assert death_line("worker died: signal SIGSEGV") == ""


# ---- backfill: a folder's key from its files


def test_backfill_finds_a_deaths_line_in_the_repro_output_its_report_kept(tmp_path):
    from fuzzer.report.backfill import backfill

    d = tmp_path / "tract-load-crash-1"
    d.mkdir()
    bug = {"id": d.name, "system": "tract", "role": "runtime", "kind": "load_crash", "stage": "load", "runtime": "tract",
           "path": "onnx-direct@18", "error": "worker died: signal SIGABRT\nlast output:\n  41: 0x55 - _start", "sink_ops": ["MatMul"]}
    (d / "case.json").write_text(json.dumps({"bug": bug}))
    (d / "report.md").write_text("# t\n\n## Reproduce\n\n```\n" + panic("linalg/src/frame/weights.rs", "Can't build a WeightType from I64", 5)
                                 + "```\n\n## Witnesses\n")
    before = (d / "case.json").read_bytes()
    row = backfill(d)
    assert row["death"].startswith("panic at linalg/src/frame/weights.rs") and "death" in row["parts"]
    assert (d / "case.json").read_bytes() == before, "nothing written without --write"
    backfill(d, write=True)
    assert json.loads((d / "case.json").read_text())["bug"]["death"] == row["death"]


# ---- filing consults the reviewed collection: a root cause it has is a duplicate hit, no folder


def test_a_root_cause_the_reviewed_bugs_have_is_not_written_again(twoflip, tmp_path, monkeypatch):
    from fuzzer.report.writer import DUPLICATES, KNOWN_BUGS_ENV, known_bug_dirs
    from tests.unit.test_root_cause import _chain, _file, _live

    reviewed, target = tmp_path / "reviewed", tmp_path / "campaign-bugs"
    reviewed.mkdir()
    monkeypatch.setenv(KNOWN_BUGS_ENV, "")
    assert known_bug_dirs(target) == [target]
    filed = _file(reviewed, _chain("tanh"))
    assert filed.new, filed.reason
    before = {p: p.read_bytes() for p in reviewed.rglob("*") if p.is_file()}

    monkeypatch.setenv(KNOWN_BUGS_ENV, str(reviewed))
    assert known_bug_dirs(target) == [target, reviewed]
    again = _file(target, _chain("relu", "tanh", shape=(4,)), workdir="/campaign-9", case_id=3)
    assert not again.new and again.path == filed.path and "already filed" in again.reason
    assert [p.name for p in target.iterdir()] == [DUPLICATES], "no folder written"
    dup = json.loads((target / DUPLICATES).read_text())
    assert list(dup.values())[0]["hits"] == 1 and list(dup.values())[0]["id"] == filed.bug_id
    # another case of the campaign hits it again; the same case again is no new hit
    _file(target, _chain("tanh"), workdir="/campaign-9", case_id=4)
    _file(target, _chain("tanh"), workdir="/campaign-9", case_id=4)
    assert list(json.loads((target / DUPLICATES).read_text()).values())[0]["hits"] == 2
    assert before == {p: p.read_bytes() for p in reviewed.rglob("*") if p.is_file()}, "the reviewed folder is not written"
    # another defect of the same exporter is new: written into the target
    other = _file(target, _chain("sigmoid"), workdir="/campaign-9", case_id=5)
    assert other.new and other.path.parent == target and _live(target) == sorted([DUPLICATES, other.bug_id])


def test_bugs_file_takes_the_known_bugs_directories_and_refuses_a_missing_one(tmp_path, monkeypatch, capsys):
    import os

    from fuzzer.cli import main
    from fuzzer.report.writer import KNOWN_BUGS_ENV

    monkeypatch.setenv(KNOWN_BUGS_ENV, "unchanged")  # restored after the test, whatever `bugs file` sets
    assert main(["bugs", "file", "--workdir", str(tmp_path), "--known-bugs", str(tmp_path / "nope")]) == 2
    assert "--known-bugs: no directory" in capsys.readouterr().err
    assert os.environ[KNOWN_BUGS_ENV] == "unchanged"
    reviewed = tmp_path / "reviewed"
    reviewed.mkdir()
    # an empty workdir (no campaign store) is a usage error; the option was taken before it
    assert main(["bugs", "file", "--workdir", str(tmp_path / "empty"), "--known-bugs", str(reviewed)]) == 2
    assert "no campaign database" in capsys.readouterr().err
    assert os.environ[KNOWN_BUGS_ENV] == str(reviewed.resolve())


def test_a_death_whose_campaign_error_lost_its_panic_is_filed_under_the_panic_its_repro_prints(twoflip, tmp_path, monkeypatch):
    """Two graphs die of one panic; the campaign kept only the backtrace's tail of each. The
    repro's output names the panic: one folder, keyed by it, and the second graph counts there."""
    import dataclasses

    from fuzzer.report import writer
    from fuzzer.report.blame import Blame
    from oracles import Kind, Stage, Verdict
    from tests.unit.test_root_cause import _chain, _reduction

    monkeypatch.setenv(writer.KNOWN_BUGS_ENV, "")
    said = panic("linalg/src/frame/weights.rs", "Can't build a WeightType from I64", 7)
    monkeypatch.setattr(writer, "run_repro", lambda d: (1, "the process died with signal 6\n" + said))
    buried = "worker died: signal SIGABRT\nlast output:\n  41:     0x55acd16d9081 - _start\nthread caused non-unwinding panic. aborting."

    def file(ops, case_id):
        red, target = _reduction(_chain(*ops))
        red = dataclasses.replace(red, verdict=Verdict(Kind.RUN_CRASH, Stage.RUN, red.verdict.path, "onnxruntime", [], buried))
        return writer.file_bug(tmp_path, red, target, Blame("twoflip", "exporter", "injected", []), {"workdir": "/c", "case_id": case_id})

    first = file(["tanh"], 1)
    assert first.new, first.reason
    bug = json.loads((first.path / "case.json").read_text())["bug"]
    assert bug["death"] == death_line(said)
    assert bug["key"] == root_key("twoflip", "exporter", "run_crash", "run", buried, "onnxruntime", ["tanh"], False, death=bug["death"])
    second = file(["relu", "sigmoid"], 2)
    assert (second.bug_id, second.new) == (first.bug_id, False), second.reason
    assert json.loads((first.path / "case.json").read_text())["bug"]["hits"] == 2


def test_tf2onnx_declaring_bfloat16_float16_is_one_defect_whichever_handler_and_runtime():
    """tf2onnx's dtype table maps bfloat16 to float16: each runtime refuses the bfloat16 feed in
    its own words, met through whichever handler (review 15: Minimum, Tan, Reshape)."""
    from fuzzer.report.rootcause import BFLOAT16_INPUT, BFLOAT16_VALUE, FLOAT16_INPUT

    ort = ("InvalidArgument: [ONNXRuntimeError] : 2 : INVALID_ARGUMENT : Unexpected input data type. "
           "Actual: (tensor(bfloat16)) , expected: (tensor(float16))")
    reference = "TypeError: input 'x0' is declared TensorProto.FLOAT16 but is fed bfloat16"
    both = (BFLOAT16_INPUT, BFLOAT16_VALUE, FLOAT16_INPUT)  # graph_traits of a bfloat16 input give both

    def parts(error, runtime, ops, traits=both):
        return root_parts("tf2onnx", "exporter", "run_crash", "run", error, runtime, ops, False, traits=traits)

    assert parts(ort, "onnxruntime", ["clamp"]) == parts(reference, "onnx-reference", ["tan"]) == \
        ["tf2onnx", "structure", "bfloat16 is declared float16"]
    # a float16 model of a float16 graph, or another exporter, is no such defect
    assert parts(ort, "onnxruntime", ["clamp"], (FLOAT16_INPUT,))[1] == "refused"
    assert root_parts("torchscript", "exporter", "run_crash", "run", ort, "onnxruntime", ["clamp"], False,
                      traits=both)[1] != "structure"


def test_torchscripts_bfloat16_cast_to_complex_is_one_defect_whichever_op_promoted():
    """TorchScript's scalar type pass writes torch's bfloat16 number (15), which ONNX reads as
    complex128: refused in other words at each op (review 15: norm and sdpa, three folders)."""
    from fuzzer.report.rootcause import BFLOAT16_INPUT

    def parts(error, ops, traits=(BFLOAT16_INPUT,)):
        return root_parts("torchscript", "exporter", "export_crash", "export", error, "", ops, False, traits=traits)

    words = ["torchscript", "structure", "type promotion casts bfloat16 to ONNX type 15, complex128"]
    assert parts("RuntimeError: Unsupported types: complex, string", ["norm"]) == words
    assert parts("RuntimeError: ScalarType ComplexFloat is an unexpected tensor scalar type",
                 ["scaled_dot_product_attention"]) == words
    # without a bfloat16 input the words are the failure's own
    assert parts("RuntimeError: Unsupported types: complex, string", ["norm"], ())[1] == "export_crash"


def test_onnxoptimizer_passes_that_fail_only_together_are_keyed_by_the_first():
    """eliminate_consecutive_idempotent_ops marks a merged Reshape's input of unknown shape rank 0,
    and whichever later pass trusts that mark shows it: a broken model through
    eliminate_nop_reshape or _split, an assertion in eliminate_shape_gather (reviews 12 to 17).
    The first pass failing alone is another defect (its Reshape merge ignoring a 0 in the shape)."""
    from fuzzer.report.rootcause import rule_keys

    def keys(kind, *rules):
        note = "no pass fails alone; it fails with them together" if len(rules) > 1 else "fails with this pass alone"
        return set(rule_keys("onnxoptimizer", "transformer", kind, {"system": "onnxoptimizer:passes", "rules": list(rules),
                                                                     "note": note}))

    first = "eliminate_consecutive_idempotent_ops"
    reshape = keys("invalid_model", first, "eliminate_nop_reshape")
    gather = keys("convert_crash", first, "eliminate_shape_gather")
    run = keys("run_crash", first, "eliminate_nop_split")
    assert reshape & gather and reshape & run
    assert not reshape & keys("invalid_model", first)
    assert not reshape & keys("invalid_model", "eliminate_nop_reshape", "eliminate_shape_op")


def test_a_runtime_handing_bfloat16_back_as_another_type_is_one_defect_whichever_kernel():
    """Review 17: OpenVINO returned a bfloat16 output as float16 after a Cast and after a
    HardSwish; its binding converts, not the kernel. Other wrong types stay the kernel's."""
    from fuzzer.report.rootcause import rule_keys

    def keys(kernel, error):
        return set(rule_keys("openvino", "runtime", "dtype_mismatch", {"system": "openvino:ops", "rules": [kernel]}, error))

    cast = keys("Cast(float32)", "output 0: dtype float16, expected bfloat16")
    assert cast & keys("HardSwish(bfloat16)", "output 0: dtype float16, expected bfloat16")
    assert not cast & keys("HardSwish(bfloat16)", "output 0: dtype float32, expected float16")
    assert not keys("Cast(float32)", "output 0: dtype float64, expected float32") & keys(
        "ConstantOfShape(float32)", "output 0: dtype float64, expected float32")


def test_a_runtime_crash_after_a_kernels_wrong_shape_is_that_kernels_wrong_shape():
    """Review 18: onnx.reference's GlobalMaxPool reduces the channel axis of a 3-D input; a
    Reshape after it refused the size once, a Squeeze the axis another time."""
    from fuzzer.report.rootcause import rule_keys

    def keys(error, shown="wrong shape"):
        fault = {"system": "onnx-reference:ops", "rules": ["GlobalMaxPool(float32)"], "shown": shown}
        return set(rule_keys("onnx-reference", "runtime", "run_crash", fault, error))

    reshape = keys("ValueError: cannot reshape array of size 1 into shape (1,2)")
    assert reshape & keys("AxisError: axis 2 is out of bounds for array of dimension 2")
    assert not reshape & keys("AxisError: axis 2 is out of bounds for array of dimension 2", shown="")


def test_onnx_reference_pooling_words_are_one_whichever_branch_wrote_the_shape():
    """Review 18: MaxPool's ceil_mode branch says out_shape=[0], the other out_shape=(-1,)."""
    from fuzzer.report.rootcause import rule_keys

    def keys(error):
        return set(rule_keys("onnx-reference", "runtime", "run_crash", {"system": "onnx-reference:ops", "rules": ["MaxPool(float32)"]},
                             error))

    words = "RuntimeError: output shape cannot be null or negative, out_shape={}, auto_pad='VALID', input_spatial_shape=(1,)"
    assert keys(words.format("[0]")) & keys(words.format("(-1,)"))


def test_torchscripts_bfloat16_typed_complex_is_one_defect_whichever_way_the_export_fails():
    """Review 18: the scalar type analysis' own assert (sub of a bool and a bfloat16) repeats the
    complex constant it makes for norm's bfloat16 Cast (f2c024)."""
    from fuzzer.report.rootcause import rule_keys

    def keys(error, dtype="bfloat"):
        fault = {"system": "torchscript:symbolic", "rules": [], "core": [["sub", {}, [f"{dtype}/0-d", dtype]]]}
        return set(rule_keys("torchscript", "exporter", "export_crash", fault, error))

    assert keys('RuntimeError: output_scalar_type == input_tensor_type INTERNAL ASSERT FAILED at "/p/torch/csrc/jit/passes/'
                'onnx/scalar_type_analysis.cpp":409') & keys("RuntimeError: ScalarType ComplexDouble is an unexpected tensor scalar type")
    assert not keys("RuntimeError: ScalarType ComplexDouble is an unexpected tensor scalar type", dtype="float")


def test_onnxoptimizer_passes_that_each_fail_alone_are_not_keyed_as_a_pair():
    """Several passes named because each fails alone are several defects, not one left by the first."""
    from fuzzer.report.rootcause import rule_keys

    def keys(*rules, note):
        return set(rule_keys("onnxoptimizer", "transformer", "invalid_model",
                             {"system": "onnxoptimizer:passes", "rules": list(rules), "note": note}))

    alone = "fails with this pass alone"
    assert not keys("eliminate_nop_reshape", "eliminate_shape_op", note=alone) & keys(
        "eliminate_nop_reshape", "fuse_bn_into_conv", note=alone)
    together = "no pass fails alone; it fails with [...] together, and without any one of them it does not"
    assert keys("eliminate_consecutive_idempotent_ops", "eliminate_nop_split", note=together) & keys(
        "eliminate_consecutive_idempotent_ops", "eliminate_shape_op", note=together)


# ---- review 22's repeats: one defect met through another face, opset or graph


def test_tracts_eager_evaluation_at_load_is_the_kernels_run_crash():
    """tract evaluates an op whose inputs are all constant while it analyses the model, with the
    kernel a run uses: ScatterND's negative indices refused at load (713484) and at run (b350f7)
    are one defect. Another eager-evaluation chain, and a load crash that evaluates nothing, stay
    load crashes."""
    load = ('TractError: Failed analyse for node #5 "t20" ScatterNd\n\nCaused by:\n    0: Eager eval during inference\n'
            '    1: Evaluating #3 "adhoc" ScatterNd\n    2: ScatterND index -3 out of bounds for data shape [4] '
            '(indices tensor [[-3]], shape=[1, 1], strides=[1, 1], layout=CFcf (0xf), dynamic ndim=2)')
    run = ('TractError: Evaluating #6 "node_ScatterND_16" ScatterNd\n\nCaused by:\n    ScatterND index -1 out of bounds '
           'for data shape [1] (indices tensor [[-1]], shape=[1, 1], strides=[1, 1], layout=CFcf (0xf), dynamic ndim=2)')
    at_load = root_parts("tract", "runtime", "load_crash", "load", load, "tract", ["Cast"], False)
    assert at_load == root_parts("tract", "runtime", "run_crash", "run", run, "tract", ["Squeeze"], False)
    assert at_load[1:3] == ["run_crash", "run"] and at_load[-1] == "ScatterND"
    # the same words from another runtime's load are that runtime's business
    assert root_parts("openvino", "runtime", "load_crash", "load", load, "openvino", ["Cast"], False)[1] == "load_crash"
    translating = 'TractError: Translating node #4 "/Gemm" Gemm ToTypedTranslator\n\nCaused by:\n    expected 1,1,F16 got 1,1,F32'
    assert root_parts("tract", "runtime", "load_crash", "load", translating, "tract", ["Gemm"], False)[1] == "load_crash"


def test_an_ir3_initializer_a_tools_own_check_refuses_is_one_defect_whichever_op_was_folded():
    """onnxsim checks what it made and raises: its IR-3 initializers missing from the inputs are a
    convert crash, met through a folded Reshape (e47d5f) and a folded Add (818885) alike."""
    from fuzzer.report.rootcause import IR3

    def parts(name, sinks, traits=(IR3,)):
        return root_parts("onnxsim", "transformer", "convert_crash", "convert",
                          f"RuntimeError: {name} in initializer but not in graph input", "", sinks, False, traits=traits)

    assert parts("_v_7", ["Reshape"]) == parts("_v_9", ["Add"])
    assert parts("_v_7", ["Reshape"])[1] == "structure"
    assert parts("_v_7", ["Reshape"], ()) != parts("_v_9", ["Add"], ())  # not IR 3: the op keeps them apart


def test_tf2onnx_declaring_a_bfloat16_the_graph_makes_float16_is_the_same_defect():
    """Reviews 22 and 23: a Cast to bfloat16 inside the graph, then LogSoftmax or ReduceMean, comes
    out float16: the dtype table's bfloat16 -> float16 again (443c3c), with no bfloat16 input."""
    from fuzzer.ir import DType, Graph, TensorType
    from fuzzer.report.rootcause import BFLOAT16_INPUT, BFLOAT16_VALUE, graph_traits

    g = Graph()
    x = g.add_input(TensorType(DType.float32, (2,)))
    g.outputs = g.add_node("to", [x], {"dtype": "bfloat16"}, [TensorType(DType.bfloat16, (2,))]).outputs
    traits = graph_traits(g)
    assert BFLOAT16_VALUE in traits and BFLOAT16_INPUT not in traits
    wrong = "output 0: dtype float16, expected bfloat16"

    def parts(kind, error, ops, traits=traits):
        return root_parts("tf2onnx", "exporter", kind, "judge", error, "", ops, False, traits=traits)

    assert parts("dtype_mismatch", wrong, ["log_softmax"]) == parts("dtype_mismatch", wrong, ["mean"]) == \
        ["tf2onnx", "structure", "bfloat16 is declared float16"]
    assert parts("dtype_mismatch", wrong, ["mean"], ())[1] != "structure"  # no bfloat16 in the graph
    assert parts("dtype_mismatch", "output 0: dtype float32, expected float16", ["mean"])[1] != "structure"


def test_dynamos_lost_cast_back_is_seen_where_the_upcast_reads_a_half_value_the_graph_made():
    """Review 22: mse_loss on a float16 input upcasts an Expand of it, not the input itself; the
    cast back to float16 is lost as for cumsum (2c1eba)."""
    from onnx import TensorProto as T
    from onnx import helper

    from fuzzer.report.rootcause import UPCAST_KEPT, model_traits
    from tests.unit.test_root_cause import _model

    x = helper.make_tensor_value_info("x0", T.FLOAT16, [])
    out = helper.make_tensor_value_info("out0", T.FLOAT, [1])
    shape = helper.make_tensor("t1", T.INT64, [1], [1])
    nodes = [helper.make_node("Expand", ["x0", "t1"], ["t3"]), helper.make_node("Cast", ["t3"], ["t4"], to=T.FLOAT),
             helper.make_node("Mul", ["t4", "t4"], ["out0"])]
    assert UPCAST_KEPT in model_traits(_model(nodes, [x], [out], [shape]))
    back = nodes + [helper.make_node("Cast", ["out0"], ["out1"], to=T.FLOAT16)]
    assert UPCAST_KEPT not in model_traits(_model(back, [x], [helper.make_tensor_value_info("out1", T.FLOAT16, [1])], [shape]))


def test_a_check_quoting_the_number_it_checked_is_worded_as_the_one_that_does_not():
    """Review 22: NegativeLogLikelihoodLoss's inference at opset 12 adds "input_rank=1" to the
    words it has at opset 16: TorchScript's unbatched nll_loss is one defect at both."""
    words = ("InferenceError: [ShapeInferenceError] Inference error(s): (op_type:NegativeLogLikelihoodLoss, node name: "
             "/NegativeLogLikelihoodLoss{n}): [ShapeInferenceError] Input rank must be >= 2.{more}")
    assert ts_check(words.format(n="_1", more=" input_rank=1"), ["nll_loss"]) == \
        ts_check(words.format(n="", more=""), ["nll_loss"])
    assert ts_check(words.format(n="", more=" input_rank=1"), ["nll_loss"]) != \
        ts_check(words.format(n="", more=" but got 3"), ["nll_loss"])


def test_a_wrong_result_of_torchs_decompositions_keeps_its_op():
    """A component's crash is keyed without its op (torch.jit.trace fails alike whatever op it met),
    its wrong result is not: torch's decompositions are one per op, and an op-less key counted every
    later decomposition's wrong values as hits on index_add's (the 3-minute check of stop 31)."""
    from pathlib import Path

    from fuzzer.report.rootcause import component_wide
    from fuzzer.report.writer import _filed_key

    assert component_wide("torch's decompositions", "export_crash") and component_wide("torch.jit.trace", "invalid_model")
    assert not any(component_wide("torch's decompositions", k) for k in ("value_mismatch", "dtype_mismatch", "shape_mismatch", "nan_inf"))
    assert not component_wide("", "export_crash")
    folder = Path(__file__).resolve().parents[2] / "bugs" / "dynamo-value-mismatch-50f5e4"
    parts = _filed_key(json.loads((folder / "case.json").read_text()), folder, parts=True)
    assert parts[-1] == "index_add"


# ---- review 24's repeats: one defect under another op, in other words, or killing the process


def _bug(name):
    from pathlib import Path

    folder = Path(__file__).resolve().parents[2] / "bugs" / name
    return json.loads((folder / "case.json").read_text()), folder


def _key(name):
    from fuzzer.report.writer import _filed_key

    return _filed_key(*_bug(name))


def test_a_runtime_crash_names_the_op_of_the_model_it_ran_where_the_graphs_op_is_not_there():
    """OpenVINO refusing a Where on bool, given a Where(Not) motif that onnxoptimizer rewrote into
    a Where (e18822), and given a Where itself (fe5446); refusing a Split read by a bool Cast, given
    torch's all() over no dims, which is a Cast and no ReduceMin (0eaf1f), and given a cast (c73816)."""
    from fuzzer.report.rootcause import given_sink_ops

    assert _key("openvino-load-crash-e18822") == _key("openvino-load-crash-fe5446")
    assert _key("openvino-load-crash-0eaf1f") == _key("openvino-load-crash-c73816")
    assert given_sink_ops(["Not"], "runtime", ["Where"], "load_crash", {"Where"}) == ["Where"]
    # the graph's op in the model (Det before the Cast an export appends), a wrong result, a
    # transformer, a model not at hand: the graph's op
    assert given_sink_ops(["Det"], "runtime", ["Cast"], "load_crash", {"Det", "Cast"}) == ["Det"]
    assert given_sink_ops(["Not"], "runtime", ["Where"], "value_mismatch", {"Where"}) == ["Not"]
    assert given_sink_ops(["Not"], "transformer", ["Where"], "convert_crash", {"Where"}) == ["Not"]
    assert given_sink_ops(["Not"], "runtime", ["Where"], "load_crash") == ["Not"]


def test_a_runtime_refusing_an_inputs_feed_is_one_defect_whichever_op_reads_it():
    """OpenVINO's Python API feeds a 0-d bfloat16 as float16, under a Reshape (070cfa) and under a
    Greater (79a350): no op has run."""
    assert _key("openvino-run-crash-79a350") == _key("openvino-run-crash-070cfa")
    assert root_parts("openvino", "runtime", "run_crash", "run", "RuntimeError: Failed to set tensor for input x0", "openvino",
                      ["Greater"], False)[-1] == "the inputs"


def test_the_float16_converter_leaving_an_untyped_value_into_a_kept_op_uncast_is_one_defect():
    """GroupNormalization's output, which ONNX inference leaves untyped, read by Max (8025c6) and by
    Min (0b40fb): the converter finds no type and inserts no Cast before the op it keeps in float32."""
    from onnx import TensorProto as T
    from onnx import helper

    from fuzzer.report.rootcause import UNTYPED_INTO_KEPT, model_traits
    from tests.unit.test_root_cause import _model

    assert _key("float16-invalid-model-0b40fb") == _key("float16-invalid-model-8025c6")
    x = helper.make_tensor_value_info("x", T.FLOAT, [1, 2, 3])
    y = helper.make_tensor_value_info("y", T.FLOAT, None)
    inits = [helper.make_tensor(n, T.FLOAT, [2], [1.0, 1.0]) for n in ("s", "b")]
    groupnorm = helper.make_node("GroupNormalization", ["x", "s", "b"], ["g"], num_groups=2)
    untyped = _model([groupnorm, helper.make_node("Min", ["g", "x"], ["y"])], [x], [y], inits, opset=21)
    assert UNTYPED_INTO_KEPT in model_traits(untyped)
    typed = _model([helper.make_node("Sin", ["x"], ["g"]), helper.make_node("Min", ["g", "x"], ["y"])], [x], [y], opset=21)
    assert UNTYPED_INTO_KEPT not in model_traits(typed)


def test_a_kernel_killing_the_process_in_a_dependency_is_one_defect_whichever_op_showed_it():
    """tract's Mod swapping its operands divides by the dividend's zeros and dies in Rust's integer
    remainder, alone (8a204e) and under the Where of torch's floor division (e180a2): the kernel and
    the death line are one defect; filing finds it through a duplicate record, as reviewers left it."""
    from fuzzer.report.rootcause import rule_keys

    def keys(name):
        case, _ = _bug(name)
        b = case["bug"]
        return set(rule_keys(b["system"], b["role"], b["kind"], b.get("rule_at_fault"), b["error"], b["path"], b.get("death") or ""))

    assert _key("tract-run-crash-e180a2") != _key("tract-run-crash-8a204e")
    assert keys("tract-run-crash-e180a2") & keys("tract-run-crash-8a204e")
    assert not keys("tract-run-crash-e180a2") & keys("tract-run-crash-4b9794")  # Mod(uint8), its own panic line


def test_filing_finds_a_rule_twin_among_duplicate_records():
    """A failure sharing a rule key only with a duplicate record (tract's Mod death under a Where,
    like 8a204e, a record of the live 8cd222) is counted there, not written."""
    from fuzzer.report.rootcause import rule_keys
    from fuzzer.report.writer import same_rule_bug

    case, folder = _bug("tract-run-crash-e180a2")
    b = case["bug"]
    keys = rule_keys(b["system"], b["role"], b["kind"], b.get("rule_at_fault"), b["error"], b["path"], b.get("death") or "")
    twin = same_rule_bug(keys, [folder.parent], folder)
    assert twin is not None and twin.name == "tract-run-crash-8a204e"


def _record(name):
    from pathlib import Path

    import pytest

    path = Path(__file__).resolve().parents[2] / "bugs" / name / "case.json"
    if not path.exists():
        pytest.skip(f"bugs/{name} is gone")
    return json.loads(path.read_text())["bug"]


def _keys_of(bug):
    from fuzzer.report.rootcause import rule_keys

    return set(rule_keys(bug["system"], bug["role"], bug["kind"], bug["rule_at_fault"], bug["error"], bug["path"]))


def test_two_torchscript_functions_that_hand_all_to_one_helper_are_that_helper():
    """Review 26: gt on int8 at opset 8 (bd7f0c) repeated lt on bool at opset 7 (a44e3c): both are
    `return _comparison_operator(g, input, other, ...)`, whose scalar typed as the input is the
    defect. Opset 9's gt and lt hand to two helpers, and stay apart."""
    from fuzzer.coverage.torch_exporters import helper_code

    assert _keys_of(_record("torchscript-value-mismatch-bd7f0c")) & _keys_of(_record("torchscript-value-mismatch-a44e3c"))
    assert helper_code("aten::gt", 8) == helper_code("aten::lt", 8) == "symbolic_opset8._comparison_operator"
    assert helper_code("aten::gt", 9) != helper_code("aten::lt", 9)
    assert helper_code("aten::maximum", 7) == helper_code("aten::max", 9) == "symbolic_helper._max_helper"


def test_an_in_place_cut_that_shows_a_wrong_type_is_the_in_place_defect_whatever_the_graph_then_computes():
    """Review 26: gt_ left its float input bool, and the div_ after it cast its divisor to bool: a
    wrong value (693cb0), the defect of ge_'s wrong type (ed4484)."""
    wrong_value = _record("torchscript-value-mismatch-693cb0")
    assert wrong_value["kind"] == "value_mismatch" and wrong_value["rule_at_fault"]["shown"] == "wrong type"
    assert "inplace:torchscript" in _keys_of(wrong_value) & _keys_of(_record("torchscript-dtype-mismatch-ed4484"))


def test_an_export_crash_after_a_cut_that_already_breaks_the_model_is_that_functions_broken_model():
    """Review 27: sigmoid on uint8 writes Sigmoid on uint8 (the checker refuses it), and the
    export raised later in hardtanh's constant (5f5455); on int8, min's dtype check raised
    instead (05db77, live). One defect of sigmoid's function."""
    crash = _record("torchscript-export-crash-5f5455")
    assert crash["rule_at_fault"]["shown"] == "breaks the model"
    assert any(k.startswith("function:") for k in _keys_of(crash) & _keys_of(_record("torchscript-export-crash-05db77")))

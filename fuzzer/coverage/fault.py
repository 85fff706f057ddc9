"""The rule at fault in a filed bug: which rule of the blamed system makes its failure.

Each system exposes its rules differently (fuzzer.coverage's modules record them),
so each is asked in the way it allows, always on the bug's own minimized case:
- ONNX Runtime (a runtime at an optimization level, or its offline optimizer) and
  onnxoptimizer: bisection over the transformers that modified the graph, or each pass
  run alone (fuzzer.coverage.localize). A runtime bug that still fails with every
  transformer off is its kernel's: the rule is the kernel, (op, element type);
- onnxsim and onnxslim: each of their passes or patterns run alone on the model they
  were given, until one alone shows the failure. When the failure shows with none of
  them, the fault is in the tool's own model handling (onnxslim's graphsurgeon import,
  onnxsim's shape inference), and that is what the answer says;
- the exporters (TorchScript's symbolic functions, dynamo's torchlib functions,
  tf2onnx's handlers): the bug's graph is exported again with the rules recorded in
  order. An export that raises is the fault of the rule running when it raised (the
  last one to start); a model that is wrong or invalid is the fault of the one
  non-trivial rule the (minimized, usually one-op) graph dispatched to, or, with
  several, of those candidates;
- the other transformers (onnxscript's optimizer, the version converter, the float16
  converter, ORT's quantizer): the rules their transform records, one or several;
- the other runtimes (onnx-reference, OpenVINO, tract): the kernel of the failing
  node, (op, element type), named by the error or the only node of its op type, else the first
  node after which the model, cut there, already fails. A refused element type is the fault of
  the first node feeding the refusing one whose output already has another type than the schemas
  give it.

`python -m fuzzer.coverage.fault bugs/` localizes every folder and records the answer in
its case.json ("rule_at_fault").
"""
from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from fuzzer.errors import causes
from fuzzer.ir.types import numpy_of, read_npz
from fuzzer import coverage

#: rules every export dispatches whatever the model: never the one at fault when another ran
#: (a dtype conversion among them: the casts a graph's inputs get are the frontend's, and the
#: reviewed folders put the fault in the op they feed: tf2onnx's FloorMod, dynamo's aten_any_dims)
TRIVIAL = re.compile(r"^(prim::|onnx::|aten::(size|to|detach|clone|contiguous|alias|_to_copy)\b|Placeholder$|Const$|Identity$"
                     r"|NoOp$|Cast$|prims_convert_element_type$)")


#: the environment variable naming the file a localizing process appends each rule it runs to
TRACE = "ONNXFUZZ_FAULT_TRACE"


@dataclass
class Fault:
    """A bug's rule at fault within one system's rules."""

    #: the rule system ("torchscript:symbolic", "onnxruntime:transformers@all", "onnxslim:rules", ...)
    system: str
    #: the rule(s) at fault; [] when none could be named (note says why)
    rules: list[str]
    #: the rules it chose among
    candidates: list[str] = field(default_factory=list)
    #: how it was found, or why nothing was
    note: str = ""
    #: for an exporter's bug: the ops of the first graph cut that fails on its path, each as
    #: core_of writes it (op, its attributes' shape, operand dtypes); what one defect met through
    #: several symptoms has in common (fuzzer.report.rootcause.rule_key). [] when not found
    core: list = field(default_factory=list)
    #: for an exporter's bug: the id of the op node after which the graph is first cut to fail
    #: (not recorded: a graph node id means nothing outside this localization)
    cut_node: int | None = field(default=None, compare=False, repr=False)
    #: for a runtime's crash localized by cutting the model: "wrong shape" when the first failing
    #: cut does not crash but already computes another shape than a witness, "wrong type" when a
    #: cut feeding the node that refuses an element type already has another type than the
    #: schemas give it, so the kernel's defect is that, and the crash further on only shows it;
    #: "" otherwise
    shown: str = ""
    #: for an exporter's first failing cut: it failed only by what its model declares or by an
    #: element type the checker refuses, not by a verdict on what it computes (not recorded)
    soft: bool = field(default=False, compare=False, repr=False)
    #: for a runtime kernel's wrong result at half precision: the model made float32 fails too, so
    #: the defect is in the op's code for every element type, not in its half-precision kernel
    every_type: bool = False
    #: for OpenVINO: the part of its CPU plugin whose setting off clears the failure (its
    #: SUBSYSTEMS), where the defect lives rather than in the op's translation or shape analysis
    subsystem: str = ""

    def to_json(self) -> dict:
        out = asdict(self)
        del out["cut_node"], out["soft"]
        for said in ("shown", "every_type", "subsystem"):  # only where it says something: other records stay as they were
            if not out[said]:
                del out[said]
        return out

    @property
    def named(self) -> str:
        """The rule(s) as a report line shows them, or "" when none was found."""
        return ", ".join(self.rules)


#: rewrites that change a model's values by design, within a bound their code states: a value
#: mismatch whose every rule at fault is one of them is no bug (rule -> why, for the record)
APPROXIMATE_BY_DESIGN = {
    "DoubleQDQPairsRemover": "ONNX Runtime's DoubleQDQPairsRemover replaces Q1 -> DQ1 -> Q2 -> DQ2 by one pair whose "
                             "scale and zero point cover the intersection of both ranges (double_qdq_pairs_remover.cc), "
                             "so values move by up to a quantization step by design",
}


def approximates_by_design(bug: dict) -> str:
    """Why bug (a case.json "bug" record with its rule_at_fault) is a rewrite's designed
    approximation rather than a defect, or "" when it is not one."""
    fault = bug.get("rule_at_fault") or {}
    rules = fault.get("rules") or []
    if bug.get("kind") != "value_mismatch" or not rules or not all(r in APPROXIMATE_BY_DESIGN for r in rules):
        return ""
    return "; ".join(APPROXIMATE_BY_DESIGN[r] for r in rules)


def rule_at_fault(folder) -> Fault | None:
    """The rule at fault of the bug filed in folder (case.json, inputs.npz, model.onnx when
    the blamed system took a model); None when the blamed system exposes no rules here."""
    folder = Path(folder)
    case = json.loads((folder / "case.json").read_text())
    bug = case["bug"]
    name, role = bug["system"], bug["role"]
    if bug.get("component"):  # blame found the component the exporter runs first failing alone
        from fuzzer.convert.base import EXPORTERS_FUSIONS

        if bug["component"] == EXPORTERS_FUSIONS:
            return Fault(f"{name}:component", [bug["component"]], [bug["component"]],
                         f"{name} without its last optimization computes the module's result, onnxscript's optimizer "
                         f"alone keeps it right, and {bug['component']}, which {name} runs after them, make it wrong")
        return Fault(f"{name}:component", [bug["component"]], [bug["component"]],
                     f"{bug['component']}, which {name} runs before its own translation, fails the same way alone")
    try:
        if role == "exporter":
            return _exporter(folder, case)
        if name in ("onnxsim", "onnxslim"):
            return _pass_alone(folder, bug)
        if role == "transformer" and name in _RECORDED:
            return _recorded_transform(folder, bug)
        if _is_ort(name, role):
            return _ort(folder, bug)
        if role == "runtime":
            return _kernel(folder, bug, f"{name}:ops")
    except FileNotFoundError as e:
        return Fault(name, [], [], f"cannot localize: {e.filename} is missing")
    return None


# -- ONNX Runtime and onnxoptimizer ---------------------------------------------


def _is_ort(name: str, role: str) -> bool:
    from fuzzer.coverage.localize import LEVELS_OF_ORT
    from fuzzer.plugin import load_plugin

    try:
        plugin = load_plugin("runtime" if role == "runtime" else "converter", name)
    except Exception:
        return False
    return getattr(plugin, "level", None) in LEVELS_OF_ORT or hasattr(plugin, "pass_list")


def _ort(folder: Path, bug: dict) -> Fault:
    from fuzzer.coverage.localize import localize_bug

    loc = localize_bug(folder)
    if loc is None:
        return Fault(bug["system"], [], [], "not an ONNX Runtime or onnxoptimizer plugin")
    if len(loc.rules) == 1 and loc.rules[0].endswith("RuleBasedTransformer"):
        rule = _rewrite_rule_at_fault(folder, bug, loc.rules[0])
        if rule is not None:
            return Fault(loc.system, [rule], [*loc.candidates, *ORT_REWRITE_RULES],
                         f"{loc.note}; within {loc.rules[0]}, disabling its rewrite rule {rule} alone makes the "
                         "failure disappear")
    if loc.rules or bug["role"] != "runtime":
        return Fault(loc.system, loc.rules, loc.candidates, loc.note)
    kernel = _kernel(folder, bug, "onnxruntime:ops")
    kernel.note = f"{loc.note}; {kernel.note}"
    return _float16_fallback(folder, kernel) or kernel


#: the transformers ONNX Runtime always runs (disabled_optimizers cannot turn them off) that run a
#: float16 node it has no float16 kernel for in float32: one inserts the casts around it
#: (InsertCastTransformer, logged under this name), the other merges the casts that meet
RUN_IN_FLOAT32 = ("CastFloat16Transformer", "RemoveDuplicateCastTransformer")


def _float16_fallback(folder: Path, kernel: Fault) -> Fault | None:
    """The float16 fallback at fault rather than the kernel: ONNX Runtime runs a float16 node it
    has no float16 kernel for in float32, between casts its mandatory transformers insert, and
    a model's own Cast to float16 before it then meets an inserted Cast back to float32: the two
    go as duplicates, and the rounding the model asked for with them (review 26: Less after a
    Clip, which repeated bugs/' Equal after a Reshape, 6dddb1). At fault when feeding each Cast to
    float16 that went its exact result (its input, as ONNX Runtime computes it, rounded to
    float16) as a graph input, which no transformer merges, changes the outputs; a failure that
    stays (Where's lost sign of -0.0 before a float16 Div, 56573a) is not the fallback's. None then,
    or when the node ran at float16."""
    import numpy as np
    import onnx
    from onnx import helper

    from fuzzer.coverage.localize import filed_inputs, ort_attempt

    if len(kernel.rules) != 1 or not kernel.rules[0].endswith("(float16)"):
        return None
    model = onnx.load_model_from_string((folder / "model.onnx").read_bytes())
    attempt = ort_attempt(model.SerializeToString(), "ORT_DISABLE_ALL", [])
    if attempt.optimized is None or attempt.session is None or not set(RUN_IN_FLOAT32) <= set(attempt.modified):
        return None
    produced = {o for n in onnx.load_model_from_string(attempt.optimized).graph.node for o in n.output}
    gone = [n for n in model.graph.node if n.op_type == "Cast" and n.output[0] not in produced
            and any(a.name == "to" and a.i == onnx.TensorProto.FLOAT16 for a in n.attribute)]
    if not gone:
        return None
    try:
        feeds = _by_name([i.name for i in attempt.session.get_inputs()], filed_inputs(folder))
        ran = attempt.session.run(None, feeds)
        # each Cast's input, as ONNX Runtime computes it: a float32 value, no cast to merge there
        types = element_types(model)
        seen = onnx.ModelProto()
        seen.CopyFrom(model)
        seen.graph.output.extend(helper.make_tensor_value_info(n.input[0], types.get(n.input[0], 0), None) for n in gone)
        probe = ort_attempt(seen.SerializeToString(), "ORT_DISABLE_ALL", [])
        before = probe.session.run([n.input[0] for n in gone], feeds)
        fed = onnx.ModelProto()
        fed.CopyFrom(model)
        kept = [n for n in fed.graph.node if n.output[0] not in {c.output[0] for c in gone}]
        del fed.graph.node[:]
        fed.graph.node.extend(kept)
        fed.graph.input.extend(helper.make_tensor_value_info(n.output[0], onnx.TensorProto.FLOAT16, np.shape(v))
                               for n, v in zip(gone, before))
        exact = ort_attempt(fed.SerializeToString(), "ORT_DISABLE_ALL", [])
        fixed = exact.session.run(None, {**feeds, **{n.output[0]: np.asarray(v).astype(np.float16) for n, v in zip(gone, before)}})
    except Exception:  # noqa: BLE001 - a model this cannot take apart: the kernel stays at fault
        return None
    if all(np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True) for a, b in zip(ran, fixed)):
        return None
    op = kernel.rules[0].split("(")[0]
    return Fault("onnxruntime:transformers@mandatory", list(RUN_IN_FLOAT32), [*kernel.candidates, *RUN_IN_FLOAT32],
                 f"{kernel.note}; ONNX Runtime has no float16 kernel for {op} and runs it in float32 between casts its "
                 f"mandatory transformers insert, merging the model's Cast to float16 ({', '.join(n.output[0] for n in gone)}) "
                 "away: fed that Cast's exact result as an input instead, the model computes otherwise")


#: the rewrite rules of ORT's rule-based transformers, by the names disabled_optimizers takes (its
#: log names only the transformer that holds them; an unknown name is ignored, so a rule a newer
#: ORT renamed is simply never found)
ORT_REWRITE_RULES = ("EliminateIdentity", "EliminateSlice", "UnsqueezeElimination", "EliminateDropout",
                     "ExpandElimination", "CastElimination", "PreShapeNodeElimination", "NoopElimination",
                     "DivMulFusion", "FuseReluClip", "GemmSumFusion", "GemmTransposeFusion", "NotWhereFusion",
                     "ConvAddFusion", "ConvMulFusion", "ConvBNFusion", "PadFusion", "MatmulBNFusion",
                     "ClipQuantFusion", "ReluQuantFusion", "LabelEncoderFusion")


def _rewrite_rule_at_fault(folder: Path, bug: dict, transformer: str) -> str | None:
    """The one rewrite rule of a rule-based ORT transformer whose disabling alone clears the bug."""
    from fuzzer.coverage.localize import (LEVELS_OF_ORT, _noopt_outputs, differs, error_pattern, filed_inputs, ort_attempt,
                                         raises)
    from fuzzer.plugin import load_plugin

    plugin = load_plugin("runtime" if bug["role"] == "runtime" else "converter", bug["system"])
    level = getattr(plugin, "level", None)
    if level not in LEVELS_OF_ORT:
        return None
    model = (folder / "model.onnx").read_bytes()
    first = (bug.get("error") or "").strip().splitlines()
    if bug["kind"].endswith("_crash") and first:
        fails = raises(error_pattern(first[0]))
    else:
        fails = differs(*_noopt_outputs(model, filed_inputs(folder)))
    cleared = [r for r in ORT_REWRITE_RULES if not fails(ort_attempt(model, level, [r]))]
    return cleared[0] if len(cleared) == 1 else None


# -- kernels ---------------------------------------------------------------------


def element_types(model) -> dict[str, int]:
    """Every value's element type (TensorProto), as shape inference or the model states it."""
    import onnx

    try:
        graph = onnx.shape_inference.infer_shapes(model).graph
    except Exception:  # what the model states, then
        graph = model.graph
    types = {vi.name: vi.type.tensor_type.elem_type for vi in (*graph.input, *graph.value_info, *graph.output)}
    types.update({t.name: t.data_type for t in graph.initializer})
    return types


def kernel_name(node, types: dict[str, int]) -> str:
    """A node's kernel as a rule at fault names it: its op and the element type of its first
    typed input ("Gemm(int64)"); the op alone when no input's type is known."""
    import onnx

    elem = next((types[i] for i in node.input if types.get(i)), None)
    return f"{node.op_type}({onnx.helper.tensor_dtype_to_np_dtype(elem).name})" if elem else node.op_type


def all_nodes(graph):
    """The nodes of graph and of its subgraphs (an If's branches, a Loop's body), depth first."""
    for node in graph.node:
        yield node
        for attr in node.attribute:
            for sub in ([attr.g] if attr.HasField("g") else []) + list(attr.graphs):
                yield from all_nodes(sub)


#: the element types a runtime may run through half-precision code of its own
_HALF = {"float16": 10, "bfloat16": 16}

#: the runtimes a model's right outputs are asked of, in order: ONNX Runtime where onnx.reference
#: has no kernel for an op at the model's opset (no DequantizeLinear before 19: review 26's
#: OpenVINO QuantizeLinear went unlocalized)
_WITNESSES = ("onnx-reference", "onnxruntime-noopt")


def _witnessed(model: bytes, feeds: dict, witnesses: tuple[str, ...] = _WITNESSES) -> list | None:
    """What the first of witnesses that runs model computes on feeds, or None when none does."""
    from fuzzer.plugin import load_plugin

    for name in witnesses:
        try:
            witness = load_plugin("runtime", name)
            session = witness.load(model)
            return witness.run(session, _by_name(witness.input_names(session), feeds))
        except Exception:  # noqa: BLE001 - no kernel there: the next witness
            continue
    return None


def _agree(got: list, want: list) -> bool:
    """Do two runs' outputs agree, shape and values (within 1e-3)?"""
    import numpy as np

    return len(got) == len(want) and all(
        np.shape(a) == np.shape(b) and np.allclose(np.asarray(a, np.float64), np.asarray(b, np.float64),
                                                   rtol=1e-3, atol=1e-3, equal_nan=True)
        for a, b in zip(got, want))


def _kernel(folder: Path, bug: dict, system: str) -> Fault:
    """The failing node's kernel (_kernel_named); for a wrong result at half precision, whether
    the model made float32 fails as well (Fault.every_type): tract's GlobalLpPool, expanded into
    generic ops, computes the same wrong norm at float16 and float32 (review 26 met at float16
    what bugs/ had at float32, 9467cd), where a half-precision kernel's defect is its own."""
    fault = _kernel_named(folder, bug, system)
    if system == "openvino:ops":
        fault.subsystem = _openvino_subsystem(folder, bug)
        if fault.subsystem:
            fault.note += f"; the failure goes with {fault.subsystem} off: the defect is there"
    half = re.fullmatch(r"\w+\((\w+)\)", fault.rules[0]) if len(fault.rules) == 1 else None
    if (half and half.group(1) in _HALF and bug["kind"] in ("value_mismatch", "nan_inf", "shape_mismatch")
            and _fails_widened(folder, bug, _HALF[half.group(1)])):
        fault.every_type = True
        fault.note += f"; the model with every {half.group(1)} made float32 fails too: the op's code for every type"
    return fault


def _openvino_subsystem(folder: Path, bug: dict) -> str:
    """The part of OpenVINO's CPU plugin (SUBSYSTEMS) whose setting off clears the bug: the model
    then loads and runs, in a process of its own, to the outputs a witness (onnx.reference, else
    ONNX Runtime) computes; "" when none does. Review 26 held a 0-d Min its snippets refuse to
    compile as near a defect of OpenVINO's shape analysis of Min; review 25 filed its low
    precision transformations' throw twice, through Mul and through Add."""
    import json

    from fuzzer.coverage.localize import filed_inputs
    from fuzzer.run.alone import run_alone
    from fuzzer.run.plugins.openvino import CONFIG_ENV, SUBSYSTEMS

    model = (folder / "model.onnx").read_bytes()
    feeds = filed_inputs(folder)
    want = _witnessed(model, feeds)
    if want is None:
        return ""
    for subsystem, settings in SUBSYSTEMS.items():
        ran = run_alone("openvino", model, feeds, outputs=True, env={CONFIG_ENV: json.dumps(settings)})
        if not (ran.died or ran.raised or ran.outputs is None) and _agree(ran.outputs, want):
            return subsystem
    return ""


def _fails_widened(folder: Path, bug: dict, half: int) -> bool:
    """Does the bug's runtime still compute other values than a witness (onnx.reference, else ONNX
    Runtime) on the bug's model with every value, weight, constant and cast of element type half
    made float32, on the inputs so widened?"""
    import numpy as np
    import onnx
    from onnx import numpy_helper

    from fuzzer.coverage.localize import filed_inputs
    from fuzzer.plugin import load_plugin

    model = onnx.load_model_from_string((folder / "model.onnx").read_bytes())
    float32 = onnx.TensorProto.FLOAT

    def widen_tensor(t) -> None:
        if t.data_type == half:
            t.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(t).astype(np.float32), t.name))

    def widen_graph(graph) -> None:
        for vi in (*graph.input, *graph.output, *graph.value_info):
            if vi.type.tensor_type.elem_type == half:
                vi.type.tensor_type.elem_type = float32
        for t in graph.initializer:
            widen_tensor(t)
        for node in graph.node:
            for a in node.attribute:
                if a.type == onnx.AttributeProto.INT and a.name in ("to", "dtype", "output_dtype") and a.i == half:
                    a.i = float32
                elif a.type == onnx.AttributeProto.TENSOR:
                    widen_tensor(a.t)
                elif a.type == onnx.AttributeProto.GRAPH:
                    widen_graph(a.g)

    widen_graph(model.graph)
    try:
        onnx.checker.check_model(model, full_check=True)
        data = model.SerializeToString()
        feeds = {k: (v.astype(np.float32) if v.dtype == np.float16 or str(v.dtype) == "bfloat16" else v)
                 for k, v in filed_inputs(folder).items()}
        runtime = load_plugin("runtime", bug.get("runtime") or bug["system"])
        session = runtime.load(data)
        got = runtime.run(session, _by_name(runtime.input_names(session), feeds))
    except Exception:  # noqa: BLE001 - a model that does not widen, or a runtime refusing it: no answer
        return False
    want = _witnessed(data, feeds)
    return want is not None and not _agree(got, want)


def _kernel_named(folder: Path, bug: dict, system: str) -> Fault:
    """The failing node's kernel, (op, element type): the node the error names, else the one
    node of the model (or the one op type the model has)."""
    import onnx

    model = onnx.load_model_from_string((folder / "model.onnx").read_bytes())
    types = element_types(model)
    nodes = [n for n in model.graph.node if n.op_type not in ("Constant", "Identity")] or list(model.graph.node)

    def kernel(node) -> str:
        return kernel_name(node, types)

    from oracles.evidence import needed_nodes, type_clash

    error = bug.get("error", "")
    ops = {n.op_type for n in nodes}
    named = [n for n in nodes if (n.name and n.name in error) or re.search(rf"\b{re.escape(n.op_type)}\b", error)]
    if len(ops) > 1 and type_clash(error):
        # the node that refuses an element type only met it: the first node feeding it whose output
        # already has another type than the schemas give it made it (tract's ConstantOfShape making
        # float64 for the MatMul after it, onnx.reference's AffineGrid making float32 for a Div:
        # review 21); with no node named, any node of the model in its order
        feeding = {tuple(n.output) for n in needed_nodes(model.graph.node, {i for n in named for i in n.input})}
        before = [n for n in nodes if tuple(n.output) in feeding] if named else nodes
        first, shown = _first_failing_node(folder, bug, model, before, types_only=True)
        if first is not None:
            return Fault(system, [kernel(first)], sorted({kernel(n) for n in nodes}),
                         f"the first node feeding the one that refuses an element type whose output, the model cut "
                         f"after it, already has another element type than the schemas give it ({first.op_type})",
                         shown=shown)
    if len({n.op_type for n in named}) == 1:
        return Fault(system, [kernel(named[0])], sorted({kernel(n) for n in nodes}), "the node the error names")
    if len(ops) == 1:
        return Fault(system, [kernel(nodes[0])], [kernel(nodes[0])], "the model's only op type")
    first, shown = _first_failing_node(folder, bug, model, nodes)
    if first is not None:
        # a wrong shape is what makes the crash further on (a Reshape or Squeeze rightly refusing
        # it); wrong values may meet a kernel with a defect of its own there, so they are not kept
        # (onnx.reference's MaxPool crashing on the NaN a BatchNormalization made: 4b5b6d)
        shown = shown if bug["kind"] in ("load_crash", "run_crash") else ""
        return Fault(system, [kernel(first)], sorted({kernel(n) for n in nodes}),
                     f"the first node at which the model, cut after it, already fails ({first.op_type})"
                     + (f": it gives a {shown} there, which the crash further on shows" if shown else ""),
                     shown=shown)
    return Fault(system, [], sorted({kernel(n) for n in nodes}), "several op types, the error names none, and no "
                 "cut of the model fails alone")


def _by_name(names: list[str], inputs: dict) -> dict:
    """inputs.npz's arrays for the given input names; by position when the names differ (a
    folder's model renamed its inputs)."""
    feeds = {n: inputs[n] for n in names if n in inputs}
    return feeds if len(feeds) == len(names) else dict(zip(names, inputs.values()))


def _first_failing_node(folder: Path, bug: dict, model, nodes, types_only: bool = False) -> tuple:
    """(node, how) for the first node, in the model's order, such that the model cut after it (its
    outputs made the graph's, the nodes it does not need dropped) already goes wrong on the bug's
    runtime: computes another shape than a witness runtime (how "wrong shape"; onnx.reference,
    or ONNX Runtime for onnx.reference's own bugs), or other values, or raises what the bug
    raised, or dies (how ""). (None, "") when no cut shows it (the failure needs
    the whole model) or the bug's runtime is not known here.

    types_only: only an output whose element type differs from the one the schemas give it (ONNX
    inference) counts (how "wrong type"), with no witness run; a dtype_mismatch bug counts it too,
    before any witness. Other bugs do not: an unrelated node's wrong type is not their failure."""
    import numpy as np
    import onnx
    from onnx import helper

    from fuzzer.coverage.localize import filed_inputs
    from fuzzer.plugin import load_plugin
    from oracles import Kind, normalize_error
    from oracles.evidence import needed_nodes

    runtime_name = bug.get("runtime") or bug["system"]
    try:
        runtime = load_plugin("runtime", runtime_name)
        # the witness a cut's outputs are compared with: a wrong value may start before the node
        # that crashes on it (onnx.reference's Optional wraps its value in a list, and the
        # ReduceProd after it is what raises)
        witnesses = tuple(w for w in _WITNESSES if w != runtime_name)
        feeds_all = filed_inputs(folder)
    except Exception:
        return None, ""
    inits = {t.name for t in model.graph.initializer}
    feeds = _by_name([i.name for i in model.graph.input if i.name not in inits], feeds_all)
    inferred = onnx.shape_inference.infer_shapes(model).graph
    types = {vi.name: vi.type.tensor_type.elem_type for vi in (*inferred.value_info, *inferred.output)}
    crash = bug["kind"] in ("load_crash", "run_crash")

    def said(error: str) -> str:
        """The error's innermost cause (tract's last "Caused by" line), names and numbers out."""
        chain = (error or "").split("Caused by:")[-1]
        lines = [re.sub(r"^\d+:\s*", "", ln.strip()) for ln in chain.splitlines() if ln.strip()]
        return normalize_error(Kind(bug["kind"]), lines[-1] if lines else "")

    filed = said(bug.get("error") or "")
    from oracles.death import is_death

    dead = is_death(bug.get("error") or "")
    if dead and types_only:  # running a cut here could kill this process too
        return None, ""

    def run(rt, data):
        session = rt.load(data)
        return rt.run(session, {n: feeds[n] for n in rt.input_names(session) if n in feeds})

    for node in nodes:
        outs = [o for o in node.output if o and types.get(o)]
        if not outs:
            continue
        cut = onnx.ModelProto()
        cut.CopyFrom(model)
        kept = needed_nodes(cut.graph.node, set(outs))
        del cut.graph.node[:]
        cut.graph.node.extend(kept)
        del cut.graph.output[:]
        cut.graph.output.extend(helper.make_tensor_value_info(o, types[o], None) for o in outs)
        used = {i for n in kept for i in n.input}
        kept_inputs = [i for i in cut.graph.input if i.name in used or i.name in inits]
        del cut.graph.input[:]
        cut.graph.input.extend(kept_inputs)
        data = cut.SerializeToString()
        if dead and not types_only:  # the runtime killed its process: each cut runs in one of its own
            if _dies_the_same(runtime_name, data, feeds, bug.get("death") or ""):
                return node, ""
            continue
        try:
            got = run(runtime, data)
        except Exception as e:
            # the same failure, not another one the cut makes (a dangling quantized output)
            if crash and not types_only and said(f"{type(e).__name__}: {e}") == filed:
                return node, ""
            continue
        if types_only or bug["kind"] == "dtype_mismatch":
            # the schemas give each output its element type (the checker's inference): another
            # one is wrong whatever any witness computes
            if any(_wrong_type(a, types[o]) for o, a in zip(outs, got)):
                return node, "wrong type"
            if types_only:
                continue
        want = _witnessed(data, feeds, witnesses)
        if want is None:
            continue
        for a, b in zip(got, want):
            try:
                a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
            except (TypeError, ValueError):  # not even an array of numbers: wrong already
                return node, ""
            if a.shape != b.shape:
                return node, "wrong shape"
            if not np.allclose(a, b, rtol=1e-3, atol=1e-3, equal_nan=True):
                return node, ""
    return None, ""


def _wrong_type(value, elem_type: int) -> bool:
    """Whether a runtime's output value has another numeric dtype than elem_type gives (False when
    either is not a plain numeric type: an object array, a ragged list, bfloat16)."""
    import numpy as np

    want = _numpy_type(elem_type)
    try:
        got = np.asarray(value).dtype
    except (TypeError, ValueError):
        return False
    return want is not None and got != object and got != want


def _numpy_type(elem_type: int):
    """The numpy dtype every runtime returns for an ONNX element type, or None for those some
    return in another (bfloat16, the float8 and 4-bit types) or that have none."""
    import numpy as np
    from onnx import helper

    if elem_type not in _PLAIN_TYPES:
        return None
    return np.dtype(helper.tensor_dtype_to_np_dtype(elem_type))


#: element types every runtime plugin returns as their own numpy dtype
_PLAIN_TYPES = frozenset({1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13})


def _dies_the_same(runtime: str, model: bytes, feeds: dict, death: str) -> bool:
    """Does loading and running model on runtime kill the process it runs in, as the filed death
    says (death_line of its output; any death when the filed one said nothing)?"""
    from fuzzer.run.alone import run_alone
    from oracles.death import death_line

    ran = run_alone(runtime, model, feeds)
    return ran.died and (not death or death_line(ran.output) == death)


# -- the bug's symptom, for a transformer's output ----------------------------------


def _symptom(folder: Path, bug: dict):
    """fails(output bytes or raised error) -> does the transformer's result show the bug's
    failure: the filed error for a crash in the transform, an invalid model, or outputs (on ONNX
    Runtime with optimizations off) that differ from the given model's, or that do not run."""
    from fuzzer.coverage.localize import _noopt_outputs, crashes_on, differs, error_pattern, filed_inputs, ort_attempt, raises

    first = (bug.get("error") or "").strip().splitlines()
    if bug["stage"] == "convert":
        return raises(error_pattern(first[0] if first else ""))
    if bug["kind"].endswith("_crash") and bug["stage"] in ("load", "run") and first and bug.get("runtime"):
        return crashes_on(bug["runtime"], error_pattern(first[0]), filed_inputs(folder))
    if bug["kind"] == "invalid_model":
        import onnx

        def invalid(out) -> bool:
            if isinstance(out, BaseException):
                return False
            try:
                onnx.checker.check_model(onnx.load_model_from_string(out), full_check=True)
            except Exception:
                return True
            return False

        return invalid
    feeds, expected = _noopt_outputs((folder / "model.onnx").read_bytes(), filed_inputs(folder))
    wrong = differs(feeds, expected, rtol=1e-3, atol=1e-3)
    return lambda out: not isinstance(out, BaseException) and wrong(ort_attempt(out, "ORT_DISABLE_ALL", []))


def _pass_alone(folder: Path, bug: dict) -> Fault:
    """onnxsim's passes or onnxslim's patterns and passes, each run alone on the given model."""
    import onnx

    data = (folder / "model.onnx").read_bytes()

    def fresh():  # each attempt on its own copy: onnxslim keeps state in the proto it was given
        return onnx.load_model_from_string(data)

    fails = _symptom(folder, bug)
    stages: dict = {}  # onnxslim's own steps (below); onnxsim's are not separable
    if bug["system"] == "onnxsim":
        from fuzzer.coverage.onnxsim import FOLDING, SYSTEM, _passes

        import onnxsim

        rules = [*_passes(), FOLDING]

        def run(only: str | None):
            keep = [] if only is None else [only]
            try:
                out, _ = onnxsim.simplify(fresh(), check_n=0, skipped_optimizers=[p for p in rules[:-1] if p not in keep],
                                          skip_constant_folding=FOLDING not in keep)
                return out.SerializeToString()
            except Exception as e:
                return e

        def whole():
            try:
                return onnxsim.simplify(fresh(), check_n=0)[0].SerializeToString()
            except Exception as e:
                return e
    else:
        from fuzzer.coverage.onnxslim import PASSES, SYSTEM

        import onnxslim
        from onnxslim.core.pattern.registry import DEFAULT_FUSION_PATTERNS

        patterns = list(DEFAULT_FUSION_PATTERNS)
        rules = [*patterns, *PASSES]
        settings = {"constant_folding": "constant_folding", "dead_node_elimination": "dead_node_elimination",
                    "subexpression_elimination": "subexpression_elimination", "weight_tying": "weight_tying"}

        def run(only: str | None, **options):
            from onnxslim.core.optimization import OptimizationSettings

            skip_opt = [k for k in (*settings.values(), "graph_fusion")
                        if not (k == only or (k == "graph_fusion" and only in patterns))]
            try:
                return onnxslim.slim(fresh(), skip_optimizations=skip_opt, **options,
                                     skip_fusion_patterns=[p for p in patterns if p != only]).SerializeToString()
            except Exception as e:
                return e
            finally:  # slim() leaves its skips in class attributes that later calls inherit
                OptimizationSettings.reset()

        def whole():
            try:
                return onnxslim.slim(fresh()).SerializeToString()
            except Exception as e:
                return e

        def frozen():
            from onnxslim.core import freeze

            model = fresh()
            freeze(model)
            return model.SerializeToString()

        def round_trip():
            from onnxslim.third_party.onnx_graphsurgeon import export_onnx, import_onnx

            return export_onnx(import_onnx(fresh())).SerializeToString()

        # the steps of onnxslim's own model handling that run with every rule off, each with its
        # evidence: it makes the failing model alone, or leaving it out clears the failure
        stages = {
            "freeze": (lambda: fails(frozen()),
                       "onnxslim.core.freeze alone, the first step of slim(), makes the failing model"),
            "onnx_graphsurgeon import/export": (
                lambda: fails(round_trip()),
                "importing the model into onnxslim's graph surgeon and exporting it back makes the failing model"),
            "shape_infer": (lambda: not fails(run(None, no_shape_infer=True)),
                            "the failure goes when onnxslim runs without its shape inference (no_shape_infer=True)"),
        }
    if not fails(whole()):
        return Fault(SYSTEM, [], rules, "the failure does not show when the tool runs again on the filed model")
    outside = (f"the fault is in {bug['system']}'s own model handling (import, shape inference or export), "
               "not in a rule")
    none_on = run(None)
    if fails(none_on):
        for stage, (shown_by, why) in stages.items():
            try:
                at_fault = shown_by()
            except Exception:  # the step cannot run alone on this model: no evidence either way
                at_fault = False
            if at_fault:
                handler = _shape_handler_at_fault(fresh(), lambda: run(None), fails) if stage == "shape_infer" else None
                if handler is not None:
                    return handler
                return Fault(f"{bug['system']}:code", [stage], rules,
                             f"the failure shows with every rule of {bug['system']} off: {why}")
        return _handling(SYSTEM, bug, none_on, rules, f"the failure shows with every rule of {bug['system']} off: {outside}")
    alone = [r for r in rules if fails(run(r))]
    if alone and len(alone) == len(rules):  # onnxslim skips its whole optimizer when every rule is off
        return _handling(SYSTEM, bug, whole(), rules,
                         f"the failure shows with any one rule of {bug['system']} on, whichever: {outside}")
    if alone:
        return Fault(SYSTEM, alone, rules, "fails with this rule alone")
    return Fault(SYSTEM, [], rules, "no rule fails alone: it takes several together")


#: onnxslim's shape inference is a handler per op type; one handler is one place of code
SLIM_SHAPE_HANDLERS = "onnxslim:shape-handlers"


def _shape_handler_at_fault(model, run, fails) -> Fault | None:
    """The one op type whose onnxslim shape handler, left out (ONNX's own inference of that node
    then stands, as for an op onnxslim has no handler of), clears a failure its shape inference
    causes: its Resize handler ignoring `axes` both crashes and, elsewhere, folds a wrong shape
    into the model (review 17 found the second repeating the first, filed under other names)."""
    from onnxslim.core.shape_inference import registry

    ops = sorted({n.op_type for n in model.graph.node if n.domain in ("", "ai.onnx")} & set(registry.SHAPE_HANDLERS))
    cleared = []
    for op in ops:
        handler = registry.SHAPE_HANDLERS.pop(op)
        try:
            if not fails(run()):
                cleared.append(op)
        finally:
            registry.SHAPE_HANDLERS[op] = handler
    if len(cleared) != 1:
        return None
    return Fault(SLIM_SHAPE_HANDLERS, cleared, ops,
                 f"the failure goes when onnxslim's shape handler of {cleared[0]} alone is left out (ONNX's own "
                 "inference of the node then stands): that handler infers the shape wrongly")


def _handling(system: str, bug: dict, out, rules: list[str], note: str) -> Fault:
    """A fault outside the tool's rules: the function of its own code it raised in, when it
    raised (out is the exception), else none named."""
    where = _raised_in(out, _TOOL_CODE.get(bug["system"], ())) if isinstance(out, BaseException) else None
    if where is None:
        return Fault(system, [], rules, note)
    return Fault(f"{bug['system']}:code", [where], rules, f"{note}; it raised in this function of its own code")


# -- rules a transform records ------------------------------------------------------

#: transformers whose rules their transform records (fuzzer.coverage), by plugin name prefix
_RECORDED = ("onnxscript-optimizer", "version-down", "version-up", "float16", "ort-quantize")


def _recorded(run) -> tuple[list[tuple[str, str]], BaseException | None]:
    """Run `run()` with coverage on; the (system, rule) hits in order, and what it raised."""
    order: list[tuple[str, str]] = []
    original = coverage.hit

    trace = os.environ.get(TRACE)

    def hit(system, rules, inventory=None):
        order.extend((system, r) for r in rules)
        if trace:  # for the parent, should the system under test kill this process
            with open(trace, "a") as f:
                f.writelines(f"{system}\t{r}\n" for r in rules)
        original(system, rules, inventory)

    coverage.hit = hit
    error = None
    try:
        before = os.environ.get("ONNXFUZZ_COVERAGE")
        os.environ["ONNXFUZZ_COVERAGE"] = "1"
        try:
            run()
        except Exception as e:
            error = e
        finally:
            if before is None:
                os.environ.pop("ONNXFUZZ_COVERAGE", None)
            else:
                os.environ["ONNXFUZZ_COVERAGE"] = before
    finally:
        coverage.hit = original
    return order, error


def _from_order(order: list[tuple[str, str]], error: BaseException | None, systems: tuple[str, ...], fallback: str,
                what: str, failure: str = "", opset: int | None = None) -> Fault:
    hits = [(s, r) for s, r in order if s in systems]
    if not hits:
        return Fault(fallback, [], [], f"{what} recorded no rule")
    system = hits[-1][0] if error is not None else hits[0][0]
    named = list(dict.fromkeys(r for s, r in hits if s == system))
    real = [r for r in named if not TRIVIAL.search(r)] or named
    if error is not None:
        last = next((r for s, r in reversed(hits) if s == system and not TRIVIAL.search(r)), hits[-1][1])
        return Fault(system, [last], real, f"{what} raised while this rule ran (the last to start)")
    if len(real) == 1:
        return Fault(system, real, named, f"the only rule {what} applied besides trivial ones")
    said = [r for r in real if _names_op(failure, r, opset)]
    if len(said) == 1:
        return Fault(system, said, real, f"of the {len(real)} rules {what} applied, the one for the op the failure names")
    return Fault(system, [], real, f"{what} applied {len(real)} rules: one of them")


def _names_op(failure: str, rule: str, opset: int | None = None) -> bool:
    """Does the failure's text name the op the rule translates ("aten::split" and a runtime's
    "running Split node", or "(op_type:Split")? Matched on the rule's op name as a whole word,
    or, for a TorchScript symbolic that only calls another's (unsafe_split's is split's), on
    that one's."""
    from fuzzer.coverage.torch_exporters import delegate_of

    ops = {re.sub(r"^(aten::|aten_|prims_|kept:)", "", rule).split(".")[0].strip("_")}
    if opset and rule.startswith("aten::"):
        ops.add(delegate_of(rule, opset))
    return any(op and re.search(rf"(?<![A-Za-z0-9_]){re.escape(op)}(?![A-Za-z0-9_])", failure, re.I) is not None
               for op in ops)


def _version_step(folder: Path, bug: dict, plugin, opset: int) -> Fault | None:
    """For the version converter: the first one-opset step toward the target after which the
    model fails as filed (the checker rejects it, or the conversion raises); the adapters of that
    step, narrowed to the op the failure names. None when no single step shows it."""
    import onnx
    from onnx import version_converter

    from fuzzer.coverage.version_converter import SYSTEM, adapters

    proto = onnx.load_model_from_string((folder / "model.onnx").read_bytes())
    target = plugin.target(opset)
    step = 1 if target > opset else -1
    for k in range(opset + step, target + step, step):
        try:
            onnx.checker.check_model(version_converter.convert_version(proto, k), full_check=True)
        except Exception:
            rules = adapters(proto, k - step, k)
            named = [r for r in rules if _names_op(bug.get("error") or "", r.split(":")[0])] or rules
            if len(named) == 1:
                return Fault(SYSTEM, named, rules, f"converting one opset further, {k - step} to {k}, is the first step "
                             "that fails, and this is its adapter" + (" for the op the failure names" if len(rules) > 1 else ""))
            return None
    return None


def _recorded_transform(folder: Path, bug: dict) -> Fault:
    from fuzzer.plugin import load_plugin

    plugin = load_plugin("converter", bug["system"])
    model = (folder / "model.onnx").read_bytes()
    opset = int(bug["path"].split("@")[1].split(">")[0]) if "@" in bug["path"] else 18
    if bug["system"].startswith("version-") and bug["kind"] in ("invalid_model", "convert_crash"):
        stepped = _version_step(folder, bug, plugin, opset)
        if stepped is not None:
            return stepped
    order, error = _recorded(lambda: plugin.transform(model, opset))
    systems = tuple(dict.fromkeys(s for s, _ in order if not s.startswith(("onnxruntime:ops", "onnxfuzz:"))))
    fault = _from_order(order, error if bug["stage"] == "convert" else None, systems, bug["system"],
                        f"{bug['system']}'s transform", failure=bug.get("error") or "")
    if not fault.rules and bug["system"] == "onnxscript-optimizer" and bug["stage"] != "convert":
        prefix = _onnxscript_pass_prefix(folder, bug, fault.candidates)
        if prefix is not None:
            return prefix
    if not fault.rules and bug["system"] == "float16" and bug["stage"] != "convert":
        treated = _float16_fault(folder, bug, fault.candidates)
        if treated is not None:
            return treated
    if not fault.rules and bug["system"] == "ort-quantize" and bug["stage"] != "convert":
        step = _quantizer_step(folder, bug, fault.candidates)
        if step is not None:
            return step
    if not fault.rules and error is not None and bug["stage"] == "convert":
        # a crash outside every recorded rule (a pass of its pipeline, its own model handling):
        # the function of the tool's own code it raised in names the part at fault
        where = _raised_in(error, _TOOL_CODE.get(bug["system"], ()))
        if where is not None:
            return Fault(f"{bug['system']}:code", [where], fault.candidates,
                         "the transform raised outside the rules it records (or before one recorded itself): "
                         "the function of the tool's own code it raised in")
    return fault


def _onnxscript_steps() -> list:
    """The passes onnxscript.optimizer.optimize_ir runs, in order, each once: its pipeline read
    off the installed version (optimize_ir builds it and hands it to ir.passes.Sequential,
    which is swapped here for one that only keeps it), with the PassManager that repeats the
    folding and rewriting loop opened into its passes."""
    from types import SimpleNamespace
    from unittest import mock

    import onnx_ir as ir
    from onnxscript import optimizer

    kept: list = []

    class Keep:
        in_place = True

        def __init__(self, *passes):
            kept.extend(passes)

        def __call__(self, model):
            return SimpleNamespace(model=model)

    with mock.patch.object(ir.passes, "Sequential", Keep):
        optimizer.optimize_ir(ir.Model(ir.Graph([], [], nodes=[], opset_imports={"": 18}), ir_version=10))
    return [q for p in kept for q in (getattr(p, "passes", None) or [p])]


def _onnxscript_pass_prefix(folder: Path, bug: dict, candidates: list[str]) -> Fault | None:
    """For a model the onnxscript optimizer got wrong with no rewrite rule recorded (constant
    folding and the clean-up passes record none): the first pass of its pipeline after which
    the model, run through the pipeline up to there, already fails as filed."""
    import onnx
    import onnx_ir as ir

    data = (folder / "model.onnx").read_bytes()
    fails = _symptom(folder, bug)
    steps = _onnxscript_steps()
    for end in range(1, len(steps) + 1):
        model = ir.from_proto(onnx.load_model_from_string(data))
        try:
            for step in steps[:end]:
                step(model)
            out = ir.to_proto(model).SerializeToString()
        except Exception as e:
            out = e
        if fails(out):
            name = type(steps[end - 1]).__name__
            return Fault("onnxscript-optimizer:passes", [name], [type(p).__name__ for p in steps],
                         "the first pass of the optimizer's pipeline (run in order, each once) after which the "
                         "model fails as filed")
    return None


def _float16_fault(folder: Path, bug: dict, candidates: list[str]) -> Fault | None:
    """For a float16 conversion the checker rejects, when the op types it treated do not single
    one out: the op whose node the checker names as producing another type than the converter
    declared for it (the converter's treatment of that op: a Cast or Constant it left float32,
    an op's output-type attribute it left as it was), else the converter's handling of the
    graph's own inputs and outputs when the failure goes with keep_io_types=False."""
    import onnx
    from onnxconverter_common import float16

    from fuzzer.coverage.float16 import SYSTEM

    data = (folder / "model.onnx").read_bytes()
    ops = _op_types(onnx.load_model_from_string(data).graph)
    # the innermost op the checker names: an If's error wraps the error of the node inside it
    said = [op for op in re.findall(r"\(op_type:(\w+)", bug.get("error") or "") if op in ops]
    named = {said[-1]} if said and len({op for op in said if op not in ("If", "Loop", "Scan")}) <= 1 else set()
    if named and "Inferred elem type differs" in (bug.get("error") or ""):
        return Fault(SYSTEM, sorted(named), sorted(set(candidates) | named),
                     "the checker names this op's node as computing another element type than the converter declared "
                     "for its output: how the converter treated the op")
    fails = _symptom(folder, bug)
    try:
        out = float16.convert_float_to_float16(onnx.load_model_from_string(data), keep_io_types=False).SerializeToString()
    except Exception as e:
        out = e
    if not fails(out):
        return Fault("float16:code", ["keep_io_types"], candidates,
                     "the failure goes when the converter may retype the graph's inputs and outputs "
                     "(keep_io_types=False): its code that keeps them float32 behind Casts is at fault")
    return None


def _op_types(graph) -> set[str]:
    """The op types of a graph's nodes and of its subgraphs' (an If's branches, a Loop's body)."""
    return {node.op_type for node in all_nodes(graph)}


def _quantizer_step(folder: Path, bug: dict, candidates: list[str]) -> Fault | None:
    """For a model ORT's quantizer got wrong with no op quantizer at work: the step of its own
    model handling (onnxruntime.quantization.onnx_model.ONNXModel) that, run alone on the given
    model, already makes it fail as filed. Saving the output sorts the graph
    (save_model_to_file calls topological_sort), so a misordered output starts there."""
    import onnx
    from onnxruntime.quantization.onnx_model import ONNXModel

    data = (folder / "model.onnx").read_bytes()
    fails = _symptom(folder, bug)
    for step in ("topological_sort", "clean_initializers", "replace_gemm_with_matmul"):
        model = ONNXModel(onnx.load_model_from_string(data))
        try:
            getattr(model, step)()
            out = model.model.SerializeToString()
        except Exception as e:
            out = e
        if fails(out):
            return Fault("ort-quantize:code", [f"onnx_model.ONNXModel.{step}"], candidates,
                         "no op quantizer rewrote a node, and this step of the quantizer's own model handling, "
                         "run alone on the given model, makes it fail as filed")
    return None


#: where each transformer's own code lives (path parts of its modules)
_TOOL_CODE = {"onnxscript-optimizer": ("/onnxscript/", "/onnx_ir/"), "float16": ("/onnxconverter_common/",),
              "ort-quantize": ("/onnxruntime/quantization/",), "version-up": ("/onnx/version_converter",),
              "version-down": ("/onnx/version_converter",), "onnxslim": ("/onnxslim/",), "onnxsim": ("/onnxsim/",)}


def _raised_in(error: BaseException, parts: tuple[str, ...]) -> str | None:
    """"module.function" of the innermost frame, over the error's cause chain, in the tool's own
    code (parts: path fragments of its modules), or None."""
    import traceback

    frames = [f for e in causes(error) for f in traceback.extract_tb(e.__traceback__)]
    mine = [f for f in frames if any(p in f.filename.replace("\\", "/") for p in parts)]
    # a pass or rule of the tool rather than a helper it called (onnx_ir's enum bitwidth lookup
    # raised for onnxscript's constant folding: the folding is the part at fault)
    passes = [f for f in mine if any(w in f.filename.replace("\\", "/") for w in _PASS_DIRS)]
    frame = (passes or mine or [None])[-1]
    return None if frame is None else f"{Path(frame.filename).stem}.{frame.name}"


#: path parts of a tool's passes and rules, preferred over its helpers when naming where it raised
_PASS_DIRS = ("/passes/", "/rewriter/", "/optimizer/")


# -- exporters ----------------------------------------------------------------------

_EXPORTER_SYSTEMS = {"torchscript": ("torchscript:symbolic",), "dynamo": ("dynamo:torchlib",),
                     "dynamo-noopt": ("dynamo:torchlib",),
                     "tf2onnx": ("tf2onnx:handlers", "tf2onnx:rewriters")}


def died(folder: Path, trace: list[str]) -> Fault:
    """The rule at fault when re-running the bug killed the localizing process: the last rule
    it started, from the trace it left (TRACE)."""
    bug = json.loads((folder / "case.json").read_text())["bug"]
    order = [tuple(line.split("\t", 1)) for line in trace if "\t" in line]
    systems = _EXPORTER_SYSTEMS.get(bug["system"]) or tuple(dict.fromkeys(
        s for s, _ in order if not s.startswith(("onnxruntime:ops", "onnxfuzz:"))))
    fault = _from_order(order, RuntimeError("died"), systems, bug["system"], f"{bug['system']}'s run")
    if fault.rules:
        fault.note = "the process died while this rule ran (the last to start)"
    return fault


def _exporter(folder: Path, case: dict) -> Fault:
    import numpy as np

    from fuzzer.convert.base import ExportRequest
    from fuzzer.coverage.torch_exporters import delegate_of
    from fuzzer.ir import Graph
    from fuzzer.plugin import load_plugin

    bug = case["bug"]
    systems = _EXPORTER_SYSTEMS.get(bug["system"])
    if systems is None:
        return Fault(bug["system"], [], [], "this exporter exposes no rules")
    graph = Graph.from_json(case["graph"])
    inputs = read_npz(folder / "inputs.npz")
    names = [v.name for v in graph.inputs]
    feeds = _by_name(names, inputs)
    opset = int(bug["path"].split("@")[1].split(">")[0])
    request = ExportRequest(graph, feeds, names, [f"out{i}" for i in range(len(graph.outputs))], opset)
    plugin = load_plugin("converter", bug["system"])
    order, error = _recorded(lambda: plugin.export(request))
    cut = _first_failing_cut(folder, bug, graph, plugin, systems, opset) if graph.op_nodes else None
    # a cut that fails only by what it declares or by a type gap takes the blame only with the
    # evidence below; the key's core is otherwise the first cut failing by a verdict (a defect
    # of a later op in a graph whose first op misdeclares harmlessly is that later op's)
    hard = _first_failing_cut(folder, bug, graph, plugin, systems, opset, soft=False) if cut is not None and cut.soft else cut
    core = hard.core if hard is not None else []
    fault = _exporter_rule(folder, bug, graph, plugin, systems, opset, request, order, error, cut, hard, core)
    if hard is not None and fault.core == hard.core and not fault.shown:
        fault.shown = hard.shown  # what the first cut failing by a verdict showed
    return fault


def _exporter_rule(folder: Path, bug: dict, graph, plugin, systems: tuple[str, ...], opset: int, request, order, error,
                   cut, hard, core) -> Fault:
    """_exporter's answer, given the export recorded and the first failing cuts."""
    from fuzzer.coverage.torch_exporters import delegate_of

    if bug["system"].startswith("dynamo") and bug["kind"] in _WRONG_RESULTS:
        decomposed = _decomposition_at_fault(folder, bug, graph, opset)
        if decomposed is not None:
            decomposed.core = core
            return decomposed
    if bug["system"] == "tf2onnx" and bug["stage"] != "export":
        optimized = _tf2onnx_optimizer_at_fault(folder, bug, graph, opset)
        if optimized is not None:
            optimized.core = core
            return optimized
    if error is not None and bug["stage"] == "export" and bug["system"] == "torchscript":
        inner = _innermost_symbolic(error, {r for s, r in order if s in systems})
        if (inner is not None and cut is not None and cut.rules and inner not in cut.rules
                and f"aten::{delegate_of(cut.rules[0], opset)}" != inner  # maximum's code is max's
                and len(cut.core) < len(graph.op_nodes)
                and _fails_given_the_truth_after(folder, bug, graph, cut.cut_node, opset) is False):
            # an earlier cut already fails, and fed the right values from there the export passes:
            # the function that raised only met what that cut got wrong (slice's shape inference
            # asserting on the 0-d var(dim=None, keepdim=True) made: review 19)
            cut.note = f"{cut.note}; the export raised in {inner}, which only met what that cut gets wrong"
            return cut
        if inner is not None:  # a symbolic function that calls another's helper: the one that raised
            named = list(dict.fromkeys(r for s, r in order if s in systems and not TRIVIAL.search(r)))
            return Fault(systems[0], [inner], named or [inner],
                         "the export raised inside this symbolic function (the innermost one in the traceback)", core)
    fault = _from_order(order, error if bug["stage"] == "export" else None, systems, systems[0],
                        f"{bug['system']}'s export", failure=bug.get("error") or "", opset=opset)
    if bug["system"] == "torchscript" and bug["kind"] == "dtype_mismatch":
        promoted = _pass_made_casts(plugin, request)
        if promoted is not None:
            promoted.core = core
            return promoted
    if not fault.rules and bug["system"] == "torchscript" and bug["kind"] in ("load_crash", "run_crash"):
        declared = _declared_dims_at_fault(folder, bug)
        if declared is not None:
            return declared
    if not fault.rules and bug["stage"] != "export" and cut is not None and cut.rules and cut.soft and (
            len(cut.core) < len(graph.op_nodes) and _fails_given_the_truth_after(folder, bug, graph, cut.cut_node, opset) is False):
        # the failure names no rule, and fed the right values from the cut that declares or types
        # wrongly the graph passes (unbind's ranks, then a Transpose refusing them: e45b63)
        return cut
    if not fault.rules and bug["stage"] != "export" and hard is not None and hard.rules:
        return hard
    export_crash = bug["stage"] == "export"
    if (fault.rules and cut is not None and cut.rules and not set(cut.rules) & set(fault.rules)
            # at export only a cut that declares or types wrongly: wrong values make no later
            # function raise, and a crash that yields to them would name an unrelated rule
            and (not export_crash or (cut.soft and f"aten::{delegate_of(cut.rules[0], opset)}" not in fault.rules))
            and len(cut.core) < len(graph.op_nodes)
            and _fails_given_the_truth_after(folder, bug, graph, cut.cut_node, opset) is False):
        # the graph cut before the op the failure names already fails, and fed the right values
        # from there on the graph passes: that op only reads what an earlier one got wrong (a Add
        # reading int diagonal's float, a Reciprocal reading mean's wrongly ranked output: review
        # 15), and the earlier one is at fault. When the graph still fails given the right values,
        # the op the failure names has a defect of its own (a 0-d ArgMin after addcmul's own wrong
        # type: review 18). An export that raised while a rule ran is the same: cat's symbolic
        # asserting on the ranks unbind declared wrongly (review 18's 3bc4fb)
        cut.note = f"{cut.note}; the failure names {', '.join(fault.rules)}, which only reads what that cut gets wrong"
        return cut
    fault.core = core
    return fault


#: failures that are a wrong result (not a crash or an invalid model)
_WRONG_RESULTS = ("value_mismatch", "shape_mismatch", "dtype_mismatch", "nan_inf")


def _decomposition_at_fault(folder: Path, bug: dict, graph, opset: int) -> Fault | None:
    """For a dynamo export that computes a wrong result: torch's decompositions, which the
    exporter applies to the exported program before any torchlib function translates it
    (torch.onnx's _fx_passes.decompose_with_registry). When the exported program computes what
    the module computes and the decomposed one does not, a decomposition is at fault: the
    overloads it replaced are named (torch/_decomp, not torchlib). A bug found with dynamic
    dims is exported with them and run at the size it failed at."""
    import numpy as np
    import torch
    from torch.onnx._internal.exporter import _fx_passes, _registration

    from fuzzer.convert.base import ExportRequest
    from fuzzer.convert.plugins.dynamo import dynamic_shapes
    from fuzzer.coverage.localize import filed_inputs
    from fuzzer.materialize import torch_inputs

    names = [v.name for v in graph.inputs]
    base = {k: v for k, v in read_npz(folder / "inputs.npz").items() if "@" not in k}
    dims = (bug.get("dynamic") or {}).get("dims") or {}
    request = ExportRequest(graph, _by_name(names, base), names, [f"out{i}" for i in range(len(graph.outputs))], opset,
                            dynamic={n: {int(a): sym for a, sym in axes.items()} for n, axes in dims.items()})
    args = torch_inputs(graph, _by_name(names, filed_inputs(folder)))

    def close(a, b) -> bool:
        a, b = (a if isinstance(a, (tuple, list)) else (a,)), (b if isinstance(b, (tuple, list)) else (b,))
        return len(a) == len(b) and all(
            x.shape == y.shape and x.dtype == y.dtype and torch.allclose(x.double(), y.double(), rtol=1e-3, atol=1e-3,
                                                                         equal_nan=True) for x, y in zip(a, b))

    def overloads(program) -> set[str]:
        return {str(n.target) for n in program.graph.nodes if n.op == "call_function"}

    try:
        with torch.no_grad():
            want = request.module(*args)
            program = torch.export.export(request.module, tuple(request.args), dynamic_shapes=dynamic_shapes(request))
            if not close(program.module()(*args), want):
                return None  # torch.export itself already computes it wrongly
            before = overloads(program)
            with torch.fx.experimental._config.patch(backed_size_oblivious=True):  # as the exporter decomposes
                decomposed = _fx_passes.decompose_with_registry(program, _registration.ONNXRegistry.from_torchlib())
    except Exception:
        return None
    try:
        with torch.no_grad():
            if close(decomposed.module()(*args), want):
                return None
    except Exception:
        # the decomposition guarded the program on what the exporter keeps dynamic (a pooling
        # decomposed for sizes divisible by its output, "Guard failed: x.size()[2] % 5 == 0"),
        # and the exporter drops the guard: at this size it computes something else
        pass
    replaced = sorted(before - overloads(decomposed))
    return Fault("dynamo:decompositions", replaced, sorted(before),
                 "the exported program computes the module's result and the program decomposed as the exporter "
                 "decomposes it does not: torch's decomposition of " + (", ".join(replaced) or "an overload") +
                 " is at fault, before any torchlib function") if replaced else None


def _tf2onnx_optimizer_at_fault(folder: Path, bug: dict, graph, opset: int) -> Fault | None:
    """The one tf2onnx optimizer without which the conversion no longer fails on its path: its
    handlers and rewriters made a right graph, and that optimizer's rewrite of it is wrong.
    Each is left out of tf2onnx's optimizer table (which optimize_graph reads on every call) for
    one conversion of the whole graph: every one, not only those the coverage recorder saw
    change the graph, since some rewrite it without saying so (graph_been_opt)."""
    from tf2onnx import optimizer

    fired = list(optimizer._optimizers)
    cleared = []
    for name in fired:
        table = dict(optimizer._optimizers)
        optimizer._optimizers.pop(name, None)
        try:
            still = _fails_on_path(folder, bug, graph, opset)
        finally:
            optimizer._optimizers.clear()
            optimizer._optimizers.update(table)
        if still is False:
            cleared.append(name)
    if len(cleared) != 1:
        return None
    return Fault("tf2onnx:optimizers", cleared, fired,
                 "the failure goes when this optimizer alone is left out of tf2onnx's optimizer table: the graph "
                 "its handlers made was right, and this optimizer's rewrite of it is not")


def _fails_on_path(folder: Path, bug: dict, graph, opset: int) -> bool | None:
    """Does graph fail on the bug's exporter path, judged by the campaign's oracles on the bug's
    runtime (None when the case cannot run)."""
    from fuzzer.case import CaseSpec, run_case
    from fuzzer.generate import GenConfig

    runtimes = [bug["runtime"]] if bug.get("runtime") else ["onnxruntime-noopt"]
    spec = CaseSpec(case_id=0, seed=0, config=GenConfig(), exporters=[bug["system"]], runtimes=runtimes,
                    opset=opset, graph_json=graph.dumps(), inputs_npz=(folder / "inputs.npz").read_bytes())
    try:
        result = run_case(spec)
    except Exception:
        return None
    return any(v.kind.is_failure and v.path.split("@")[0] == bug["system"] for v in result.verdicts)


def _pass_made_casts(plugin, request) -> Fault | None:
    """A TorchScript export whose output has the wrong element type, through a Cast no symbolic
    function made: the exporter's scalar type analysis pass (torch._C.
    _jit_pass_onnx_scalar_type_analysis) inserts Casts for implicit type promotion after the
    symbolic functions ran, and its promotion is what is wrong (a 0-d float64 tensor taken for
    a Python scalar, and the float64 product cast down to float32)."""
    from collections import Counter

    import onnx

    from fuzzer.coverage.torch_exporters import MADE, emitted_kinds

    made: list = []
    with emitted_kinds() as emitted:
        _, error = _recorded(lambda: made.append(plugin.export(request)))
    if error is not None or not made:
        return None
    model = onnx.load_model_from_string(made[0])
    extra = Counter(n.op_type for n in model.graph.node) - Counter(emitted.get(MADE, ()))
    inputs = {i.name for i in model.graph.input}
    # only a Cast of a graph input itself: one of a symbolic function's results may be promoted
    # rightly, to the type of a constant the symbolic function chose (pairwise_distance's float32
    # exponent for float16 operands), and then the symbolic function is at fault
    if not extra.get("Cast") or not any(n.op_type == "Cast" and set(n.input) <= inputs for n in model.graph.node):
        return None
    return Fault("torchscript:passes", ["_jit_pass_onnx_scalar_type_analysis"],
                 sorted(r for r in emitted if r != MADE),
                 "a graph input is cast by a node no symbolic function made: the exporter's scalar type analysis "
                 "inserts such Casts for implicit type promotion, after the symbolic functions, and chose this type")


def _declared_dims_at_fault(folder: Path, bug: dict) -> Fault | None:
    """A TorchScript-exported model that fails to load or run only because of the symbolic dims
    its exporter declared: with every dim name outside the graph's inputs made distinct, the
    bug's runtime runs it. The names come from the exporter's ONNX shape-type inference pass
    (torch._C._jit_pass_onnx_graph_shape_type_inference), not from a symbolic function; one
    name for two sizes breaks the IR rule that a dim name is one value across the graph."""
    import itertools

    import onnx

    from fuzzer.coverage.localize import filed_inputs
    from fuzzer.plugin import load_plugin

    model = onnx.load_model_from_string((folder / "model.onnx").read_bytes())
    fresh = itertools.count()
    for info in (*model.graph.value_info, *model.graph.output):
        for dim in info.type.tensor_type.shape.dim:
            if dim.dim_param:
                dim.dim_param = f"onnxfuzz_dim_{next(fresh)}"
    if next(fresh) == 0:
        return None
    try:
        runtime = load_plugin("runtime", bug.get("runtime") or "onnxruntime")
        session = runtime.load(model.SerializeToString())
        feeds = filed_inputs(folder)
        runtime.run(session, {n: feeds[n] for n in runtime.input_names(session) if n in feeds})
    except Exception:
        return None
    return Fault("torchscript:passes", ["_jit_pass_onnx_graph_shape_type_inference"], [],
                 "the model runs once every symbolic dim name it declares outside its inputs is made distinct: "
                 "the names its shape-type inference pass gave are wrong, no symbolic function's nodes")


def core_of(cut) -> list:
    """The ops of a graph cut, each as [op, its attributes' shape, its operands' kinds of dtype
    (float, int, bool...; with "/0-d" for a scalar)]: numbers reduced to their sign, so that torch.narrow(x, -4, -5, 5) and
    torch.narrow(y, -2, -3, 3) read alike and torch.mean(x, dim=()) and torch.mean(x, dim=None,
    keepdim=True) do not. Attributes a spec keeps for itself (a motif's drawn operand types and
    side of the guard) are left out."""
    def shape(value):
        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, str):  # a dtype is a str enum: its plain value
            return str(getattr(value, "value", value))
        if isinstance(value, (int, float)):
            return "-" if value < 0 else "0" if value == 0 else "+"
        if isinstance(value, (list, tuple)):
            return [shape(v) for v in value]
        if isinstance(value, dict):
            return {k: shape(v) for k, v in sorted(value.items())}
        return type(value).__name__

    def kind(dtype) -> str:  # float16 and float32 alike: a defect of one is most often of both
        name = str(getattr(dtype, "value", dtype))
        return next((k for k in ("bfloat", "float", "uint", "int", "bool", "complex") if name.startswith(k)), name)

    return [[node.op_type, shape({k: v for k, v in node.attrs.items() if k not in ("operand_types", "fires", "broken")}),
             [f"{kind(v.type.dtype)}{'/0-d' if not v.type.shape else ''}" for v in node.inputs]]
            for node in cut.op_nodes]


def _first_failing_cut(folder: Path, bug: dict, graph, plugin, systems: tuple[str, ...], opset: int,
                       soft: bool = True) -> Fault | None:
    """The first op of an exporter bug's graph, in order, such that the graph cut after it (its
    outputs made the graph's, what it does not need dropped) already fails on this exporter's
    path, judged by the campaign's own oracles against the float64 truth. Returned as a Fault
    whose core is that cut's (core_of), and whose rule is the one rule the cut's export applied
    that no earlier, passing cut did (or, among several, the one that made the node computing
    the wrong output), or none. A wrong value may only show downstream (an empty slice whose
    maximum is -inf): the cut finds the op that made it. None when no cut fails."""
    import numpy as np

    from fuzzer.case import CaseSpec, run_case
    from fuzzer.convert.base import ExportRequest
    from fuzzer.generate import GenConfig

    inputs_npz = (folder / "inputs.npz").read_bytes()
    given = {k: v for k, v in read_npz(folder / "inputs.npz").items() if "@" not in k}
    runtimes = [bug["runtime"]] if bug.get("runtime") else ["onnxruntime-noopt"]
    passed: set[str] = set()
    for node in graph.op_nodes:  # in the order the graph was built: a topological one
        cut = graph.copy()
        cut.outputs = list(cut.node(node.id).outputs)
        cut.prune()
        cut.drop_unused_sources()
        spec = CaseSpec(case_id=0, seed=0, config=GenConfig(), exporters=[bug["system"]], runtimes=runtimes,
                        opset=opset, graph_json=cut.dumps(), inputs_npz=inputs_npz,
                        keep_models=frozenset({f"{bug['system']}@{opset}"}))
        ran: list = []
        # the case exports the cut in this process: the rules its export applied are recorded there
        order, error = _recorded(lambda: ran.append(run_case(spec)))
        if error is not None or not ran:
            return None
        result = ran[0]
        rules = {r for s, r in order if s in systems and not TRIVIAL.search(r)}
        mine = [v for v in result.verdicts if v.path.split("@")[0] == bug["system"]]
        failed = any(v.kind.is_failure for v in mine)
        misdeclared = _misdeclared(result.models.get(f"{bug['system']}@{opset}"), cut) if soft and not failed else ""
        gap = soft and not failed and any(map(_checker_type_gap, mine))
        if not (failed or misdeclared or gap):
            passed |= rules
            continue
        new = sorted(rules - passed)
        where = f"the graph cut after {node.op_type} is the first cut that already fails on {bug['system']}'s path"
        # a cut that fails only by its outputs' element types shows the defect as a wrong type,
        # whatever the whole graph then computed with it (gt_ left bool, a Div's divisor cast to it:
        # review 26's wrong value repeating bugs/' ge_ of the wrong type, ed4484)
        shown = "wrong type" if failed and all(v.kind.value == "dtype_mismatch" for v in mine if v.kind.is_failure) else ""
        if bug["kind"] == "export_crash" and (gap or (failed and all(
                v.kind.value in ("invalid_model", "load_crash", "run_crash") for v in mine if v.kind.is_failure))):
            # the export of the whole graph raised in a later function, and this cut already exports
            # a broken model (an op on a type the checker refuses it: a gap to the campaign, wrong
            # here): the crash only met it (sigmoid writing Sigmoid on uint8, then hardtanh's
            # constant overflowing it, where on int8 min's dtype check raised: review 27)
            shown = "breaks the model"
        if misdeclared:
            where += f" (its model declares what it does not produce: {misdeclared})"
        elif gap:
            where += " (the checker refuses an op of its model on an element type the op does not take)"
        if len(new) == 1:
            return Fault(systems[0], new, sorted(rules | passed),
                         f"{where}, and this is the one rule its export applied that no earlier, passing cut did",
                         core_of(cut), cut_node=node.id, shown=shown, soft=not failed)
        names = [v.name for v in cut.inputs]
        request = ExportRequest(cut, _by_name(names, given), names, [f"out{i}" for i in range(len(cut.outputs))], opset)
        made = _made_wrong_outputs(plugin, request, result, bug["system"], set(new))
        if made is not None:
            return Fault(systems[0], [made], sorted(rules | passed),
                         f"{where}; of the rules its export newly applied, this one made the node that computes the "
                         "wrong output", core_of(cut), cut_node=node.id, shown=shown, soft=not failed)
        return Fault(systems[0], [], sorted(rules | passed), where, core_of(cut), cut_node=node.id, shown=shown,
                     soft=not failed)
    return None


def _checker_type_gap(verdict) -> bool:
    """Does the checker refuse the cut's model for an op on an element type it does not take?
    The campaign counts that as a gap of the format (oracles.model), but a cut is no passing cut
    for it: the exporter's function wrote that op, and what follows reads its wrong type (sin of
    uint8 kept uint8, which hardshrink's symbolic then fails on: review 20's dfe2b0)."""
    from oracles import Kind, Stage

    return verdict.kind is Kind.UNSUPPORTED and verdict.stage is Stage.CHECK


def _misdeclared(model: bytes | None, cut) -> str:
    """Where the model exported from cut declares output shapes other than those its outputs have
    (oracles.evidence.shape_faults), or "". The runtimes run such a model rightly and only warn, so
    the cut passes, while the exporter's next function reads the declaration: TorchScript's unbind
    at opset 10 declares rank 2 for rank-1 outputs, and cat's symbolic then asserts on the ranks
    (review 18's 3bc4fb, localized to cat until this)."""
    if model is None:
        return ""
    import onnx

    from oracles.evidence import shape_faults

    try:
        faults = shape_faults(onnx.load_from_string(model), None, [v.type.shape for v in cut.outputs])
    except Exception:  # noqa: BLE001 - an unreadable model is no evidence here
        return ""
    return "; ".join(faults[:2])


def _fails_given_the_truth_after(folder: Path, bug: dict, graph, node_id: int | None, opset: int) -> bool | None:
    """Does graph still fail on the bug's exporter path when what node node_id computes is fed
    in as inputs holding its right values (eager torch on the case's inputs)? None when that
    cannot be tried."""
    import io

    import numpy as np
    import torch

    from fuzzer.case import CaseSpec, run_case
    from fuzzer.generate import GenConfig
    from fuzzer.materialize import build_module, torch_inputs
    from oracles import Kind

    if node_id is None:
        return None
    try:
        given = {k: v for k, v in read_npz(folder / "inputs.npz").items() if "@" not in k}
        upto = graph.copy()
        upto.outputs = list(upto.node(node_id).outputs)
        upto.prune()
        upto.drop_unused_sources()
        with torch.no_grad():
            made = build_module(upto)(*torch_inputs(upto, _by_name([v.name for v in upto.inputs], given)))
        made = made if isinstance(made, (tuple, list)) else (made,)
        rest = graph.copy()
        feeds = _by_name([v.name for v in graph.inputs], given)
        for value, tensor in zip(list(rest.node(node_id).outputs), made):
            fed = rest.add_input(value.type)
            rest.replace_all_uses(value, fed)
            rest.outputs = [fed if o == value else o for o in rest.outputs]
            feeds[fed.name] = numpy_of(tensor)
        rest.prune()
        rest.drop_unused_sources()
        buf = io.BytesIO()
        np.savez(buf, **{v.name: feeds[v.name] for v in rest.inputs})
        runtimes = [bug["runtime"]] if bug.get("runtime") else ["onnxruntime-noopt"]
        spec = CaseSpec(case_id=0, seed=0, config=GenConfig(), exporters=[bug["system"]], runtimes=runtimes,
                        opset=opset, graph_json=rest.dumps(), inputs_npz=buf.getvalue())
        result = run_case(spec)
    except Exception:  # noqa: BLE001 - no evidence either way
        return None
    mine = [v for v in result.verdicts if v.path.split("@")[0] == bug["system"]]
    if any(v.kind.is_failure for v in mine):
        return True
    # passing takes a pass: a refusal (unsupported) or no verdict at all is no evidence
    return False if any(v.kind is Kind.PASS for v in mine) else None


def _made_wrong_outputs(plugin, request, result, exporter: str, rules: set[str]) -> str | None:
    """The one rule among rules whose symbolic function returned the values of the nodes that
    compute the outputs the cut's verdicts call wrong ("output 0: ..."), matched by the nodes' op
    types in the exported model (TorchScript only: its symbolic functions are wrapped)."""
    import onnx

    from fuzzer.coverage.torch_exporters import emitted_kinds

    wrong = {int(m) for v in result.verdicts if v.kind.is_failure and v.path.split("@")[0] == exporter
             for m in re.findall(r"output (\d+):", v.error or "")}
    if not wrong:
        return None
    with emitted_kinds() as emitted:
        try:
            model = onnx.load_model_from_string(plugin.export(request))
        except Exception:
            return None
    makers = {o: n.op_type for n in model.graph.node for o in n.output}
    kinds = {makers.get(model.graph.output[k].name) for k in wrong if k < len(model.graph.output)}
    found = {r for r in rules for kind in kinds if kind in emitted.get(r, ())}
    return found.pop() if len(found) == 1 else None


def _innermost_symbolic(error: BaseException, hit: set[str]) -> str | None:
    """The registered name of the innermost TorchScript symbolic function in error's traceback.

    Some code is shared by several names (a decorator's wrapper, one function registered for
    aten::dropout and aten::dropout_): a frame of it names the one among them the export hit,
    or no one; a frame of code registered under one name alone names that one, hit or not (a
    symbolic function calling another's directly: aten::all's calls aten::any's)."""
    from fuzzer.coverage.torch_exporters import torchscript_registry

    registry = torchscript_registry()
    names: dict = {}
    for name in registry.all_functions():
        group = registry.get_function_group(name)
        for fn in (group._functions._base.values() if group is not None else ()):
            code = getattr(getattr(fn, "__wrapped__", fn), "__code__", None)
            if code is not None:
                names.setdefault(code, set()).add(name)
    for e in causes(error):
        frames = []
        tb = e.__traceback__
        while tb is not None:
            frames.append(tb.tb_frame.f_code)
            tb = tb.tb_next
        for code in reversed(frames):  # innermost first
            candidates = names.get(code, set())
            among = candidates & hit
            if len(among) == 1:
                return next(iter(among))
            if len(candidates) == 1:
                return next(iter(candidates))
    return None


# -- backfill -------------------------------------------------------------------------


def record(folder: Path) -> Fault | None:
    """Localize one folder and record the answer in its case.json."""
    try:
        fault = rule_at_fault(folder)
    except Exception as e:
        fault = Fault("", [], [], f"localization failed: {type(e).__name__}: {str(e)[:200]}")
    _write(folder, fault)
    return fault


def _write(folder: Path, fault: Fault | None) -> None:
    case = json.loads((folder / "case.json").read_text())
    before = case["bug"].get("rule_at_fault") or {}
    case["bug"]["rule_at_fault"] = None if fault is None else fault.to_json()
    if fault is not None and before.get("checked") and before.get("rules") == fault.rules:
        case["bug"]["rule_at_fault"]["checked"] = before["checked"]  # a reviewer's reading of the same rule
    (folder / "case.json").write_text(json.dumps(case, indent=1, default=str))


def report_row(fault: dict | None) -> str | None:
    """The report's "rule at fault" cell for a recorded localization (Fault.to_json()), or None."""
    if not fault or not fault.get("system"):
        return None
    if fault.get("rules"):
        rules = ", ".join(f"`{r}`" for r in fault["rules"])
        return f"{rules} ({fault['system']}): {fault.get('note', '')}"
    return f"none named ({fault['system']}): {fault.get('note', '')}"


def localize_isolated(folder: Path, timeout: float = 300) -> Fault | None:
    """rule_at_fault(folder) in a process of its own, recorded in its case.json: re-running a
    bug's case may kill or hang the system under test, which must not cost the caller."""
    import subprocess
    import tempfile

    with tempfile.NamedTemporaryFile("r", suffix=".trace") as trace, tempfile.TemporaryDirectory(prefix="onnxfuzz-fault-") as tmp:
        try:
            # its own TMPDIR, removed after: what a system it runs leaves there when it dies goes too
            done = subprocess.run([sys.executable, "-m", "fuzzer.coverage.fault", "--one", str(folder)],
                                  capture_output=True, text=True, timeout=timeout,
                                  env={**os.environ, TRACE: trace.name, "TMPDIR": tmp})
            if done.returncode == 0:
                found = json.loads((folder / "case.json").read_text())["bug"].get("rule_at_fault")
                if found is None:
                    return None
                return Fault(**{k: v for k, v in found.items() if k in Fault.__dataclass_fields__})
            why = f"died (exit {done.returncode})"
        except subprocess.TimeoutExpired:
            why = f"hung (over {timeout:g} s)"
        fault = died(folder, trace.read().splitlines())
    if not fault.rules:
        fault.note = f"re-running the case {why} before any rule ran"
    _write(folder, fault)
    return fault


def shown(fault: Fault | None) -> str:
    if fault is None:
        return "(its system exposes no rules)"
    return f"{fault.system}: {fault.named}" if fault.rules else f"{fault.system}: - ({fault.note})"


def main(argv: list[str] | None = None) -> int:
    """Localize every bug folder under a directory, each in a process of its own (re-exporting or
    re-running a bug's case may crash or hang the system under test), and record the rule at
    fault in its case.json."""
    import argparse

    ap = argparse.ArgumentParser(prog="python -m fuzzer.coverage.fault", description=main.__doc__)
    ap.add_argument("bugs", type=Path, help="a bugs/ directory, or one bug folder with --one")
    ap.add_argument("--only", default=None, help="only the folders whose name contains this text")
    ap.add_argument("--one", action="store_true", help="localize the one folder given, in this process")
    ap.add_argument("--timeout", type=float, default=600, help="seconds per folder (default 600)")
    args = ap.parse_args(argv)
    if args.one:
        if not (args.bugs / "case.json").is_file():
            print(f"error: {args.bugs} holds no case.json", file=sys.stderr)
            return 2
        print(shown(record(args.bugs)))
        return 0
    if not args.bugs.is_dir():
        print(f"error: {args.bugs} is not a directory", file=sys.stderr)
        return 2
    for folder in sorted(p for p in args.bugs.iterdir() if (p / "case.json").is_file()):
        if args.only and args.only not in folder.name:
            continue
        print(f"{folder.name:45s} {shown(localize_isolated(folder, args.timeout))}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

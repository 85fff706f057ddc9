"""One key per root cause: what both filers (a campaign's and `onnxfuzz check`'s) fold on.

A defect is met through many graphs, paths and settings. The key keeps only
what names the defect itself:
- the system's family: ONNX Runtime at every optimization level, threaded or
  not, and its offline optimizer (`ort-offline-*`, the same graph transformers
  run ahead of time) are one family; the dynamo exporter with and without its
  optimizer is one;
- the symptom and the stage (ONNX Runtime's offline optimizer failing to
  convert is ONNX Runtime failing to load: the same transformers run there);
- the error with names, numbers and paths taken out, node names included (an
  exporter's "/MaxPool" and onnxfuzz's "node_max_pool2d" name one node);
- the op at fault: the op the error names, else the op whose output is the
  minimal graph's output (the framework's op for an exporter's bug, the ONNX op
  for any other system's). A minimal graph is 1-minimal under the reducer's
  passes, one of which hands a graph output over to the node before it, so
  the node making the output is the first whose output is wrong: the op
  where a numeric mismatch starts. A graph op that is no ONNX op (one taken
  from torch's OpInfo database) is named, for a runtime or a transformer, by
  the model that system was given;
- whether the defect needs dynamic dims.

Sibling ops that share one implementation fold together where the error text
is part of the key (a crash, an invalid model): ONNX ops of one family
(ReduceMax and ReduceMean, MaxPool and AveragePool, QuantizeLinear and
DequantizeLinear, Softmax and LogSoftmax) and framework ops of one family
(torch.sum, mean, amax, all...; the pooling functions; scatter, scatter_add,
scatter_reduce). A wrong result keeps its exact op: there the op is all that
names the defect, and siblings are separate kernels.

An exporter's bug is keyed by the framework op family that made the failing
node and what the error says of it: for a crash, the exception at its root
(the dynamo exporter's "Exception summary", cut before the signature it
prints with its type lists in no fixed order; TorchScript's message cut
before the graph it quotes); for a model a runtime refuses, the ONNX op the
refusal names (whichever runtime refused it, and whether at load or at run).

A process death is keyed by the line that says why it died: a Rust panic's
location (file, without line numbers or crate versions) and message, a failed
C/C++ assertion. A panic inside a dependency or the standard library (an
ndarray index out of bounds) and glibc noticing a corrupt heap say little of
which defect it is, so the op at fault stays in their key. A death whose
kept error lost that line (a backtrace buried it) finds it in its repro's
output.

An error with a cause chain (tract's "Caused by:") is read as its first line
and its innermost cause, and the op it names is the first any line names.
tract's analysis evaluating an op on constant inputs ("Eager eval", then
"Evaluating #3 ScatterNd") runs the kernel a run uses: such a load crash is
keyed as that kernel's run crash.

A component the exporter runs before its own translation (torch.jit.trace,
torch's decompositions) is keyed without the op for a crash, which it shows
alike whatever op it met, and with it for a wrong result: decompositions are
one per op.

The runtime that ran a converter's broken model does not count, nor its
wording of the load or run error (onnxruntime and onnx-reference word one bad
Reshape differently): one converter bug is one bug whichever runtime showed it.

onnxfuzz itself (its direct ONNX builder, its lowerings, its ground truth) is
never a system under test: `is_own` says when a blame or a failure is its own.
"""
from __future__ import annotations

import functools
import hashlib
import json
import re

from oracles import Kind, normalize_error
# a process death's words (death_line, is_death: read here and by the filer through this module)
from oracles.death import GENERIC_DEATHS, death_line, is_death  # noqa: F401

#: the names a blame gives onnxfuzz itself: its own direct builder is no system under test
OWN_SYSTEMS = ("onnxfuzz", "onnx-direct")

#: the stages whose error text is worded by whichever runtime ran the model
RUNTIME_STAGES = ("load", "run")

#: plugins that are one system with another (same code, other settings or another entry point)
_FAMILY_PREFIXES = (("onnxruntime", "onnxruntime"), ("ort-offline", "onnxruntime"), ("dynamo", "dynamo"),
                    ("onnxoptimizer", "onnxoptimizer"))


#: families whose offline optimizer (a transformer) runs what their runtime runs at load
_OPTIMIZES_AT_LOAD = ("onnxruntime",)


def system_family(system: str) -> str:
    """The system a plugin is a setting of: "onnxruntime-basic", "ort-offline-extended" ->
    "onnxruntime"; "dynamo-noopt" -> "dynamo"; anything else is its own family."""
    for prefix, family in _FAMILY_PREFIXES:
        if system == prefix or system.startswith(prefix + "-"):
            return family
    return system


def is_own(system: str, role: str = "") -> bool:
    """Is this blame onnxfuzz's own defect (its direct builder, a lowering, the ground truth)?"""
    return role == "own" or system in OWN_SYSTEMS


# node names as the checker and the runtimes quote them; quoted names normalize_error drops already
_NODE_NAMES = [
    # checker: "(op_type:MaxPool, node name: /MaxPool)"; a node without a name: "(op_type:MaxPool)"
    (re.compile(r",?\s*node name:\s*[^),]*"), ""),
    (re.compile(r"\bNode\s*\(([^()]*)\)"), "Node ()"),  # checker, ORT: Node (node_Reshape_1)'s input 0
    (re.compile(r"\bName:\s*'[^']*'"), "Name:"),  # ORT: running MaxPool node. Name:'/MaxPool'
    (re.compile(r"\bnode\s+\S+\s+\(OpType:"), "node (OpType:"),
]

#: where an error names the op that fails
_OP_NAMED = [
    re.compile(r"op_type:\s*([A-Za-z_][\w.]*)"),
    re.compile(r"running ([A-Za-z_][\w.]*) node"),
    re.compile(r"\bOp \(([A-Za-z_][\w.]*)\)"),
    re.compile(r"for operator ([A-Za-z_][\w.]*)"),
    re.compile(r"OpType:\s*([A-Za-z_][\w.]*)"),
    re.compile(r'#\d+ "[^"]*" ([A-Za-z_][\w.]*)'),  # tract: Translating node #3 "_n3" Gemm
    re.compile(r"\(operator '([A-Z][A-Za-z]*?)(?:_\d+)?'\)"),  # onnx.reference: (operator 'Clip_11')
    re.compile(r"\bBuilding node [^\s()]+ \(([A-Z]\w*)\)"),  # tract: Building node /Transpose (Transpose)
]
#: tract's quantization ops carry the type they make in their name (QuantizeLinearU8): one op
_TRACT_TYPED = re.compile(r"\b((?:De)?[Qq]uantizeLinear)[FIU]\d+\b")


#: ONNX ops that share one implementation in the systems under test: one token in a crash's key
_ONNX_FAMILIES = [
    # (ReduceL1 and ReduceL2 read "ReduceL<n>" once an error's numbers are taken out)
    (re.compile(r"\bReduce(?:Max|Min|Mean|Sum|Prod|L1|L2|L<n>|LogSumExp|LogSum|SumSquare)(?!\w)"), "Reduce*"),
    (re.compile(r"\b(?:Global)?(?:Max|Average|Lp)Pool\b"), "*Pool"),
    (re.compile(r"\b(?:Log)?Softmax\b"), "*Softmax"),
    (re.compile(r"\b(?:Dequantize|Quantize)Linear\b"), "*QuantizeLinear"),
    # one helper in TorchScript's symbolic functions, one kernel template in the runtimes
    (re.compile(r"\bArg(?:Max|Min)\b"), "Arg*"),
]

#: framework ops (the IR's torch / TF op names) whose exporter code is shared: one family
_FRAMEWORK_FAMILIES = {
    "reduce": ("sum", "mean", "amax", "amin", "prod", "any", "all", "var", "std", "var_mean", "std_mean",
               "logsumexp", "aminmax", "max_dim", "min_dim"),
    "pool": ("max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d",
             "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d"),
    "scatter": ("scatter", "scatter_add", "scatter_reduce"),
    "softmax": ("softmax", "log_softmax", "softmin"),
}
_FAMILY_OF = {op: family for family, ops in _FRAMEWORK_FAMILIES.items() for op in ops}

#: torch ops whose TorchScript symbolic functions are one helper, whole: a defect of the helper is
#: one bug whichever op reached it (index_fill and index_copy through _index_fill_reshape_helper,
#: argmax and argmin through _argmin_argmax_helper: reviews 9 to 11). The reductions share a
#: helper only in part (sum's and amax's 0-d defects are two live folders), so they are not here
_ONE_HELPER = {"index_fill": "index_fill|index_copy", "index_copy": "index_fill|index_copy",
               "argmax": "argmax|argmin", "argmin": "argmax|argmin"}

#: the kinds whose error text is only the kind: the op is all that names the defect
_NUMERIC = ("value_mismatch", "shape_mismatch", "dtype_mismatch", "nan_inf", "hang", "oom")
#: the failures that are a wrong result rather than a crash
WRONG_RESULTS = ("value_mismatch", "shape_mismatch", "dtype_mismatch", "nan_inf")


def component_wide(component: str, kind: str) -> bool:
    """Whether a failure of a component the exporter runs first is keyed without its op: a crash
    of it is (torch.jit.trace fails the same way whatever op it met), a wrong result is not: torch's
    decompositions are one per op, and index_add's wrong values and another op's are two defects
    (an op-less key counted every later decomposition's wrong result as a hit on the first)."""
    return bool(component) and kind not in WRONG_RESULTS


def onnx_family(text: str) -> str:
    """text with every ONNX op name of a family (_ONNX_FAMILIES) replaced by the family's token."""
    for pattern, token in _ONNX_FAMILIES:
        text = pattern.sub(token, text)
    return text


def framework_family(ops: list[str]) -> str:
    """The framework op family of an exporter's failing ops: "reduce" for torch.sum or amax. An
    in-place spelling (scatter_) is its op's: a crash or a refused model comes from the same
    symbolic function either way (a wrong result type keeps it apart: see root_parts)."""
    return ",".join(sorted({_FAMILY_OF.get(op.rstrip("_") or op, op.rstrip("_") or op) for op in ops}))


# ------------------------------------------------------------------------------------------------
# the error at the root of an exporter's crash, a runtime's cause chain


#: the dynamo exporter's own words around the exception it could not convert
_SUMMARY = re.compile(r"## Exception summary\s*\n\s*\n(?:<class '(?P<type>[\w.]+)'>: )?(?P<msg>[^\n]*)")
#: attributes whose size a pooling or conv op checks in turn: which one fails first is incidental
_ATTR_SIZE = re.compile(r"Attribute \w+ has incorrect size")
#: where an exporter's message goes on to quote its types, signature or graph: not the cause
_QUOTES = re.compile(r"\.?\s*(?:Signature:|\[Caused by the value|Argument types:|Candidates:).*$", re.S)
#: tract's words for two types that should be one, in whichever order it met them ("unify TDim with
#: I64" and "unify I64 with TDim"; "substitute a ,U8 by ,I8" with a shape or without): the pair
#: without shapes, sorted
_SWAP = re.compile(r"(Impossible to unify|Trying to substitute a) (?:\w*,)*(\w+) (?:with|by) (?:\w*,)*(\w+)\b")
#: the values a Rust cause quotes after its words, as Debug dumps: a struct ("Squeeze { axes:
#: Some([1, -3]) }") or a list of facts ("[Val(1), Val(3)]"): the case's data, not the defect's
_RUST_DUMP = re.compile(r"\s+[A-Z]\w* \{.*$|,?\s+\[(?:Val|Sym)\(.*$")
#: a cause chain's numbered lines ("Caused by:\n    0: ...\n    1: ..."), the innermost last
_CAUSES = re.compile(r"^\s*\d+:\s*(?P<line>\S.*)$", re.M)


#: OpenVINO's first line only says where the exception passed ("Exception from src/inference/src/cpp/
#: core.cpp:117:"); the lines after it nest the checks that failed, and the last of them says why
_OPENVINO_HEAD = re.compile(r"^(?:(\w+): )?Exception from src/\S+:\d+:\s*$")
_OPENVINO_WRAPPERS = re.compile(r"^(?:Exception from src/|Check '.*' failed at |While validating|FrontEnd API failed|"
                                r"Model wasn't fully converted|Failed operations detailed log|-- \w+-\d+ with a message|"
                                r"Shape inference input shapes)")
#: the ONNX node OpenVINO's frontend names: "While validating ONNX node '<Node(ScatterND): /x>'",
#: "-- AffineGrid-20 with a message"
_OPENVINO_NODE = re.compile(r"<Node\((\w+)\)|^-- (\w+)-\d+ with a message", re.M)


def openvino_reason(error: str) -> tuple[str | None, str]:
    """(the ONNX op OpenVINO names, if any; why it failed: the first line of its nested report
    that is no wrapper, else the check that failed), or (None, "") for an error of another kind."""
    lines = (error or "").strip().splitlines()
    if not lines or not _OPENVINO_HEAD.match(lines[0].strip()):
        return None, ""
    node = _OPENVINO_NODE.search(error)
    op = (node.group(1) or node.group(2)) if node else None
    check = ""
    for line in (ln.strip() for ln in lines[1:]):
        if line.startswith("Summary:"):
            break
        if line.startswith("Check '"):
            check = re.sub(r" failed at .*$", " failed", line)
        if line and not _OPENVINO_WRAPPERS.match(line):
            return op, line
    return op, check


def cause_of(error: str) -> str:
    """The error as the key reads it: the dynamo exporter's exception summary instead of its
    "Failed to convert" preamble; an exporter's message without the signature or graph it
    quotes; a cause chain's first line and its innermost cause (tract: "Translating node #4
    Gemm" caused by "expected F16 got F32")."""
    error = error or ""
    openvino = _OPENVINO_HEAD.match(error.strip().splitlines()[0].strip()) if error.strip() else None
    if openvino:
        error = f"{openvino.group(1) or 'Exception'}: {openvino_reason(error)[1]}"
    m = _SUMMARY.search(error)
    if m:
        error = f"{m.group('type').rsplit('.', 1)[-1]}: {m.group('msg')}" if m.group("type") else m.group("msg")
    head, sep, causes = error.partition("\nCaused by:")
    head = _QUOTES.sub("", head.strip().splitlines()[0] if head.strip() else "")
    if sep:
        # the innermost cause: the last numbered line, or the first line of a lone cause (a
        # debug dump of the model may follow it)
        lines = [ln.group("line") for ln in _CAUSES.finditer(causes)] or [ln.strip() for ln in causes.splitlines() if ln.strip()][:1]
        if lines:
            head = f"{head} / {_RUST_DUMP.sub('', lines[-1])}"
    head = _TRACT_TYPED.sub(r"\1", head)
    head = _SWAP.sub(lambda m: f"{m.group(1)} {' and '.join(sorted(m.group(2, 3)))}", head)
    return _ATTR_SIZE.sub("Attribute <attr> has incorrect size", head)


#: tract's analysis running a kernel on constant inputs: "Eager eval during inference", then
#: "Evaluating #3 "adhoc" ScatterNd", then the kernel's own error
_EAGER = re.compile(r"^\s*\d+:\s*Eager eval\b.*$", re.M)
_EVALUATING = re.compile(r"^\s*\d+:\s*(?P<line>Evaluating #.*)$", re.M)


def _eager_evaluation(error: str) -> str:
    """A tract load error that its analysis' eager evaluation of a kernel raised, worded as the run
    of that kernel raises it ("TractError: Evaluating #3 ... ScatterNd", caused by the kernel's
    words); "" for any other error."""
    error = error or ""
    eager, evaluating = _EAGER.search(error), _EVALUATING.search(error)
    if eager is None or evaluating is None or evaluating.start() < eager.start():
        return ""
    causes = [m.group("line") for m in _CAUSES.finditer(error[evaluating.end():])]
    head = f"TractError: {evaluating.group('line').strip()}"
    return f"{head}\n\nCaused by:\n    {causes[-1]}" if causes else head


def strip_node_names(text: str) -> str:
    for pattern, repl in _NODE_NAMES:
        text = pattern.sub(repl, text)
    return text


#: a negative number an error quotes (an axis or a dimension counted from the end)
_NEGATIVE = re.compile(r"(?<![\w.\-)\]])-\d+\b")


def root_error(kind: Kind | str, error: str) -> str:
    """normalize_error, with node names taken out too, and a negative number kept apart from a
    positive one: onnx.reference's GatherElements refusing "dimension -1" is its negative-axis
    defect, and "dimension 0" another (review 7)."""
    said = normalize_error(Kind(kind), _NEGATIVE.sub("negative <n>", strip_node_names(error or "")))
    return _INT_LIST.sub(lambda m: "{<ints with a negative>}" if "negative" in m.group(0) else "{<ints>}", said)


#: a list of numbers an error quotes in braces ("perm {<n>, negative <n>, negative <n>}", "input
#: shape = {<n>, <n>}"): its length is the graph's, and only whether it holds a negative one says
#: something of the cause (TorchScript's permute copying negative dims into perm, met at ranks 1
#: and 4: review 13)
_INT_LIST = re.compile(r"\{(?:negative )?<n>(?:\.\.\.)?(?:, (?:negative )?<n>(?:\.\.\.)?)*\}")


#: a number a check quotes after its sentence ("... must be >= <n>. input_rank=<n>")
_CHECKED_NUMBER = re.compile(r"\.\s+\w+=<n>\.?$")


def _said(kind: Kind | str, error: str) -> str:
    """What an error says of its cause, with its numbers as data: one number or a list of them
    is one thing (a perm of one axis or of two), and so is a shape of any rank ("()", "(1,)" and
    "(1,1)": onnx.reference's Mean broadcasting into its first input, reviews 9 and 11)."""
    said = onnx_family(root_error(kind, cause_of(error))).replace("<n>...", "<n>")
    said = re.sub(r"\((?:(?:<n>,\s*)*<n>,?)?\)", "(<shape>)", said)
    # a negative size is a shape too where the words say shape (onnx.reference's MaxPool
    # out_shape=(0,) and (-1,), review 12, and out_shape=[0] from its ceil_mode branch, review
    # 18); elsewhere (an axis) its sign tells defects apart
    said = re.sub(r"(shape\s*=?\s*)\[(?:(?:(?:negative )?<n>,\s*)*(?:negative )?<n>,?)\]", r"\1(<shape>)", said)
    # one op's inference functions of two opsets word one check alike, one adding the number it
    # checked ("Input rank must be >= 2." and "... >= 2. input_rank=1": NegativeLogLikelihoodLoss
    # at opsets 16 and 12, review 22)
    said = _CHECKED_NUMBER.sub(".", said)
    return re.sub(r"(shape\s*=?\s*)\((?:(?:(?:negative )?<n>,\s*)*(?:negative )?<n>,?)\)", r"\1(<shape>)", said)


#: tract's names for the ONNX ops it translates a node into, as its errors quote them
_TRACT_OPS = {"StridedSlice": "Slice", "MatMulInference": "MatMul"}


def _onnx_spelling(op: str) -> str:
    """The ONNX op type a runtime spells otherwise (tract's "ScatterNd" is ScatterND)."""
    return _onnx_op_types().get(op.lower(), op)


@functools.lru_cache(maxsize=1)
def _onnx_op_types() -> dict[str, str]:
    import onnx

    return {s.name.lower(): s.name for s in onnx.defs.get_all_schemas() if s.domain in ("", "ai.onnx")}


def named_op(error: str) -> str | None:
    """The op type the error names as failing, if it names one: its first line, else the first
    line of its cause chain that does (tract: "Eager eval #5 "_n4.beta_c" Mul")."""
    text = (error or "").strip()
    if not text:
        return None
    openvino, _ = openvino_reason(text)
    if openvino:
        return _onnx_spelling(openvino)
    head, _, causes = text.partition("\nCaused by:")
    lines = head.strip().splitlines()
    # the checker quotes the node its first line speaks of on the next ("...however input 'x' of
    # node: / name: n OpType: Clip / is not output of any previous nodes")
    first = " ".join(lines[:2]) if lines[0].rstrip().endswith("node:") else lines[0]
    for line in [first, *causes.splitlines()]:
        for pattern in _OP_NAMED:
            m = pattern.search(line)
            if m:
                op = _TRACT_TYPED.sub(r"\1", m.group(1))
                op = _TRACT_OPS.get(op, op)
                return _onnx_spelling(op)
    return None


def framework_op_of(ir_op: str) -> str:
    """The framework op an IR op's call reaches (OpSpec.framework_op): one name for its spellings."""
    from fuzzer.ops import get_spec

    try:
        return get_spec(ir_op).framework_op()
    except KeyError:  # an op of an older onnxfuzz
        return ir_op


def onnx_op_of(ir_op: str) -> str:
    """The ONNX op type an IR op is lowered to first (its spec's onnx_ops), so that a campaign's
    minimal graph and a checked model's name one op alike; the IR name when it has none."""
    from fuzzer.ops import get_spec

    try:
        ops = get_spec(ir_op).onnx_ops
    except KeyError:  # an op of an older onnxfuzz, or an ONNX op type already
        return ir_op
    return ops[0] if ops else ir_op


def graph_sink_ops(graph, role: str = "") -> list[str]:
    """The op types of the nodes that make a minimal IR graph's outputs: for an exporter's bug
    the framework's op (its conversion of that op is at fault: torch.var and torch.mean are two
    symbolic functions), for any other system the ONNX op it is lowered to, as the model that
    system was given names it (and as a checked model does)."""
    name = framework_op_of if role == "exporter" else onnx_op_of
    return sorted({name(graph.node(v.node_id).op_type) for v in graph.outputs if graph.node(v.node_id).is_op}) \
        or sorted({name(op) for op in graph.op_types()})


def model_sink_ops(model) -> list[str]:
    """The op types of the nodes that make an ONNX model's outputs, looking through Identity."""
    made = {o: n for n in model.graph.node for o in n.output}
    sinks = set()
    for out in model.graph.output:
        node = made.get(out.name)
        while node is not None and node.op_type == "Identity" and node.input and node.input[0] in made:
            node = made[node.input[0]]
        if node is not None:
            sinks.add(node.op_type if node.domain in ("", "ai.onnx") else f"{node.domain}.{node.op_type}")
    return sorted(sinks) or sorted({n.op_type for n in model.graph.node})


def given_sink_ops(sinks: list[str], role: str, model_sinks: list[str] | None, kind: str = "",
                   model_ops: set[str] | None = None) -> list[str]:
    """A transformer's or runtime's op at fault as the model it was given names it
    (model_sinks: model_sink_ops of that model), when the minimal graph's sink is no ONNX op: an
    op taken from torch's OpInfo database ("opinfo.det") reaches an ONNX runtime only through an
    exporter, whose model names the op (Det) that a graph built from ONNX ops names too (review
    7: one Det kernel, two keys)."""
    import onnx

    if role == "exporter" or not model_sinks:
        return sinks
    # A runtime's crash on a model that has no node of the op the graph's op is lowered to by
    # rule (a transformer rewrote Where(Not(c)) into Where; all() over no dims is a Cast, not
    # ReduceMin) names the op of the model it ran (model_ops: its op types; review 24: two
    # OpenVINO repeats). Where the model has it, the graph's op stays (its last op may be a Cast
    # the export appended: Det -> Cast), and so it does for a wrong result.
    renamed = role == "runtime" and kind not in WRONG_RESULTS and model_ops is not None and not set(sinks) & model_ops
    if all(onnx.defs.has(op) for op in sinks) and not renamed:
        return sinks
    return model_sinks


def failing_op(error: str, sink_ops: list[str]) -> str:
    """The op at fault: the one the error names, else the ops that make the minimal outputs."""
    return named_op(error) or ",".join(sink_ops)


#: the float16 converter (keep_io_types) keeps a value that is a graph output in float32 while it
#: converts the nodes that read it: the checker then names whichever reader it meets first, in
#: words that differ by reader and operand ("B has inconsistent type", "Inferred elem type
#: differs"), so the error alone made one defect ten folders (issue 13's review)
READS_GRAPH_OUTPUT = "reads-graph-output"
_TYPE_CLASH = re.compile(r"elem type differs|has inconsistent type|bound to different types")


#: ops whose output element type an attribute sets (RandomUniform's "dtype", the window
#: functions' "output_datatype", EyeLike's and SequenceEmpty's "dtype"): the float16 converter
#: retypes their outputs float16 and leaves the attribute, and the checker names the op or a
#: reader of it. Cast's "to" is not among them: the converter patches Cast on its own path
#: (onnxconverter-common#320 is that path's defect, and its fix touches Cast only)
SETS_OUTPUT_TYPE = "sets-output-type"
_TYPE_ATTRIBUTES = ("dtype", "output_datatype", "output_dtype")


def _sets_output_type(op_type: str) -> bool:
    import onnx

    try:
        schema = onnx.defs.get_schema(op_type)
    except Exception:
        return False
    return any(a in schema.attributes for a in _TYPE_ATTRIBUTES)


def graph_traits(graph) -> tuple[str, ...]:
    """Structural facts of a minimal IR graph that name a defect where its error does not."""
    outputs = {(v.node_id, v.output_index) for v in graph.outputs}
    read = any((v.node_id, v.output_index) in outputs for n in graph.nodes for v in n.inputs)
    bfloat16 = any(str(v.type.dtype) == "bfloat16" for v in graph.inputs)
    anywhere = any(str(v.type.dtype) == "bfloat16" for v in graph.values())
    return ((READS_GRAPH_OUTPUT,) if read else ()) + ((BFLOAT16_INPUT,) if bfloat16 else ()) \
        + ((BFLOAT16_VALUE,) if anywhere else ())


#: the IR graph has a bfloat16 input
BFLOAT16_INPUT = "bfloat16-input"
#: the IR graph has a bfloat16 value, an input or one an op makes
BFLOAT16_VALUE = "bfloat16-value"
#: the model declares a float16 input
FLOAT16_INPUT = "float16-input"
#: tract types a Cast to int64 as TDim, its symbolic dimension type, and the ops reading it refuse
#: TDim each in its own words ("Impossible to unify TDim with I64", "got TDim", "Unsupported
#: DatumType TDim"): one defect, four folders in the third review. Shape and Size make the same
#: int64 values (review 7: Shape -> Slice -> MatMul repeated Cast -> MatMul)
CASTS_TO_INT64 = "casts-to-int64"
_MAKES_TDIM = ("Shape", "Size")
#: an initializer has the name of a graph input (IR 3 lists initializers as inputs) or output
INITIALIZER_IS_IO = "initializer-is-io"
#: the model is IR 3, whose checker wants every initializer listed among the graph inputs
IR3 = "ir3"
#: the model has ONNX's optional ops
OPTIONAL_OPS = "optional-ops"
#: the model makes or reads sequences or optionals of tensors
SEQUENCES = "sequences"
#: a float16 graph input is cast to float32, a graph output is float32, and nothing casts back
UPCAST_KEPT = "upcast-kept"
#: an initializer is read by an op the float16 converter keeps in float32 (its default block list:
#: Resize, Min, Max, TopK...) and by an op it converts: it keeps the initializer float32 for the
#: one and inserts no Cast for the other, which the checker names in that reader's words (ConvTranspose's
#: "W has inconsistent type", Sin's "elem type differs": one defect, review 18)
SHARED_WITH_KEPT = "initializer-shared-with-kept-op"


#: an op the float16 converter keeps in float32 reads a value ONNX inference leaves untyped (the
#: output of a function op without an inference function: GroupNormalization-21): the converter
#: finds no type to cast and inserts no Cast, and the checker names the kept op, whichever it is
#: (GroupNormalization into Max, review 19's 8025c6, and into Min, review 24)
UNTYPED_INTO_KEPT = "untyped-value-into-kept-op"


def _kept_by_float16(model) -> list:
    """The nodes of model the float16 converter keeps in float32 (its default block list)."""
    try:
        from onnxconverter_common.float16 import DEFAULT_OP_BLOCK_LIST
    except Exception:  # noqa: BLE001 - no converter, no such defect to name
        return []
    return [n for n in model.graph.node if n.op_type in DEFAULT_OP_BLOCK_LIST]


def _untyped_into_kept(model, kept: list, inferred: dict[str, int]) -> bool:
    """UNTYPED_INTO_KEPT, of kept (_kept_by_float16) and inferred (_inferred_types)."""
    known = {v.name for v in (*model.graph.input, *model.graph.initializer)} | {
        o for n in model.graph.node if n.op_type == "Constant" for o in n.output}
    return any(i and i not in inferred and i not in known for n in kept for i in n.input)


def _shared_with_kept(model, kept: list) -> bool:
    """SHARED_WITH_KEPT: a float32 initializer (the only kind the converter lowers) read both by
    an op of its default block list (kept: _kept_by_float16) and by another op."""
    from onnx import TensorProto

    floats = {t.name for t in model.graph.initializer if t.data_type == TensorProto.FLOAT}
    read_kept = {i for n in kept for i in n.input if i in floats}
    return any(i in read_kept for n in model.graph.node if n not in kept for i in n.input)


_OPTIONAL = ("Optional", "OptionalGetElement", "OptionalHasElement")
#: a Cast to float32 (Cast's to=FLOAT), or a node reading one, of this op type ("casts-to-float:Compress")
CASTS_TO_FLOAT = "casts-to-float:"
#: a ScatterElements reads an If whose two branches give one output at two ranks: TorchScript's
#: scatter_reduce on a 0-d self (an If of Squeeze and Identity, as its dynamic squeeze writes, read
#: by anything else is no such trait)
SCATTER_READS_IF_OF_TWO_RANKS = "scatter-reads-if-of-two-ranks"


def _scatter_reads_if_of_two_ranks(model) -> bool:
    def rank(v):
        t = v.type.tensor_type
        return len(t.shape.dim) if t.HasField("shape") else None

    uneven = set()
    for node in model.graph.node:
        branches = {a.name: a.g for a in node.attribute} if node.op_type == "If" else {}
        then, other = branches.get("then_branch"), branches.get("else_branch")
        if then is not None and other is not None:
            uneven |= {o for o, a, b in zip(node.output, then.output, other.output) if None not in (rank(a), rank(b))
                       and rank(a) != rank(b)}
    return any(n.op_type == "ScatterElements" and uneven & set(n.input) for n in model.graph.node)


def _casts_to_float(model) -> tuple[str, ...]:
    """CASTS_TO_FLOAT with the op types that are a Cast to float32 or read one."""
    from onnx import TensorProto

    made = {o for n in model.graph.node if n.op_type == "Cast"
            and any(a.name == "to" and a.i == TensorProto.FLOAT for a in n.attribute) for o in n.output}
    ops = {"Cast"} if made else set()
    ops |= {n.op_type for n in model.graph.node if made & set(n.input)}
    return tuple(sorted(CASTS_TO_FLOAT + op for op in ops))


def _inferred_types(model) -> dict[str, int]:
    """{value: its element type} for the values ONNX shape inference types inside model ({} when
    it cannot)."""
    import onnx

    try:
        inferred = onnx.shape_inference.infer_shapes(model)
    except Exception:  # noqa: BLE001 - a model inference refuses says nothing of its types
        return {}
    return {v.name: v.type.tensor_type.elem_type for v in inferred.graph.value_info if v.type.tensor_type.elem_type}


def model_traits(model) -> tuple[str, ...]:
    """graph_traits of an ONNX model (the one `onnxfuzz check` files, or the one a transformer
    or runtime was given), whether one of its nodes' output type is set by an attribute, whether
    it makes int64 values tract types TDim, whether an initializer is named like an input or an
    output, whether it is IR 3, and whether it has optional ops."""
    from onnx import TensorProto

    outputs = {o.name for o in model.graph.output}
    read = any(i in outputs for n in model.graph.node for i in n.input)
    typed = any(n.domain in ("", "ai.onnx") and _sets_output_type(n.op_type) for n in model.graph.node)
    casts = any((n.op_type == "Cast" and any(a.name == "to" and a.i == TensorProto.INT64 for a in n.attribute))
                or n.op_type in _MAKES_TDIM for n in model.graph.node)
    io = {v.name for v in (*model.graph.input, *model.graph.output)}
    shared = any(t.name in io for t in model.graph.initializer)
    optional = any(n.op_type in _OPTIONAL for n in model.graph.node)
    sequences = any("Sequence" in n.op_type or n.op_type in _OPTIONAL for n in model.graph.node) or any(
        v.type.HasField("sequence_type") or v.type.HasField("optional_type")
        for v in (*model.graph.input, *model.graph.output, *model.graph.value_info))
    inputs16 = {v.name for v in model.graph.input if v.type.tensor_type.elem_type == TensorProto.FLOAT16}
    casts_to = [(n, next((a.i for a in n.attribute if a.name == "to"), None)) for n in model.graph.node if n.op_type == "Cast"]
    halves = (TensorProto.FLOAT16, TensorProto.BFLOAT16)  # promoted alike (review 15: abs on bfloat16)
    inputs_half = {v.name for v in model.graph.input if v.type.tensor_type.elem_type in halves}
    # a half value the graph makes from its half inputs (an Expand of one) is upcast alike (review
    # 22: mse_loss's Cast reads an Expand of the float16 input)
    kept = _kept_by_float16(model)
    inferred = _inferred_types(model) if inputs_half or kept else {}  # one inference for both traits
    halves_made = inputs_half | {v for v, t in inferred.items() if t in halves}
    upcast = (any(to == TensorProto.FLOAT and n.input and n.input[0] in halves_made for n, to in casts_to)
              and all(to not in halves for _, to in casts_to)
              and any(v.type.tensor_type.elem_type == TensorProto.FLOAT for v in model.graph.output))
    return (((READS_GRAPH_OUTPUT,) if read else ()) + ((SETS_OUTPUT_TYPE,) if typed else ())
            + ((UPCAST_KEPT,) if upcast else ()) + ((SHARED_WITH_KEPT,) if _shared_with_kept(model, kept) else ())
            + ((CASTS_TO_INT64,) if casts else ()) + ((INITIALIZER_IS_IO,) if shared else ())
            + ((IR3,) if model.ir_version < 4 else ()) + ((OPTIONAL_OPS,) if optional else ())
            + ((SEQUENCES,) if sequences else ()) + ((FLOAT16_INPUT,) if inputs16 else ())
            + ((SCATTER_READS_IF_OF_TWO_RANKS,) if _scatter_reads_if_of_two_ranks(model) else ())
            + ((UNTYPED_INTO_KEPT,) if _untyped_into_kept(model, kept, inferred) else ()) + _casts_to_float(model))


#: defects named by the structure of the model rather than by the error's words:
#: (system family or None for any, failure kinds or None for any, trait or None for any model,
#: what the error says, the defect in words)
STRUCTURAL = (
    ("float16", ("invalid_model",), READS_GRAPH_OUTPUT, _TYPE_CLASH,
     "a graph output read by another node keeps its type while its readers are converted"),
    ("float16", ("invalid_model",), SETS_OUTPUT_TYPE, _TYPE_CLASH,
     "an op whose output type an attribute sets keeps it while its output is retyped"),
    # keep_io_types keeps the graph's inputs and outputs float32 and converts every initializer:
    # one named like an input (IR 3) or an output ends up with two types
    ("float16", ("invalid_model",), INITIALIZER_IS_IO, _TYPE_CLASH,
     "an initializer that is also a graph input or output is converted while the input or output keeps float32"),
    ("tract", None, CASTS_TO_INT64, re.compile(r"\bTDim\b"),
     "a Cast to int64 is typed TDim, which the ops reading it refuse"),
    # its constant folding writes Constant(value_int(s)=...) whatever the opset, for each op it
    # folds to an integer (Size, Shape, Split's sizes): one defect met through several ops
    ("onnxscript-optimizer", ("invalid_model",), None, re.compile(r"Unrecognized attribute: value_ints? for operator Constant"),
     "folding writes a Constant attribute the model's opset does not have"),
    # it converts only tensor types: a sequence or an optional keeps its element type while the
    # tensors put in or taken out are converted (SequenceConstruct, SplitToSequence, Optional:
    # float16.py's value_info pass reads tensor_type alone; one defect, review 8)
    ("float16", ("invalid_model",), SEQUENCES, _TYPE_CLASH,
     "a sequence or an optional keeps its element type while the tensors in it are converted"),
    ("float16", ("invalid_model",), UNTYPED_INTO_KEPT, _TYPE_CLASH,
     "an op kept in float32 reading a value inference leaves untyped gets no Cast"),
    ("float16", ("invalid_model",), SHARED_WITH_KEPT, _TYPE_CLASH,
     "an initializer read by an op kept in float32 stays float32, and the converted ops reading it get no Cast"),
    # it retypes a Cast's output float16 and leaves to=FLOAT, and removing casts it thinks
    # redundant can hand that type clash to the node after it: the checker names the Cast or its
    # reader (review 12: Compress after the Cast, the live a7456d's Cast alone). After the rules
    # above, which name clashes a Cast to float32 may sit beside
    ("float16", ("invalid_model",), CASTS_TO_FLOAT + "{named}", _TYPE_CLASH,
     "a Cast to float32 keeps its `to` while its output is retyped float16"),
    # torch.onnx's type promotion computes a float16 or bfloat16 op in float32 and casts back after
    # it, but takes a graph output by the op's own name, before that cast: cumsum, amin, amax, abs...
    # (review 9: three folders of the live 2c1eba; review 15: abs on bfloat16)
    ("dynamo", ("dtype_mismatch",), UPCAST_KEPT, re.compile(r""),
     "type promotion's cast back to float16 is lost where the op's result is a graph output"),
    # its rewriter names a rewrite's new initializer after a value ("x0_min", "out0/shape"); a
    # second rewrite making the same name gets it renamed ("_1") while the first is overwritten,
    # and a node is left reading a name nothing makes, whichever rules made the two (review 9)
    ("onnxscript-optimizer", ("invalid_model",), None, re.compile(r"however input '[^']*_\d+' of node"),
     "two rewrites' initializers of one name: one is overwritten and its reader left dangling"),
    # IR 3 lists every initializer among the graph inputs: a tool that adds initializers (ORT's
    # constant folding, its quantizer's scales, onnxslim's folding and shape inference) without
    # listing them breaks every IR-3 model it touches, whichever op made the initializer
    # (review 7: four folders of three systems repeated three live ones)
    # (review 22: onnxsim, whose own check refuses what it made, as a convert crash)
    (None, ("invalid_model", "convert_crash"), IR3, re.compile(r"in initializer but not in graph input"),
     "adds initializers without listing them among the graph inputs, as IR 3 requires"),
    # onnx.reference's Optional returns its tensor wrapped in a list, and whatever reads it fails
    # or computes in its own way: a TypeError naming the reader, "'list' object has no attribute",
    # a shape [1] for [] (review 7: four folders of the live 85c2f1)
    ("onnx-reference", None, OPTIONAL_OPS, re.compile(r""),
     "Optional wraps the tensor it is given in a list"),
    # TorchScript's scatter_reduce wraps a 0-d self in an If whose branches give rank 1 and the
    # input's rank, and the exporter types its output by the first: whatever reads it (Split's
    # axis, Pad's pads, an Identity) fails in its own words, and the localizer names the reader
    # (review 12: aten::split and aten::pad, both the live 2f95de)
    ("torchscript", ("invalid_model", "load_crash", "run_crash"), SCATTER_READS_IF_OF_TWO_RANKS, re.compile(r""),
     "an If whose branches give two ranks is typed by one of them"),
    # its symbolic shape inference writes a tensor type whose shape it could not infer, which the
    # checker refuses whichever op's output it was (review 7: ReduceLogSum repeated ReduceProd)
    ("onnxslim", ("invalid_model",), None, re.compile(r"Field 'shape' of 'type' is required but missing"),
     "shape inference writes a tensor type without its shape"),
    # its scalar type pass writes torch's number for bfloat16 (15) as an ONNX type, where 15 is
    # complex128: a Cast to complex that its constant folding or the checker refuses, each in its
    # own words, whichever op the promotion was for (review 15: norm and sdpa); a graph with a
    # bfloat16 input has no complex value of its own
    ("torchscript", ("export_crash", "invalid_model"), BFLOAT16_INPUT, re.compile(r"complex", re.I),
     "type promotion casts bfloat16 to ONNX type 15, complex128"),
    # its dtype table maps TensorFlow's bfloat16 to ONNX float16 (tf_utils.TF_TO_ONNX_DTYPE): a
    # bfloat16 input is declared float16, and each runtime refuses the feed, or a wrong output
    # type shows, whichever handler the localizer names (review 15: Minimum, Reshape and two more)
    # A bfloat16 made inside the graph (a Cast to it) is declared float16 alike (reviews 22 and 23:
    # LogSoftmax and ReduceMean after a Cast, the output float16 where bfloat16 is due)
    ("tf2onnx", None, BFLOAT16_VALUE, re.compile(r"bfloat16.*float16|float16.*bfloat16", re.I | re.S),
     "bfloat16 is declared float16"),
)


#: a runtime refusing a value fed to a graph input, before any op runs
_REFUSES_FEED = re.compile(r"Failed to set tensor for input")

#: the checker on an op the model's opset does not have yet
_NEWER_OP = re.compile(r"No Op registered for (\w+) with domain_version")


def structural(family: str, kind: str, error: str, traits: tuple[str, ...]) -> str:
    """The STRUCTURAL defect this failure is, in words, or ""."""
    named = named_op(error) or ""
    for fam, kinds, trait, said, words in STRUCTURAL:
        # a trait of one op type ("{named}") holds for the op the error names; a tuple of traits
        # holds when each does
        wanted = trait if isinstance(trait, tuple) else (trait.format(named=named),) if trait else ()
        if fam in (None, family) and (kinds is None or kind in kinds) and all(t in traits for t in wanted) and said.search(error or ""):
            return words
    return ""


def root_parts(system: str, role: str, kind: str, stage: str, error: str, runtime: str, sink_ops: list[str],
               dynamic: bool, death: str = "", traits: tuple[str, ...] = ()) -> list[str]:
    """What root_key hashes, in words (see the module docstring). runtime: the runtime that
    showed the failure ("" before any ran); its wording of a load or run error counts only
    when the failure is its own family's (a runtime's own bug, or ORT's offline optimizer's
    output failing on ORT). death: why the process died, when the error is a death whose kept
    text lost that line (its repro's output says it)."""
    family = system_family(system)
    worded_by_other = stage in RUNTIME_STAGES and role != "runtime" and system_family(runtime or "") != family
    if family in _OPTIMIZES_AT_LOAD and stage == "convert":
        # its offline optimizer runs the graph transformers a session runs when it loads the
        # model: one failure of theirs is a convert crash offline and a load crash online
        kind, stage = "load_crash", "load"
    if family == "tract" and stage == "load" and (evaluating := _eager_evaluation(error)):
        # its analysis evaluates an op whose inputs are all constant with the kernel a run uses:
        # one kernel defect is a load crash there and a run crash where an input is fed (review
        # 22: ScatterND's negative indices, the live f6a418 met at load)
        kind, stage, error = "run_crash", "run", evaluating
    exporter = role == "exporter"
    ops = framework_family(sink_ops) if exporter else ",".join(sink_ops)
    if is_death(error) or kind in ("hang", "oom"):
        why = death or death_line(error)
        if why:
            # a panic in tract's own code names the defect; one inside a dependency needs the op
            parts = [family, "death", why] + ([ops] if why.startswith(GENERIC_DEATHS) else [])
        else:
            parts = [family, kind, stage, root_error(kind, error).split("\n")[0], ops]
    elif exporter and family == "torchscript" and sink_ops and all(op.endswith("_") for op in sink_ops) and (
            kind == "dtype_mismatch" or (kind == "invalid_model" and _TYPE_CLASH.search(error or ""))):
        # the exporter maps an in-place op to its out-of-place symbolic (ge_ -> ge) and keeps that
        # result's type (bool) instead of self's: one defect whichever in-place op showed it
        parts = [family, "in-place", "an in-place op is exported as its out-of-place form and keeps that result type"]
    elif exporter and kind == "invalid_model" and _NEWER_OP.search(error or ""):
        # an op of a later opset in a model for an earlier one: TorchScript falls back to its
        # opset-9 symbolic functions below 9 for any op its opset-7/8 modules do not block, so
        # lerp and atan2 both emit Where at opset 8: one defect, keyed by the op it emits
        parts = [family, "op newer than the opset", _NEWER_OP.search(error).group(1)]
    elif structural(family, kind, error, traits):
        parts = [family, "structure", structural(family, kind, error, traits)]
    elif kind in _NUMERIC:
        parts = [family, kind, stage, kind, ",".join(sink_ops)]
    elif worded_by_other:
        # a model this system made that a runtime refuses: which runtime, and at load or run, is
        # the runtime's business; the ONNX op it names is the model's
        named = named_op(error)
        parts = [family, "refused", ops, onnx_family(named) if named else "-"]
    else:
        named = named_op(error)
        # a runtime refusing the feed of an input fails before any op runs: which op read it is
        # none of the defect (OpenVINO's Python API feeding a 0-d bfloat16 as float16, met under
        # Reshape and under Greater: review 24)
        at = "the inputs" if _REFUSES_FEED.search(error or "") else onnx_family(named or ops)
        # one number or a list of them is one thing (a perm of one axis or of two)
        said = _said(kind, error)
        parts = [family, kind, stage, said, at]
    if dynamic:
        parts.append("dynamic")
    return parts


#: the failure kinds that are one symptom for the rule-at-fault key: a rewrite that breaks a
#: model shows it as a crash of the tool, an invalid model or a refusal to load, as the model
#: happens to be. A kernel refusing at run what a rewrite made is another defect of the rule
#: (FastGeluFusion fusing a 0-d input, which FastGelu refuses, against its deleting a Mul that
#: another node reads: two live folders)
_CRASHES = ("export_crash", "convert_crash", "load_crash", "invalid_model")


#: rules that are whole subsystems rather than one rewrite: constant folding runs every kernel
#: (onnxslim's folds sequences wrongly and drops TopK's first output: two defects), ORT's
#: rule-based transformers hold many rules each, and a tool's own shape inference or the float16
#: converter's keep_io_types handling of every graph input and output (an initializer output and
#: a twice-read input: two defects) are where unrelated defects meet
_BROAD_RULE = re.compile(r"constant.?folding|FoldConstants|RuleBasedTransformer$|^shape_infer$|^keep_io_types$", re.I)


def _call_name(ir_op: str) -> str:
    """One name for a torch op's spellings: x.floor_divide(y), x //= y and torch.floor_divide are
    one call, and so are F.softplus and torch.nn.functional.softplus."""
    return framework_op_of(ir_op).rstrip("_").rsplit(".", 1)[-1] or ir_op


def _helper(family: str, op: str) -> str:
    """The TorchScript helper a torch op's symbolic is (_ONE_HELPER), or the op (torchlib, the
    dynamo exporter's, has a function per op)."""
    return _ONE_HELPER.get(op, op) if family == "torchscript" else op


def _function(family: str, rule: str, opset: int | None) -> str:
    """The exporter function a rule at fault names ("aten::gather"), for the function key: for
    TorchScript, with the symbolic_opsetN module whose function runs at the case's opset, unless
    one helper is all of an op's functions."""
    op = rule.removeprefix("aten::")
    if family != "torchscript" or op in _ONE_HELPER or not opset:
        return _helper(family, op)
    from fuzzer.coverage.torch_exporters import delegate_code, delegate_of

    if helper := _shared_helper(rule, opset):
        return helper
    called = delegate_of(rule, opset)
    if called:  # unsafe_split is split: one code, whichever op reached it (review 18)
        code = delegate_code(rule, opset)  # the split its own module calls, not the opset's
        return f"{called}@{code.split('.', 1)[0] if code else _symbolic_module(f'aten::{called}', opset)}"
    return f"{op}@{_symbolic_module(rule, opset)}"


def _shared_helper(rule: str, opset: int | None) -> str:
    """The private helper TorchScript's function for rule at opset hands all its work to
    (torch_exporters.helper_code), or "": gt and lt at opset 8 are one _comparison_operator, whose
    scalar typed as the input is one defect whichever comparison met it (review 26's gt on int8
    repeating lt on bool, a44e3c)."""
    if not opset:
        return ""
    from fuzzer.coverage.torch_exporters import helper_code

    return helper_code(rule, opset)


#: what a failure shows of a model that is wrong, by kind: one defect shows as an invalid model,
#: a refusal to load or to run as the model and runtime happen to be (TorchScript's masked_scatter
#: refused by ORT, onnx.reference and tract in three wordings, review 9), and as a wrong value or
#: NaN alike; a wrong type or shape is a defect of another line of code
BROKEN = "breaks the model"
SYMPTOM_CLASS = {"invalid_model": BROKEN, "load_crash": BROKEN, "run_crash": BROKEN,
                 "value_mismatch": "wrong values", "nan_inf": "wrong values",
                 "dtype_mismatch": "wrong type", "shape_mismatch": "wrong shape"}


def rule_key(system: str, role: str, kind: str, fault: dict | None) -> str | None:
    """The key of a transformer's bug by its rule at fault (fuzzer.coverage.fault) and symptom:
    two failures of one rewrite rule (onnxoptimizer's fuse_consecutive_squeezes met through
    Squeeze, Unsqueeze and Concat, worded three ways) with one symptom are one bug. For the
    rules of transformers and ORT's graph transformers, which each do one rewrite; a runtime's
    kernel holds many defects (onnx.reference's GridSample has two in bugs/). An exporter's
    function is keyed with the first failing cut of the graph (Fault.core), and without the
    symptom. None when no single rule of that kind is named (an exporter's: no cut)."""
    rules = (fault or {}).get("rules") or []
    rule_system = (fault or {}).get("system") or ""
    core = (fault or {}).get("core") or []
    if role == "exporter" and rules and core:
        # an exporter's function holds several defects (aten::mean with dim=() and with
        # keepdim=True), each reached by its own call: the first failing cut's ops and the shape
        # of their arguments are one defect, whatever symptom it showed (narrow's negative start:
        # an empty slice as a wrong shape, or amax of it as -inf) and whichever function the
        # localizer named for it (cdist with p=0: pow's, where it raised; cdist's, which made the
        # node computing inf)
        # one torch op's spellings (x.floor_divide(y), x //= y, torch.floor_divide) are one call
        spelled = [[_call_name(c[0]), *c[1:]] for c in core]
        parts = [system_family(system), json.dumps(spelled, sort_keys=True)]
        return "core:" + hashlib.sha1("|".join(parts).encode()).hexdigest()[:10]
    # a kernel (op, dtype) of a runtime holds many defects; the float16 converter's treatment of
    # one op type ("Cast": it retypes the output and leaves `to`) is one code path
    kernels = rule_system.endswith(":ops") and rule_system != "float16:ops"
    if role not in ("transformer", "runtime") or not rules or kernels:
        return None
    if any(_BROAD_RULE.search(r) for r in rules):
        return None
    # NaN where a value is due and a wrong value are one symptom of a rewrite that computes
    # otherwise (onnxscript's add_0 dropping LayerNorm's eps: a wrong value or 0/0, review 9)
    symptom = BROKEN if kind in _CRASHES else "wrong values" if kind in ("value_mismatch", "nan_inf") else kind
    parts = [system_family(system), symptom, rule_system.split("@")[0], *sorted({rule_place(rule_system, r) for r in rules})]
    return "rule:" + hashlib.sha1("|".join(parts).encode()).hexdigest()[:10]


#: Python's own exceptions in a tool's code: their words name the code that failed ("'list'
#: object has no attribute 'nbytes'"), not the model
_PY_INTERNAL = re.compile(r"(?:AttributeError|TypeError|KeyError|IndexError|UnboundLocalError|NameError)\b")


#: runtimes whose kernel for an op is one function for every element type: onnx.reference's
#: numpy code (its Mean broadcasting into its first input at float16 and at float32: review 11)
_ONE_KERNEL_PER_OP = ("onnx-reference",)
#: the element types the compiled runtimes run through code of their own: half-precision kernels
#: (ONNX Runtime's MLAS fp16 paths, or the float32 kernel between casts it inserts where it has none)
_OWN_KERNEL_TYPES = ("float16", "bfloat16")


def _kernels(family: str, rules: list[str], every_type: bool = False) -> list[str]:
    """The kernels rules name ("Mean(float32)"), without the element type where the runtime's
    code for the op is one for every type: all of onnx.reference's; a compiled runtime's (ONNX
    Runtime's C++ templates, tract's generic Rust, OpenVINO's) but for half precision, unless the
    localizer found the half-precision failure at float32 too (Fault.every_type). One defect
    of such code shows at each type (ONNX Runtime's Shrink computing in float32 at int32 and at
    float64: review 13)."""
    return [re.sub(r"\(\w+\)$", "", kernel_of(family, r)) if every_type else kernel_of(family, r) for r in rules]


#: ops one code of a runtime builds alike: tract-onnx makes every Reduce* one Reduce op with one
#: reading of its axes (ReduceMin repeating ReduceMax's empty axes: review 13)
_ONE_OP_FOR_SEVERAL = {"tract": (re.compile(r"^Reduce(?:Max|Min|Mean|Sum|Prod|L1|L2|LogSumExp|LogSum|SumSquare)(?=\(|$)"), "Reduce*")}


def kernel_of(family: str, rule: str) -> str:
    """The code a runtime's kernel rule ("ReduceMin(float32)") stands for (_kernels)."""
    shared = _ONE_OP_FOR_SEVERAL.get(family)
    if shared is not None:
        rule = shared[0].sub(shared[1], rule)
    m = re.fullmatch(r"(.*)\((\w+)\)", rule)
    if m is None or (family not in _ONE_KERNEL_PER_OP and m.group(2) in _OWN_KERNEL_TYPES):
        return rule
    return m.group(1)


#: a torch symbolic refusing a bool beside another type ("Inputs of Min must have same dtype.Got Bool and Float")
_BOOL_CLASH = re.compile(r"must have same dtype\.\s*Got (?:Bool and \w+|\w+ and Bool)")

#: tract's names of the element types
_TRACT_TYPES = {"float16": "F16", "float64": "F64", "int8": "I8", "int16": "I16", "int32": "I32", "int64": "I64",
                "uint8": "U8", "uint16": "U16", "uint32": "U32", "uint64": "U64", "bool": "Bool"}


def _f32_leak(family: str, rules: list[str], error: str) -> str:
    """The op whose tract kernel, for an element type other than float32, fails on a float32 value
    it made itself ("No super type for F32 and I32" in Gemm's beta, "expected 1,1,F16 got 1,1,F32",
    "tensor is F32, accessed as F64"; GRU's initial state made F32 in a float16 GRU: review 10), or
    "". One defect per op, whichever type it shows with."""
    if family != "tract" or len(rules) != 1:
        return ""
    m = re.fullmatch(r"(\w+)\((\w+)\)", rules[0])
    if m is None or m.group(2) not in _TRACT_TYPES or "F32" not in (error or ""):
        return ""
    if not re.search(rf"\b{_TRACT_TYPES[m.group(2)]}\b", error):
        return ""
    # RNN, GRU and LSTM are one code in tract (CommonRec), which makes the missing initial state
    # float32 whatever the input type (review 12: a float16 RNN repeating the live GRU 7d28df)
    return "RNN|GRU|LSTM" if m.group(1) in ("RNN", "GRU", "LSTM") else m.group(1)


#: TorchScript's pass that types the values of an exported graph, and its words for a 0-d float64
#: it took for a Python scalar
SCALAR_TYPE_PASS = "_jit_pass_onnx_scalar_type_analysis"
_SCALAR_TAKEN = re.compile(r"^(?:output \d+: )?dtype float32, expected float64$")


def _in_place(op: str) -> bool:
    return op.endswith(".inplace") or op.endswith("_")


@functools.lru_cache(maxsize=None)
def _symbolic_module(rule: str, opset: int) -> str:
    """The module (symbolic_opset9, symbolic_opset11...) of the function TorchScript's exporter
    runs for rule at opset, or "": one aten op has a function per opset range, and each is its
    own code (torch.gather's OneHot decomposition below opset 11 and its GatherElements from 11)."""
    try:
        from fuzzer.coverage.torch_exporters import torchscript_registry

        group = torchscript_registry().get_function_group(rule)
        fn = group.get(opset) if group is not None else None
    except Exception:  # noqa: BLE001 - no torch, or another registry: the rule alone then
        return ""
    return getattr(fn, "__module__", "").rsplit(".", 1)[-1] if fn is not None else ""


def symbolic_code(rule: str, opset: int | None) -> str:
    """Where the code of the function TorchScript's exporter runs for rule at opset lives, or "":
    its module and qualified name. Symbolics a factory makes are one code for several ops
    (adaptive_avg_pool1d and adaptive_max_pool2d are both `_adaptive_pool.<locals>.symbolic_fn`
    of symbolic_opset9)."""
    try:
        from fuzzer.coverage.torch_exporters import torchscript_registry

        group = torchscript_registry().get_function_group(rule)
        fn = group.get(opset) if group is not None and opset else None
    except Exception:  # noqa: BLE001 - no torch, or another registry
        return ""
    if fn is None:
        return ""
    return f"{getattr(fn, '__module__', '').rsplit('.', 1)[-1]}.{getattr(fn, '__qualname__', rule)}"


def _opset_of(path: str) -> int | None:
    """The opset a case path exported at ("torchscript@10>onnxoptimizer": 10)."""
    m = re.match(r"[^>@]+@(\d+)", path or "")
    return int(m.group(1)) if m else None


def exporter_function(system: str, rule: str, path: str) -> str:
    """The code of the exporter function a rule at fault names: for TorchScript, the function
    its registry runs at the opset of the case path (symbolic_code), else as the function key
    has it."""
    family = system_family(system)
    one_helper = rule.removeprefix("aten::") in _ONE_HELPER
    if family == "torchscript" and not one_helper and _opset_of(path):
        from fuzzer.coverage.torch_exporters import delegate_code, delegate_of

        # unsafe_split's code is split's, the one its own module calls, as _function has it
        if code := delegate_code(rule, _opset_of(path)):
            return code
        called = delegate_of(rule, _opset_of(path))
        rule = f"aten::{called}" if called else rule
    code = symbolic_code(rule, _opset_of(path)) if family == "torchscript" and not one_helper else ""
    return code or _function(family, rule.removeprefix("aten_"), _opset_of(path))


#: an unnamed onnxscript rewrite rule's name: its replacement function and its place in the set
_UNNAMED_PLACE = re.compile(r"#\d+$")


def rule_place(rule_system: str, rule: str) -> str:
    """The place of code a rule at fault stands for. onnxscript's unnamed rewrite rules are named
    by their replacement function and their place in the rule set ("identity#4"): the rules of one
    replacement are written together and share their matching (its no-op rules, x*1, x+0, x-0,
    x/1 and their kin, all match their constant with one tolerance: review 15 found identity#4
    repeating identity#2), so they are one place; a defect of one of them alone shows another
    symptom, which keys keep apart."""
    return _UNNAMED_PLACE.sub("", rule) if rule_system.startswith("onnxscript:") else rule


def is_broad_rule(rule: str) -> bool:
    """Whether rule is a whole subsystem where unrelated defects meet (_BROAD_RULE)."""
    return bool(_BROAD_RULE.search(rule))


#: ONNX's type and shape inference saying why it refuses a node, in the checker's words or in a
#: runtime's that runs the same inference at load ("[TypeInferenceError] Invalid attribute perm")
_INFERENCE_SAYS = re.compile(r"^.*\[(?:Type|Shape)InferenceError\]\s*([^\n]+)")  # the innermost
#: inference's words that say nothing of which defect made the node: any two mismatched operands
#: (opset 9's gather makes incompatible dims two ways, two defects: review 12)
_GENERIC_INFERENCE = re.compile(r"^Incompatible dimensions|expected to have type but instead is null")


#: TorchScript's export failing on the complex type its scalar type analysis gave bfloat16
_BF16_AS_COMPLEX = re.compile(r"ScalarType Complex\w+ is an unexpected tensor scalar type"
                              r"|INTERNAL ASSERT FAILED at \S*scalar_type_analysis\.cpp")


#: a wrong element type where bfloat16 is due ("output 0: dtype float16, expected bfloat16")
_BFLOAT16_AS = re.compile(r"dtype \w+, expected bfloat16")


#: what a graph rewrite of OpenVINO threw from its callback, up to the end of that line
_CALLBACK_THREW = re.compile(r"CALLBACK HAS THROWN:\s*([^\n]+)")


def rule_keys(system: str, role: str, kind: str, fault: dict | None, error: str = "", path: str = "",
              death: str = "") -> list[str]:
    """Every key by the rule at fault a failure has (two failures sharing any one are one bug):
    rule_key's, and
    - an exporter's crash raised in one function with the same words, whatever call reached it
      (TorchScript's max refusing Bool and Float after log or tan of a bool: review 8);
    - a TorchScript in-place op at the first failing cut keeping its out-of-place result type,
      whichever op (logical_xor_ on float, greater_equal_ on int8: review 8);
    - a transformer's rule crashing on Python's own exception in its code with the same words,
      whichever op it met (onnxslim's constant folding reading .nbytes of a folded sequence), even
      for the broad rules: the words name the line of code;
    - a runtime's kernel killing the process with the same words, whichever op downstream showed
      it: a panic in a dependency (Rust's integer remainder by zero) says nothing of which kernel
      alone, and the op the root key takes for it is the model's last (review 24: tract's Mod
      under a Where, and alone).
    path: the failure's case path, whose opset picks which of a TorchScript op's functions ran.
    death: why the process died, where the error lost that line (the bug record's `death`)."""
    keys = [k for k in [rule_key(system, role, kind, fault)] if k]
    rules = sorted((fault or {}).get("rules") or [])
    every = bool((fault or {}).get("every_type"))
    core = (fault or {}).get("core") or []
    family = system_family(system)

    def digest(*parts: str) -> str:
        return hashlib.sha1("|".join(parts).encode()).hexdigest()[:10]

    first = (error or "").strip().splitlines()[0] if (error or "").strip() else ""
    if role == "exporter" and rules and kind == "export_crash" and first:
        keys.append("crash:" + digest(family, *rules, _said(kind, error)))
    shown = (fault or {}).get("shown") or ""
    if (role == "exporter" and family == "torchscript" and core and all(_in_place(c[0]) for c in core)
            and (kind == "dtype_mismatch" or (kind == "invalid_model" and _TYPE_CLASH.search(error or ""))
                 or shown == "wrong type")):
        keys.append("inplace:" + family)
    fault_system = (fault or {}).get("system") or ""
    if (role == "runtime" and rules and fault_system.endswith(":ops") and kind in ("load_crash", "run_crash")
            and first and not is_death(error)):
        # one kernel raising the same words is one defect whichever op downstream showed it
        # (onnx.reference's grouped ConvTranspose under a Squeeze or alone, review 9); its other
        # defects say other words or show as wrong values
        keys.append("kernel:" + digest(family, *_kernels(family, rules, every), _said(kind, error)))
    thrown = _CALLBACK_THREW.search(error or "")
    if role == "runtime" and (fault or {}).get("subsystem") and thrown and kind in ("load_crash", "run_crash"):
        # a rewrite of the subsystem the failure goes with throwing the same check is one defect
        # whichever of its rewrites met it: OpenVINO's low precision transformations throw
        # `index < m_inputs.size()` from AddTransformation and MultiplyPartialTransformation alike
        # on a quantized operand they find empty (review 25 filed it through Add and through Mul)
        keys.append("subsystem:" + digest(family, fault["subsystem"], re.sub(r"\d+", "<n>", thrown.group(1).strip())))
    why = (death or death_line(error)) if is_death(error) else ""
    if role == "runtime" and rules and fault_system.endswith(":ops") and why:
        keys.append("kernel:" + digest(family, *_kernels(family, rules, every), why))
    whole = fault_system.endswith((":component", ":passes"))
    # an export that raised in a later function after this one's cut already exports a broken
    # model is this function's broken model, whichever later function met it (sigmoid on uint8
    # and on int8, met by hardtanh's constant and by min's dtype check: review 27)
    symptom = SYMPTOM_CLASS.get(kind) or (BROKEN if kind == "export_crash" and shown == BROKEN else "")
    if role == "exporter" and rules and core and not whole and symptom:
        # one function of the exporter, reached by one chain of calls, showing one class of
        # symptom is one defect whatever the arguments' dtypes and ranks (index_put with
        # accumulate on int and on float; floor_divide at 0-d and at 1-d; masked_scatter refused
        # three ways: review 9). The chain keeps apart a function's own defect from one another
        # call's output brings to it (softmax at 0-d against softmax after unbind's wrong rank).
        # The ONNX op an error names would not do instead: opset 9's gather makes a Mul of
        # incompatible dims for a negative dim and for an index smaller than its data, two
        # defects (review 12)
        # Passes and components (scalar type analysis, torch's decompositions) are whole
        # subsystems, which the first failing cut's key alone answers for.
        # An in-place op keeps self's type where its out-of-place form may not: for a wrong type, or
        # a model broken by a type clash, the two spellings are two code paths (ge_ against ge,
        # review 8); otherwise one (index_fill_ and index_fill on a 0-d self, reviews 9 to 11)
        # (an export crash's words are the later function's: they say nothing of this one's types)
        typed = symptom == "wrong type" or (symptom == BROKEN and kind in SYMPTOM_CLASS and bool(_TYPE_CLASH.search(error or "")))
        calls = [_helper(family, _call_name(c[0])) + ("_" if typed and _in_place(c[0]) else "") for c in core]
        functions = [_function(family, r, _opset_of(path)) for r in rules]
        if family == "torchscript" and len(core) == 1 and all(_shared_helper(r, _opset_of(path)) for r in rules):
            # one op, handed to a helper that does all the work: which op and spelling reached it
            # (torch.greater, x.lt) says nothing more of the defect than the helper does
            calls = functions
        keys.append("function:" + digest(family, symptom, *functions, *calls))
    inferred = [w for w in _INFERENCE_SAYS.findall(first) if not _GENERIC_INFERENCE.search(w)]  # the innermost reason
    if role == "exporter" and rules and not whole and kind in ("invalid_model", "load_crash") and inferred:
        # ONNX's own type and shape inference refusing one function's output in the same words
        # is one defect, whether the checker met it or a runtime's load-time inference did, with
        # the concrete shapes the checker lacks, and whatever ops ran before the function (permute
        # copying negative dims into perm, after stft: review 15)
        functions = [_function(family, r, _opset_of(path)) for r in rules]
        keys.append("inference:" + digest(family, *functions, root_error("invalid_model", inferred[-1])))
    if role == "runtime" and rules and fault_system.endswith(":ops") and SYMPTOM_CLASS.get(kind) not in (None, BROKEN):
        # a kernel at one dtype computing a wrong value (or type, or shape) is one defect whatever
        # graph fed it (onnx.reference's MaxPool indices with N*C > 1 under a Squeeze or alone,
        # review 9); its defects that break a run say their own words (the kernel key above)
        keys.append("kernel-values:" + digest(family, SYMPTOM_CLASS[kind], *_kernels(family, rules, every)))
    if role == "runtime" and rules and fault_system.endswith(":ops") and kind in ("load_crash", "run_crash") and shown:
        # the kernel the crash was localized to already computes a wrong shape where the model is
        # cut after it: that is its defect, and what crashes further on depends on
        # the graph (onnx.reference's GlobalMaxPool reducing the channel axis of a 3-D input,
        # then a Squeeze out of range or a Reshape of the wrong size: review 18)
        keys.append("kernel-values:" + digest(family, shown, *_kernels(family, rules, every)))
    if (role == "exporter" and family == "torchscript" and core and _in_place(core[0][0]) and kind == "export_crash"
            and _BOOL_CLASH.search(error or "")):
        # an in-place comparison exported as its out-of-place form hands a bool to the next op,
        # whose symbolic refuses to mix it (eq_ then min, lt_ then minimum: review 10)
        keys.append("inplace:" + family)
    if role == "transformer" and fault_system.startswith("version-converter") and kind == "invalid_model" and first:
        # one adapter serves many ops, and its defect says the same words of each (the Reduce*
        # 18->17 adapter keeping noop_with_empty_axes; ExtendSupportedTypes naming its casts
        # pre_cast_0 in every node: review 10)
        keys.append("adapter:" + digest(family, _said(kind, first)))
    typed_by = None
    if role == "exporter" and rules and fault_system.endswith(":passes") and kind == "dtype_mismatch" and first:
        # a pass that types values (TorchScript's scalar type analysis) giving one wrong type for
        # another is one defect whichever op it typed: float32 for a 0-d float64 is the pass taking
        # the tensor for a Python scalar (mul and hardshrink: review 11)
        typed_by = rules
    elif (role == "exporter" and family == "torchscript" and kind == "dtype_mismatch" and _SCALAR_TAKEN.search(first)
          and core and "float/0-d" in core[-1][2]):
        # float32 for a float64 output, whose op took a 0-d float (so a 0-d float64: the output's
        # type is the promotion of its inputs'), is that pass's defect even where the localizer names
        # the op's symbolic, which only emitted the op the pass then typed (binary_cross_entropy_
        # with_logits against mul: review 12); a float64[1] exports as double
        typed_by = [SCALAR_TYPE_PASS]
    if typed_by:
        keys.append("pass-types:" + digest(family, *typed_by, re.sub(r"^output \d+: ", "", first)))
    if (role == "exporter" and family == "torchscript" and kind == "export_crash" and _BF16_AS_COMPLEX.search(error or "")
            and any("bfloat" in t for c in core for t in c[2])):
        # the scalar type analysis maps bfloat16 to ONNX's COMPLEX128 (15 for 16): the Cast it
        # inserts for a bfloat16 operand is then complex, and the export fails at the pass's own
        # assert or when a folded complex constant is written, whichever op was promoted (norm,
        # scaled_dot_product_attention, sub of a bool: reviews 15 and 18)
        keys.append("pass-types:" + digest(family, SCALAR_TYPE_PASS, "bfloat16 as complex"))
    leak = _f32_leak(family, rules, error)
    if role == "runtime" and leak and kind in ("load_crash", "run_crash"):
        keys.append("f32-leak:" + digest(family, leak))
    if role == "transformer" and rules and kind == "convert_crash" and _PY_INTERNAL.match(first):
        keys.append("crash:" + digest(family, *rules, re.sub(r"\d+", "<n>", strip_node_names(first))))
    if role == "runtime" and kind == "dtype_mismatch" and _BFLOAT16_AS.search(first):
        # numpy has no bfloat16: a runtime's Python binding handing a bfloat16 output back as
        # another type is its binding's defect, whichever kernel made the value (OpenVINO's
        # float16 bits after a Cast and after HardSwish: review 17)
        keys.append("binding:" + digest(family, _BFLOAT16_AS.search(first).group(0)))
    ordered = (fault or {}).get("rules") or []
    together = "together" in ((fault or {}).get("note") or "")  # not several passes that each fail alone
    if role == "transformer" and fault_system == "onnxoptimizer:passes" and len(ordered) > 1 and together:
        # passes that fail only together (the localizer lists them in the pipeline's order): the
        # first left a wrong fact in the model and a later one trusted it, whatever the later one
        # is and whichever way it showed it. eliminate_consecutive_idempotent_ops restores the
        # merged Reshape input's sizes even when they were unknown, marking it rank 0; then
        # eliminate_nop_reshape or _split or _concat spreads that rank onto a graph input (a broken
        # model, or a runtime refusing it), eliminate_shape_gather asserts on it, eliminate_shape_op
        # folds its Shape to [] (reviews 12 to 17: nine folders through five later passes). The
        # first pass alone failing is another key (rule_key's): 4cdfac's Reshape merge is wrong
        # by itself.
        keys.append("passes-first:" + digest(family, rule_place(fault_system, ordered[0])))
    return keys


def root_key(system: str, role: str, kind: str, stage: str, error: str, runtime: str, sink_ops: list[str],
             dynamic: bool, death: str = "", traits: tuple[str, ...] = ()) -> str:
    """The root-cause key: a hash of root_parts."""
    parts = root_parts(system, role, kind, stage, error, runtime, sink_ops, dynamic, death, traits)
    return hashlib.sha1("|".join(parts).encode()).hexdigest()[:10]

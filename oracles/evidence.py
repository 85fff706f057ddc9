"""Evidence about a model itself, for deciding whose bug a failure is.

The campaign's blame (fuzzer.report.blame) and `onnxfuzz check`'s blame
(fuzzer.check) share these rules, so that one failure is blamed the same way
whichever command found it. A converter or transformer is at fault only when
its output is wrong; a runtime only when another runtime family runs the same
model correctly. Measured on a campaign's unreviewed filings (issue 13), one
folder in five blamed the wrong system without these rules:
- a converter was blamed for a runtime refusing a valid model that other
  runtimes ran correctly;
- kernel gaps were counted as runtimes "getting the model wrong";
- the lenient reference evaluator, which runs models the spec forbids, was the
  only witness against a strict runtime's refusal;
- a checker failure inside an op's ONNX function body (the spec's own defect)
  was blamed on whoever emitted the op.

Everything here reads a ModelProto and verdicts; nothing runs a system under test.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from oracles.verdict import Kind

#: the runtime that accepts what the spec forbids: never the only witness against a refusal
LENIENT = "onnx-reference"
#: a refusal to load or run the model
REFUSALS = (Kind.LOAD_CRASH, Kind.RUN_CRASH)


def runtime_family(name: str) -> str:
    """Runtimes that share kernels are one family: ONNX Runtime at every optimization level and
    thread count. They never witness for each other's kernels."""
    return "onnxruntime" if name.startswith("onnxruntime") else name


@dataclass
class Finding:
    """What the evidence says about one failing (model, runtime) pair.

    at: "runtime" (the failing runtime, or kin: its family), "model" (whoever produced the
    model), "alone" (no runtime of another family genuinely ran the model: no witness either
    way), "" (the witnesses disagree: not filed). witness: the runtime that ran the same model
    correctly, for a runtime's fault.
    """

    at: str
    reason: str
    witness: str | None = None
    #: at == "runtime": the failing runtime alone (its kin with other settings pass) rather than its family
    alone: bool = False
    #: at == "model": the spec's input constraints the model breaks (constraint_breaks), if that is why
    broken: list[str] = field(default_factory=list)


def on_same_model(kind: Kind, runtime: str, others: list[tuple[str, Kind]], model=None, feeds: dict | None = None) -> Finding:
    """Whose fault is `runtime` failing with `kind` on a model, given what the other runtimes did
    with the same model ([(runtime, kind)]) and, where known, the model itself and the inputs
    it failed on.

    Kernel gaps (`unsupported`) and unstable verdicts are no witness either way: only runtimes
    that genuinely ran the model correctly, or genuinely failed on it, count. Against a refusal,
    a model that breaks one of its ops' input constraints (CONSTRAINTS) is the model's fault,
    and the lenient reference evaluator alone is no witness.
    """
    mine = runtime_family(runtime)
    ran = [(r, k) for r, k in others if r != runtime and (k is Kind.PASS or k.is_failure)]
    kin = sorted(r for r, k in ran if runtime_family(r) == mine and k is Kind.PASS)
    passing = sorted(r for r, k in ran if runtime_family(r) != mine and k is Kind.PASS)
    failing = sorted(r for r, k in ran if runtime_family(r) != mine and k.is_failure)
    if kind in REFUSALS and model is not None:
        broken = constraint_breaks(model, feeds, stated_first=runtime_family(runtime) == LENIENT)
        if broken:
            return Finding("model", f"the model breaks the ONNX spec's input constraints ({'; '.join(broken)}), "
                                    f"which {runtime} rightly enforces", broken=broken)
    if kin:
        return Finding("runtime", f"{', '.join(kin)} (same kernels, other settings) run the same model correctly",
                       kin[0], alone=True)
    strict = [r for r in passing if runtime_family(r) != LENIENT]
    if kind in REFUSALS and passing and not strict:
        if failing:  # the strict runtimes all refuse it: the lenient one's pass proves nothing
            return Finding("model", f"every runtime that enforces the spec refuses the model ({', '.join([runtime, *failing])}); "
                                    f"only the lenient {LENIENT} runs it")
        return Finding("", f"only the lenient {LENIENT} runs a model {runtime} refuses, and it accepts models the "
                           "spec forbids: no witness either way")
    if passing and not failing:
        witnesses = strict if kind in REFUSALS else passing
        return Finding("runtime", f"{', '.join(witnesses)} run the same model correctly", witnesses[0])
    if passing:
        return Finding("", f"on the same model {', '.join(passing)} pass but {', '.join(failing)} fail")
    if failing:
        return Finding("model", f"every runtime that ran the model fails on it ({', '.join([runtime, *failing])})")
    return Finding("alone", f"no other runtime family ran the model ({runtime} is the only one without a kernel gap "
                       "for it): no witness either way")


#: a runtime's words for an op meeting an element type it did not expect: onnx.reference's
#: RuntimeTypeError, tract's unification of two types, OpenVINO's inconsistent element types
_TYPE_CONTRADICTION = re.compile(
    r"RuntimeTypeError: (?:Input|Output) type mismatch: \w+ != \w+"
    r"|Impossible to unify (?:Bool|[FIU](?:8|16|32|64)|BF16|TDim|String|Blob|Q[IU](?:8|32)) with "
    r"(?:Bool|[FIU](?:8|16|32|64)|BF16|TDim|String|Blob|Q[IU](?:8|32))\b"
    r"|[Ee]lement types? (?:are|is) inconsistent")


def type_clash(error: str) -> bool:
    """Whether a runtime's error is an op meeting an element type it did not expect."""
    return _TYPE_CONTRADICTION.search(error or "") is not None


def type_contradiction(model, error: str) -> str:
    """Why a runtime raising `error` on model contradicts the model's own types, or "": the error
    is the runtime meeting an element type it did not expect, and the model passes the full
    checker, whose strict type inference derives every value's type from the schemas (only ops of
    the default domain, whose schemas it knows). The runtime then computed a type the spec does
    not give: its defect, however the model was made (review 21: onnx.reference's AffineGrid
    returns float32 for a float16 theta, and the Div after it refuses the mix; tract's
    ConstantOfShape without a value makes float64 where the spec says float32)."""
    import onnx

    if not type_clash(error) or model.functions or not _default_domain_only(model.graph):
        return ""
    try:
        onnx.checker.check_model(model, full_check=True)
    except Exception:  # noqa: BLE001 - an invalid model: the checker's verdict decides, not this
        return ""
    return ("the model passes the full checker, whose strict type inference gives every value its type from the "
            "schemas, and the runtime refuses an element type there: it computed a type the spec does not give")


def _default_domain_only(graph) -> bool:
    """Whether every node of graph and of its subgraphs (If, Loop, Scan bodies) is an op of the
    default domain, whose schema the checker types it by."""
    import onnx

    for node in graph.node:
        if node.domain not in ("", "ai.onnx"):
            return False
        for a in node.attribute:
            subs = [a.g] if a.type == onnx.AttributeProto.GRAPH else list(a.graphs)
            if not all(_default_domain_only(g) for g in subs):
                return False
    return True


# ---------------------------------------------------------------------------------------------
# The IR rules the checker skips: shapes the model declares against the shapes it is fed and produces


def shape_faults(model, fed: dict[str, tuple[int, ...]] | None, produced: list[tuple[int, ...]] | None) -> list[str]:
    """Where model's declared input and output shapes contradict the shapes it is fed (by input
    name) and correctly produces (by output position): a static dim of another length, or one
    symbolic dim name used for dims of different lengths. The checker cannot see either (it has
    no values), and a runtime that trusts the declaration may compute or allocate wrongly."""
    faults: list[str] = []
    lengths: dict[str, dict[int, str]] = {}  # symbol -> {length: where first seen}
    declared = []
    inits = {i.name for i in model.graph.initializer}
    for vi in model.graph.input:
        if vi.name not in inits and fed and vi.name in fed:
            declared.append((f"input {vi.name}", vi, fed[vi.name]))
    if produced is not None and len(produced) == len(model.graph.output):
        declared += [(f"output {vi.name}", vi, shape) for vi, shape in zip(model.graph.output, produced)]
    for where, vi, actual in declared:
        t = vi.type.tensor_type
        if not vi.type.HasField("tensor_type") or not t.HasField("shape"):
            continue
        dims = list(t.shape.dim)
        if len(dims) != len(actual):
            faults.append(f"{where} is declared of rank {len(dims)} but has shape {list(actual)}")
            continue
        for ax, (d, n) in enumerate(zip(dims, actual)):
            if d.HasField("dim_value") and d.dim_value != n:
                faults.append(f"{where} dim {ax} is declared {d.dim_value} but is {n}")
            elif d.HasField("dim_param") and d.dim_param:
                seen = lengths.setdefault(d.dim_param, {})
                seen.setdefault(n, f"{where} dim {ax}")
    for sym, seen in lengths.items():
        if len(seen) > 1:
            parts = ", ".join(f"{where} is {n}" for n, where in sorted(seen.items()))
            faults.append(f"dim name {sym!r} names dims of different lengths ({parts})")
    return faults


def model_faults(model, fed=None, produced=None) -> list[str]:
    """Why model is not a valid model: the full checker's rejection (strict shape inference,
    types checked), contrib ops missing a required attribute, then shape_faults. [] when it is
    valid as far as onnxfuzz can tell."""
    import onnx

    try:
        onnx.checker.check_model(model, full_check=True)
    except Exception as e:
        return [f"the checker rejects it: {type(e).__name__}: {str(e).strip().splitlines()[0][:300]}"]
    return contrib_faults(model) + shape_faults(model, fed, produced)


def input_type_faults(model, feeds: dict | None) -> list[str]:
    """Where model declares an input (by name) of another element type than the graph's input it
    was exported from (feeds: the values it is fed): no caller feeding the graph's own values can
    run it, whatever the runtime says in its own words."""
    import numpy as np
    from onnx import helper

    if not feeds:
        return []
    out = []
    for vi in model.graph.input:
        fed = feeds.get(vi.name)
        elem = vi.type.tensor_type.elem_type if vi.type.HasField("tensor_type") else 0
        if fed is None or not elem:
            continue
        try:
            declared = np.dtype(helper.tensor_dtype_to_np_dtype(elem))
        except Exception:
            continue
        if declared != np.asarray(fed).dtype:
            out.append(f"input {vi.name} is declared {declared} but the graph's input is {np.asarray(fed).dtype}")
    return out


def _contrib_schemas() -> dict:
    """{(domain, op type): {attribute: required}} of ONNX Runtime's contrib ops, which the ONNX
    checker does not know (it skips their nodes); {} without onnxruntime."""
    global _CONTRIB
    if _CONTRIB is None:
        try:
            from onnxruntime.capi import onnxruntime_pybind11_state as ort_c

            _CONTRIB = {(s.domain, s.name): {k: a.required for k, a in s.attributes.items()}
                        for s in ort_c.get_all_operator_schema() if s.domain not in ("", "ai.onnx")}
        except Exception:
            _CONTRIB = {}
    return _CONTRIB


_CONTRIB: dict | None = None


def contrib_faults(model) -> list[str]:
    """Nodes of ONNX Runtime's contrib domains that lack an attribute their schema requires."""
    nodes = [n for n in model.graph.node if n.domain not in ("", "ai.onnx", "ai.onnx.ml")]
    if not nodes:
        return []
    schemas = _contrib_schemas()
    out = []
    for n in nodes:
        attrs = schemas.get((n.domain, n.op_type))
        if attrs is None:
            continue
        have = {a.name for a in n.attribute}
        missing = sorted(k for k, required in attrs.items() if required and k not in have)
        if missing:
            out.append(f"{n.domain}.{n.op_type} lacks its required attribute(s) {', '.join(missing)}")
    return out


# ---------------------------------------------------------------------------------------------
# Input constraints of the spec that a strict runtime enforces and the reference evaluator does not


def _shapes(model) -> dict[str, tuple]:
    """Every value's shape, where (non-strict) shape inference or the model states it; a
    symbolic or unknown dim is None. Initializer and Constant values too (for index ranges)."""
    import onnx

    try:
        inferred = onnx.shape_inference.infer_shapes(model)
    except Exception:
        inferred = model
    out: dict[str, tuple] = {}
    for vi in [*inferred.graph.input, *inferred.graph.value_info, *inferred.graph.output]:
        t = vi.type.tensor_type
        if vi.type.HasField("tensor_type") and t.HasField("shape"):
            out[vi.name] = tuple(d.dim_value if d.HasField("dim_value") else None for d in t.shape.dim)
    for init in model.graph.initializer:
        out[init.name] = tuple(init.dims)
    return out


def _constants(model) -> dict:
    from onnx import numpy_helper

    values = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    for n in model.graph.node:
        if n.op_type == "Constant":
            for a in n.attribute:
                if a.name == "value":
                    values[n.output[0]] = numpy_helper.to_array(a.t)
    return values


def needed_nodes(nodes, names: set[str]) -> list:
    """The nodes (in order) that the values `names` depend on; a node with subgraphs needs every
    name its subgraphs read."""
    def reads(node) -> set[str]:
        out = set(node.input)
        for a in node.attribute:
            for g in ([a.g] if a.HasField("g") else []) + list(a.graphs):
                for inner in g.node:
                    out |= reads(inner)
        return out

    need, kept = set(names), []
    for node in reversed(list(nodes)):
        if need & set(node.output):
            kept.append(node)
            need |= reads(node)
    return kept[::-1]


def _computed(model, feeds: dict, names: list[str]) -> dict:
    """{name: value} of the named values of model at feeds, by the reference evaluator; a value
    it cannot compute is left out."""
    if not names:
        return {}
    out = _computed_at(model, feeds, names)
    if out or len(names) == 1:
        return out
    # one of the values may sit after the node that fails: each on its own then
    for name in names:
        out.update(_computed_at(model, feeds, [name]))
    return out


def _computed_at(model, feeds: dict, names: list[str]) -> dict:
    """_computed of names in one run; {} where that run fails."""
    import numpy as np
    import onnx
    from onnx import helper
    from onnx.reference import ReferenceEvaluator

    m = onnx.ModelProto()
    m.CopyFrom(model)
    del m.graph.output[:]
    m.graph.output.extend(helper.make_empty_tensor_value_info(n) for n in names)
    # only the nodes the named values need: a later node may be the very one that fails (a Reshape
    # to a shape computed from Shape/Concat), and the reference evaluator runs every node it has
    kept = needed_nodes(m.graph.node, set(names))
    del m.graph.node[:]
    m.graph.node.extend(kept)
    inputs = {i.name for i in m.graph.input}
    try:
        outs = ReferenceEvaluator(m).run(None, {k: v for k, v in feeds.items() if k in inputs})
    except Exception:
        return {}
    return {n: np.asarray(v) for n, v in zip(names, outs) if isinstance(v, np.ndarray) or np.isscalar(v)}


def _attr(node, name: str, default):
    import onnx

    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


def _known(shape) -> bool:
    return shape is not None and all(d is not None for d in shape)


def _elements(node, shapes, values) -> list[str]:
    """ScatterElements / GatherElements: data, indices (and updates) of one rank; updates of the
    indices' shape; constant indices inside [-s, s-1] along the axis."""
    data, indices = shapes.get(node.input[0]), shapes.get(node.input[1])
    out = []
    if data is None or indices is None:
        return out
    if len(indices) != len(data):
        out.append(f"{node.op_type}'s indices have rank {len(indices)}, its data rank {len(data)} (must be equal)")
        return out
    if node.op_type == "ScatterElements" and len(node.input) > 2:
        updates = shapes.get(node.input[2])
        if updates is not None and len(updates) != len(indices):
            out.append(f"ScatterElements' updates have rank {len(updates)}, its indices rank {len(indices)} (must be equal)")
        elif updates is not None and any(u is not None and i is not None and u != i for u, i in zip(updates, indices)):
            out.append(f"ScatterElements' updates have shape {list(updates)}, its indices {list(indices)} (must be equal)")
    axis = _attr(node, "axis", 0)
    if node.input[1] in values and data and -len(data) <= axis < len(data) and data[axis] is not None:
        idx, s = values[node.input[1]], data[axis]
        if idx.size and (idx.min() < -s or idx.max() > s - 1):
            out.append(f"{node.op_type}'s indices reach {int(idx.min())}..{int(idx.max())} along an axis of {s}")
    return out


def _nd(node, shapes, values) -> list[str]:
    """GatherND / ScatterND: indices' last dim at most data's rank (less batch_dims); ScatterND's
    updates of shape indices.shape[:-1] + data.shape[indices.shape[-1]:]."""
    data, indices = shapes.get(node.input[0]), shapes.get(node.input[1])
    if data is None or indices is None or not indices or indices[-1] is None:
        return []
    batch = _attr(node, "batch_dims", 0) if node.op_type == "GatherND" else 0
    k = indices[-1]
    if k > len(data) - batch:
        return [f"{node.op_type}'s indices' last dim is {k}, more than its data's rank {len(data)} less batch_dims {batch}"]
    if node.op_type == "GatherND" and any(a is not None and b is not None and a != b
                                          for a, b in zip(data[:batch], indices[:batch])):
        return [f"GatherND's first {batch} (batch) dims differ: data {list(data)}, indices {list(indices)}"]
    if node.op_type == "ScatterND" and len(node.input) > 2:
        updates = shapes.get(node.input[2])
        want = tuple(indices[:-1]) + tuple(data[k:])
        if updates is not None and (len(updates) != len(want) or any(
                u is not None and w is not None and u != w for u, w in zip(updates, want))):
            return [f"ScatterND's updates have shape {list(updates)}, the spec requires {list(want)} "
                    "(indices.shape[:-1] + data.shape[indices.shape[-1]:])"]
    return []


#: gates of each recurrent op: W is [dirs, gates*hidden, input], R [dirs, gates*hidden, hidden], B [dirs, 2*gates*hidden]
_GATES = {"RNN": 1, "GRU": 3, "LSTM": 4}


def _recurrent(node, shapes, values) -> list[str]:
    """RNN / GRU / LSTM: weight, recurrence and bias sizes follow hidden_size and the direction count."""
    hidden = _attr(node, "hidden_size", None)
    if hidden is None:
        return []
    gates = _GATES[node.op_type]
    dirs = 2 if _attr(node, "direction", b"forward") in (b"bidirectional", "bidirectional") else 1
    want = {1: ("W", (dirs, gates * hidden, None)), 2: ("R", (dirs, gates * hidden, hidden)),
            3: ("B", (dirs, 2 * gates * hidden))}
    out = []
    for slot, (name, expected) in want.items():
        if slot >= len(node.input) or not node.input[slot]:
            continue
        shape = shapes.get(node.input[slot])
        if shape is None:
            continue
        if len(shape) != len(expected) or any(s is not None and e is not None and s != e for s, e in zip(shape, expected)):
            out.append(f"{node.op_type}'s {name} has shape {list(shape)}, the spec requires "
                       f"{[e if e is not None else '*' for e in expected]} (hidden_size {hidden}, {dirs} direction(s))")
    return out


def _split(node, shapes, values) -> list[str]:
    """Split / SplitToSequence with constant split lengths (an input, or Split's attribute below
    opset 13): none negative, and (when the axis' length is known) summing to it;
    SplitToSequence's scalar chunk size positive."""
    import numpy as np

    if len(node.input) >= 2 and node.input[1] in values:
        split = values[node.input[1]]
    elif node.op_type == "Split" and _attr(node, "split", None) is not None:
        # review 17: TorchScript's split at opset 12 guessed lengths [2] for an axis of 1, and the
        # offline optimizer refusing it was blamed
        split = np.asarray(_attr(node, "split", None), dtype=np.int64)
    else:
        return []
    data = shapes.get(node.input[0])
    axis = _attr(node, "axis", 0)
    if node.op_type == "SplitToSequence" and split.ndim == 0:
        return [f"SplitToSequence's chunk size is {int(split)} (must be positive)"] if int(split) <= 0 else []
    lengths = [int(n) for n in split.reshape(-1)]
    if any(n < 0 for n in lengths):
        return [f"{node.op_type}'s split lengths {lengths} include a negative one"]
    if data and -len(data) <= axis < len(data) and data[axis] is not None and sum(lengths) != data[axis]:
        return [f"{node.op_type}'s split lengths {lengths} sum to {sum(lengths)}, not the axis' length {data[axis]}"]
    return []


def _reshape(node, shapes, values) -> list[str]:
    """Reshape: the new shape holds as many elements as the data (a 0 copies the data's dim
    unless allowzero, one -1 is inferred)."""
    data = shapes.get(node.input[0])
    if not _known(data) or len(node.input) < 2 or node.input[1] not in values:
        return []
    want = [int(d) for d in values[node.input[1]].reshape(-1)]
    allowzero = _attr(node, "allowzero", 0)
    dims = [data[i] if d == 0 and not allowzero and i < len(data) else d for i, d in enumerate(want)]
    count, known = math.prod(data), math.prod(d for d in dims if d != -1)
    if dims.count(-1) > 1 or any(d < -1 for d in dims):
        return [f"Reshape's shape {want} has more than one -1 or a negative dim"]
    if (-1 in dims and (known == 0 or count % known)) or (-1 not in dims and known != count):
        return [f"Reshape's shape {want} does not hold the {count} elements of its data {list(data)}"]
    return []


def _slice(node, shapes, values) -> list[str]:
    """Slice (opset 10 on): starts, ends, axes and steps are 1-D tensors."""
    out = []
    for slot, name in enumerate(("starts", "ends", "axes", "steps"), start=1):
        if slot < len(node.input) and node.input[slot]:
            shape = shapes.get(node.input[slot])
            if shape is not None and len(shape) != 1:
                out.append(f"Slice's {name} has rank {len(shape)} (must be a 1-D tensor)")
    return out


def _axis(node, shapes, values) -> list[str]:
    """An axis attribute of an op that counts it in its data's dims: in [-r, r-1] for data of
    rank r, so a 0-d input has no axis at all. Older opsets' checkers skip it (ArgMin with axis 0
    on a 0-d value passes the opset-9 checker, and fails once the model is converted to 11)."""
    data = shapes.get(node.input[0]) if node.input else None
    if data is None:
        return []
    r = len(data)
    listed = node.op_type == "Squeeze" or node.op_type.startswith("Reduce")
    axes = _attr(node, "axes", None) if listed else None
    if axes is None and listed and len(node.input) > 1 and node.input[1]:
        # axes as an input (ReduceSum-13, the other reductions and Squeeze from 13 and 18): its
        # value, when a constant or the run gives it (dynamo's Reshape of a constant -1, review 10)
        given = values.get(node.input[1])
        if given is None:
            return []
        axes = [int(a) for a in getattr(given, "reshape", lambda *_: given)(-1)]
    if axes is None:
        axis = _attr(node, "axis", None)
        axes = [] if axis is None and node.op_type != "Gather" else [0 if axis is None else axis]
    bad = [int(a) for a in axes if not -r <= int(a) <= r - 1]
    if bad:
        return [f"{node.op_type}'s axis {bad[0]} is outside [-{r}, {r - 1}] for its input of rank {r}"]
    named = [int(a) % r for a in axes] if r else []
    twice = sorted({a for a in named if named.count(a) > 1})
    if node.op_type == "Squeeze" and twice:
        # each axis names a dim to remove, and one dim cannot go twice: onnxoptimizer's
        # fuse_consecutive_squeezes writing [-1, 5] for rank 6 (review 12), which onnx.reference
        # refuses and ONNX Runtime reads as one
        return [f"Squeeze's axes {[int(a) for a in axes]} name dim {twice[0]} twice for its input of rank {r}"]
    return []


def _tile(node, shapes, values) -> list[str]:
    """Tile: repeats is 1-D with one entry per dim of the input (a rank-1 input tiled by [] is
    malformed: review 9, where onnxoptimizer folded Shape of a value it had made 0-d into [])."""
    data = shapes.get(node.input[0]) if node.input else None
    repeats = values.get(node.input[1]) if len(node.input) > 1 else None
    if data is None or repeats is None:
        return []
    n = len(list(repeats.reshape(-1))) if hasattr(repeats, "reshape") else len(repeats)
    return [f"Tile's repeats has {n} entries for its input of rank {len(data)}"] if n != len(data) else []


def _gather(node, shapes, values) -> list[str]:
    """Gather: its axis in [-r, r-1] (_axis), and indices inside [-s, s-1] along it: "an error
    if any of the index values are out of bounds" (an index 2 into a Shape of a rank-1 value,
    which a reduction left behind: review 10)."""
    out = _axis(node, shapes, values)
    data = shapes.get(node.input[0]) if node.input else None
    if out or data is None or len(node.input) < 2 or node.input[1] not in values:
        return out
    axis = _attr(node, "axis", 0)
    s = data[axis] if -len(data) <= axis < len(data) else None
    idx = values[node.input[1]]
    if s is not None and getattr(idx, "size", 0) and (idx.min() < -s or idx.max() > s - 1):
        out.append(f"Gather's indices reach {int(idx.min())}..{int(idx.max())} along an axis of {s}")
    return out


def _pad(node, shapes, values) -> list[str]:
    """Pad: pads holds 2 * rank values, a begin and an end per axis (per listed axis from
    opset 18's axes input); a minimized Pad with 2 pads on a rank-2 input is malformed (review 10)."""
    data = shapes.get(node.input[0]) if node.input else None
    if data is None:
        return []
    pads = _attr(node, "pads", None)
    if pads is None and len(node.input) > 1 and node.input[1] in values:
        pads = list(values[node.input[1]].reshape(-1))
    if pads is None or (len(node.input) > 3 and node.input[3]):
        return []  # not known, or only the axes listed are padded
    return [f"Pad's pads has {len(pads)} values for its input of rank {len(data)} (must be {2 * len(data)})"] \
        if len(pads) != 2 * len(data) else []


def _upsample(node, shapes, values) -> list[str]:
    """Upsample (opsets 7 to 9): every scale "takes value greater than or equal to 1", one per
    dim of X. TorchScript's opset-9 interpolate writes 0.75 for a downscale, which ONNX Runtime
    refuses and OpenVINO runs (review 21)."""
    scales = _attr(node, "scales", None)  # opset 7's attribute; opset 9's input
    if scales is None and len(node.input) > 1 and node.input[1] in values:
        scales = [float(v) for v in values[node.input[1]].reshape(-1)]
    if scales is None:
        return []
    out = []
    if not all(v >= 1 for v in scales):  # a NaN scale is no scale of at least 1 either
        out.append(f"Upsample's scales {[float(v) for v in scales]} hold a value below 1 (each must be at least 1)")
    data = shapes.get(node.input[0]) if node.input else None
    if data is not None and len(scales) != len(data):
        out.append(f"Upsample has {len(scales)} scales for its input of rank {len(data)}")
    return out


def _clip(node, shapes, values) -> list[str]:
    """Clip-6's attributes: the spec says what a min above max gives only from Clip-13 on (all
    values become max); before, that interval is no interval, and ONNX Runtime and OpenVINO refuse
    it. TorchScript's opset-9 clamp with crossed constant bounds writes one (review 24)."""
    low, high = _attr(node, "min", None), _attr(node, "max", None)
    if low is None or high is None or not low > high:
        return []
    return [f"Clip's attribute min {low:g} is greater than its max {high:g}, which Clip-6 leaves undefined"]


#: op type -> check of its input constraints in the ONNX spec that the checker's shape inference
#: does not enforce (it propagates shapes from one input and takes the others on trust)
CONSTRAINTS = {
    "ScatterElements": _elements, "GatherElements": _elements,
    "ScatterND": _nd, "GatherND": _nd,
    "RNN": _recurrent, "GRU": _recurrent, "LSTM": _recurrent,
    "Split": _split, "SplitToSequence": _split,
    "Reshape": _reshape, "Slice": _slice, "Tile": _tile, "Gather": _gather, "Pad": _pad, "Upsample": _upsample,
    "Clip": _clip,
    **{op: _axis for op in ("ArgMax", "ArgMin", "Squeeze", "Concat", "ReduceMax", "ReduceMin", "ReduceSum",
                            "ReduceMean", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp",
                            "ReduceSumSquare")},
}


def constraint_breaks(model, feeds: dict | None = None, *, stated_first: bool = False) -> list[str]:
    """The input constraints of the ONNX spec (CONSTRAINTS) that model's nodes break, in words.

    feeds: the inputs the model failed on. The values reaching each constrained node (indices,
    split lengths computed from shapes) are then taken from the reference evaluator run on them,
    where it runs the model: it is lenient, which is what lets it show what a strict runtime refused.
    stated_first: the shapes the model states win over the evaluator's (the evaluator is the
    system that fails).
    """
    nodes = [n for n in model.graph.node if n.domain in ("", "ai.onnx") and n.op_type in CONSTRAINTS]
    if not nodes:
        return []
    shapes, values = _shapes(model), _constants(model)
    if feeds:
        seen = _computed(model, feeds, sorted({i for n in nodes for i in n.input if i and i not in values}))
        values.update(seen)
        # the computed shapes win (a producer's stale value_info is a defect of its own), except
        # where the reference evaluator is the system that fails: its wrong shape is then the
        # defect (its GlobalMaxPool dropping a dim made a valid Squeeze look out of range:
        # bugs/onnx-reference-run-crash-2c247c), and the shapes the model states win
        fed = set(feeds)
        shapes.update({k: tuple(v.shape) for k, v in seen.items()
                       if not stated_first or k in fed or k not in shapes or None in shapes[k]})
    out = []
    for node in nodes:
        out += CONSTRAINTS[node.op_type](node, shapes, values)
    return out


# ---------------------------------------------------------------------------------------------
# The spec's own defects: an op whose function body fails the checker


#: "(op_type:Outer, node name: n): [ShapeInferenceError] (op_type:Inner): ...": an error inside Outer's function body
_NESTED = re.compile(r"\(op_type:(\w+)(?:, node name: [^)]*)?\): [^\n]*?\(op_type:\w+")


def _value_types(model) -> dict:
    """Every value's TypeProto, as (non-strict) shape inference or the model states it, an
    initializer's from its own data type and dims."""
    import onnx
    from onnx import helper

    try:
        inferred = onnx.shape_inference.infer_shapes(model)
    except Exception:  # noqa: BLE001 - the declared types are what there is
        inferred = model
    types = {vi.name: vi.type for vi in [*inferred.graph.input, *inferred.graph.value_info, *inferred.graph.output]}
    for init in model.graph.initializer:
        types.setdefault(init.name, helper.make_tensor_type_proto(init.data_type, list(init.dims)))
    return types


def function_body_fault(model, error: str) -> tuple[str, str] | None:
    """(op type, element type) when the checker error is inside a function op's body and the
    same op alone, at the same element type and attributes, fails the checker the same way:
    the ONNX spec's function body is at fault, however the model was built. None otherwise."""
    import onnx
    from onnx import helper

    outer = {m.group(1) for m in _NESTED.finditer(error or "")}
    if not outer:
        return None
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)
    types = _value_types(model)
    for node in model.graph.node:
        if node.op_type not in outer or node.domain not in ("", "ai.onnx"):
            continue
        try:
            schema = onnx.defs.get_schema(node.op_type, opset)
        except Exception:
            continue
        if not (schema.has_function or schema.has_context_dependent_function):
            continue
        ins = [n for n in node.input if n]
        if not all(n in types for n in ins):
            continue
        inputs = [helper.make_value_info(f"i{k}", types[n]) for k, n in enumerate(node.input) if n]
        elem = types[ins[0]].tensor_type.elem_type
        # an output's type as inference left it, else the first input's element type (shape unknown)
        outputs = [helper.make_value_info(f"o{k}", types[o] if o in types else helper.make_tensor_type_proto(elem, None))
                   for k, o in enumerate(node.output)]
        lone = helper.make_node(node.op_type, [f"i{k}" if n else "" for k, n in enumerate(node.input)],
                                [f"o{k}" for k in range(len(node.output))])
        lone.attribute.extend(node.attribute)
        single = helper.make_model(helper.make_graph([lone], "single", inputs, outputs),
                                   opset_imports=[helper.make_opsetid("", opset)], ir_version=model.ir_version)
        try:
            onnx.checker.check_model(single, full_check=True)
        except Exception as e:
            if _NESTED.search(str(e)):
                return node.op_type, helper.tensor_dtype_to_string(elem).removeprefix("TensorProto.").lower()
    return None


#: the domain the ops expanded by expand_function_ops are put in while they are inlined
_EXPANDED = "onnxfuzz.expanded"


def expand_function_ops(model) -> tuple[object, list[str]] | None:
    """(model with every default-domain op that the spec defines by a function body at the
    model's opset replaced by that body, the op types replaced), or None when it has none. A
    runtime with no kernel for an op at that opset runs its body (ONNX Runtime does so for
    ReduceLogSumExp at opset 28): run beside the op's own kernel, the body shows whether the
    spec's definition computes the op's function (its Exp overflows where a kernel shifts by
    the max)."""
    import onnx
    from onnx import helper, inliner

    model = onnx.ModelProto.FromString(model.SerializeToString())
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)
    types = _value_types(model)
    bodies, ops = [], []
    for node in model.graph.node:
        if node.domain not in ("", "ai.onnx"):
            continue
        try:
            schema = onnx.defs.get_schema(node.op_type, opset)
            if schema.has_function:
                body = schema.function_body
            elif schema.has_context_dependent_function and all(n in types for n in node.input if n):
                raw = schema.get_context_dependent_function(
                    node.SerializeToString(), [types[n].SerializeToString() if n else b"" for n in node.input])
                body = onnx.FunctionProto.FromString(raw)
            else:
                continue
        except Exception:  # noqa: BLE001 - no schema or no body for these inputs: the op stays
            continue
        if not body.node:
            continue
        name = f"{node.op_type}_{len(bodies)}"
        f = onnx.FunctionProto()
        f.CopyFrom(body)
        f.name, f.domain = name, _EXPANDED
        if not any(o.domain in ("", "ai.onnx") for o in f.opset_import):
            f.opset_import.append(helper.make_opsetid("", opset))
        bodies.append(f)
        ops.append(node.op_type)
        node.op_type, node.domain = name, _EXPANDED
    if not bodies:
        return None
    model.functions.extend(bodies)
    model.opset_import.append(helper.make_opsetid(_EXPANDED, 1))
    try:
        return inliner.inline_local_functions(model), sorted(set(ops))
    except Exception:  # noqa: BLE001 - a body onnx cannot inline here: no evidence
        return None

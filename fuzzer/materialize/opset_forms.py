"""Each opset's own form of a node: how the direct ONNX frontend targets opsets 7 and up.

Op lowerings (fuzzer/ops) write every node in its newest form: axes, pads,
min/max, k and scales as inputs, the newest attributes. OnnxContext.node hands
each node to `older_form`, which rewrites it into the form of the op version in
force at the target opset (onnx.defs.get_schema(op, opset)):

- an operand that older versions take as an attribute (Squeeze/Unsqueeze/Split
  axes and split before 13, ReduceSum's axes before 13 and the other reductions'
  before 18, Clip's min/max and Pad's pads/value before 11, Slice's
  starts/ends/axes before 10, TopK's k before 10, Dropout's ratio before 12)
  becomes that attribute when it is a constant the lowering made;
- Resize becomes Resize-10 (scales only) at 10 and Upsample before, when the
  draw is one those can compute (nearest, asymmetric, floor, scales >= 1);
- Softmax, LogSoftmax and Hardmax before 13 flatten the input to 2-D at `axis`,
  so a node over another axis than the last is computed over the last one
  between two Transposes;
- negative axes, allowed from 11, are made non-negative (the rank is known for
  a node's IR operands);
- an attribute the older version lacks is dropped when it holds the newest
  version's default, and an optional input it lacks when omitted.

What an older form cannot express (an attribute with another value, an
operand that is computed rather than constant, an op that does not exist yet)
raises OlderFormMissing, a NotImplementedError: that draw cannot be built at
that opset, and fuzzer.materialize.onnx_model.lowest_opset finds where it can.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable

import numpy as np

from fuzzer.errors import OlderFormMissing


#: reductions whose axes became an input at 18 (ReduceSum's did at 13)
REDUCE_18 = ("ReduceMax", "ReduceMin", "ReduceMean", "ReduceProd", "ReduceL1", "ReduceL2",
             "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare")
#: ops whose `axis` flattens the input to 2-D before 13 (coerce-to-2D semantics)
COERCE_2D = ("Softmax", "LogSoftmax", "Hardmax")
#: ops the materializer emits as another op before they existed: Resize as Upsample
OLDER_OP = {"Resize": 7}


@lru_cache(maxsize=None)
def schema(op: str, opset: int):
    """The schema of default-domain op in force at opset, or None when it does not exist yet."""
    import onnx.defs

    try:
        return onnx.defs.get_schema(op, opset, "")
    except Exception:  # SchemaError: no version at or before opset
        return None


@lru_cache(maxsize=None)
def newest_default(op: str, attr: str) -> Any:
    """The default of attribute attr of op in its newest version (None when it has none)."""
    import onnx.defs
    from onnx import helper

    a = onnx.defs.get_schema(op, onnx.defs.onnx_opset_version(), "").attributes.get(attr)
    if a is None or not a.default_value.ListFields():
        return None
    v = helper.get_attribute_value(a.default_value)
    return v.decode() if isinstance(v, bytes) else v


#: attributes whose schema gives no default value, though leaving them out means all ones
ONES_BY_DEFAULT = ("dilations", "strides")


def _same(value, default, attr: str = "") -> bool:
    if default is None and attr in ONES_BY_DEFAULT and isinstance(value, (list, tuple)):
        return all(v == 1 for v in value)
    if isinstance(value, bytes):
        value = value.decode()
    if isinstance(value, (list, tuple)) or isinstance(default, (list, tuple)):
        return list(value) == list(default or [])
    return value == default


class Node:
    """A node under rewriting: op type, inputs, attributes, and how to read a constant operand."""

    def __init__(self, op: str, inputs: list[str], attrs: dict, opset: int, ctx) -> None:
        self.op, self.inputs, self.attrs, self.opset = op, list(inputs), dict(attrs), opset
        self._ctx = ctx

    def missing(self, why: str) -> OlderFormMissing:
        return OlderFormMissing(f"{self.op} at opset {self.opset}: {why}")

    def operand(self, i: int) -> np.ndarray | None:
        """The value of input i when it is a constant; None when omitted; raises when computed."""
        name = self.inputs[i] if i < len(self.inputs) else ""
        if name == "":
            return None
        value = self._ctx.constant(name)
        if value is None:
            raise self.missing(f"input {i} is computed, and this version takes it as an attribute")
        return value

    def take(self, i: int, attr: str, convert: Callable[[np.ndarray], Any]) -> None:
        """Input i (a constant, or omitted) becomes attribute attr; inputs from i on are dropped
        once every one of them has been taken."""
        value = self.operand(i)
        if value is not None:
            self.attrs[attr] = convert(value)

    def rank(self) -> int | None:
        """The rank of the first input, when known (see OnnxContext.rank_of)."""
        return self._ctx.rank_of(self.inputs[0]) if self.inputs else None

    def shape(self, name: str) -> tuple[int, ...] | None:
        t = self._ctx.types.get(name)
        return None if t is None else t.shape

    def empty(self) -> str:
        """A new empty float initializer (an older version's required input left empty)."""
        return self._ctx.const(np.zeros([0], dtype=np.float32), exact=True)


def _ints(a) -> list[int]:
    return [int(v) for v in np.asarray(a).reshape(-1)]


def _floats(a) -> list[float]:
    return [float(v) for v in np.asarray(a, dtype=np.float64).reshape(-1)]


def older_form(op: str, inputs: list[str], attrs: dict, opset: int, ctx, outputs: int = 1):
    """The form of op(inputs, attrs) at opset: (op, inputs, attrs, around), where around is None
    or the permutation of a Transpose the caller puts on each side of the node (Softmax over an
    inner axis before 13: it is computed over the last one). Raises OlderFormMissing when no
    form at opset computes the same thing. outputs: how many outputs the node has.

    ctx: the OnnxContext building the model: ctx.constant(name) is an initializer's value (None
    for a computed value), ctx.types the IR types of the node's operands, ctx.const makes one."""
    n = Node(op, inputs, attrs, opset, ctx)
    around = _rewrite(n)
    _check(n)
    if outputs > schema(n.op, opset).max_output:  # MaxPool's Indices (8), Dropout's mask (7)...
        raise n.missing(f"output {outputs - 1} is newer")
    return n.op, n.inputs, n.attrs, around


def _rewrite(n: Node) -> list[int] | None:
    o = n.opset
    if o < 11:
        _non_negative_axes(n)
    if n.op in ("Squeeze", "Unsqueeze") and o < 13 or n.op == "ReduceSum" and o < 13 or n.op in REDUCE_18 and o < 18:
        if n.attrs.pop("noop_with_empty_axes", 0):
            raise n.missing("noop_with_empty_axes is newer")
        if len(n.inputs) > 1:
            axes = n.operand(1)
            n.inputs = n.inputs[:1]
            if axes is not None and axes.size:
                n.attrs["axes"] = _ints(axes)
            if o < 11:
                _non_negative_axes(n)
    elif n.op == "Split":
        if o < 18 and "num_outputs" in n.attrs:
            n.attrs.pop("num_outputs")  # the outputs are named: an even split needs no sizes
        if o < 13 and len(n.inputs) > 1:
            n.take(1, "split", _ints)
            n.inputs = n.inputs[:1]
    elif n.op == "Clip" and o < 11:
        n.take(1, "min", lambda a: float(np.asarray(a).reshape(-1)[0]))
        n.take(2, "max", lambda a: float(np.asarray(a).reshape(-1)[0]))
        n.inputs = n.inputs[:1]
    elif n.op == "Pad" and o < 11:
        if len(n.inputs) > 3 and n.inputs[3]:
            raise n.missing("Pad's axes input is newer (18)")
        n.take(1, "pads", _ints)
        n.take(2, "value", lambda a: float(np.asarray(a).reshape(-1)[0]))
        n.inputs = n.inputs[:1]
    elif n.op == "Slice" and o < 10:
        steps = n.operand(4) if len(n.inputs) > 4 else None
        if steps is not None and any(s != 1 for s in _ints(steps)):
            raise n.missing("Slice steps other than 1 are newer (10)")
        n.take(1, "starts", _ints)
        n.take(2, "ends", _ints)
        if len(n.inputs) > 3:
            n.take(3, "axes", _ints)
        n.inputs = n.inputs[:1]
        if o < 11:
            _non_negative_axes(n)
    elif n.op == "TopK":
        if o < 10:
            n.take(1, "k", lambda a: int(np.asarray(a).reshape(-1)[0]))
            n.inputs = n.inputs[:1]
    elif n.op == "Dropout" and o < 12:
        if len(n.inputs) > 2 and n.inputs[2]:
            mode = n.operand(2)
            if mode is not None and bool(np.asarray(mode).reshape(-1)[0]):
                raise n.missing("Dropout's training_mode is newer (12)")
        if len(n.inputs) > 1:
            n.take(1, "ratio", lambda a: float(np.asarray(a).reshape(-1)[0]))
        n.inputs = n.inputs[:1]
        n.attrs.pop("seed", None)  # no effect at inference, which is all a case runs
    elif n.op == "Resize" and o < 11:
        _resize_10(n)
    elif n.op == "Resize" and o < 13:  # roi and scales are not optional in 11 and 12: empty then
        n.inputs += [""] * (3 - len(n.inputs))
        for i in (1, 2):
            if n.inputs[i] == "":
                n.inputs[i] = n.empty()
    elif n.op in ("Max", "Min", "Sum", "Mean") and o < 8 and len(n.inputs) > 1:
        shapes = {n.shape(x) for x in n.inputs}
        if len(shapes) != 1 or None in shapes:
            raise n.missing("its operands broadcast from 8 only")
    elif n.op in COERCE_2D and o < 13:
        r = n.rank()
        axis = n.attrs.get("axis", -1)
        if r is None:
            raise n.missing("the input's rank is unknown, and this version flattens it at axis")
        axis = axis % r if r else 0
        n.attrs["axis"] = max(r - 1, 0)
        if r and axis != r - 1:
            perm = list(range(r))
            perm[axis], perm[-1] = perm[-1], perm[axis]
            return perm
    return None


def _non_negative_axes(n: Node) -> None:
    """Negative axis/axes attributes as non-negative ones (negatives are allowed from 11)."""
    for key in ("axis", "axes"):
        v = n.attrs.get(key)
        if v is None:
            continue
        values = list(v) if isinstance(v, (list, tuple)) else [v]
        if all(a >= 0 for a in values):
            continue
        r = n.rank()
        if r is None:
            raise n.missing(f"negative {key} are newer (11) and the input's rank is unknown")
        if n.op == "Unsqueeze":  # its axes index the output
            r += len(values)
        elif n.op == "OneHot":
            r += 1
        fixed = [a % r for a in values] if r else values
        n.attrs[key] = fixed if isinstance(v, (list, tuple)) else fixed[0]


def _resize_10(n: Node) -> None:
    """Resize in Resize-10's form (X, scales; mode) at 10, Upsample's before: only nearest
    neighbour (floor) or linear over asymmetric coordinates, by scales of at least 1."""
    a = n.attrs
    mode = a.get("mode", "nearest")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    if mode not in ("nearest", "linear"):
        raise n.missing(f"Resize mode {mode!r} is newer (11)")
    if a.get("coordinate_transformation_mode", "half_pixel") not in ("asymmetric", b"asymmetric"):
        raise n.missing("only asymmetric coordinates exist before 11")
    if mode == "nearest" and a.get("nearest_mode", "round_prefer_floor") not in ("floor", b"floor"):
        raise n.missing("only nearest_mode floor exists before 11")
    for key in ("exclude_outside", "antialias", "keep_aspect_ratio_policy", "axes", "cubic_coeff_a", "extrapolation_value"):
        if key in a and not _same(a[key], newest_default("Resize", key)):
            raise n.missing(f"Resize's {key} is newer (11)")
    scales = n.operand(2) if len(n.inputs) > 2 else None
    if scales is None:
        scales = _scales_of_sizes(n)
    scales = np.asarray(scales, dtype=np.float32)
    if (scales < 1).any():
        raise n.missing("Upsample and Resize-10 take scales of at least 1 here")
    n.attrs = {"mode": mode}
    if n.opset >= 9:
        given = n.inputs[2] if len(n.inputs) > 2 and n.inputs[2] else n._ctx.const(scales, exact=True)
        n.op, n.inputs = ("Resize" if n.opset >= 10 else "Upsample"), [n.inputs[0], given]
    else:
        n.op, n.inputs = "Upsample", [n.inputs[0]]
        n.attrs["scales"] = _floats(scales)


def _scales_of_sizes(n: Node) -> np.ndarray:
    """Resize's sizes as the scales older versions take: only for whole multiples of a fixed
    input shape (a scale of out/in otherwise may floor to another size in float32)."""
    sizes = n.operand(3) if len(n.inputs) > 3 else None
    shape = n.shape(n.inputs[0])
    if sizes is None or shape is None or n._ctx.symbolic:
        raise n.missing("only scales of a fixed shape exist before 11 (sizes are newer)")
    sizes = _ints(sizes)
    if len(sizes) != len(shape) or any(o % i for o, i in zip(sizes, shape)):
        raise n.missing("sizes that are no whole multiple of the input have no scales before 11")
    return np.asarray([o // i for o, i in zip(sizes, shape)], dtype=np.float32)


def _check(n: Node) -> None:
    """The op exists at the opset; attributes the version lacks hold the newest default (then
    they are dropped); inputs it lacks are omitted (then dropped)."""
    s = schema(n.op, n.opset)
    if s is None:
        raise n.missing("the op does not exist yet")
    for key in list(n.attrs):
        if key not in s.attributes:
            if not _same(n.attrs[key], newest_default(n.op, key), key):
                raise n.missing(f"attribute {key}={n.attrs[key]!r} is newer")
            del n.attrs[key]
    while len(n.inputs) > s.max_input:
        if n.inputs[-1] != "":
            raise n.missing(f"input {len(n.inputs) - 1} is newer")
        n.inputs.pop()
    if sum(1 for i in n.inputs if i != "") < s.min_input:  # Gemm's C, optional only from 11
        raise n.missing(f"it needs {s.min_input} inputs at this version")
    _types_taken(n)


def _types_taken(n: Node) -> None:
    """An operand of a known dtype that this version does not take, though the newest does (Max
    takes ints from 12, Equal floats from 11): the lowering did not widen it, so it needs a newer
    opset. A dtype no version takes is left to the checker: that is a lowering bug."""
    import onnx.defs

    from fuzzer.ops.lowering import accepts

    newest = onnx.defs.onnx_opset_version()
    for i, name in enumerate(n.inputs):
        known = n._ctx.dtype_of(name) if name else None
        if known is None:
            continue
        dtype = n._ctx.dtype(known)
        if not accepts(n.op, n.opset, dtype, i) and (n.op == "Upsample" or accepts(n.op, newest, dtype, i)):
            raise n.missing(f"input {i} of {dtype.value} is taken from a newer version only")


__all__ = ["OLDER_OP", "OlderFormMissing", "older_form", "schema"]

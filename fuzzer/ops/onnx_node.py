"""One ONNX node, imported from an existing model (fuzzer.importer) rather than generated.

An imported node keeps its ONNX op type, domain, attributes and output types in
its IR attrs, so the graph stays plain JSON. Its `onnx` lowering re-emits the
node exactly; its `torch` lowering, which must be the ground truth like every
spec's, runs the node through onnx's reference evaluator on numpy arrays: there
is no hand-written torch twin for 200 ONNX op types, and the reference
evaluator is the executable form of the ONNX spec.

Because of that, the generated torch source of an imported graph calls back into
onnxfuzz (`run_node`), so a standalone repro of an imported graph needs onnxfuzz
installed. Generated graphs never contain this op: `accepts` refuses every value,
so the generator cannot draw it, and `exportable = False` keeps it from the
torch exporters.
"""
from __future__ import annotations

import base64
import json
from functools import lru_cache
from typing import Any

import numpy as np

from fuzzer.ir import FLOATS, INTS, DType, TensorType
from fuzzer.ir.types import numpy_of
from fuzzer.ops.base import OpSpec
from fuzzer.ops.lowering import newest_opset, onnx_elem_type


class OnnxNode(OpSpec):
    """attrs: op_type, domain, opset (of the model it came from), attributes
    ({name: {"type": AttributeProto type name, "value": JSON value}}), in_slots and
    out_slots (the ONNX input/output positions the IR operands/results occupy; the
    gaps are omitted optionals), in_types and outputs (TensorType JSON of each operand
    and result), and frozen ({slot: tensor}: inputs whose values are part of the node,
    such as a OneHot depth, which no perturbation or mutation may touch)."""

    name = "onnx_node"
    dtypes = frozenset(FLOATS | INTS | {DType.bool})
    weight = 0.0
    exportable = False
    # The node is re-emitted as written for its model's opset; the campaign only seeds
    # nodes whose schema is unchanged up to the newest opset, and builds them there.
    min_opset = newest_opset()

    def accepts(self, t: TensorType) -> bool:
        return False  # never drawn: an imported node only exists in imported graphs

    def infer(self, types, attrs):
        return [TensorType.from_json(t) for t in attrs["outputs"]]

    def torch(self, ctx, attrs, args):
        call = f"__import__('fuzzer.ops.onnx_node', fromlist=['run_node']).run_node({_literal(attrs)}, {ctx.truth!r}"
        return call + "".join(f", {a}" for a in args) + ")"

    def onnx(self, ctx, attrs, args, outs):
        frozen = {int(k): ctx.const(_array(v)) for k, v in attrs.get("frozen", {}).items()}
        inputs = _slotted(args + list(frozen.values()), attrs["in_slots"] + list(frozen))
        outputs = _slotted(outs, attrs["out_slots"])
        ctx.node(attrs["op_type"], inputs, outputs, domain=attrs.get("domain", ""))
        ctx.nodes[-1].attribute.extend(decode_attributes(attrs["attributes"]))


def _literal(attrs: dict) -> str:
    """attrs as a Python expression: a JSON string parsed at run time (json is always importable)."""
    return f"__import__('json').loads({json.dumps(attrs, sort_keys=True)!r})"


def _slotted(names: list[str], slots: list[int]) -> list[str]:
    """names placed at their ONNX positions, "" (an omitted optional) in every gap."""
    out = [""] * (max(slots) + 1 if slots else 0)
    for n, s in zip(names, slots):
        out[s] = n
    return out


# -- attributes -------------------------------------------------------------
def encode_attribute(attr) -> dict[str, Any]:
    """An AttributeProto as {"type", "value"}; tensors as base64 of their proto (with dtype
    and shape alongside, for a reader). Graph, sparse and type-proto attributes raise ValueError."""
    from onnx import AttributeProto, helper

    kind = AttributeProto.AttributeType.Name(attr.type)
    value = helper.get_attribute_value(attr)
    if kind in ("FLOAT", "INT"):
        return {"type": kind, "value": value}
    if kind == "FLOATS":
        return {"type": kind, "value": [float(v) for v in value]}
    if kind == "INTS":
        return {"type": kind, "value": [int(v) for v in value]}
    if kind == "STRING":
        return {"type": kind, "value": base64.b64encode(value).decode()}
    if kind == "STRINGS":
        return {"type": kind, "value": [base64.b64encode(v).decode() for v in value]}
    if kind == "TENSOR":
        return {"type": kind, "value": _tensor_json(value)}
    if kind == "TENSORS":
        return {"type": kind, "value": [_tensor_json(t) for t in value]}
    raise ValueError(f"attribute {attr.name!r} of type {kind} cannot be imported")


def _tensor_json(t) -> dict:
    from onnx import TensorProto

    return {"dtype": TensorProto.DataType.Name(t.data_type).lower(), "shape": list(t.dims),
            "proto": base64.b64encode(t.SerializeToString()).decode()}


def _array(d: dict) -> np.ndarray:
    from onnx import numpy_helper

    return numpy_helper.to_array(_tensor_proto(d))


def tensor_json(array: np.ndarray) -> dict:
    from onnx import numpy_helper

    return _tensor_json(numpy_helper.from_array(np.asarray(array)))


def _tensor_proto(d: dict):
    from onnx import TensorProto

    t = TensorProto()
    t.ParseFromString(base64.b64decode(d["proto"]))
    return t


def decode_attributes(attributes: dict[str, dict]) -> list:
    from onnx import AttributeProto, helper

    out = []
    for name, entry in sorted(attributes.items()):
        kind, value = entry["type"], entry["value"]
        if kind == "STRING":
            value = base64.b64decode(value)
        elif kind == "STRINGS":
            value = [base64.b64decode(v) for v in value]
        elif kind == "TENSOR":
            value = _tensor_proto(value)
        elif kind == "TENSORS":
            value = [_tensor_proto(v) for v in value]
        out.append(helper.make_attribute(name, value, attr_type=getattr(AttributeProto, kind)))
    return out


# -- the ground truth -------------------------------------------------------
def run_node(attrs: dict, truth: bool, *tensors):
    """The node's outputs on torch tensors, computed by onnx.reference.

    In truth mode the float operands arrive as float64: the node is first evaluated
    in float64 (the model re-typed), and, where the reference implementation refuses
    that, at the node's own dtypes; float results are returned as float64 either way.
    Returns one tensor, or a tuple for a multi-output node.
    """
    import torch

    arrays = [numpy_of(t) for t in tensors]
    outputs = [TensorType.from_json(t) for t in attrs["outputs"]]
    results = None
    key = json.dumps(attrs, sort_keys=True)
    if truth:
        try:
            results = _evaluator(key, tuple(str(a.dtype) for a in arrays), True).run(None, _feeds(arrays))
        except Exception:
            results = None  # this op's reference kernel does not take float64: use the model's dtypes
    if results is None:
        own = [a.astype(DType(t["dtype"]).numpy) for a, t in zip(arrays, attrs["in_types"])]
        results = _evaluator(key, tuple(str(a.dtype) for a in own), False).run(None, _feeds(own))
    out = []
    for r, t in zip(results, outputs):
        want = DType.float64 if truth and t.dtype.is_float else t.dtype
        out.append(_to_torch(np.asarray(r), want, torch))
    return out[0] if len(out) == 1 else tuple(out)


def _feeds(arrays) -> dict:
    return {f"i{k}": a for k, a in enumerate(arrays)}


@lru_cache(maxsize=256)
def _evaluator(attrs_json: str, dtypes: tuple[str, ...], wide: bool):
    """A ReferenceEvaluator over a one-node model with inputs of these dtypes, frozen float
    inputs widened to float64 when wide (cached: building one costs far more than running
    it on the tiny tensors of a case)."""
    import onnx
    from onnx import helper, numpy_helper
    from onnx.reference import ReferenceEvaluator

    attrs = json.loads(attrs_json)
    in_names = [f"i{k}" for k in range(len(dtypes))]
    frozen = {int(k): _array(v) for k, v in attrs.get("frozen", {}).items()}
    if wide:
        frozen = {k: a.astype(np.float64) if a.dtype.kind == "f" else a for k, a in frozen.items()}
    inits = [numpy_helper.from_array(a, f"f{k}") for k, a in frozen.items()]
    out_names = [f"o{k}" for k in range(len(attrs["outputs"]))]
    node = helper.make_node(attrs["op_type"], _slotted(in_names + [f"f{k}" for k in frozen], attrs["in_slots"] + list(frozen)),
                            _slotted(out_names, attrs["out_slots"]), domain=attrs.get("domain") or None)
    node.attribute.extend(decode_attributes(attrs["attributes"]))
    inputs = [helper.make_tensor_value_info(n, onnx_elem_type(DType(d)), list(t["shape"]))
              for n, d, t in zip(in_names, dtypes, attrs["in_types"])]
    outputs = [helper.make_tensor_value_info(n, onnx.TensorProto.UNDEFINED, None) for n in out_names]
    graph = helper.make_graph([node], "node", inputs, outputs, initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid(attrs.get("domain", ""), attrs["opset"])])
    return ReferenceEvaluator(model)


def _to_torch(a: np.ndarray, dtype: DType, torch):
    if dtype == DType.bfloat16:
        return torch.from_numpy(a.astype(np.float32)).to(torch.bfloat16)
    return torch.from_numpy(np.array(a, dtype=dtype.numpy, copy=True))

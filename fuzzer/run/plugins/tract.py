"""tract (Sonos' Rust inference engine) through its Python bindings.

tract loads ONNX from a file only, so the model goes through a temporary
file. It loads the model as an InferenceModel, infers the types, optimizes
the typed model (into_runnable) and runs it. Its tensors come back through
`to_numpy`; int64 values that tract keeps as its symbolic dimension type
(TDim, e.g. the output of Shape or of a Cast to int64) are converted to the
element type the ONNX graph declares for that output.
"""
from __future__ import annotations

import os
import re
import tempfile

from fuzzer.run.base import Runtime

# Gaps in tract's own words, only for missing ops, op forms and element types:
# - "Unimplemented(Foo)": an op without translation (tract_core UnimplementedOp)
# - "Attention: softcap is not supported", "not implemented": an op form it refuses
# - "Unknown DatumType Float8E4M3FN", "HardSwish does not support F64", "Bool is not a number":
#   an element type the engine or the op lacks
# - "Compress can not be typed": an op tract documents as having no typed form
# - "Axis expected to be a const", "Need splits to be a constant", "shape input is variable",
#   "y_scale must be a const" (a DequantizeLinear scale computed in the graph),
#   "StridedSlice is typable only if stride is a const": tract needs these inputs constant
_GAP = re.compile(
    r"Unimplemented\(\w+\)"
    r"|\bnot implemented\b"
    r"|\bis not supported\b"
    r"|Unsupported DatumType|Unknown DatumType|unsupported datum type|Unsupported data type"
    r"|does not support [FIU]\d+\b|does not support (?:Bool|TDim|String)\b"
    r"|\b(?:Bool|String|TDim) is not a number"
    r"|(?:expected|need|needs|must be|typable only if)[^|\n]{0,40}\ba const(?:ant)?\b"
    r"|expected \w+ as a constant"
    r"|input is variable"
    r"|Unsupported mode \w+"  # Pad's "wrap" (opset 19): tract implements constant/reflect/edge
    # an op tract keeps untyped on purpose (its output shape depends on values: Compress):
    # 'Node #2 "y" Compress can not be typed', said when translating to its typed model
    r"|\bcan not be typed\b"
    # an element-wise op with no kernel for the dtype (IsNaN on float64): tract says so when it runs
    r"|Element wise eval in-place not defined"
    # its LSTM/GRU cells run float32 and float16 only: "LstmEpilogue only supports f32 and f16"
    r"|\bonly supports? [fiu]\d+(?: and [fiu]\d+)?\b"
    # BatchNormalization's scale, bias, mean and variance must be initializers: "Params are not const"
    r"|\bParams are not const\b"
    # a fixed element type in an op's inference rules (QuantizeLinear's scale: f32 only), said as
    # "Applying rule inputs[1].datum_type == F32 ... Impossible to unify F16 with F32"
    r"|Applying rule (?:in|out)puts\[\d+\]\.datum_type == [FIU]\d+\b"
    # forms tract's translators refuse with an explicit check: MatMul of two 1-D operands
    # ("a_rank > 1 || b_rank > 1"), and If branches whose outputs differ in rank or type
    # (ONNX allows it since If-11; tract types an If with one fact per output)
    r"|Condition failed: `a_rank > 1 \|\| b_rank > 1`"
    r"|Condition failed: `self\.then_body\.output_fact",
    re.I,
)

# ONNX TensorProto element type -> numpy dtype name, for the outputs tract returns
_ONNX_TO_NUMPY = {
    1: "float32", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32", 7: "int64",
    9: "bool", 10: "float16", 11: "float64", 12: "uint32", 13: "uint64",
}


_OUTPUTS = re.compile(r"Wrong number of outputs\. Op says (\d+), node says (\d+)")


def _fewer_outputs(text: str) -> bool:
    """tract implements the op with fewer outputs than the node asks for: BatchNormalization's
    training form has 3, tract's 1 ("Op says 1, node says 3", review 10). A node asking for fewer
    than the op has leaves optional outputs off, which the spec allows: not a gap."""
    m = _OUTPUTS.search(text)
    return m is not None and int(m.group(1)) < int(m.group(2))


#: element-wise ops tract has no float64 kernel for: it types their output F64 where ONNX says
#: bool, so a model fails wherever that bool is read ("Impossible to unify F64 with Bool", "No
#: supertype found for F64 and Bool"), under a new key each time (reviews 12, 14 and 15)
_NO_FLOAT64 = ("IsNaN", "IsInf")


def _float64_gap(proto) -> str | None:
    """The op of proto's graph that reads a float64 value and that tract has no float64 kernel
    for, or None."""
    import onnx

    if not any(n.op_type in _NO_FLOAT64 for n in proto.graph.node):
        return None
    try:
        graph = onnx.shape_inference.infer_shapes(proto).graph
    except Exception:  # noqa: BLE001 - inference refuses the model: tract will say what it says
        return None
    types = {v.name: v.type.tensor_type.elem_type for v in [*graph.input, *graph.value_info, *graph.output]}
    types.update({t.name: t.data_type for t in graph.initializer})
    for node in graph.node:
        if node.op_type in _NO_FLOAT64 and node.input and types.get(node.input[0]) == onnx.TensorProto.DOUBLE:
            return node.op_type
    return None


class TractRuntime(Runtime):
    name = "tract"
    requires = ("tract",)
    imports = ("tract",)

    def load(self, model: bytes):
        # With RUST_BACKTRACE=1 in the environment, every tract error captures a backtrace
        # (about 70 ms each) only to print it; RUST_LIB_BACKTRACE=0 turns that off for errors
        # while panics keep theirs. Set before tract's first error, which caches the choice.
        os.environ.setdefault("RUST_LIB_BACKTRACE", "0")
        import onnx
        import tract

        proto = onnx.load_model_from_string(model)
        graph = proto.graph
        gap = _float64_gap(proto)
        if gap is not None:  # refused knowingly, before tract fails on it somewhere downstream
            raise NotImplementedError(f"{gap} on float64 is not implemented by tract (it has no float64 kernel for it)")
        initializers = {t.name for t in graph.initializer}
        inputs = [i.name for i in graph.input if i.name not in initializers]
        types = [o.type.tensor_type.elem_type for o in graph.output]
        with tempfile.TemporaryDirectory(prefix="onnxfuzz-tract-") as d:
            path = os.path.join(d, "model.onnx")
            with open(path, "wb") as f:
                f.write(model)
            try:
                runnable = tract.onnx().load(path).into_model().into_runnable()
            except Exception as e:
                raise _clean(e) from None
        return _Session(runnable, inputs, types)

    def input_names(self, session):
        return list(session.inputs)

    def run(self, session, feeds):
        if any(getattr(feeds[n], "dtype", None) is not None and feeds[n].dtype.name == "bfloat16" for n in session.inputs):
            # tract has no bfloat16 ("Unknown DatumType Bfloat16" for a model that declares it); fed
            # one for an input declared otherwise (tf2onnx's float16), its binding fails building
            # its own message ("can only concatenate str": review 15): a gap either way
            raise NotImplementedError("tract takes no bfloat16 arrays (bfloat16 is not supported)")
        try:
            outputs = session.runnable.run([feeds[n] for n in session.inputs])
            return [_to_numpy(t, ty) for t, ty in zip(outputs, session.types)]
        except Exception as e:
            raise _clean(e) from None

    def is_unsupported(self, error):
        return bool(_GAP.search(str(error))) or _fewer_outputs(str(error))

    def repro_source(self, minimal: bool = False) -> str:
        """A standalone run_model() for bug repros (imports tract and onnx only).

        minimal: the repro's feeds are in the model's input order and its outputs are
        read as numpy arrays as they are.
        """
        if minimal:
            return '''
def run_model(model_bytes, feeds):
    import os, tempfile
    import tract
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "model.onnx"), "wb") as f:
            f.write(model_bytes)
        runnable = tract.onnx().load(os.path.join(d, "model.onnx")).into_model().into_runnable()
    return [t.to_numpy() for t in runnable.run(list(feeds.values()))]
'''
        return '''
def run_model(model_bytes, feeds):
    import os, tempfile
    import onnx, tract
    graph = onnx.load_model_from_string(model_bytes).graph
    init = {t.name for t in graph.initializer}
    names = [i.name for i in graph.input if i.name not in init]
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "model.onnx")
        with open(path, "wb") as f:
            f.write(model_bytes)
        runnable = tract.onnx().load(path).into_model().into_runnable()
    outputs = runnable.run([feeds[n] for n in names])
    result = []
    for t, o in zip(outputs, graph.output):
        try:
            result.append(t.to_numpy())
        except Exception:  # kept as TDim: convert to the declared int type
            result.append(t.convert_to(tract.DatumType.I64).to_numpy())
    return result
'''


class _Session:
    def __init__(self, runnable, inputs: list[str], types: list[int]) -> None:
        self.runnable, self.inputs, self.types = runnable, inputs, types


def _to_numpy(tensor, onnx_type: int):
    import numpy as np
    import tract

    try:
        return tensor.to_numpy()
    except tract.TractError as e:
        if "TDim" not in str(e) or onnx_type not in (6, 7):
            raise
    # symbolic-dimension ints (Shape, Cast to int64, ...): convert to the declared type
    wanted = tract.DatumType.I64 if onnx_type == 7 else tract.DatumType.I32
    return np.asarray(tensor.convert_to(wanted).to_numpy(), dtype=_ONNX_TO_NUMPY[onnx_type])


def _clean(error: Exception) -> Exception:
    """The same error without the Rust backtrace (RUST_BACKTRACE=1 appends one), which is noise in signatures."""
    text = str(error)
    cut = text.find("\nStack backtrace:")
    if cut < 0:
        return error
    try:
        return type(error)(text[:cut].rstrip())
    except Exception:
        return RuntimeError(text[:cut].rstrip())

"""tf2onnx: the IR graph as a TensorFlow tf.function (fuzzer.materialize.tf_model), converted
with tf2onnx.convert.from_function.

tf2onnx converts with continue_on_error: a TF op it has no handler for stays in the model
as a node of TF's own op type. Such a model is a documented gap, not an invalid model, so
export() raises Tf2OnnxUnsupported for it, which is_unsupported() recognises.

The model's inputs keep the campaign's input names and its outputs are renamed to the
request's output names (out0, out1, ...), through Identity nodes, since from_function
names them after the function's structured outputs.
"""
from __future__ import annotations

import os
import re
from importlib import metadata

from fuzzer.convert.base import Exporter, ExportRequest

# tf2onnx's own wording for a TF op without a handler, or one it cannot map at this opset
# TensorFlow reads this when it is first imported, which may be unavailable()'s import check
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# oneDNN's rewrites change TF's float rounding (and announce it on stderr on every import)
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

_GAP = re.compile(r"unsupported op|is not supported|Tf2OnnxUnsupported|not implemented in onnx|"
                  r"opset \d+ is required|ONNX opset \d+ does not support", re.I)


class Tf2OnnxUnsupported(Exception):
    """tf2onnx left TF ops it cannot convert in the model."""


class Tf2OnnxExporter(Exporter):
    name = "tf2onnx"
    frontend = "tf"
    # the CPU build is what constraints.txt pins; a full "tensorflow" install serves as well
    requires = ("tensorflow-cpu", "tf2onnx")
    imports = ("tensorflow", "tf2onnx")
    # tf2onnx 1.17 maps opsets up to 18 (tf2onnx.constants.OPSET_TO_IR_VERSION)
    opsets = tuple(range(13, 19))
    #: tracing the tf.function and tf2onnx's graph rewrites cost over a second per export
    batchable = True

    def versions(self) -> dict[str, str]:
        out = super().versions()
        if out.get("tensorflow-cpu") == "missing":
            try:
                out.pop("tensorflow-cpu")
                out["tensorflow"] = metadata.version("tensorflow")
            except metadata.PackageNotFoundError:
                out["tensorflow-cpu"] = "missing"
        return out

    def export(self, request: ExportRequest) -> bytes:
        from fuzzer.materialize.tf_model import import_tf

        import_tf()  # quiet and single-threaded before tf2onnx imports TensorFlow itself
        import tf2onnx

        from fuzzer.coverage.tf2onnx import instrument

        instrument()  # once per process: the handlers, rewriters and optimizers each conversion applies

        fn = request.tf_function
        model, _ = tf2onnx.convert.from_function(fn, input_signature=fn.input_signature, opset=request.opset)
        model = rename_io(model, request.input_names, request.output_names)
        if not request.packed:  # a batch's graphs are checked one by one (check_split)
            refuse_foreign(model)
        return model.SerializeToString()

    def check_split(self, model) -> None:
        refuse_foreign(model)

    def repro_source(self) -> str:
        """A repro of a tf2onnx case loads the kept exported model: re-exporting would need the
        TF function, which the repro's torch source cannot rebuild standalone."""
        return '''
def export_model(model, args, input_names, output_names, opset):
    raise RuntimeError("a tf2onnx case's repro loads MODEL_BYTES (the model tf2onnx exported); "
                       "re-export it with onnxfuzz's fuzzer.materialize.tf_model.build_tf_function "
                       "and tf2onnx.convert.from_function")
'''

    def is_unsupported(self, error: BaseException) -> bool:
        return isinstance(error, Tf2OnnxUnsupported) or bool(_GAP.search(str(error)))


def refuse_foreign(model) -> None:
    """Raise Tf2OnnxUnsupported when a node of model is not an ONNX op (tf2onnx kept a TF op
    it could not convert)."""
    import onnx

    foreign = sorted({n.op_type for n in model.graph.node if n.domain not in ("", "ai.onnx")
                      or not onnx.defs.has(n.op_type)})
    if foreign:
        raise Tf2OnnxUnsupported(f"tf2onnx left unsupported op(s) in the model: {', '.join(foreign)}")


def rename_io(model, input_names: list[str], output_names: list[str]):
    """model with its graph inputs renamed to input_names and its outputs exposed as
    output_names (Identity nodes), in order."""
    import onnx
    from onnx import helper

    g = model.graph
    if len(g.input) != len(input_names) or len(g.output) != len(output_names):
        raise ValueError(f"tf2onnx model has {len(g.input)} inputs / {len(g.output)} outputs, "
                         f"expected {len(input_names)} / {len(output_names)}")
    renames = {i.name: new for i, new in zip(g.input, input_names) if i.name != new}
    for i, new in zip(g.input, input_names):
        i.name = new
    for node in g.node:
        for k, name in enumerate(node.input):
            if name in renames:
                node.input[k] = renames[name]
    for sub in (g.output, g.value_info):
        for vi in sub:
            if vi.name in renames:
                vi.name = renames[vi.name]
    # an output may be an input itself or appear twice: an Identity per output keeps each distinct
    outs = []
    for vi, new in zip(list(g.output), output_names):
        g.node.append(helper.make_node("Identity", [vi.name], [new], name=f"onnxfuzz_{new}"))
        out = onnx.ValueInfoProto()
        out.CopyFrom(vi)
        out.name = new
        outs.append(out)
    del g.output[:]
    g.output.extend(outs)
    return model

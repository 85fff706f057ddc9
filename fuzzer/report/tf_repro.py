"""The repro of a tf2onnx bug, in tf2onnx's idiom: a TensorFlow function, its conversion by
tf2onnx.convert.from_function, and the check of the converted model (the checker, or the
runtime that showed the bug against the expected values). It converts again every time it
runs, so it says "fixed" once tf2onnx is.

The function's source is what the campaign's TF lowerings (fuzzer.materialize.tf_model) do,
written down while they run: each lowering runs eagerly on the case's inputs with a stand-in
for the `tf` module that records every TensorFlow call it makes, with its arguments. A
lowering that computes with Python operators on tensors (`x / y`) cannot be written down so
(the operator is not a call through `tf`): tf_function_source then raises Unrecordable.
"""
from __future__ import annotations

import types

import numpy as np

from fuzzer.ir import Graph
from fuzzer.report.onnx_repro import OnnxBug, Run, build_repro, error_test, fragments, literal


class Unrecordable(Exception):
    """A lowering computed a tensor outside a `tf` call: its source cannot be written down."""


class _Recorder:
    def __init__(self, tf):
        self.tf = tf
        self.names: dict[int, str] = {}
        self.keep: list = []  # the tensors named, alive so that their ids stay theirs
        self.lines: list[str] = []

    def name(self, tensor, name: str) -> None:
        self.names[id(tensor)] = name
        self.keep.append(tensor)

    def render(self, value) -> str:
        tf = self.tf
        if isinstance(value, (tf.Tensor, tf.Variable)) or hasattr(value, "_id") and hasattr(value, "numpy"):
            if id(value) not in self.names:
                raise Unrecordable("a tensor computed outside a tf call")
            return self.names[id(value)]
        if isinstance(value, tf.DType):
            return f"tf.{value.name}"
        if isinstance(value, tf.TensorShape):
            return repr(value.as_list())
        if isinstance(value, (list, tuple)):
            inner = ", ".join(self.render(v) for v in value)
            return f"[{inner}]" if isinstance(value, list) else f"({inner}{',' if len(value) == 1 else ''})"
        if isinstance(value, dict):
            return "{" + ", ".join(f"{k!r}: {self.render(v)}" for k, v in value.items()) + "}"
        if isinstance(value, np.ndarray):
            return literal(value)
        if isinstance(value, (np.generic,)):
            return repr(value.item())
        if value is None or isinstance(value, (bool, int, float, str)):
            return repr(value)
        raise Unrecordable(f"an argument of type {type(value).__name__}")

    def call(self, path: str, fn, args, kwargs):
        rendered = [self.render(a) for a in args] + [f"{k}={self.render(v)}" for k, v in kwargs.items()]
        result = fn(*args, **kwargs)
        results = list(result) if isinstance(result, (list, tuple)) else [result]
        names = []
        for r in results:
            if isinstance(r, self.tf.Tensor):
                name = f"v{len(self.names) + 1}"
                self.name(r, name)
                names.append(name)
        if names:
            target = ", ".join(names) if isinstance(result, (list, tuple)) else names[0]
            self.lines.append(f"{target} = {path}({', '.join(rendered)})")
        return result


class _Namespace:
    """Stands for `tf` (or tf.math, tf.nn, ...) while a lowering runs: calls are recorded."""

    def __init__(self, rec: _Recorder, obj, path: str):
        self._rec, self._obj, self._path = rec, obj, path

    def __getattr__(self, name):
        attr = getattr(self._obj, name)
        path = f"{self._path}.{name}"
        if isinstance(attr, types.ModuleType) or type(attr).__name__ in ("TFModuleWrapper", "_ModuleWrapper"):
            return _Namespace(self._rec, attr, path)
        if isinstance(attr, (type, self._rec.tf.DType)) or not callable(attr):
            return attr
        return lambda *a, **k: self._rec.call(path, attr, a, k)


def tf_function_source(graph: Graph, inputs: dict[str, np.ndarray], widen: bool = True) -> str:
    """`compute`, a tf.function computing graph, as source: the TF calls its lowerings make.
    widen=False: without the casts the lowerings add around narrow dtypes (TfLoweringContext.widen),
    see narrow_tf_source."""
    return _record(graph, inputs, widen)[0]


def narrow_tf_source(graph: Graph, inputs: dict[str, np.ndarray]) -> str | None:
    """The function without the widening casts (int8 floormod, not int8 -> int64 -> floormod ->
    int8), when TensorFlow runs it eagerly to the same outputs, bit for bit, as with them; None
    when it has no such casts, fails, or differs. Whether tf2onnx still fails on it is the
    caller's question (fuzzer.report.regenerate runs the repro)."""
    wide, wide_out = _record(graph, inputs, True)
    try:
        narrow, narrow_out = _record(graph, inputs, False)
    except Exception:  # TensorFlow has no kernel for the narrow dtype: the casts are needed
        return None
    if narrow == wide or len(narrow_out) != len(wide_out):
        return None
    same = all(a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
               for a, b in zip(narrow_out, wide_out))
    return narrow if same else None


def _record(graph: Graph, inputs: dict[str, np.ndarray], widen: bool) -> tuple[str, list[np.ndarray]]:
    """(the function's source, its outputs on inputs as TensorFlow computed them eagerly)."""
    from fuzzer.materialize.tf_model import TfLoweringContext, import_tf, tf_dtype
    from fuzzer.ops import get_spec

    class Unwidened(TfLoweringContext):
        def widen(self, fn, *xs, floats: bool = True, ints: bool = True):
            return fn(*xs)

    tf = import_tf()
    rec = _Recorder(tf)
    fake = _Namespace(rec, tf, "tf")
    # every lowering reaches TensorFlow through ctx.tf: recorded
    ctx = TfLoweringContext(fake) if widen else Unwidened(fake)
    env = {}
    for v in graph.inputs:
        t = tf.constant(inputs[v.name], dtype=tf_dtype(tf, v.type.dtype))
        rec.name(t, v.name)
        env[v] = t
    for node in graph.consts:
        v = node.outputs[0]
        t = tf.constant(node.value, dtype=tf_dtype(tf, v.type.dtype))
        rec.name(t, v.name)
        rec.lines.append(f"{v.name} = tf.constant({literal(np.asarray(node.value))}, dtype=tf.{tf_dtype(tf, v.type.dtype).name})")
        env[v] = t
    for node in graph.op_nodes:
        result = get_spec(node.op_type).tf(ctx, node.attrs, [env[v] for v in node.inputs], [v.type for v in node.inputs])
        results = list(result) if isinstance(result, (tuple, list)) else [result]
        for v, r in zip(node.outputs, results):
            if id(r) not in rec.names:
                if any(r is x for x in env.values()):  # a lowering that returns its operand
                    rec.lines.append(f"{v.name} = {rec.names[id(r)]}")
                else:
                    raise Unrecordable(f"{node.op_type}: its result is computed outside a tf call")
            env[v] = r
    outs = [rec.render(env[v]) for v in graph.outputs]
    signature = ", ".join(f"tf.TensorSpec({list(v.type.shape)!r}, tf.{tf_dtype(tf, v.type.dtype).name}, name={v.name!r})"
                          for v in graph.inputs)
    lines = [f"@tf.function(input_signature=[{signature}], autograph=False)",
             f"def compute({', '.join(v.name for v in graph.inputs)}):"]
    lines += [f"    {line}" for line in rec.lines]
    returned = ", ".join(f"tf.identity({o}, name='out{i}')" for i, o in enumerate(outs))
    lines.append(f"    return [{returned}]")
    return "\n".join(lines) + "\n", [np.asarray(env[v].numpy()) for v in graph.outputs]


def tf_repro(bug: OnnxBug, graph: Graph, runs: list[Run], opset: int, stage: str,
             notes: list[str] = (), function: str | None = None) -> tuple[str, dict[str, bytes]]:
    """(repro.py, its data files) for a tf2onnx bug found on graph. Raises Unrecordable.
    function: the TF function's source, when not tf_function_source's (narrow_tf_source's)."""
    names = [v.name for v in graph.inputs]
    prelude = ["", function or tf_function_source(graph, runs[0].feeds)]
    frag = fragments(bug.error) if stage == "export" and not bug.dies else []
    convert = f"proto, _ = tf2onnx.convert.from_function(compute, input_signature=compute.input_signature, opset={opset})"
    if stage == "export":
        make = ["    try:", f"        {convert}", "    except Exception as e:",
                "        print('tf2onnx raises', type(e).__name__, str(e)[:2000])",
                f"        return {'1 if ' + error_test(frag) + ' else 2' if frag else '1'}",
                "    print('tf2onnx converts the function: fixed')", "    return 0"]
    else:  # a conversion that raises is another failure: __main__ exits 2 for it
        make = [f"    {convert}"]
    # tf2onnx names the ONNX inputs after the TensorSpecs ("x0:0"): feed them by position
    make += ["    model = proto.SerializeToString()",
             "    names = [i.name for i in proto.graph.input]"]
    imports = ["import os", "os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')  # TensorFlow's start-up chatter",
               "os.environ.setdefault('TF_ENABLE_ONEDNN_OPTS', '0')  # oneDNN off: its fused kernels round differently from the reference kernels onnxfuzz compared against",
               "import tensorflow as tf", "import tf2onnx"]
    source, files = build_repro(bug, runs, names, prelude, make, imports=imports, notes=notes, needs_inputs=True)
    for feeds in ("inputs", "INPUTS"):
        source = source.replace(f"run_model(model, {feeds})", f"run_model(model, dict(zip(names, {feeds}.values())))")
    return source, files


def tf_trigger(source: str) -> str:
    """The TensorFlow calls of a tf_function_source, for a title. A function of casts only is
    told by its dtypes ("tf.cast float32 -> int64 -> bool"): a cast's target is its trigger."""
    import re

    calls = []
    for name, args in re.findall(r"= (tf\.[\w.]+)\((.*)\)$", source, flags=re.M):
        # a keyword set to other than its default is often the trigger: transpose_b=True, axis=[0]
        said = [k for k in re.findall(r"\b(\w+=(?:\[[^\]]*\]|[^,\s)]+))", args) if not k.startswith(("dtype=", "name="))]
        call = f"{name}({', '.join(said)})" if said and name != "tf.cast" else name
        if call not in calls and name != "tf.constant":
            calls.append(call)
    if calls == ["tf.cast"]:
        first = re.search(r"tf\.TensorSpec\([^,]*, tf\.(\w+)", source)
        targets = re.findall(r"= tf\.cast\([^,]*, tf\.(\w+)\)", source)
        if first and targets:
            return "tf.cast " + " -> ".join([first.group(1), *targets])
    return " -> ".join([c for c in calls if c != "tf.cast"] or calls)

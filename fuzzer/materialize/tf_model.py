"""The TensorFlow frontend: an IR graph as a tf.function, for tf2onnx to convert.

Each op's TensorFlow lowering lives on its spec (the `tf` hook, fuzzer.ops);
this module only imports TensorFlow and walks the graph, handing every spec a
TfLoweringContext. The lowerings compute exactly the torch function the IR
means (integer division, rounding, reduce and keepdim rules, NCHW layout) with
the TensorFlow ops a TF model author would use.
"""
from __future__ import annotations

import os

from fuzzer.ir import DType
from fuzzer.ops import get_spec

# float16/bfloat16 math that TF has no CPU kernel for (or computes at half precision where
# torch computes in float32 and rounds once) is done in float32, as torch's CPU kernels do
HALF = (DType.float16, DType.bfloat16)
# integer types TF's CPU kernels mostly lack; their arithmetic is done in int64 and wrapped
# back by the cast, which is the same modular result torch's wrapping gives
NARROW_INTS = (DType.int8, DType.int16, DType.uint8)


def import_tf():
    """TensorFlow, imported quietly and confined to one thread per pool (campaign workers
    share the machine's cores)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # Eigen kernels: no oneDNN rewrites of the rounding
    import tensorflow as tf

    if not getattr(import_tf, "configured", False):
        tf.get_logger().setLevel("ERROR")  # retracing notices: every case builds a new function
        try:
            tf.config.threading.set_inter_op_parallelism_threads(1)
            tf.config.threading.set_intra_op_parallelism_threads(1)
        except RuntimeError:  # already initialized by someone else in this process: keep theirs
            pass
        import_tf.configured = True
    return tf


def tf_dtype(tf, dtype: DType):
    return getattr(tf, DType(dtype).value)


class TfLoweringContext:
    """fuzzer.ops.TfContext: the tensorflow module, dtypes, and the one widening rule."""

    def __init__(self, tf) -> None:
        self.tf = tf
        self._half = [tf_dtype(tf, d) for d in HALF]
        self._narrow = [tf_dtype(tf, d) for d in NARROW_INTS]

    def dtype(self, dtype: DType):
        return tf_dtype(self.tf, dtype)

    def widen(self, fn, *xs, floats: bool = True, ints: bool = True):
        """fn(*xs) with same-dtype operands computed in float32 (16-bit floats, when floats) or
        int64 (int8/int16/uint8, when ints), and the result cast back to their dtype."""
        tf, dtype = self.tf, xs[0].dtype
        if floats and dtype in self._half:
            wide = tf.float32
        elif ints and dtype in self._narrow:
            wide = tf.int64
        else:
            return fn(*xs)
        return tf.cast(fn(*[tf.cast(x, wide) for x in xs]), dtype)


class LoweringMismatch(Exception):
    """A TF lowering produced a type other than the spec infers: a bug in that spec."""


def build_tf_function(graph):
    """graph as a tf.function over its inputs (in graph.inputs order), returning its outputs
    as a list, at the IR dtypes.

    Returns:
        fn, with an input_signature whose TensorSpec names are the input names (the
        graph's constants are baked in as tf.constant).

    Raises:
        NotImplementedError: an op of the graph has no TF lowering.
        LoweringMismatch: (when traced) a lowering's result differs from the inferred type.
    """
    return build_tf_batch_function([graph], [""])


def build_tf_batch_function(graphs: list, prefixes: list[str]):
    """Several independent graphs as one tf.function (a batched export): its inputs are every
    graph's inputs in order, graph after graph, each named prefix + input name, and it returns
    every graph's outputs the same way, the identities named prefix + "out<i>". With one graph
    and prefix "" it is build_tf_function's. Raises as build_tf_function does."""
    missing = sorted({n.op_type for g in graphs for n in g.op_nodes if not get_spec(n.op_type).has_tf})
    if missing:
        raise NotImplementedError(f"no TensorFlow lowering for op(s): {', '.join(missing)}")
    tf = import_tf()
    ctx = TfLoweringContext(tf)
    signature = [tf.TensorSpec(v.type.shape, tf_dtype(tf, v.type.dtype), name=p + v.name)
                 for g, p in zip(graphs, prefixes) for v in g.inputs]

    def body(*args):
        outputs, start = [], 0
        for graph, prefix in zip(graphs, prefixes):
            arity = len(graph.inputs)
            if prefix:  # node names carry the graph's prefix, so an error names its graph
                with tf.name_scope(prefix):
                    outputs.extend(_lower(tf, ctx, graph, args[start:start + arity], prefix))
            else:
                outputs.extend(_lower(tf, ctx, graph, args[start:start + arity], prefix))
            start += arity
        return outputs

    return tf.function(body, input_signature=signature, autograph=False)


def _lower(tf, ctx, graph, args, prefix: str) -> list:
    """graph's outputs computed by its ops' TF lowerings from args (its inputs, in order)."""
    env = dict(zip(graph.inputs, args))
    for node in graph.consts:
        v = node.outputs[0]
        env[v] = tf.constant(node.value, dtype=tf_dtype(tf, v.type.dtype))
    for node in graph.op_nodes:
        ins = node.inputs
        result = get_spec(node.op_type).tf(ctx, node.attrs, [env[v] for v in ins], [v.type for v in ins])
        results = list(result) if isinstance(result, (tuple, list)) else [result]
        if len(results) != len(node.outputs):
            raise LoweringMismatch(f"{node.op_type}: {len(results)} results for {len(node.outputs)} outputs")
        for v, r in zip(node.outputs, results):
            got = (tuple(r.shape.as_list()), r.dtype.name)
            want = (tuple(v.type.shape), tf_dtype(tf, v.type.dtype).name)
            if got != want:
                raise LoweringMismatch(f"{node.op_type} {node.attrs}: TF gives {got}, the spec infers {want}")
            env[v] = r
    return [tf.identity(env[v], name=f"{prefix}out{i}") for i, v in enumerate(graph.outputs)]


def run_tf(graph, inputs: dict) -> list:
    """graph evaluated in TensorFlow on inputs {name: array}: one numpy array per output."""
    fn = build_tf_function(graph)
    tf = import_tf()
    args = [tf.constant(inputs[v.name], dtype=tf_dtype(tf, v.type.dtype)) for v in graph.inputs]
    return [t.numpy() for t in fn(*args)]


__all__ = ["LoweringMismatch", "TfLoweringContext", "build_tf_batch_function", "build_tf_function", "import_tf", "run_tf", "tf_dtype"]

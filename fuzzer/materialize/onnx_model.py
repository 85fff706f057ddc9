"""Graph -> onnx.ModelProto directly, without torch: the direct ONNX frontend.

Each op spec's `onnx` hook emits the nodes for one IR node through an
OnnxContext, at the opset the case chose. This reaches the ops torch never
emits (BitShift, GatherND, Loop, ...) and lets the ONNX-to-ONNX converters and
the runtimes be fuzzed on them. Graph inputs keep their IR names and the
outputs are named out0, out1, ... exactly as the torch exporters name them, so
every runtime path treats a direct model like an exported one.

`truth=True` renders every float tensor as float64 (as the torch materializer
does); it exists for tests of the lowerings, not for the campaign, whose truth
is always torch eager.
"""
from __future__ import annotations

from typing import Callable, Iterable

import numpy as np

from fuzzer.ir import CONST, DType, Graph, TensorType
from fuzzer.errors import OlderFormMissing
from fuzzer.materialize.opset_forms import OLDER_OP, older_form
from fuzzer.materialize.defaults import node_key, spell_defaults
from fuzzer.ops import get_spec
from fuzzer.ops.lowering import Lit, cast, compute_dtype, onnx_elem_type


#: ops whose first output has their first input's rank
SAME_RANK = frozenset({
    "Cast", "Identity", "Neg", "Abs", "Relu", "Exp", "Log", "Sigmoid", "Tanh", "Sqrt", "Reciprocal", "Floor",
    "Ceil", "Round", "Sign", "Erf", "Not", "Softmax", "LogSoftmax", "Hardmax", "Transpose", "Clip", "LeakyRelu",
    "Elu", "Selu", "Softplus", "Softsign", "HardSigmoid", "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "IsNaN",
    "IsInf", "CumSum", "Dropout"})
#: ops whose first output has their first input's dtype
SAME_DTYPE = (SAME_RANK - {"Cast", "IsNaN", "IsInf", "Not"}) | {
    "Reshape", "Squeeze", "Unsqueeze", "Flatten", "Expand", "Tile", "Slice", "Concat", "Gather", "Pad", "MaxPool",
    "AveragePool", "Add", "Sub", "Mul", "Div", "Max", "Min"}
#: ops whose output has the highest rank of their inputs (they broadcast)
BROADCASTING = frozenset({"Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Mean", "Where", "Equal",
                          "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor", "Mod", "PRelu"})


def ir_dtype(elem: int) -> DType | None:
    """The IR dtype of an ONNX element type (Cast's `to`), None for one the IR lacks."""
    return next((d for d in DType if onnx_elem_type(d) == elem), None)


class OnnxContext:
    """fuzzer.ops.OnnxContext: what an op's `onnx` hook may ask of the materializer.

    node(op, inputs, outputs, **attrs)   add a node; outputs are names, or a count for fresh names
    const(array, dtype)                  an initializer holding array; returns its name (exact=True:
                                         in the array's own dtype, even in truth mode)
    ints(values)                         a 1-D int64 initializer (axes, shapes, pads, ...)
    scalar(value, dtype)                 a 0-d initializer
    subgraph(inputs, build)              a GraphProto for If/Loop/Scan bodies
    widen(op, inputs, outs, dtype, ...)  one node, computed in a dtype its schema takes at opset
    opset, truth, elem(dtype)            the target opset; float64 mode; an ONNX element type
    types[name]                          the IR TensorType of every operand and output name
    symbolic                             the model has dynamic dims: bodies declare ranks only
    """

    def __init__(self, opset: int, truth: bool = False, prefix: str = "", symbolic: bool = False) -> None:
        self.opset = opset
        self.truth = truth
        #: the model declares some input dims dynamic, so it runs at sizes other than the
        #: ones in `types`: subgraph inputs and outputs then declare their rank, not their dims
        #: (a fixed dim there would contradict the value it holds at another size)
        self.symbolic = symbolic
        self.nodes: list = []
        self.initializers: list = []
        self.types: dict[str, TensorType] = {}
        self._prefix = prefix
        self._counter = [0]  # shared with subgraph contexts so every name is unique
        #: the value of every initializer made here, by name (shared with subgraph contexts): an
        #: older opset takes some constant operands as attributes (opset_forms)
        self._consts: dict[str, np.ndarray] = {}
        #: the rank and dtype of intermediate values whose op keeps them known (rank_of, dtype_of)
        self._ranks: dict[str, int] = {}
        self._dtypes: dict[str, DType] = {}

    # -- names and types ------------------------------------------------------
    def fresh(self, hint: str = "t") -> str:
        self._counter[0] += 1
        return f"{self._prefix}_{hint}{self._counter[0]}"

    def dtype(self, dtype: DType) -> DType:
        dtype = DType(dtype)
        return DType.float64 if self.truth and dtype.is_float else dtype

    def elem(self, dtype: DType) -> int:
        return onnx_elem_type(self.dtype(dtype))

    def value_info(self, name: str, t: TensorType, shape=None):
        from onnx import helper

        return helper.make_tensor_value_info(name, self.elem(t.dtype), list(t.shape) if shape is None else shape)

    # -- building -------------------------------------------------------------
    def node(self, op_type: str, inputs: Iterable[str], outputs: "int | Iterable[str]" = 1,
             *, domain: str = "", **attrs) -> list[str]:
        """Add a node; returns its output names. Attributes whose value is None are left out,
        and "" in inputs marks an omitted optional input."""
        from onnx import helper

        names = [self.fresh(op_type.lower()) for _ in range(outputs)] if isinstance(outputs, int) else list(outputs)
        attrs = {k: v for k, v in attrs.items() if v is not None}
        inputs, around = list(inputs), None
        self._note_ranks(op_type, inputs, names, attrs)
        if not domain:  # the form of the op version in force at the target opset
            op_type, inputs, attrs, around = older_form(op_type, inputs, attrs, self.opset, self, len(names))
        if around is None:
            self.nodes.append(helper.make_node(op_type, inputs, names, name=self.fresh("n"), domain=domain or None, **attrs))
            return names
        inner_in, inner_out = self.fresh("t"), self.fresh("t")
        self.nodes.append(helper.make_node("Transpose", inputs[:1], [inner_in], name=self.fresh("n"), perm=around))
        self.nodes.append(helper.make_node(op_type, [inner_in], [inner_out], name=self.fresh("n"), **attrs))
        self.nodes.append(helper.make_node("Transpose", [inner_out], names[:1], name=self.fresh("n"), perm=around))
        return names

    def rank_of(self, name: str) -> int | None:
        """The rank of a value: an IR operand's, or one the ops that made it keep (None when
        unknown). An older opset needs it to make axes non-negative, or to flatten at an axis."""
        t = self.types.get(name)
        return t.rank if t is not None else self._ranks.get(name)

    def dtype_of(self, name: str) -> DType | None:
        """The dtype of a value: an IR operand's, or one the ops that made it keep (None when
        unknown). An older opset needs it to tell a dtype the version does not take."""
        t = self.types.get(name)
        return t.dtype if t is not None else self._dtypes.get(name)

    def _note_ranks(self, op: str, inputs: list[str], outs: list[str], attrs: dict) -> None:
        first = self.dtype_of(inputs[0]) if inputs and inputs[0] else None
        if op == "Cast":
            self._dtypes[outs[0]] = ir_dtype(attrs.get("to"))
        elif first is not None and op in SAME_DTYPE:
            self._dtypes[outs[0]] = first
        ranks = [self.rank_of(x) for x in inputs if x]
        if not ranks or None in ranks[:1]:
            return
        if op in SAME_RANK:
            self._ranks[outs[0]] = ranks[0]
        elif op in BROADCASTING and None not in ranks:
            self._ranks[outs[0]] = max(ranks)
        elif op == "MatMul" and None not in ranks and min(ranks) >= 2:
            self._ranks[outs[0]] = max(ranks)
        elif op in ("Unsqueeze", "Squeeze") and len(inputs) > 1 and inputs[1] in self._consts:
            k = self._consts[inputs[1]].size
            self._ranks[outs[0]] = ranks[0] + (k if op == "Unsqueeze" else -k)

    def constant(self, name: str) -> np.ndarray | None:
        """The value of the initializer name, None for any other value."""
        return self._consts.get(name)

    def const(self, array, dtype: DType | None = None, *, exact: bool = False) -> str:
        from onnx import numpy_helper

        a = np.asarray(array)
        if exact:
            pass  # the array's own dtype, even in truth mode (Resize's scales are float32)
        elif dtype is not None:
            a = a.astype(self.dtype(dtype).numpy)
        elif self.truth and a.dtype.kind == "f":
            a = a.astype(np.float64)
        name = self.fresh("c")
        tensor = numpy_helper.from_array(a, name)  # bfloat16 too: onnx reads ml_dtypes arrays
        self.initializers.append(tensor)
        self._consts[name] = a
        return name

    def ints(self, values) -> str:
        return self.const(np.asarray(list(values), dtype=np.int64))

    def scalar(self, value, dtype: DType) -> str:
        return self.const(np.asarray(value, dtype=self.dtype(dtype).numpy))

    def widen(self, op: str, inputs: Iterable, outs: "int | Iterable[str]", dtype: DType | None = None, *,
              out_dtype: DType | None = None, keep: Iterable[int] = (), keep_outs: Iterable[int] = (),
              index: int | None = None, **attrs) -> list[str]:
        """Add op on inputs of dtype `dtype`, computing in a dtype op accepts at this opset: the
        dtype itself where the schema takes it, else the first of fuzzer.ops.lowering.WIDER[dtype]
        it takes (exact for a case's values), with Casts around. The one widening rule of the
        direct ONNX frontend (TfLoweringContext.widen is its TF twin).

        inputs: names of dtype `dtype` (default: the dtype of the input `index`, or the first),
        except positions in keep, passed as they are (indices, axes, a bool condition); "" for
        an omitted optional input; Lit(value) for a constant made in the compute dtype.
        outs: names or a count. Outputs are cast back to `dtype` from the compute dtype, except
        positions in keep_outs (TopK's int64 indices) and all of them when out_dtype is another
        dtype than `dtype` (Equal and IsNaN give bool). index: the input whose schema type
        decides the compute dtype (Where's is 1: its 0 is the bool condition).
        Returns the output names.
        """
        inputs, keep, keep_outs = list(inputs), set(keep), set(keep_outs)
        if dtype is None:
            dtype = self.types[inputs[index or 0]].dtype
        ct = compute_dtype(self, dtype, op, index=index)
        ins = []
        for i, a in enumerate(inputs):
            if isinstance(a, Lit):
                ins.append(self.scalar(a.value, ct) if isinstance(a.value, (bool, int, float)) else self.const(a.value, ct))
            elif a == "" or i in keep:
                ins.append(a)
            else:
                ins.append(cast(self, a, dtype, ct))
        back = (out_dtype is None or self.dtype(out_dtype) == self.dtype(dtype)) and ct != self.dtype(dtype)
        if not back:
            return self.node(op, ins, outs, **attrs)
        n = outs if isinstance(outs, int) else len(list(outs))
        if keep_outs:
            final = [self.fresh(op.lower()) for _ in range(n)] if isinstance(outs, int) else list(outs)
            tmp = [final[i] if i in keep_outs else self.fresh(op.lower()) for i in range(n)]
            self.node(op, ins, tmp, **attrs)
        else:
            tmp = self.node(op, ins, n, **attrs)
            final = [self.fresh(op.lower()) for _ in range(n)] if isinstance(outs, int) else list(outs)
        for i, (t, f) in enumerate(zip(tmp, final)):
            if i not in keep_outs:
                self.node("Cast", [t], [f], to=self.elem(dtype))
        return final

    def subgraph(self, inputs: list[tuple[str, TensorType]], build: Callable[["OnnxContext", list[str]], list[tuple[str, TensorType]]],
                 name: str = "body", input_shapes: list | None = None):
        """A GraphProto: build(sub_ctx, input_names) emits nodes and returns [(output name, type)].

        inputs: (name hint, type) per subgraph input; input_shapes overrides their shapes
        (Loop bodies take a rank-0 iteration count and a condition). Outer values may be
        referenced by name inside, as ONNX scoping allows. In a symbolic context every
        input and output of the subgraph declares its rank only.
        """
        from onnx import helper

        sub = OnnxContext(self.opset, self.truth, prefix=self.fresh(name), symbolic=self.symbolic)
        sub._counter, sub._consts, sub._ranks, sub._dtypes = self._counter, self._consts, self._ranks, self._dtypes
        sub.types = dict(self.types)
        names = [sub.fresh(hint) for hint, _ in inputs]
        sub.types.update({n: t for n, (_, t) in zip(names, inputs)})
        outs = build(sub, names)

        def shape(t: TensorType, given=None):
            if given is not None:
                return given
            return [None] * t.rank if self.symbolic else None

        in_infos = [sub.value_info(n, t, shape(t, None if input_shapes is None else input_shapes[i]))
                    for i, (n, (_, t)) in enumerate(zip(names, inputs))]
        out_infos = [sub.value_info(n, t, shape(t)) for n, t in outs]
        return helper.make_graph(sub.nodes, sub._prefix, in_infos, out_infos, initializer=sub.initializers)


def model_proto(graph: Graph, opset: int, *, truth: bool = False, dynamic: dict[str, dict[int, str]] | None = None):
    """The ONNX model of graph at opset (default domain only).

    dynamic: {input name: {axis: symbol}} dims to declare symbolic instead of fixed.
    Raises NotImplementedError when an op of the graph has no onnx lowering.
    """
    import onnx
    from onnx import helper

    ctx = OnnxContext(opset, truth, symbolic=bool(dynamic))
    names: dict = {}
    for node in graph.consts:
        v = node.outputs[0]
        names[v] = ctx.const(node.value, v.type.dtype)
    for i, v in enumerate(graph.outputs):
        names[v] = f"out{i}"
    for v in graph.inputs:
        names[v] = v.name
    for node in graph.op_nodes:
        spec = get_spec(node.op_type)
        if not spec.has_onnx:
            raise NotImplementedError(f"op {node.op_type!r} has no ONNX lowering")
        args = [names[v] for v in node.inputs]
        outs = [names.setdefault(v, ctx.fresh(node.op_type)) for v in node.outputs]
        ctx.types.update({names[v]: v.type for v in (*node.inputs, *node.outputs)})
        first = len(ctx.nodes)
        spec.onnx(ctx, node.attrs, args, outs)
        spell_defaults(ctx.nodes[first:], node_key(node), opset)  # some defaults written out, by a hash of node
    dynamic = dynamic or {}

    def shape(v):
        dims = dynamic.get(v.name, {})
        return [dims.get(i, d) for i, d in enumerate(v.type.shape)]

    inputs = [ctx.value_info(v.name, v.type, shape(v)) for v in graph.inputs]
    outputs = [ctx.value_info(f"out{i}", v.type, None if not dynamic else [None] * v.type.rank)
               for i, v in enumerate(graph.outputs)]
    g = helper.make_graph(ctx.nodes, "onnxfuzz", inputs, outputs, initializer=ctx.initializers)
    opset_ids = [helper.make_opsetid("", opset)]
    model = helper.make_model(g, opset_imports=opset_ids, producer_name="onnxfuzz")
    # IR 4 at least: IR 3 (opsets 7 and 8) lists every initializer among the graph inputs, which
    # would make them inputs every runtime lets a caller override
    model.ir_version = max(helper.find_min_ir_version_for(opset_ids, ignore_unknown=True), 4)
    return model


def lowest_opset(graph: Graph, newest: int | None = None) -> int:
    """The oldest opset at which graph's direct model can be built: no older than any node's
    opset_floor (its spec's knowledge), than the first version of any op its lowering emits
    (Where from 9, Range from 11), nor than an opset where a node has no form (opset_forms)."""
    import onnx.defs

    from fuzzer.ops import graph_opset_floor
    from fuzzer.ops.base import first_version

    newest = newest or onnx.defs.onnx_opset_version()
    floor = min(graph_opset_floor(graph), newest)
    emitted = set()

    def walk(g):
        for n in g.node:
            emitted.add(n.op_type)
            for a in n.attribute:
                for sub in ([a.g] if a.HasField("g") else []) + list(a.graphs):
                    walk(sub)

    walk(model_proto(graph, newest).graph)
    floor = max([floor] + [OLDER_OP.get(op) or first_version(op) for op in emitted])
    for opset in range(min(floor, newest), newest):
        try:
            model_proto(graph, opset)
            return opset
        except OlderFormMissing:
            continue
    return newest


__all__ = ["OnnxContext", "lowest_opset", "model_proto", "onnx_elem_type"]

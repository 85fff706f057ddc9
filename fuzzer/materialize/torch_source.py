"""Graph -> Python source of a torch.nn.Module.

The campaign executes this very text to get its module, and a repro embeds it,
so the model a maintainer reads is exactly the model that failed. Weights are
registered as buffers, so both exporters turn them into initializers.

`truth=True` renders every float dtype as float64: the same function computed
in double precision, the ground truth the oracles judge against.
"""
from __future__ import annotations

from fuzzer.ir import CONST, DType, Graph
from fuzzer.materialize.exactness import moves_operands, moves_result
from fuzzer.ops import get_spec

HEADER = "import torch\nimport torch.nn.functional as F\n"


class TorchSourceContext:
    """fuzzer.ops.TorchContext for torch source: in ground-truth mode every float dtype
    renders as float64, so the same source computes the float64 reference."""

    def __init__(self, truth: bool = False) -> None:
        self.truth = truth

    def dtype(self, dtype: DType) -> str:
        dtype = DType(dtype)
        if self.truth and dtype.is_float:
            return "torch.float64"
        return f"torch.{dtype.value}"


def module_source(graph: Graph, *, truth: bool = False, class_name: str = "Model") -> str:
    """Source defining `class_name(consts)`; consts maps const value names to tensors."""
    ctx = TorchSourceContext(truth=truth)
    inputs = [v.name for v in graph.inputs]
    body: list[str] = []
    wiggled: list[str] = []
    for node in graph.op_nodes:
        spec = get_spec(node.op_type)
        args = [_ref(v) for v in node.inputs]
        expr = spec.torch(ctx, node.attrs, args)
        outs = [v.name for v in node.outputs]
        target = outs[0] if len(outs) == 1 else ", ".join(outs)
        body.append(f"{target} = {expr}")
        if moves_operands(spec, node):
            # each operand moved once, however often the op reads it (x - x stays 0)
            moved = {a: f"_in{k}" for k, a in enumerate(dict.fromkeys(args))}
            wiggled += [f"{m} = _w({a})" for a, m in moved.items()]
            wiggled.append(f"{target} = {spec.torch(ctx, node.attrs, [moved[a] for a in args])}")
        else:
            wiggled.append(f"{target} = {expr}")
        if moves_result(spec):
            wiggled.append(f"{target} = {', '.join(f'_w({o})' for o in outs)}")
    result = ", ".join(v.name for v in graph.outputs)
    consts = [n.outputs[0].name for n in graph.consts]
    lines = [
        f"class {class_name}(torch.nn.Module):",
        "    def __init__(self, consts):",
        "        super().__init__()",
        *(f"        self.register_buffer({c!r}, consts[{c!r}])" for c in consts),
        "",
        f"    def forward(self, {', '.join(inputs)}):",
        *(f"        {line}" for line in body),
        f"        return ({result},)",
        "",
        f"    def trace(self, {', '.join(inputs)}):",
        '        """Every intermediate value, by name (the ground truth checks them for overflow)."""',
        *(f"        {line}" for line in body),
        "        return {k: v for k, v in locals().items() if k != 'self'}",
        "",
        f"    def wiggled(self, _w, {', '.join(inputs)}):",
        '        """forward, with every computing op\'s result, and a multi-step op\'s operands, passed through _w (the truth\'s sensitivity to rounding inside the graph)."""',
        *(f"        {line}" for line in wiggled),
        f"        return ({result},)",
    ]
    if not consts:
        lines.insert(3, "        pass")
    return "\n".join(lines) + "\n"


def _ref(v) -> str:
    # constants live on the module, so tracing exporters see them as initializers
    return f"self.{v.name}" if v.producer().op_type == CONST else v.name


def repro_model_source(graph: Graph) -> str:
    """Both models a repro needs: Model (as exported) and TruthModel (its float64 twin),
    with build_model() and build_truth_model() over one embedded set of weights."""
    import base64

    weights = []
    for n in graph.consts:
        a = n.value
        blob = base64.b64encode(a.tobytes()).decode()
        weights.append(f"    {n.outputs[0].name!r}: _tensor({blob!r}, {a.dtype.name!r}, {tuple(a.shape)!r}),")
    return (
        module_source(graph)
        + "\n\n"
        + module_source(graph, truth=True, class_name="TruthModel")
        + "\n\ndef _tensor(b64, dtype, shape):\n"
        + "    raw = base64.b64decode(b64)\n"
        + "    if dtype == 'bfloat16':  # numpy has no bfloat16 of its own: rebuild it from the bits\n"
        + "        return torch.from_numpy(np.frombuffer(raw, dtype=np.int16).reshape(shape).copy()).view(torch.bfloat16)\n"
        + "    return torch.from_numpy(np.frombuffer(raw, dtype=dtype).reshape(shape).copy())\n\n\n"
        + "CONSTS = {\n" + "\n".join(weights) + "\n}\n"
        + "\n\ndef build_model():\n    return Model(CONSTS).eval()\n"
        + "\n\ndef build_truth_model():\n"
        + "    return TruthModel({k: v.double() if v.is_floating_point() else v for k, v in CONSTS.items()}).eval()\n"
    )


__all__ = ["HEADER", "TorchSourceContext", "module_source", "repro_model_source"]

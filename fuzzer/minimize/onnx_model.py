"""Reduce an external ONNX model (one onnxfuzz did not generate) while a failure holds.

Unlike cutting a graph at its ends, any node may go: its consumers are fed
from one of its own inputs of the same type (a bypass) or from a new graph
input (a cut), outputs that do not show the failure are dropped, and graph
input dims are halved. What "holds" means is the caller's: `onnxfuzz check`
and `reduce model.onnx` keep a candidate while the campaign's oracle still
gives the same verdict (fuzzer.check.Checker.holds); `reduce --check CMD` while
the user's command exits 1 on the candidate's path.
"""
from __future__ import annotations

import shlex
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Callable

import numpy as np

from fuzzer.errors import UsageError


def reduce_onnx_file(path: Path, output: Path | None, check_cmd: str, max_seconds: float) -> dict:
    """Reduce the model at path while `check_cmd <candidate.onnx>` exits 1 (reduce --check)."""
    import onnx

    try:
        model = onnx.load(str(path))
        onnx.checker.check_model(model)
    except Exception as e:
        raise UsageError(f"{path}: not a valid ONNX model: {type(e).__name__}: {e}") from None
    check = _command_check(check_cmd)
    t0 = time.perf_counter()
    original = len(model.graph.node)
    if not check(model):
        return {"reproduced": False, "original_nodes": original, "nodes": original, "candidates": 1,
                "seconds": time.perf_counter() - t0, "output": None}
    best, candidates = reduce_model(model, check, max_seconds)
    out = output or path.with_name(path.stem + ".reduced.onnx")
    onnx.save(best, str(out))
    return {"reproduced": True, "original_nodes": original, "nodes": len(best.graph.node), "candidates": candidates,
            "seconds": round(time.perf_counter() - t0, 2), "output": str(out)}


def reduce_model(model, holds: Callable, max_seconds: float) -> tuple:
    """(the smallest model found on which holds(candidate) is still true, candidates tried).
    model itself must satisfy holds. Greedy: the first smaller candidate that holds is kept,
    and candidates are drawn again from it, until none holds or time runs out."""
    t0 = time.perf_counter()
    best, candidates = model, 0
    progress = True
    while progress and time.perf_counter() - t0 < max_seconds:
        progress = False
        for cand in _candidates(best):
            candidates += 1
            if holds(cand):
                best, progress = cand, True
                break
            if time.perf_counter() - t0 >= max_seconds:
                break
    return best, candidates


def _candidates(model):
    """Smaller models: fewer outputs, then one node fewer (making a graph output: its inputs made the
    outputs instead; bypassed, cut into an input, or, producing a graph output, an Identity of a
    new input), then one optional input fewer, then smaller input dims."""
    import onnx

    inferred = onnx.shape_inference.infer_shapes(model)
    types = {vi.name: vi.type for vi in list(inferred.graph.value_info) + list(inferred.graph.input) + list(inferred.graph.output)}
    types.update({i.name: onnx.helper.make_tensor_type_proto(i.data_type, list(i.dims)) for i in model.graph.initializer})
    outputs = list(model.graph.output)
    outputs_named = {o.name for o in outputs}
    initialized = {i.name for i in model.graph.initializer}
    if len(outputs) > 1:
        for keep in [outputs[: len(outputs) // 2], outputs[len(outputs) // 2:]] + [[o] for o in outputs]:
            c = _copy(model)
            del c.graph.output[:]
            c.graph.output.extend(keep)
            yield _prune(c)
    yield from _outputs_moved_up(model, types, initialized)
    for index in reversed(range(len(model.graph.node))):
        node = model.graph.node[index]
        # a bypass through each input in turn: through the first, an output may become a graph input
        bypasses = [("bypass", k) for k in range(len(node.input))]
        for mode, k in [*bypasses, ("cut", 0), ("identity", 0)]:
            c = _copy(model)
            n = c.graph.node[index]
            rename = {}
            for out in n.output:
                if not out:
                    continue
                if mode == "bypass":
                    same = [i for i in n.input if i and i in types and out in types and types[i] == types[out]]
                    if not same and out in outputs_named:
                        # an input of a type inference cannot tell (a contrib op's output) may stand in
                        # for a graph output, its declared shape dropped; a wrong guess fails to load
                        same = [i for i in n.input if i and i not in types and i not in initialized]
                    if len(same) <= k:
                        break
                    rename[out] = same[k]
                elif mode == "identity":
                    # a graph output stays an output: an Identity of a new input of its type stands in for
                    # the node (and its weights), where a cut would turn the output into an input
                    if (n.op_type == "Identity" or out not in types or len(n.output) != 1
                            or not any(o.name == out for o in c.graph.output)):
                        break
                    c.graph.input.append(onnx.helper.make_value_info(out + "__in", types[out]))
                    c.graph.node.insert(index + 1, onnx.helper.make_node("Identity", [out + "__in"], [out]))
                else:
                    if out not in types:
                        break
                    c.graph.input.append(onnx.helper.make_value_info(out + "__cut", types[out]))
                    rename[out] = out + "__cut"
            else:
                del c.graph.node[index]
                for other in c.graph.node:
                    for k, name in enumerate(other.input):
                        if name in rename:
                            other.input[k] = rename[name]
                for o in c.graph.output:
                    if o.name in rename:
                        if rename[o.name] not in types:
                            o.type.tensor_type.ClearField("shape")
                        o.name = rename[o.name]  # the value now comes from the bypass or the cut
                if any(o.name in {i.name for i in c.graph.input} for o in c.graph.output):
                    continue  # an output that is a graph input says nothing
                yield _prune(c)
        del node
    yield from _without_optional_inputs(model)
    yield from _in_subgraphs(model)
    yield from _folded(model)
    yield from _smaller_inputs(model)


def _outputs_moved_up(model, types: dict, initialized: set):
    """The model without a node that makes a graph output, its own inputs (those another node
    computes, of a type shape inference knows) made the graph's outputs instead: the last op
    of DequantizeLinear -> Reshape -> ArgMax goes even where no input of ArgMax has its
    output's type, which a bypass needs."""
    import onnx

    inputs = {i.name for i in model.graph.input}
    for index in reversed(range(len(model.graph.node))):
        node = model.graph.node[index]
        made = [o for o in model.graph.output if o.name in set(node.output)]
        if not made:
            continue
        new = []
        for name in node.input:
            if name and name not in initialized and name not in inputs and name in types and name not in new:
                new.append(name)
        if not new:
            continue
        c = _copy(model)
        kept = [o for o in c.graph.output if o.name not in set(node.output)]
        named = {o.name for o in kept}
        del c.graph.output[:]
        c.graph.output.extend(kept)
        c.graph.output.extend(onnx.helper.make_value_info(n, types[n]) for n in new if n not in named)
        del c.graph.node[index]
        yield _prune(c)


def _in_subgraphs(model):
    """Smaller bodies of the nodes that hold graphs (Loop, If, Scan): one body node fewer (an
    Identity bypassed, its input standing for its output, a body output too; or a node no body
    output needs), or, for a Loop, one loop-carried value fewer (its initial value, body input,
    body output and the Loop's final value all go). A Loop of three Identities and a carried
    value that shows a scan output's wrong shape shows it with one Identity and none carried.
    A carried value goes first: bypassing the Identities first would tie the scan output to it."""
    import onnx

    for index, node in enumerate(model.graph.node):
        for a_index, attr in enumerate(node.attribute):
            if attr.type != onnx.AttributeProto.GRAPH:
                continue
            if node.op_type == "Loop" and attr.name == "body":
                carried = len(node.input) - 2
                for k in reversed(range(max(carried, 0))):
                    c = _copy(model)
                    n = c.graph.node[index]
                    g = n.attribute[a_index].g
                    if len(g.input) != carried + 2 or len(g.output) < carried + 1 or len(n.output) < carried:
                        break
                    ins = list(n.input)
                    initial = ins.pop(2 + k)
                    del n.input[:]
                    n.input.extend(ins)
                    # the body reads the initial value from the outer scope where it read the carried one
                    _rename(g, g.input[2 + k].name, initial)
                    gone = n.output[k]
                    outs = list(n.output)
                    del outs[k]
                    del n.output[:]
                    n.output.extend(outs)
                    del g.input[2 + k]
                    del g.output[1 + k]
                    if any(o.name == gone for o in c.graph.output) or any(gone in m.input for m in c.graph.node):
                        continue  # the carried value's final value is used: it cannot go
                    _prune_body(g)
                    yield _prune(c)
            body = attr.g
            for b_index in reversed(range(len(body.node))):
                inner = body.node[b_index]
                if inner.op_type != "Identity" or len(inner.input) != 1 or not inner.input[0]:
                    continue
                c = _copy(model)
                g = c.graph.node[index].attribute[a_index].g
                old, new = inner.output[0], inner.input[0]
                del g.node[b_index]
                _rename(g, old, new)
                yield _prune(c)


def _rename(g, old: str, new: str) -> None:
    """Every read of value `old` in graph g (its nodes' inputs and its outputs) reads `new` instead."""
    for node in g.node:
        for k, name in enumerate(node.input):
            if name == old:
                node.input[k] = new
    for o in g.output:
        if o.name == old:
            o.name = new


def _read_in_subgraphs(node) -> set:
    """The names the graphs node holds read (an outer-scope name among them), nested ones too."""
    names = set()
    for a in node.attribute:
        for g in [a.g] if a.HasField("g") else list(a.graphs):
            for m in g.node:
                names.update(i for i in m.input if i)
                names.update(_read_in_subgraphs(m))
            names.update(o.name for o in g.output)
    return names


def _prune_body(graph) -> None:
    """Drop the body nodes no body output needs (outer-scope names they read are left alone)."""
    needed = {o.name for o in graph.output}
    keep = []
    for node in reversed(graph.node):
        if any(o in needed for o in node.output):
            keep.append(node)
            needed.update(i for i in node.input if i)
            needed.update(_read_in_subgraphs(node))  # a nested graph may read names from this scope
    keep.reverse()
    del graph.node[:]
    graph.node.extend(keep)


def _folded(model):
    """The model with one node whose inputs are all constants replaced by Constants of its outputs
    (computed by onnx.reference): Reshape(Constant [], Constant [-1]) becomes the Constant it
    makes, where no bypass can stand in (its output's type is not its input's)."""
    import onnx
    from onnx import helper, numpy_helper

    made = {o: n for n in model.graph.node if n.op_type == "Constant" for o in n.output}
    inits = {i.name: i for i in model.graph.initializer}
    opsets = list(model.opset_import)
    for index, node in enumerate(model.graph.node):
        ins = [i for i in node.input if i]
        if node.op_type == "Constant" or not ins or not all(i in made or i in inits for i in ins):
            continue
        if any(a.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS) for a in node.attribute):
            continue
        try:
            from onnx.reference import ReferenceEvaluator

            sources = [made[i] for i in dict.fromkeys(ins) if i in made]
            tiny = helper.make_model(helper.make_graph([*sources, node], "fold", [],
                                                      [helper.make_empty_tensor_value_info(o) for o in node.output if o],
                                                      [inits[i] for i in dict.fromkeys(ins) if i in inits]),
                                     opset_imports=opsets, ir_version=model.ir_version)
            values = ReferenceEvaluator(tiny).run(None, {})
        except Exception:  # an op the reference cannot compute: the node stays
            continue
        c = _copy(model)
        del c.graph.node[index]
        for k, (name, value) in enumerate(zip([o for o in node.output if o], values)):
            c.graph.node.insert(index + k, helper.make_node("Constant", [], [name], value=numpy_helper.from_array(np.asarray(value), name)))
        yield _prune(c)


def _without_optional_inputs(model):
    """The model with one optional input of one node left out (Clip's max, ReduceMean's axes,
    a Resize's scales): the node then takes its default, and the Constant or initializer that
    fed the input goes too. A trailing input is removed, one in the middle is given as ""."""
    import onnx

    opset = {o.domain or "": o.version for o in model.opset_import}
    for index, node in enumerate(model.graph.node):
        try:
            schema = onnx.defs.get_schema(node.op_type, opset.get(node.domain or "", 1), node.domain or "")
        except Exception:  # a contrib op or an unknown one: its inputs' optionality is not known here
            continue
        formal = schema.inputs
        for k, name in enumerate(node.input):
            if not name or k >= len(formal) or formal[k].option != onnx.defs.OpSchema.FormalParameterOption.Optional:
                continue
            if node.op_type == "Loop" and k < 2:  # without its trip count or condition a Loop may never end
                continue
            c = _copy(model)
            inputs = list(c.graph.node[index].input)
            inputs[k] = ""
            while inputs and not inputs[-1]:
                inputs.pop()
            del c.graph.node[index].input[:]
            c.graph.node[index].input.extend(inputs)
            yield _prune(c)


def _smaller_inputs(model):
    """The model with one graph input dim halved (a candidate only where the model still checks)."""
    import onnx

    inits = {i.name for i in model.graph.initializer}
    for k, vi in enumerate(model.graph.input):
        if vi.name in inits:
            continue
        for axis, d in enumerate(vi.type.tensor_type.shape.dim):
            if not d.HasField("dim_value") or d.dim_value <= 1:
                continue
            c = _copy(model)
            c.graph.input[k].type.tensor_type.shape.dim[axis].dim_value = d.dim_value // 2
            del c.graph.value_info[:]
            for o in c.graph.output:  # their shapes follow from the inputs
                for od in o.type.tensor_type.shape.dim:
                    od.ClearField("dim_value")
            try:
                onnx.checker.check_model(onnx.shape_inference.infer_shapes(c, strict_mode=True), full_check=True)
            except Exception:
                continue
            yield c


def _copy(model):
    import onnx

    c = onnx.ModelProto()
    c.CopyFrom(model)
    return c


def _prune(model):
    """Drop nodes, initializers and inputs no output depends on."""
    needed = {o.name for o in model.graph.output}
    keep = []
    for node in reversed(model.graph.node):
        if any(o in needed for o in node.output):
            keep.append(node)
            needed.update(i for i in node.input if i)
            needed.update(_read_in_subgraphs(node))
    keep.reverse()
    del model.graph.node[:]
    model.graph.node.extend(keep)
    inits = [i for i in model.graph.initializer if i.name in needed]
    del model.graph.initializer[:]
    model.graph.initializer.extend(inits)
    ins = [i for i in model.graph.input if i.name in needed]
    del model.graph.input[:]
    model.graph.input.extend(ins)
    return model


def _command_check(cmd: str) -> Callable:
    argv = shlex.split(cmd)
    if not argv:
        raise UsageError("--check needs a command")

    def check(model) -> bool:
        import onnx

        with tempfile.TemporaryDirectory() as tmp:
            p = Path(tmp) / "candidate.onnx"
            onnx.save(model, str(p))
            try:
                r = subprocess.run(argv + [str(p)], capture_output=True, timeout=300)
            except FileNotFoundError:
                raise UsageError(f"--check: command not found: {argv[0]}") from None
            except subprocess.TimeoutExpired:
                return False
            return r.returncode == 1

    return check

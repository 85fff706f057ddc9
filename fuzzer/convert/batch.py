"""Batched exports: several independent graphs exported as one model, then split apart.

An exporter with a high fixed cost per call (dynamo: torch.export and the
torchlib registry; tf2onnx: tracing and its rewrite passes) pays it once for
a whole batch. Each graph of the batch keeps its own inputs and outputs, named
with its prefix (`b3_x0`, `b3_out0`), so the graphs share no value; splitting
takes, for one graph, the nodes its outputs are computed from (walking back to
its inputs, through the outer-scope names of If/Loop/Scan bodies), the
initializers and local functions those nodes use, and renames its inputs and
outputs back to the names a single export gives them (`x0`, `out0`).

The split model is what the case's checker and runtimes judge, exactly as a
single export's model. It can differ from a single export in the names of
internal values and in what an exporter's optimizer did across graphs (a
constant folded once for two graphs is copied into both).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

from fuzzer.errors import causes
from fuzzer.convert.base import ExportRequest


def prefix(index: int) -> str:
    """The prefix of the index-th graph's input and output names in a batch."""
    return f"b{index}_"


@dataclass
class PackedRequest(ExportRequest):
    """An ExportRequest for several graphs at once: built from the graphs' own requests."""

    requests: list[ExportRequest] = field(default_factory=list)

    @classmethod
    def of(cls, requests: list[ExportRequest], opset: int) -> PackedRequest:
        names = [prefix(k) + n for k, r in enumerate(requests) for n in r.input_names]
        outs = [prefix(k) + n for k, r in enumerate(requests) for n in r.output_names]
        packed = cls(None, {}, names, outs, opset, {}, requests)
        packed.packed = True
        return packed

    @cached_property
    def module(self):
        from fuzzer.materialize import build_packed_module

        return build_packed_module([r.graph for r in self.requests])

    @cached_property
    def args(self) -> tuple:
        return tuple(a for r in self.requests for a in r.args)

    @cached_property
    def tf_function(self):
        from fuzzer.materialize.tf_model import build_tf_batch_function

        return build_tf_batch_function([r.graph for r in self.requests], [prefix(k) for k in range(len(self.requests))])

    def suspect(self, error: BaseException) -> int | None:
        """The index of the graph a failed export of this batch points at, when it tells.

        A hint, never a verdict: the batch goes on without that graph, whose own case
        exports it alone (and is judged on that export). Two places tell:
        - torch exporters fail while translating one torch.fx node, and a traceback frame
          holds it: its meta["nn_module_stack"] names the submodule, graphs.<k>;
        - the TF function builds each graph under a name scope of its prefix (b<k>_), which
          TensorFlow and tf2onnx errors quote in node names.
        None when neither does (the batch is then halved)."""
        node = _fx_node(error)
        found = node[0] if node is not None else _prefixed_name(error)
        return found if found is not None and 0 <= found < len(self.requests) else None

    def suspect_op(self, error: BaseException) -> str | None:
        """The IR op type of the node a failed torch export was translating, when it tells: the
        torch.fx node in the traceback (see suspect) carries the stack trace of its torch call,
        whose line in the suspect graph's generated source is that graph's node. None otherwise."""
        node = _fx_node(error)
        if node is None or not 0 <= node[0] < len(self.requests):
            return None
        from fuzzer.materialize.torch_module import SOURCE_NAME, node_at_line

        lines = re.findall(rf'File "{re.escape(SOURCE_NAME)}", line (\d+), in forward', str(node[1].get("stack_trace") or ""))
        graph = self.requests[node[0]].graph
        found = node_at_line(graph, int(lines[-1])) if lines and graph is not None else None
        return found.op_type if found is not None else None

    def split(self, serialized: bytes) -> list:
        """The batch's model split into one onnx.ModelProto per graph, in the requests' order."""
        import onnx

        model = onnx.load_model_from_string(serialized)
        out = []
        for k, r in enumerate(self.requests):
            p = prefix(k)
            out.append(split_model(model, {p + n: n for n in r.input_names}, {p + n: n for n in r.output_names}))
        return out


_SUBMODULE = re.compile(r"^graphs(?:\.|\[)(\d+)")
_PREFIX = re.compile(r"(?<![\w/])b(\d+)_")


def _fx_node(error: BaseException) -> tuple[int, dict] | None:
    """(k, meta) of the innermost torch.fx node in error's traceback frames that was traced in
    the packed module's submodule graphs.<k>; None when no frame holds one."""
    for e in causes(error):
        tb, frames = e.__traceback__, []
        while tb is not None:
            frames.append(tb.tb_frame)
            tb = tb.tb_next
        for frame in reversed(frames):  # innermost first: the node being translated
            for value in list(frame.f_locals.values()):
                meta = getattr(value, "meta", None)
                stack = meta.get("nn_module_stack") if isinstance(meta, dict) else None
                if not isinstance(stack, dict):
                    continue
                for entry in stack.values():
                    path = entry[0] if isinstance(entry, tuple) else str(entry)
                    m = _SUBMODULE.match(str(path))
                    if m:
                        return int(m.group(1)), meta
    return None


def _prefixed_name(error: BaseException) -> int | None:
    found = {int(m) for e in causes(error) for m in _PREFIX.findall(str(e))}
    return found.pop() if len(found) == 1 else None


def split_model(model, inputs: dict[str, str], outputs: dict[str, str]):
    """The part of model that computes `outputs` from `inputs`, with those renamed.

    Args:
        model: an onnx.ModelProto (left unchanged).
        inputs: {name in model: new name}, in the order the part's inputs take; an input the
            exporter dropped (unused) is left out.
        outputs: {name in model: new name}, in order.

    Returns:
        A new onnx.ModelProto holding only the nodes the outputs depend on (in the model's
        order), the initializers, value infos and local functions those use, and model's
        opset imports, IR version and metadata.
    """
    import onnx

    g = model.graph
    producer = {o: i for i, n in enumerate(g.node) for o in n.output if o}
    keep: set[int] = set()
    used: set[str] = set()
    stack = list(outputs)
    while stack:
        name = stack.pop()
        if name in used:
            continue
        used.add(name)
        i = producer.get(name)
        if name in inputs or i is None or i in keep:
            continue
        keep.add(i)
        stack.extend(n for n in _reads(g.node[i]) if n)
    nodes = [g.node[i] for i in sorted(keep)]

    rename = {**inputs, **outputs}
    part = onnx.ModelProto()
    part.CopyFrom(model)  # opset imports, IR version, producer, metadata
    del part.functions[:]
    part.functions.extend(_functions(model, nodes))
    pg = part.graph
    for sub in (pg.node, pg.initializer, pg.value_info, pg.input, pg.output):
        del sub[:]
    pg.name = f"{g.name} part"
    for node in nodes:
        copy = pg.node.add()
        copy.CopyFrom(node)
        _rename(copy, rename)
    for t in g.initializer:
        if t.name in used:
            copy = pg.initializer.add()
            copy.CopyFrom(t)
            copy.name = rename.get(t.name, t.name)
    for vi in g.value_info:
        if vi.name in used and vi.name not in rename:
            pg.value_info.add().CopyFrom(vi)
    given = {vi.name: vi for vi in g.input}
    for name, new in inputs.items():
        if name in given:
            copy = pg.input.add()
            copy.CopyFrom(given[name])
            copy.name = new
    declared = {vi.name: vi for vi in g.output}
    for name, new in outputs.items():
        copy = pg.output.add()
        copy.CopyFrom(declared[name])
        copy.name = new
    return part


def _reads(node) -> list[str]:
    """Every name node reads: its inputs, and the outer-scope names its subgraphs read."""
    names = list(node.input)
    for graph in _subgraphs(node):
        defined = {v.name for v in graph.input} | {t.name for t in graph.initializer}
        defined |= {o for n in graph.node for o in n.output}
        names.extend(n for inner in graph.node for n in _reads(inner) if n not in defined)
        names.extend(v.name for v in graph.output if v.name not in defined)
    return names


def _subgraphs(node):
    import onnx

    for attr in node.attribute:
        if attr.type == onnx.AttributeProto.GRAPH:
            yield attr.g
        elif attr.type == onnx.AttributeProto.GRAPHS:
            yield from attr.graphs


def _rename(node, rename: dict[str, str]) -> None:
    """Rename the names of node (and, through outer-scope references, of its subgraphs) in place."""
    for k, n in enumerate(node.input):
        if n in rename:
            node.input[k] = rename[n]
    for k, n in enumerate(node.output):
        if n in rename:
            node.output[k] = rename[n]
    for graph in _subgraphs(node):
        for inner in graph.node:
            _rename(inner, rename)
        for v in graph.output:
            if v.name in rename:
                v.name = rename[v.name]


def _functions(model, nodes) -> list:
    """The model's local functions that nodes call, directly or through other functions."""
    table = {(f.domain, f.name): f for f in model.functions}
    found, queue = {}, list(nodes)
    while queue:
        node = queue.pop()
        key = (node.domain, node.op_type)
        if key in table and key not in found:
            found[key] = table[key]
            queue.extend(table[key].node)
        for graph in _subgraphs(node):
            queue.extend(graph.node)
    return [f for key, f in table.items() if key in found]


__all__ = ["PackedRequest", "prefix", "split_model"]

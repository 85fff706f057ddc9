"""Rules of tf2onnx: the handlers that mapped TF ops, the graph rewriters and the optimizers
that changed the graph ("tf2onnx:handlers", "tf2onnx:rewriters", "tf2onnx:optimizers").

tf2onnx reports none of them, but each goes through one module-level name that
process_tf_graph and optimize_graph look up on every call, so wrapping those
names once per process sees every conversion:
- handlers: tensorflow_onnx_mapping returns the Counter of TF op types it mapped,
  each through its handler; the inventory is every TF op type with a handler in
  the default domain at some opset (tf_op.get_opsets());
- rewriters: run_rewriters applies each rewrite function to the node list; one
  whose returned list holds a node its input did not (made, retyped, rewired or
  given other attributes: the dilated-convolution rewriter only rewires and
  re-attributes the Conv2D it keeps) rewrote the graph. The inventory is the
  rewrite functions tf2onnx.tfonnx holds;
- optimizers: optimize_graph builds each optimizer from tf2onnx.optimizer's table
  and asks it afterwards whether it changed the graph (graph_been_opt), or, since
  two of them never set that flag (remove_back_to_back, remove_redundant_upsample),
  whether its own pass (_optimize, before the base class's clean-up) left the nodes
  other than it found them; the table gets recording subclasses. The inventory is
  that table's names.
"""
from __future__ import annotations

import functools

from fuzzer import coverage

HANDLERS = "tf2onnx:handlers"
REWRITERS = "tf2onnx:rewriters"
OPTIMIZERS = "tf2onnx:optimizers"


def _version() -> str:
    from importlib.metadata import version

    return version("tf2onnx")


def handlers_inventory() -> dict:
    from tf2onnx.handler import tf_op

    names = {op for opset in tf_op.get_opsets().get("", []) for op in opset}
    return {"version": _version(), "rules": sorted(names)}


def _rewriter_names() -> list[str]:
    from tf2onnx import tfonnx

    return sorted(n for n, f in vars(tfonnx).items() if n.startswith("rewrite") and callable(f))


def rewriters_inventory() -> dict:
    return {"version": _version(), "rules": _rewriter_names()}


def optimizers_inventory() -> dict:
    from tf2onnx import optimizer

    return {"version": _version(), "rules": sorted(optimizer._optimizers)}


def _shape(nodes) -> set[tuple]:
    """The nodes, each with its type, inputs and attributes, in no order: several rewriters
    return the same nodes re-sorted."""
    return {(id(n), n.type, tuple(n.input), _attrs(n)) for n in nodes}


def _attrs(node) -> tuple:
    """The node's attributes but its subgraphs (If/Loop bodies are optimized on their own and
    set back as attributes whether or not they changed)."""
    return tuple(sorted((k, a.SerializeToString()) for k, a in node.attr.items() if not (a.HasField("g") or a.graphs)))


def _graph_nodes(graph) -> set[tuple]:
    """The graph's nodes by name, type, inputs, outputs and attributes (optimizers work on a
    deep copy, so names, not ids, say which node is which)."""
    return {(n.name, n.type, tuple(n.input), tuple(n.output), _attrs(n)) for n in graph.get_nodes()}


def instrument() -> None:
    """Wrap tf2onnx's mapping, rewriter runner and optimizer table once per process."""
    from tf2onnx import optimizer, tfonnx

    if getattr(tfonnx.tensorflow_onnx_mapping, "__onnxfuzz_coverage__", False) or not coverage.enabled():
        return
    mapping, run_rewriters = tfonnx.tensorflow_onnx_mapping, tfonnx.run_rewriters

    @functools.wraps(mapping)
    def tensorflow_onnx_mapping(*args, **kwargs):
        mapped, unmapped, exceptions = mapping(*args, **kwargs)
        _record(HANDLERS, mapped, handlers_inventory)
        return mapped, unmapped, exceptions

    @functools.wraps(run_rewriters)
    def recording_run_rewriters(g, funcs, continue_on_error):
        return run_rewriters(g, [_recording_rewriter(f) for f in funcs], continue_on_error)

    tensorflow_onnx_mapping.__onnxfuzz_coverage__ = True
    tfonnx.tensorflow_onnx_mapping = tensorflow_onnx_mapping
    tfonnx.run_rewriters = recording_run_rewriters
    for name, factory in list(optimizer._optimizers.items()):
        optimizer._optimizers[name] = _recording_optimizer(name, factory)


@coverage.quietly
def _record(system: str, rules, inventory) -> None:
    coverage.hit(system, rules, inventory)


def _recording_rewriter(func):
    @functools.wraps(func)
    def rewrite(g, ops):
        before = _shape(ops)
        out = func(g, ops)
        # a node it made, retyped, rewired or re-attributed; removals alone are the dead-node
        # sweeps many rewriters run whatever they match (the LSTM rewriter's drops what an
        # earlier rewrite left unused)
        if out is not None and _shape(out) - before:
            _record(REWRITERS, (func.__name__,), rewriters_inventory)
        return out

    return rewrite


def _recording_optimizer(name: str, factory):
    class Recording(factory):
        def _optimize(self, graph):
            # the optimizer's own work only: optimize() then runs the base class's housekeeping
            # (update_proto, delete_unused_nodes), which may tidy what an earlier one left
            before = _graph_nodes(graph)
            out = super()._optimize(graph)
            self.onnxfuzz_changed = _graph_nodes(out if out is not None else graph) != before
            return out

        def optimize(self, graph, iteration):
            out = super().optimize(graph, iteration)
            if self.graph_been_opt or getattr(self, "onnxfuzz_changed", False):
                _record(OPTIMIZERS, (name,), optimizers_inventory)
            return out

    Recording.__name__ = Recording.__qualname__ = factory.__name__
    return Recording

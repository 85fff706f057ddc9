"""Graph -> torch.nn.Module, by executing the generated source."""
from __future__ import annotations

import numpy as np

from fuzzer.ir import Graph
from fuzzer.materialize.torch_source import HEADER, module_source


def _to_torch(a: np.ndarray, truth: bool):
    import torch

    if a.dtype.name == "bfloat16":
        t = torch.from_numpy(a.view(np.uint16).astype(np.int16)).view(torch.bfloat16)
    else:
        t = torch.from_numpy(np.array(a, copy=True, order="C"))  # ascontiguousarray would make 0-d 1-d
    return t.to(torch.float64) if truth and t.is_floating_point() else t


#: the file name build_module's code runs under: torch.fx nodes' stack traces quote its lines
SOURCE_NAME = "<onnxfuzz-model>"


def build_module(graph: Graph, *, truth: bool = False):
    """An eval-mode torch.nn.Module computing graph (in float64 when truth=True)."""
    source = HEADER + module_source(graph, truth=truth)
    namespace: dict = {}
    exec(compile(source, SOURCE_NAME, "exec"), namespace)
    consts = {n.outputs[0].name: _to_torch(n.value, truth) for n in graph.consts}
    return namespace["Model"](consts).eval()


def node_at_line(graph: Graph, lineno: int):
    """The op node of graph whose statement is line lineno (1-based) of build_module's source,
    or None (a line outside forward's body). A traced torch op's stack trace names the line
    it was called from, so this tells which node of the graph an exporter failed on."""
    lines = (HEADER + module_source(graph)).splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("    def forward("))
    k = lineno - 1 - (start + 1)  # forward's body follows its def: one statement per op node, in order
    nodes = graph.op_nodes
    return nodes[k] if 0 <= k < len(nodes) else None


def build_packed_module(graphs: list[Graph]):
    """One eval-mode torch.nn.Module computing several independent graphs side by side (a
    batched export): forward takes every graph's inputs, in order, graph after graph, and
    returns every graph's outputs the same way. Each graph is its own submodule, exactly the
    module build_module makes of it, so the exporter sees the same code per graph as alone."""
    import torch

    class Packed(torch.nn.Module):
        def __init__(self, modules, arities) -> None:
            super().__init__()
            self.graphs = torch.nn.ModuleList(modules)
            self.arities = arities

        def forward(self, *args):
            outputs, start = [], 0
            for module, arity in zip(self.graphs, self.arities):
                outputs.extend(module(*args[start:start + arity]))
                start += arity
            return tuple(outputs)

    return Packed([build_module(g) for g in graphs], [len(g.inputs) for g in graphs]).eval()


def torch_inputs(graph: Graph, inputs: dict[str, np.ndarray], *, truth: bool = False) -> tuple:
    """The graph's inputs as torch tensors, in forward() argument order."""
    return tuple(_to_torch(inputs[v.name], truth) for v in graph.inputs)

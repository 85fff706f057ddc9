"""The module-level import graph of onnxfuzz's own modules: a DAG, with the op layer at the bottom.

Only top-level imports count (an import inside a function or under TYPE_CHECKING is not run when
the module loads); relative imports are resolved against the importing module's package. An
import of a package also runs its __init__, so `from fuzzer.ops import x` is an edge to
fuzzer.ops (and, when x is a submodule, to fuzzer.ops.x as well).
"""
from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

import fuzzer

ROOT = Path(fuzzer.__file__).parent
#: what the op layer may import from onnxfuzz: the IR, the choice source, errors, and itself
OPS_MAY_IMPORT = ("fuzzer.ir", "fuzzer.choices", "fuzzer.errors", "fuzzer.ops")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _top_level_imports(tree: ast.Module):
    """Import statements run when the module loads: the module body, and the bodies of
    top-level if/try blocks (but not `if TYPE_CHECKING:`)."""
    stack = list(tree.body)
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            yield stmt
        elif isinstance(stmt, ast.If):
            if not _is_type_checking(stmt.test):
                stack.extend(stmt.body)
            stack.extend(stmt.orelse)
        elif isinstance(stmt, ast.Try):
            stack.extend(stmt.body + stmt.orelse + stmt.finalbody)
            for h in stmt.handlers:
                stack.extend(h.body)


def _every_import(tree: ast.Module):
    """Every import statement, function-local and TYPE_CHECKING ones included."""
    return (n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)))


def import_graph(statements=_top_level_imports) -> nx.DiGraph:
    modules = {_module_name(p): p for p in ROOT.rglob("*.py")}
    g = nx.DiGraph()
    g.add_nodes_from(modules)
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for stmt in statements(ast.parse(path.read_text(), str(path))):
            if isinstance(stmt, ast.Import):
                targets = [a.name for a in stmt.names]
            else:
                if stmt.level:
                    base = package.split(".")[: len(package.split(".")) - (stmt.level - 1)]
                    base = ".".join(base + ([stmt.module] if stmt.module else []))
                else:
                    base = stmt.module
                targets = [base] + [f"{base}.{a.name}" for a in stmt.names]
            for t in targets:
                # importing a.b.c runs a/__init__ and a/b/__init__ first
                parts = t.split(".")
                for i in range(1, len(parts) + 1):
                    m = ".".join(parts[:i])
                    # a package's own __init__ is already running when its submodule loads
                    if m in modules and not (name == m or name.startswith(m + ".")):
                        g.add_edge(name, m)
    return g


def test_the_import_graph_of_onnxfuzz_is_acyclic():
    g = import_graph()
    cycles = [sorted(c) for c in nx.strongly_connected_components(g) if len(c) > 1]
    assert not cycles, f"import cycles: {cycles}"


def test_no_function_local_import_hides_a_cycle():
    """A deferred import may keep a heavy module out of start-up, never dodge a cycle: counting
    function-local (and TYPE_CHECKING) imports too, the graph is still acyclic."""
    g = import_graph(_every_import)
    cycles = [sorted(c) for c in nx.strongly_connected_components(g) if len(c) > 1]
    assert not cycles, f"import cycles through deferred imports: {cycles}"


def test_the_op_layer_imports_only_ir_choices_errors_and_itself():
    g = import_graph(_every_import)  # deferred imports too: ops must not reach up at all
    bad = sorted((m, t) for m, t in g.edges
                 if m.startswith("fuzzer.ops") and not t.startswith(OPS_MAY_IMPORT))
    assert not bad, f"fuzzer.ops imports outside its layer: {bad}"


def test_the_graph_builder_sees_a_cycle_and_a_forbidden_import():
    """The checks above can fail: a two-module cycle and an ops -> generate edge are caught."""
    g = nx.DiGraph([("fuzzer.a", "fuzzer.b"), ("fuzzer.b", "fuzzer.a")])
    assert [c for c in nx.strongly_connected_components(g) if len(c) > 1]
    real = import_graph()
    assert real.has_edge("fuzzer.generate.generator", "fuzzer.ops")  # edges are really found
    assert ("fuzzer.ops.base", "fuzzer.generate.builder") not in real.edges


def test_no_two_ops_share_a_name_up_to_case():
    """One spec per op: an ONNX-only variant of a torch op is named onnx.<Op>, never <Op>."""
    import collections

    from fuzzer.ops import op_names

    folded = collections.Counter(n.lower() for n in op_names())
    assert not [n for n, k in folded.items() if k > 1]


def test_module_level_dtype_sets_live_in_ops_dtypes_only():
    """A frozenset of dtypes named at module level is defined in fuzzer/ops/dtypes.py alone, so a
    name like NUMERIC means one thing everywhere."""
    found = []
    for path in (ROOT / "ops").glob("*.py"):
        if path.name == "dtypes.py":
            continue
        for stmt in ast.parse(path.read_text()).body:
            if (isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call)
                    and getattr(stmt.value.func, "id", "") == "frozenset" and "DType" in ast.unparse(stmt.value)
                    or isinstance(stmt, ast.Assign) and "FLOATS" in ast.unparse(stmt.value)):
                found.append(f"{path.name}: {ast.unparse(stmt)[:60]}")
    assert not found, found

"""The package's import graph: no cycles, and the lower layers never import the upper ones.

Layers, bottom up: the leaf utilities (errors, progress, cache), ir/ (the graph, geometry,
quantisation), kernels/ (which kernel runs an op and its scratch), passes/ (normalisation, checks,
planning), codegen/ (lowering, rendering), then sim/, boards/, frontend/, api, report, cli. Every import
counts, the ones inside functions too.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "mcucompile"


def _modules() -> dict[str, Path]:
    mods = {}
    for p in PACKAGE.rglob("*.py"):
        parts = p.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        mods[name] = p
    return mods


def import_graph() -> dict[str, set[str]]:
    """module -> the package modules it imports (a `from X import name` of a submodule counts as that
    submodule; of anything else as X)."""
    mods = _modules()
    graph = {}
    for name, path in mods.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        deps = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                deps.update(a.name for a in node.names if a.name in mods)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                    src = ".".join(base + ([node.module] if node.module else []))
                else:
                    src = node.module or ""
                for a in node.names:
                    target = f"{src}.{a.name}"
                    deps.add(target if target in mods else src)
        graph[name] = {d for d in deps if d in mods and d != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles():
    graph = import_graph()
    assert "mcucompile.codegen.lowering" in graph and "mcucompile.passes.liveness" in graph
    assert cycles(graph) == []


ALLOWED = {     # layer -> the package's layers it may import
    "mcucompile.ir": {"mcucompile.ir", "mcucompile.errors"},
    "mcucompile.kernels": {"mcucompile.kernels", "mcucompile.ir", "mcucompile.errors"},
    "mcucompile.passes": {"mcucompile.passes", "mcucompile.kernels", "mcucompile.ir", "mcucompile.errors",
                          "mcucompile.progress"},
    "mcucompile.progress": set(),           # leaf utilities
    "mcucompile.errors": set(),
    "mcucompile.cache": set(),
}


def test_lower_layers_import_no_upper_ones():
    graph = import_graph()
    bad = []
    for mod, deps in graph.items():
        layer = next((k for k in ALLOWED if mod == k or mod.startswith(k + ".")), None)
        if layer is None:
            continue
        for d in deps:
            if not any(d == a or d.startswith(a + ".") for a in ALLOWED[layer]):
                bad.append(f"{mod} imports {d}")
    assert bad == []

"""``app`` has no import cycle, type-level imports included: every ``import`` of the source is
read with ``ast`` (inside functions and ``if TYPE_CHECKING:`` blocks too), and importing
``app.a.b`` from outside ``app.a`` counts as importing the package ``app.a`` as well (its
``__init__`` runs first). A cycle closed "only for the type checker" is still two modules that
cannot be understood apart."""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"


def module_names(root: Path) -> dict[str, Path]:
    """``{"app.session.session": path, "app.session": path/__init__.py, ...}``"""
    out = {}
    for path in root.rglob("*.py"):
        parts = path.relative_to(root.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The modules of ``modules`` that ``name`` imports, anywhere in its source."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)  # a submodule by name
    edges = set()
    for target in found & modules.keys():
        edges.add(target)
        parts = target.split(".")
        for k in range(1, len(parts)):  # its packages, unless the importer is inside them
            parent = ".".join(parts[:k])
            if not name.startswith(parent + "."):
                edges.add(parent)
    edges.discard(name)
    return edges


def import_graph(root: Path) -> dict[str, set[str]]:
    modules = module_names(root)
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_app_has_no_import_cycle_type_level_imports_included():
    graph = import_graph(APP)
    assert len(graph) > 80 and "app.session.session" in graph["app.main_window"] | graph["app.session"]
    assert cycles(graph) == []


def test_a_cycle_closed_through_type_checking_or_a_package_init_is_found(tmp_path):
    pkg = tmp_path / "app"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .b import B\n")
    (pkg / "b.py").write_text("def f():\n    from . import a\n")
    (pkg / "sub" / "__init__.py").write_text("from . import leaf\nfrom ..c import C\n")
    (pkg / "sub" / "leaf.py").write_text("X = 1\n")
    (pkg / "c.py").write_text("from .sub.leaf import X\n")
    assert cycles(import_graph(pkg)) == [["app.a", "app.b"], ["app.c", "app.sub"]]

"""The packages' import structure: every module imports, no module takes part in an import cycle, and the
Twilio sandbox and the product know each other only over HTTP.

The graph is read from the source with `ast`: every `import` anywhere in a file counts (a deferred import
inside a function is still a cycle, only hidden), except those under `if TYPE_CHECKING:`, which never run.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCT_PACKAGES = ("contactcenter", "ivr", "queues", "agents", "recordings")
SANDBOX_PACKAGE = "twilio_sandbox"
PACKAGES = (*PRODUCT_PACKAGES, SANDBOX_PACKAGE)
# Alembic's migration scripts are loaded by file path, not imported as modules.
NOT_MODULES = ("contactcenter.migrations",)

Graph = dict[str, set[str]]


def module_files(root: Path, packages: tuple[str, ...]) -> dict[str, Path]:
    """Every module of `packages` under `root`, by dotted name (a package by its __init__.py)."""
    modules = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            if not name.startswith(NOT_MODULES):
                modules[name] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node of the tree except the bodies of `if TYPE_CHECKING:` (their `else:` still runs)."""
    for child in ast.iter_child_nodes(tree):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for statement in child.orelse:
                yield statement
                yield from _runtime_nodes(statement)
            continue
        yield child
        yield from _runtime_nodes(child)


def imported_names(module: str, path: Path) -> set[str]:
    """Dotted names a module imports at run time (relative imports resolved; `from x import y` gives x.y too)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base]) if base else ".".join(anchor)
            if node.module:  # `from . import a` names only a, not the package itself
                names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def import_graph(modules: dict[str, Path]) -> Graph:
    """Module → the modules of `modules` it imports (a name naming no module means its package)."""
    graph: Graph = {}
    for module, path in modules.items():
        targets = set()
        for name in imported_names(module, path):
            target = name
            while target and target not in modules:
                target = target.rpartition(".")[0]
            # A package's __init__ importing a name of its own is no self-import; naming itself literally is.
            if target and (target != module or name == module):
                targets.add(target)
        graph[module] = targets
    return graph


def cycles(graph: Graph) -> list[list[str]]:
    """Strongly connected components of more than one module, and modules importing themselves (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def top_package(module: str) -> str:
    return module.partition(".")[0]


MODULES = module_files(ROOT, PACKAGES)


# Importing a __main__ module runs the program; the graph below still reads it.
@pytest.mark.parametrize("module", sorted(m for m in MODULES if not m.endswith(".__main__")))
def test_every_module_of_the_packages_imports(module: str) -> None:
    importlib.import_module(module)


def test_the_graph_counts_deferred_and_relative_imports_and_leaves_out_type_checking_ones(tmp_path: Path) -> None:
    sources = {
        "__init__.py": "from .a import thing\n",
        "a.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import c\n"
        "thing = 1\ndef later():\n    from . import b\n",
        "b.py": "from .a import thing\n",
        "c.py": "from pkg.a import thing\n",
        "d.py": "import pkg.d\n",
    }
    (tmp_path / "pkg").mkdir()
    for name, source in sources.items():
        (tmp_path / "pkg" / name).write_text(source)

    graph = import_graph(module_files(tmp_path, ("pkg",)))

    assert graph == {"pkg": {"pkg.a"}, "pkg.a": {"pkg.b"}, "pkg.b": {"pkg.a"}, "pkg.c": {"pkg.a"}, "pkg.d": {"pkg.d"}}
    assert cycles(graph) == [["pkg.a", "pkg.b"], ["pkg.d"]]


def test_no_module_takes_part_in_an_import_cycle() -> None:
    found = cycles(import_graph(MODULES))
    assert not found, "import cycles:\n" + "\n".join(" ⇄ ".join(component) for component in found)


def test_the_sandbox_and_the_product_never_import_each_other() -> None:
    graph = import_graph(MODULES)
    crossing = sorted(
        f"{module} → {target}"
        for module, targets in graph.items()
        for target in targets
        if (top_package(module) == SANDBOX_PACKAGE) != (top_package(target) == SANDBOX_PACKAGE)
    )
    assert not crossing, "the sandbox is reached over HTTP only:\n" + "\n".join(crossing)

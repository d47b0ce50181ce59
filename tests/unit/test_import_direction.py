"""The direction of imports between the packages (issue 11; docs/architecture.md).

Dependencies run one way: layers → scenario → allocation → figures → maps → exports, with
access and store beside them, and the command line and the web app on top. Every import of a
``mutualaid`` module counts, a deferred one inside a function too: a cycle that waits for a
call is still a cycle. The checker is tested on the real tree (no finding) and on a copy of
the tree with one forbidden import added (its finding named).
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "mutualaid"

#: The modules everything may use: they import no other group.
BASE = ("errors", "settings", "text", "display", "vocabulary", "logs", "i18n")
#: What each group may import besides itself and the base modules.
ALLOWED: dict[str, frozenset[str]] = {
    "base": frozenset(),
    "layers": frozenset(),
    "scenario": frozenset({"layers"}),
    "allocation": frozenset({"layers", "scenario"}),
    "figures": frozenset({"layers", "scenario", "allocation"}),
    "maps": frozenset({"layers", "scenario", "allocation", "figures"}),
    "exports": frozenset({"layers", "scenario", "allocation", "figures", "maps"}),
    "access": frozenset({"layers", "scenario", "allocation"}),
    "store": frozenset({"layers", "scenario", "allocation", "access"}),
    "cli": frozenset(
        {"layers", "scenario", "allocation", "figures", "maps", "exports", "access", "store"}
    ),
    "ui": frozenset(
        {"layers", "scenario", "allocation", "figures", "maps", "exports", "access", "store"}
    ),
}
#: Outside ui/, no module imports Streamlit or its components.
WEB_LIBRARIES = ("streamlit", "streamlit_folium")


def group_of(module: str) -> str:
    """The group of a dotted module name under ``mutualaid`` (``mutualaid.maps.base`` → maps)."""
    parts = module.split(".")
    if len(parts) == 1:
        return "base"
    top = parts[1]
    if top in BASE:
        return "base"
    return top


def module_name(path: Path, root: Path) -> str:
    """``mutualaid.x.y`` for *path* under the package folder *root*."""
    relative = path.relative_to(root.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported(tree: ast.AST, module: str) -> list[tuple[int, str, str | None]]:
    """Every import in *tree*: (line, what it names, alias or None).

    ``import p.m`` names ``p.m``; ``from p import n`` names ``p.n``, which is a module or a
    name defined in ``p`` (:func:`imported_modules` tells which).
    """
    found: list[tuple[int, str, str | None]] = []
    package = module if module.count(".") == 0 else module.rsplit(".", 1)[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.append((node.lineno, alias.name, alias.asname))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            for alias in node.names:
                found.append((node.lineno, f"{base}.{alias.name}", alias.asname))
    return found


def _is_module(name: str, root: Path) -> bool:
    parts = name.split(".")[1:]
    path = root.joinpath(*parts) if parts else root
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def imported_modules(tree: ast.AST, module: str, root: Path) -> list[tuple[int, str, str | None]]:
    """The ``mutualaid`` modules *tree* imports, with their aliases: ``from p import n`` is
    the module ``p.n`` when there is one, else ``p`` (n is a name defined in p)."""
    out: set[tuple[int, str, str | None]] = set()
    for line, name, alias in imported(tree, module):
        if name.split(".")[0] != "mutualaid":
            continue
        if _is_module(name, root):
            out.add((line, name, alias))
        elif "." in name:
            out.add((line, name.rsplit(".", 1)[0], None))
    return sorted(out, key=lambda item: (item[0], item[1], item[2] or ""))


def findings(root: Path = SRC) -> list[str]:
    """Every import of the package under *root* that breaks the direction, in words."""
    out: list[str] = []
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        module = module_name(path, root)
        group = group_of(module)
        tree = ast.parse(path.read_text(), filename=str(path))
        where = f"{path.relative_to(root.parent)}"
        for line, name, _ in imported(tree, module):
            if name.split(".")[0] in WEB_LIBRARIES and group != "ui":
                out.append(f"{where}:{line} imports {name} outside mutualaid.ui")
        for line, name, alias in imported_modules(tree, module, root):
            if alias is not None and alias != name.rsplit(".", 1)[-1]:
                out.append(f"{where}:{line} renames {name} on import (as {alias})")
            target = group_of(name)
            if target in (group, "base") or name == "mutualaid":
                continue
            if target not in ALLOWED[group]:
                out.append(f"{where}:{line} ({group}) imports {name} ({target})")
    return out


def module_graph(root: Path = SRC) -> dict[str, set[str]]:
    """Which modules of the package under *root* each module imports (deferred ones too).

    ``from mutualaid.maps import palette`` is an edge to ``mutualaid.maps.palette`` only: the
    package's ``__init__`` runs first, but names nothing the importer uses.
    """
    graph: dict[str, set[str]] = {}
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        module = module_name(path, root)
        tree = ast.parse(path.read_text())
        targets = {name for _, name, _ in imported_modules(tree, module, root)}
        graph[module] = targets - {module}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return out


def test_every_package_imports_only_what_it_may():
    assert findings() == []


def test_no_two_modules_import_each_other():
    assert cycles(module_graph()) == []


def test_a_cycle_added_to_the_tree_is_found(tmp_path):
    copy = tmp_path / "mutualaid"
    shutil.copytree(SRC, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "layers" / "problems.py").write_text(
        (copy / "layers" / "problems.py").read_text()
        + "\n\ndef later():\n    from mutualaid.layers import validate\n"
    )
    assert any(
        {"mutualaid.layers.problems", "mutualaid.layers.validate"} <= set(group)
        for group in cycles(module_graph(copy))
    )


def test_every_group_of_the_tree_is_known():
    groups = {group_of(module_name(p, SRC)) for p in SRC.rglob("*.py")}
    assert groups <= set(ALLOWED), groups - set(ALLOWED)


@pytest.mark.parametrize(
    ("module", "line", "expected"),
    [
        (
            "layers/readers.py",
            "from mutualaid.scenario.loading import load_scenario",
            "(layers) imports mutualaid.scenario.loading (scenario)",
        ),
        (
            "maps/base.py",
            "from mutualaid.exports import plan_csv",
            "(maps) imports mutualaid.exports (exports)",
        ),
        (
            "figures/plan.py",
            "from mutualaid.maps import palette",
            "(figures) imports mutualaid.maps.palette (maps)",
        ),
        (
            "store/audit.py",
            "def later():\n    from mutualaid.ui import signed_in\n",
            "(store) imports mutualaid.ui.signed_in (ui)",
        ),
        ("access/actor.py", "import streamlit as st", "imports streamlit outside mutualaid.ui"),
        (
            "allocation/engine.py",
            "from mutualaid.store import database as db",
            "renames mutualaid.store.database on import (as db)",
        ),
    ],
)
def test_a_forbidden_import_added_to_the_tree_is_found(tmp_path, module, line, expected):
    copy = tmp_path / "mutualaid"
    shutil.copytree(SRC, copy, ignore=shutil.ignore_patterns("__pycache__"))
    target = copy / module
    if not target.exists():  # the module of the case was moved: any module of its group
        target = next((copy / module.split("/")[0]).glob("*.py"))
    target.write_text(target.read_text() + "\n" + line + "\n")
    found = findings(copy)
    assert any(expected in finding for finding in found), found

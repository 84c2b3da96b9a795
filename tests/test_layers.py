"""The layering, checked on the source (``ast``): who may import whom, and no import cycles.

* ``model`` and ``connectors`` import nothing of ours (besides themselves);
* ``reports`` imports only ``model`` (and itself);
* ``sync`` is the composition root and may import every package, except ``sync.sandbox``
  (the loopback fakes, shipped for ``trainyard demo``): it imports nothing of ours but itself,
  so the fakes answer like the trackers, not like our code;
* inside each package, no module imports itself back through others (imports inside
  functions included: a deferred import is still a cycle in the design).
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("connectors", "model", "reports", "sync")
ALLOWED = {
    "model": {"model"},
    "connectors": {"connectors"},
    "reports": {"reports", "model"},
    "sync": set(PACKAGES),
}


def modules(package: str) -> dict[str, Path]:
    """Dotted module name → file, for every module of ``package``."""
    found: dict[str, Path] = {}
    for path in sorted((REPO / package).rglob("*.py")):
        parts = list(path.relative_to(REPO).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports(name: str, path: Path) -> Iterator[str]:
    """Absolute names of everything ``path`` imports (relative imports resolved)."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".")
                anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, base] if base else anchor)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def ours(target: str, known: set[str]) -> str | None:
    """The module of ours that ``target`` names (``pkg.mod.Name`` → ``pkg.mod``), if any."""
    while target:
        if target in known:
            return target
        target = target.rpartition(".")[0]
    return None


ALL = {name: path for package in PACKAGES for name, path in modules(package).items()}
GRAPH = {
    name: {m for t in imports(name, path) if (m := ours(t, set(ALL))) and m != name}
    for name, path in ALL.items()
}


@pytest.mark.parametrize("package", PACKAGES)
def test_a_package_imports_only_what_its_layer_may(package: str) -> None:
    wrong = sorted(
        f"{name} imports {target}"
        for name, targets in GRAPH.items()
        if name.split(".")[0] == package
        for target in targets
        if target.split(".")[0] not in ALLOWED[package]
    )
    assert not wrong, "layering broken:\n" + "\n".join(wrong)


def test_the_sandbox_imports_only_itself_and_the_standard_library() -> None:
    """A ``pip install trainyard`` user's demo runs the fakes: no test-only dependency, and
    nothing of ours that could make a fake answer like our code instead of the tracker."""
    sandbox = {n: p for n, p in ALL.items() if n.startswith("sync.sandbox")}
    assert "sync.sandbox.jira.fake" in sandbox
    assert "sync.sandbox.github.fake" in sandbox
    wrong = sorted(
        f"{name} imports {target}"
        for name, path in sandbox.items()
        for target in imports(name, path)
        if not target.startswith("sync.sandbox")
        and target.split(".")[0] not in (*sys.stdlib_module_names, "__future__")
    )
    assert not wrong, "the sandbox must stay standard library only:\n" + "\n".join(wrong)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan, recursive: graphs are small)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group: list[str] = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _package_of(name: str) -> str:
    """The package a module's imports are judged in: itself for a package's ``__init__``."""
    return (
        name
        if (REPO / name.replace(".", "/") / "__init__.py").exists()
        else name.rpartition(".")[0]
    )


@pytest.mark.parametrize("package", PACKAGES)
def test_no_import_cycle(package: str) -> None:
    """Within the package, ignoring a package's own ``__init__`` re-exporting its modules
    (importing ``pkg.mod`` runs ``pkg/__init__`` first; that edge is Python's, not ours)."""
    graph = {
        name: {t for t in targets if t.split(".")[0] == package and not _is_parent_init(name, t)}
        for name, targets in GRAPH.items()
        if name.split(".")[0] == package
    }
    assert cycles(graph) == []


def _is_parent_init(name: str, target: str) -> bool:
    return name.startswith(target + ".")


def test_the_check_sees_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_check_resolves_relative_imports(tmp_path: Path) -> None:
    path = tmp_path / "mod.py"
    path.write_text("from . import sibling\nfrom .other import thing\n", encoding="utf-8")
    assert set(imports("pkg.mod", path)) == {"pkg", "pkg.sibling", "pkg.other", "pkg.other.thing"}

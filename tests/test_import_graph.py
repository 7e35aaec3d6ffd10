"""No import cycles among the modules of app/, server/ and runner/.

Every import counts: inside functions and under ``if TYPE_CHECKING:`` too,
since a cycle hidden there is still two modules that cannot be understood,
changed or tested one without the other.
"""

from __future__ import annotations

import ast
import itertools
from collections import deque
from pathlib import Path

ROOT = Path(__file__).parent.parent
PACKAGES = ("app", "server", "runner")

Graph = dict[str, dict[str, str]]  # module -> imported module -> where ("path:line")


def first_party(root: Path) -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (root / package).rglob("*.py"):
            parts = path.relative_to(root).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def import_graph(root: Path = ROOT) -> Graph:
    modules = first_party(root)
    graph: Graph = {}
    for module, path in modules.items():
        edges = graph.setdefault(module, {})
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                named = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: from this package, or level - 1 packages up
                    anchor = package.rsplit(".", node.level - 1)[0]
                    base = f"{anchor}.{base}" if base else anchor
                # ``from package import name`` imports the submodule when there is one.
                named = [
                    f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                    for alias in node.names
                ]
            else:
                continue
            where = f"{path.relative_to(root)}:{node.lineno}"
            for target in named:
                if target in modules and target != module:
                    edges.setdefault(target, where)
    return graph


def shortest_cycle(graph: Graph, start: str) -> list[str] | None:
    """The shortest import path from ``start`` back to itself, if any."""
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        module = queue.popleft()
        for target in graph[module]:
            if target == start:
                path = [module]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return [start, *reversed(path[:-1]), start]
            if target not in came_from:
                came_from[target] = module
                queue.append(target)
    return None


def cycles(graph: Graph) -> list[list[str]]:
    """One cycle through each module that is on any, each cycle listed once."""
    found: dict[tuple[str, ...], list[str]] = {}
    for module in sorted(graph):
        cycle = shortest_cycle(graph, module)
        if cycle:
            ring = cycle[:-1]
            first = ring.index(min(ring))
            canonical = ring[first:] + ring[:first]
            found.setdefault(tuple(canonical), [*canonical, canonical[0]])
    return list(found.values())


def describe(graph: Graph, cycle: list[str]) -> str:
    steps = "".join(f"\n      {graph[a][b]} imports {b}" for a, b in itertools.pairwise(cycle))
    return f"  {' -> '.join(cycle)}{steps}"


def test_the_import_graph_has_no_cycles() -> None:
    graph = import_graph()
    found = cycles(graph)
    assert not found, "import cycles (imports in functions and under TYPE_CHECKING count):\n" + (
        "\n".join(describe(graph, cycle) for cycle in found)
    )


def test_imports_in_functions_under_type_checking_and_of_submodules_count(tmp_path: Path) -> None:
    files = {
        "__init__.py": "",
        "a.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from app import b\n",
        "b.py": "def later() -> None:\n    import app.sub.c\n",
        "sub/__init__.py": "",
        "sub/c.py": "from .. import a\nfrom . import c\n",  # itself: not a cycle
    }
    for name, text in files.items():
        (tmp_path / "app" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "app" / name).write_text(text)
    graph = import_graph(tmp_path)
    assert cycles(graph) == [["app.a", "app.b", "app.sub.c", "app.a"]]
    assert describe(graph, cycles(graph)[0]).splitlines()[1:] == [
        "      app/a.py:3 imports app.b",
        "      app/b.py:2 imports app.sub.c",
        "      app/sub/c.py:1 imports app.a",
    ]

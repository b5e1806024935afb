"""No import cycle anywhere in the package (issue 13): a module never depends, directly or
through others, on a module that depends on it. Checked on grimp's import graph (the one
import-linter reads), which sees every import, at module level or inside a function; imports
under `if TYPE_CHECKING:` are left out (they never run).
"""

from __future__ import annotations

import grimp
import pytest


def strongly_connected(graph: grimp.ImportGraph) -> list[list[str]]:
    """Groups of modules that import each other in a ring (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    groups: list[list[str]] = []
    counter = 0
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1 or node in graph.find_modules_directly_imported_by(node):
                        groups.append(sorted(group))
    return groups


def describe(graph: grimp.ImportGraph, group: list[str]) -> str:
    first, *rest = group
    ring = graph.find_shortest_chain(importer=first, imported=rest[0]) if rest else None
    back = graph.find_shortest_chain(importer=rest[0], imported=first) if rest else None
    return f"{group}: {' -> '.join(ring or ())} and back {' -> '.join(back or ())}"


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("tonertrack_tui", exclude_type_checking_imports=True)


def test_the_package_has_no_import_cycle(graph):
    cycles = strongly_connected(graph)
    assert not cycles, "import cycles:\n" + "\n".join(describe(graph, g) for g in cycles)


def test_the_cycle_finder_finds_a_cycle(graph):
    # the check can fail: two modules that import each other are reported
    graph = graph.copy() if hasattr(graph, "copy") else grimp.build_graph("tonertrack_tui")
    graph.add_import(importer="tonertrack_tui.commands.common", imported="tonertrack_tui.commands.poll")
    assert ["tonertrack_tui.commands.common", "tonertrack_tui.commands.poll"] in strongly_connected(graph)

"""Dependency graphs: the order objects are created in, and cycles in the flow.

Two graphs, because they answer two questions:

- the *order* graph (resource id -> ids it needs first): every object needs its project; a recipe needs
  every input and output of every role (DSS refuses a recipe over objects that do not exist); a scenario
  needs the objects its steps build or check; a files-in-folder dataset needs its folder. Deletions run in
  the reverse order.
- the *flow* graph (recipe -> recipes it reads from): DSS refuses a flow with a cycle, so a cycle is an error
  of the config, reported with the recipes that form it.
"""

from __future__ import annotations

import heapq
from typing import Dict, Iterable, List, Mapping, Set


def topological_order(dependencies: Mapping[str, Iterable[str]]) -> List[str]:
    """Every node after the nodes it depends on; ties broken by id so the order is stable.

    Dependencies on nodes outside the mapping are ignored; raises ``ValueError`` on a cycle.
    """
    needs: Dict[str, Set[str]] = {node: {d for d in deps if d in dependencies and d != node}
                                  for node, deps in dependencies.items()}
    dependents: Dict[str, List[str]] = {node: [] for node in needs}
    for node, deps in needs.items():
        for dep in deps:
            dependents[dep].append(node)
    remaining = {node: len(deps) for node, deps in needs.items()}
    ready = [node for node, count in remaining.items() if count == 0]
    heapq.heapify(ready)
    order: List[str] = []
    while ready:
        node = heapq.heappop(ready)
        order.append(node)
        for dependent in dependents[node]:
            remaining[dependent] -= 1
            if remaining[dependent] == 0:
                heapq.heappush(ready, dependent)
    if len(order) != len(needs):
        stuck = sorted(node for node, count in remaining.items() if count)
        raise ValueError(f"dependency cycle among {', '.join(stuck)}")
    return order


def find_cycles(edges: Mapping[str, Iterable[str]]) -> List[List[str]]:
    """The cycles of a directed graph, one per strongly connected component (Tarjan's algorithm, iterative).

    Each cycle is listed from its smallest node, following edges, and closed (``[a, b, a]``).
    """
    graph = {node: sorted(set(targets)) for node, targets in edges.items()}
    for targets in list(graph.values()):
        for target in targets:
            graph.setdefault(target, [])
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    on_stack: Set[str] = set()
    stack: List[str] = []
    components: List[List[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, 0)]
        while work:
            node, position = work.pop()
            if position == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            targets = graph[node]
            if position < len(targets):
                work.append((node, position + 1))
                target = targets[position]
                if target not in index:
                    work.append((target, 0))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph[node]:
                    components.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return [_cycle_path(sorted(component), graph) for component in sorted(components, key=min)]


def _cycle_path(members: List[str], graph: Mapping[str, List[str]]) -> List[str]:
    """A closed walk through a strongly connected component, from its smallest member back to it."""
    inside = set(members)
    start = members[0]
    # Breadth-first search for the shortest way back to the start, through members only.
    previous: Dict[str, str] = {}
    frontier = [start]
    seen = {start}
    while frontier:
        following = []
        for node in frontier:
            for target in graph[node]:
                if target == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [start, *reversed(path[:-1]), start] if node != start else [start, start]
                if target in inside and target not in seen:
                    seen.add(target)
                    previous[target] = node
                    following.append(target)
        frontier = following
    return [*members, start]  # pragma: no cover - a component always closes

"""A tiny reference BFS for adapter tests (independent of explorer.engine.search)."""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable
from typing import Any

from explorer.engine.model import Model


def bfs(
    model: Model[Any, Any], max_states: int = 200_000, symmetry: bool = False
) -> tuple[dict[Hashable, int], dict[str, list[Any]]]:
    """Every reachable (representative) state with its depth, and for each failed
    ``always`` property the shortest action path to a violation."""
    canon = model.representative if symmetry else (lambda s: s)
    seen: dict[Hashable, int] = {}
    parents: dict[Hashable, tuple[Hashable, Any] | None] = {}
    violations: dict[str, list[Any]] = {}
    queue: deque[Hashable] = deque()
    invariants = [p for p in model.properties() if p.kind == "always"]

    def visit(state: Hashable, key: Hashable, depth: int, parent: tuple[Hashable, Any] | None) -> None:
        seen[key] = depth
        parents[key] = parent
        for p in invariants:
            if p.name not in violations and not p.condition(state):
                path: list[Any] = []
                k: Hashable = key
                while parents[k] is not None:
                    pk, action = parents[k]  # type: ignore[misc]
                    path.append(action)
                    k = pk
                violations[p.name] = path[::-1]
        queue.append(state)

    for s in model.init_states():
        k = canon(s)
        if k not in seen:
            visit(s, k, 0, None)
    while queue and len(seen) < max_states:
        state = queue.popleft()
        key = canon(state)
        for action in model.actions(state):
            nxt = model.next_state(state, action)
            if nxt is None or not model.within_boundary(nxt):
                continue
            nk = canon(nxt)
            if nk not in seen:
                visit(nxt, nk, seen[key] + 1, (key, action))
    return seen, violations

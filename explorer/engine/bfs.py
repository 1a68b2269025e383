"""Breadth-first search: shortest counterexamples, a parent map of successor indices.

The visited set is a parent map ``fingerprint -> (parent fingerprint, index of the step
among the parent's successors)``; initial states have parent -1 and the index of the
initial state. A counterexample path is rebuilt by re-executing the recorded indices
from the initial state (:func:`explorer.engine.run.rebuild_path`), so no state is kept
beyond the frontier.
"""

from __future__ import annotations

from typing import Any

from explorer.engine.fingerprint import fingerprint
from explorer.engine.model import Property
from explorer.engine.results import SearchResult
from explorer.engine.run import TICK_MASK, Run, overrides, violation_from_parents

Frontier = list[tuple[int, Any]]


class _Bfs:
    """One breadth-first run: the parent map, the frontier and the level sizes."""

    def __init__(self, run: Run) -> None:
        self.run = run
        model = run.model
        self.representative = model.representative if run.settings.symmetry else None
        self.within = model.within_boundary if overrides(model, "within_boundary") else None
        self.parents: dict[int, tuple[int, int]] = {}
        self.level_sizes: list[int] = []
        self.generated = 0

    def violation_at(self, fp: int, prop: Property[Any]) -> bool:
        """Record a violation at the state ``fp``; True when the search must stop."""
        return self.run.record(
            violation_from_parents(self.run.model, self.parents.__getitem__, fp, prop)
        )

    def initial_frontier(self) -> tuple[Frontier, bool]:
        """Admit the initial states; returns (frontier, stop)."""
        run, representative, within = self.run, self.representative, self.within
        parents = self.parents
        frontier: Frontier = []
        stop = False
        for i, state in enumerate(run.model.init_states()):
            fp = fingerprint(representative(state) if representative else state)
            if fp in parents:
                continue
            parents[fp] = (-1, i)
            if run.always or run.sometimes_props:
                prop = run.failed_always(state)
                if prop is not None and self.violation_at(fp, prop):
                    stop = True
                    break
            if within is not None and not within(state):
                if run.final:
                    prop = run.failed_final(state)
                    if prop is not None and self.violation_at(fp, prop):
                        stop = True
                        break
                continue
            frontier.append((fp, state))
        self.level_sizes.append(len(parents))
        max_states = run.settings.max_states
        if max_states is not None and len(parents) >= max_states and not stop:
            run.stopped_by = "states"
            stop = True
        return frontier, stop

    def finals_at_depth_bound(self, frontier: Frontier) -> bool:
        """Check ``final`` properties on a frontier the depth bound cuts; True to stop."""
        for fp, state in frontier:
            prop = self.run.failed_final(state)
            if prop is not None and self.violation_at(fp, prop):
                return True
        return False

    def next_level(self, frontier: Frontier, expanded: int) -> tuple[Frontier, int, bool]:
        """Expand one level; returns (next frontier, states expanded so far, stop).

        The hot loop: locals instead of attributes, and the initial states' admission
        repeated inline (a shared helper would cost a call per new state).
        """
        run, representative, within = self.run, self.representative, self.within
        successors = run.model.successors
        fp_of = fingerprint
        parents = self.parents
        max_states = run.settings.max_states
        check_new = bool(run.always or run.sometimes_props)
        check_final = bool(run.final)
        violation_at = self.violation_at
        new_frontier: Frontier = []
        append = new_frontier.append
        stop = False
        for pfp, state in frontier:
            index = -1
            for index, (_action, nxt) in enumerate(successors(state)):
                if nxt == state:
                    continue  # a stuttering step: the state is known
                fp = fp_of(representative(nxt) if representative else nxt)
                if fp in parents:
                    continue
                parents[fp] = (pfp, index)
                if check_new:
                    prop = run.failed_always(nxt)
                    if prop is not None and violation_at(fp, prop):
                        stop = True
                        break
                if within is not None and not within(nxt):
                    if check_final:
                        prop = run.failed_final(nxt)
                        if prop is not None and violation_at(fp, prop):
                            stop = True
                            break
                else:
                    append((fp, nxt))
                if max_states is not None and len(parents) >= max_states:
                    run.stopped_by = "states"
                    stop = True
                    break
            self.generated += index + 1
            if index == -1 and check_final and not stop:
                prop = run.failed_final(state)
                if prop is not None and violation_at(pfp, prop):
                    stop = True
            if stop:
                break
            expanded += 1
            if not expanded & TICK_MASK and run.tick(
                len(parents),
                self.generated,
                len(self.level_sizes),
                len(frontier) + len(new_frontier),
            ):
                stop = True
                break
        return new_frontier, expanded, stop


def bfs(run: Run) -> SearchResult:
    """Breadth-first search within ``run.settings`` (semantics: explorer.engine.search)."""
    state = _Bfs(run)
    max_depth = run.settings.max_depth
    complete = False
    try:
        frontier, stop = state.initial_frontier()
        expanded = 0
        while frontier and not stop:
            depth = len(state.level_sizes) - 1  # actions taken to reach the frontier
            if max_depth is not None and depth >= max_depth:
                run.stopped_by = "depth"
                if run.final:
                    stop = state.finals_at_depth_bound(frontier)
                break
            level_start = len(state.parents)
            frontier, expanded, stop = state.next_level(frontier, expanded)
            if len(state.parents) > level_start:
                state.level_sizes.append(len(state.parents) - level_start)
        if not stop:
            complete = True  # exhausted, or everything up to the depth bound
    except KeyboardInterrupt:
        run.stopped_by = "interrupted"
        complete = False
    return run.result(
        complete=complete,
        distinct=len(state.parents),
        generated=state.generated,
        levels=len(state.level_sizes),
        level_sizes=state.level_sizes,
    )

"""Breadth-first search: shortest counterexamples, compact parent records.

The visited set (explorer/engine/visited.py) holds the fingerprints and, per state in
admission order (its *ordinal*), the parent's ordinal and the index of the step among
the parent's successors; initial states have parent -1 and the index of the initial
state. A counterexample path is rebuilt by re-executing the recorded indices from the
initial state (:func:`explorer.engine.run.rebuild_path`), so no state is kept beyond the
frontier, and the frontier holds ``(ordinal, state)`` pairs.

The states of the last level under a depth bound are never expanded, so they are not
kept either: their ``final`` properties are judged as they are admitted, and any that
fail are reported after the level, in the order the frontier would have given.
"""

from __future__ import annotations

from typing import Any

from explorer.engine.model import Property
from explorer.engine.results import SearchResult
from explorer.engine.run import TICK_MASK, Run, overrides, violation_from_parents
from explorer.engine.visited import Visited

Frontier = list[tuple[int, Any]]
#: (ordinal, the final properties that fail there, in declaration order)
Pending = list[tuple[int, list[Property[Any]]]]


class _Bfs:
    """One breadth-first run: the visited set, the frontier and the level sizes."""

    def __init__(self, run: Run) -> None:
        self.run = run
        model = run.model
        self.representative = model.representative if run.settings.symmetry else None
        self.within = model.within_boundary if overrides(model, "within_boundary") else None
        self.visited = Visited()
        self.level_sizes: list[int] = []
        self.generated = 0
        self.at_bound = 0  # states of the last level within the boundary (not kept)
        # symmetry's figures: successors its representative renamed (not their orbit's
        # canonical member), and those of them whose canonical member was already seen
        self.renamed = 0
        self.folded = 0

    def violation_at(self, ordinal: int, prop: Property[Any]) -> bool:
        """Record a violation at the state ``ordinal``; True when the search must stop."""
        return self.run.record(
            violation_from_parents(self.run.model, self.visited.record, ordinal, prop)
        )

    def initial_frontier(self) -> tuple[Frontier, bool]:
        """Admit the initial states; returns (frontier, stop)."""
        run, representative, within = self.run, self.representative, self.within
        visited = self.visited
        frontier: Frontier = []
        stop = False
        for i, state in enumerate(run.model.init_states()):
            fp = run.model.fingerprint(representative(state) if representative else state)
            if fp in visited:
                continue
            ordinal = visited.add(fp, -1, i)
            if run.always or run.sometimes_props:
                prop = run.failed_always(state)
                if prop is not None and self.violation_at(ordinal, prop):
                    stop = True
                    break
            if within is not None and not within(state):
                if run.final:
                    prop = run.failed_final(state)
                    if prop is not None and self.violation_at(ordinal, prop):
                        stop = True
                        break
                continue
            frontier.append((ordinal, state))
        self.level_sizes.append(len(visited))
        max_states = run.settings.max_states
        if max_states is not None and len(visited) >= max_states and not stop:
            run.stopped_by = "states"
            stop = True
        return frontier, stop

    def finals_at_depth_bound(self, frontier: Frontier) -> bool:
        """Check ``final`` properties on a frontier the depth bound cuts; True to stop."""
        for ordinal, state in frontier:
            prop = self.run.failed_final(state)
            if prop is not None and self.violation_at(ordinal, prop):
                return True
        return False

    def pending_finals(self, pending: Pending) -> bool:
        """Report the final properties that failed on the last level; True to stop.

        The same as :meth:`finals_at_depth_bound` on the kept frontier: per state in
        admission order, the first failing property not yet violated."""
        for ordinal, failing in pending:
            for prop in failing:
                if prop.name not in self.run.violated:
                    if self.violation_at(ordinal, prop):
                        return True
                    break
        return False

    def next_level(self, frontier: Frontier, expanded: int, last: bool) -> tuple[Frontier, int, bool, Pending]:
        """Expand one level: (next frontier, states expanded so far, stop, the final
        properties failing on the level the depth bound cuts, when ``last``). The hot
        loop: locals, and the admission inline (a helper would cost a call per state)."""
        run, representative, within = self.run, self.representative, self.within
        successors = run.model.successors
        fp_of = run.model.fingerprint
        visited = self.visited
        seen, parent_of, step_of = visited.seen, visited.parent, visited.step
        max_states = run.settings.max_states
        check_new = bool(run.always or run.sometimes_props)
        check_final = bool(run.final)
        finals = run.final
        violation_at = self.violation_at
        new_frontier: Frontier = []
        append = new_frontier.append
        pending: Pending = []
        stop = False
        ordinal = len(parent_of) - 1
        renamed = folded = 0
        for pord, state in frontier:
            index = -1
            for index, (_action, nxt) in enumerate(successors(state)):
                if nxt == state:
                    continue  # a stuttering step: the state is known
                rep = representative(nxt) if representative else nxt
                fp = fp_of(rep)
                if fp in seen:
                    if rep is not nxt and rep != nxt:
                        folded += 1
                    continue
                if rep is not nxt and rep != nxt:
                    renamed += 1
                seen.add(fp)
                parent_of.append(pord)
                step_of.append(index)
                ordinal += 1
                if check_new:
                    prop = run.failed_always(nxt)
                    if prop is not None and violation_at(ordinal, prop):
                        stop = True
                        break
                if within is not None and not within(nxt):
                    if check_final:
                        prop = run.failed_final(nxt)
                        if prop is not None and violation_at(ordinal, prop):
                            stop = True
                            break
                elif last:
                    self.at_bound += 1
                    if check_final:
                        failing = [p for p in finals if not p.condition(nxt)]
                        if failing:
                            pending.append((ordinal, failing))
                else:
                    append((ordinal, nxt))
                if max_states is not None and ordinal + 1 >= max_states:
                    run.stopped_by = "states"
                    stop = True
                    break
            self.generated += index + 1
            if index == -1 and check_final and not stop:
                prop = run.failed_final(state)
                if prop is not None and violation_at(pord, prop):
                    stop = True
            if stop:
                break
            expanded += 1
            if not expanded & TICK_MASK and run.tick(
                ordinal + 1,
                self.generated,
                len(self.level_sizes),
                len(frontier) + len(new_frontier),
            ):
                stop = True
                break
        self.renamed += renamed + folded
        self.folded += folded
        return new_frontier, expanded, stop, pending

    def symmetry_figures(self) -> dict[str, Any]:
        """``SearchResult.extra`` under symmetry: what the reduction did (counted, not estimated)."""
        if not self.run.settings.symmetry:
            return {}
        return {"symmetry": {"renamed": self.renamed, "folded": self.folded}}


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
            last = max_depth is not None and depth + 1 >= max_depth
            level_start = len(state.visited)
            frontier, expanded, stop, pending = state.next_level(frontier, expanded, last)
            if len(state.visited) > level_start:
                state.level_sizes.append(len(state.visited) - level_start)
            if last and not stop and state.at_bound:
                run.stopped_by = "depth"  # the frontier the bound cuts was judged on admission
                stop = state.pending_finals(pending)
                break
        if not stop:
            complete = True  # exhausted, or everything up to the depth bound
    except KeyboardInterrupt:
        run.stopped_by = "interrupted"
        complete = False
    return run.result(
        complete=complete,
        distinct=len(state.visited),
        generated=state.generated,
        levels=len(state.level_sizes),
        level_sizes=state.level_sizes,
        extra=state.symmetry_figures(),
    )

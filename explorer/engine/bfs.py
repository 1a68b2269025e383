"""Breadth-first search: shortest counterexamples, compact parent records.

The visited set (explorer/engine/visited.py: an open-addressing table) holds the
fingerprints and, per state in admission order (its *ordinal*), the parent's ordinal
and the index of the step among the parent's successors; initial states have parent -1
and the index of the initial state. A counterexample path is rebuilt by re-executing
the recorded indices from the initial state (:func:`explorer.engine.run.rebuild_path`),
so no state is kept beyond the frontier. The frontier (explorer/engine/frontier.py)
holds per state its ordinal and the state as the model's ``encode`` hook gives it
(default: the state itself; the actor model gives bytes, laid end to end in one
bytearray), decoded when it is expanded.

The states of the last level under a depth bound are never expanded, so they are not
kept either: their ``final`` properties are judged as they are admitted, and any that
fail are reported after the level, in the order the frontier would have given.

Checkpoints (``run.checkpoint``) and spilling (``--max-memory``) hook in at the *safe
points*: after an expansion, every few hundred states or as soon as a signal is
pending (signals are latched meanwhile, so one never cuts an expansion in half). What a
checkpoint holds and how a BFS resumes: explorer/engine/snapshots.py; the frontier on
disk: explorer/engine/spill.py.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from explorer.engine.fingerprint import fingerprint
from explorer.engine.free_steps import FreeSteps
from explorer.engine.frontier import Frontier
from explorer.engine.interrupts import SignalLatch, latched_signals
from explorer.engine.model import Property
from explorer.engine.results import SearchResult
from explorer.engine.run import TICK_MASK, Run, memory_mb, overrides, violation_from_parents
from explorer.engine.spill import SpillArea, SpillFrontier
from explorer.engine.visited import Visited
from explorer.engine.visited_spill import SpillingVisited

#: a level of states: in memory, or partly on disk past the memory bound
Level = Frontier | SpillFrontier
#: (ordinal, the final properties that fail there, in declaration order)
Pending = list[tuple[int, list[Property[Any]]]]


class _Bfs:
    """One breadth-first run: the visited set, the frontier and the level sizes."""

    def __init__(self, run: Run) -> None:
        self.run = run
        model = run.model
        self.representative = model.representative if run.settings.symmetry else None
        self.within = model.within_boundary if overrides(model, "within_boundary") else None
        self.encode = model.encode if overrides(model, "encode") else None
        self.decode = model.decode if overrides(model, "decode") else None
        # the default fingerprint called directly: one Python call less per successor
        self.fingerprint = model.fingerprint if overrides(model, "fingerprint") else fingerprint
        # successors' fingerprints before the successors (Model.keyed_successors)
        # (under symmetry every successor is built anyway, and the renaming counted)
        self.keyed = overrides(model, "keyed_successors") and self.representative is None
        self.spill: SpillArea | None = SpillArea() if run.spills else None
        # past the memory bound its older part moves to disk too (visited_spill.py)
        self.visited: Visited = SpillingVisited(self.spill) if self.spill is not None else Visited()
        self.level_sizes: list[int] = []
        self.generated = 0
        self.at_bound = 0  # states of the last level within the boundary (not kept)
        # symmetry's figures: successors its representative renamed (not their orbit's
        # canonical member), and those of them whose canonical member was already seen
        self.renamed = 0
        self.folded = 0
        self.latch = SignalLatch()  # replaced by an active one when checkpointing
        # steps of a reduced search that count as no step of the depth bound (free_steps.py)
        use_free = getattr(model, "free_steps", False) and not run.spills
        self.free = FreeSteps(model, self.encode) if use_free else None

    def new_frontier(self) -> Level:
        """An empty frontier: a list, or one that spills past the memory bound."""
        return Frontier() if self.spill is None else SpillFrontier(self.spill)

    def spill_if_over(self, frontier: Level) -> None:
        if isinstance(frontier, SpillFrontier) and self.run.over_memory:
            frontier.spill()
            if isinstance(self.visited, SpillingVisited):
                self.visited.spill()  # (only when its memory part is large enough)

    def spill_if_over_now(self, frontier: Level) -> None:
        """Spill ``frontier`` if memory is past the bound now (after a level, and while a
        checkpoint's frontier is read back, a chunk at a time)."""
        max_mb = self.run.settings.max_memory_mb
        if self.spill is not None and max_mb is not None:
            self.run.over_memory = memory_mb() >= max_mb
            self.spill_if_over(frontier)

    def safe_point(
        self, frontier: Level, position: int, new_frontier: Level, pending: Pending, distinct: int, expanded: int
    ) -> bool:
        """Between two expansions (``position`` pairs of ``frontier`` done): bounds and
        progress, spilling, and a checkpoint when one is due or a signal is pending
        (which is then delivered: it raises). True when a bound stops the search."""
        run = self.run
        stop = run.tick(distinct, self.generated, len(self.level_sizes), len(frontier) + len(new_frontier))
        self.spill_if_over(new_frontier)
        plan = run.checkpoint
        if plan is not None and (stop or self.latch.pending or plan.due()):
            from explorer.engine.snapshots import save_bfs

            save_bfs(self, frontier, position, new_frontier, pending, expanded, mid_level=True)
        self.latch.deliver()
        return stop

    def level_ended(self, frontier: Level, expanded: int) -> None:
        """After a level: spilling, and a checkpoint when one is due (by levels or time) or
        a signal is pending."""
        self.spill_if_over_now(frontier)  # the same test: past the bound, to disk
        plan = self.run.checkpoint
        if plan is not None and (plan.level_ended() or self.latch.pending):
            from explorer.engine.snapshots import save_bfs

            save_bfs(self, frontier, 0, Frontier(), [], expanded, mid_level=False)
        self.latch.deliver()

    def violation_at(self, ordinal: int, prop: Property[Any]) -> bool:
        """Record a violation at the state ``ordinal``; True when the search must stop."""
        return self.run.record(
            violation_from_parents(self.run.model, self.visited.record, ordinal, prop)
        )

    def initial_frontier(self) -> tuple[Level, bool]:
        """Admit the initial states; returns (frontier, stop)."""
        run, representative, within = self.run, self.representative, self.within
        visited = self.visited
        frontier = self.new_frontier()
        stop = False
        for i, state in enumerate(run.model.init_states()):
            fp = run.model.fingerprint(representative(state) if representative else state)
            if fp in visited:
                continue
            ordinal = visited.add(fp, -1, i)
            if run.checks_new:
                prop = run.failed_always(state)
                if prop is not None and run.record_each(
                    prop, state, run.failed_always, partial(self.violation_at, ordinal)
                ):
                    stop = True
                    break
            if within is not None and not within(state):
                if run.final:
                    prop = run.failed_final(state)
                    if prop is not None and run.record_each(
                        prop, state, run.failed_final, partial(self.violation_at, ordinal)
                    ):
                        stop = True
                        break
                continue
            frontier.append(ordinal, self.encode(state) if self.encode else state)
        self.level_sizes.append(len(visited))
        max_states = run.settings.max_states
        if max_states is not None and len(visited) >= max_states and not stop:
            run.stopped_by = "states"
            stop = True
        return frontier, stop

    def finals_at_depth_bound(self, frontier: Level) -> bool:
        """Check ``final`` properties on a frontier the depth bound cuts; True to stop."""
        decode, run = self.decode, self.run
        for ordinal, data in frontier:
            state = decode(data) if decode else data
            prop = run.failed_final(state)
            if prop is not None and run.record_each(
                prop, state, run.failed_final, partial(self.violation_at, ordinal)
            ):
                return True
        return False

    def pending_finals(self, pending: Pending) -> bool:
        """Report the final properties that failed on the last level; True to stop.

        The same as :meth:`finals_at_depth_bound` on the kept frontier: per state in
        admission order, each failing property not yet violated."""
        for ordinal, failing in pending:
            for prop in failing:
                if prop.name not in self.run.violated and self.violation_at(ordinal, prop):
                    return True
        return False

    def record_at(self, ordinal: int, prop: Property[Any], state: Any, failing: Any) -> bool:
        """Record ``prop`` failing at the state ``ordinal`` (and, under --collect, every
        other property ``failing`` finds there); True when the search must stop."""
        return self.run.record_each(prop, state, failing, partial(self.violation_at, ordinal))

    def final_outside(self, ordinal: int, state: Any) -> bool:
        """Judge the final properties of a state where a run ends (a new state outside the
        boundary, never expanded, or one without successors); True when the search must stop."""
        prop = self.run.failed_final(state)
        return prop is not None and self.record_at(ordinal, prop, state, self.run.failed_final)

    def next_level(
        self, frontier: Level, expanded: int, last: bool, carry: tuple[Level, Pending] | None = None
    ) -> tuple[Level, int, bool, Pending]:
        """One level: (next frontier, expanded so far, stop, finals failing on the level the bound cuts if ``last``); ``carry``: a resumed level's. Hot loop: locals, admission inline."""
        run, representative, within, model = self.run, self.representative, self.within, self.run.model
        successors, fp_of, next_state = model.successors, self.fingerprint, model.next_state
        keyed = model.keyed_successors if self.keyed else None  # never under symmetry
        admit = self.visited.admit
        max_states, finals = run.settings.max_states, run.final
        check_new, check_final = run.checks_new, bool(run.final)
        new_frontier, pending = carry if carry is not None else (self.new_frontier(), [])
        encode, decode, free = self.encode, self.decode, self.free  # free: a reduced search's (free_steps.py)
        skip = free.begin_level() if free is not None else None
        signalled, first, stop, renamed, folded = self.latch.pending, expanded, False, 0, 0
        for pord, data in frontier:
            if skip and pord in skip:  # moved to the level before by a free step, expanded there
                first -= 1  # a pair passed: ``expanded - first`` counts the frontier's pairs done
                continue
            state = decode(data) if decode else data
            index = -1
            for index, step in enumerate(keyed(state, False) if keyed else successors(state)):
                if keyed:  # (action, fingerprint, next state or None): built only when new
                    ordinal = admit(fp := step[1], pord, index)
                    if ordinal < 0:  # seen before (a stuttering step too: the state's own)
                        if free is not None and index == free.model.free_index:
                            free.pull_forward(fp, frontier, step[2])  # (a reduced set's: built)
                        continue
                    nxt = step[2] if step[2] is not None else next_state(state, step[0])
                else:
                    nxt = step[1]
                    if nxt == state:
                        continue  # a stuttering step: the state is known
                    rep = representative(nxt) if representative else nxt
                    ordinal = admit(fp := fp_of(rep), pord, index)
                    if ordinal < 0:  # seen before
                        if free is not None and index == free.model.free_index:
                            free.pull_forward(fp, frontier, nxt)
                        if rep is not nxt and rep != nxt:
                            folded += 1
                        continue
                    if rep is not nxt and rep != nxt:
                        renamed += 1
                if check_new:
                    prop = run.failed_always(nxt)
                    if prop is not None and self.record_at(ordinal, prop, nxt, run.failed_always):
                        stop = True
                        break
                if within is not None and not within(nxt):
                    if check_final and self.final_outside(ordinal, nxt):
                        stop = True
                        break
                elif free is not None and index == free.model.free_index:
                    free.in_level(frontier, ordinal, nxt)  # no step of the depth bound
                else:
                    if free is not None:  # a later free step may pull it into this level
                        free.next_ordinals[fp] = ordinal
                    if last:
                        self.at_bound += 1
                        if check_final and (failing := [p for p in finals if not p.condition(nxt)]):
                            pending.append((ordinal, failing))
                    else:
                        new_frontier.append(ordinal, encode(nxt) if encode else nxt)
                if max_states is not None and ordinal + 1 >= max_states:
                    run.stopped_by = "states"
                    stop = True
                    break
            self.generated += index + 1
            if index == -1 and check_final and not stop:
                stop = self.final_outside(pord, state)  # a run's end: no successor
            if stop:
                break
            expanded += 1
            if (signalled or not expanded & TICK_MASK) and self.safe_point(
                frontier, expanded - first, new_frontier, pending, len(self.visited), expanded
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
    try:
        with latched_signals(run.checkpoint is not None) as state.latch:
            complete = _levels(state)
    finally:
        if isinstance(state.visited, SpillingVisited):
            state.visited.close()
        if state.spill is not None:
            state.spill.close()
    extra: dict[str, Any] = state.symmetry_figures()
    if state.spill is not None:
        extra["spill"] = state.spill.to_json()
    return run.result(
        complete=complete,
        distinct=len(state.visited),
        generated=state.generated,
        levels=len(state.level_sizes),
        level_sizes=state.level_sizes,
        extra=extra,
    )


def _levels(state: _Bfs) -> bool:
    """The levels of a BFS (from a checkpoint, if any); True when it completed."""
    run = state.run
    max_depth = run.settings.max_depth
    carry: tuple[Level, Pending] | None = None
    try:
        snapshot = run.checkpoint.snapshot if run.checkpoint is not None else None
        if snapshot is not None:
            from explorer.engine.snapshots import restore_bfs

            frontier, carry, expanded = restore_bfs(state, snapshot)
            stop = False
        else:
            frontier, stop = state.initial_frontier()
            expanded = 0
        while (frontier or carry is not None) and not stop:
            depth = len(state.level_sizes) - 1  # actions taken to reach the frontier
            if max_depth is not None and depth >= max_depth:
                run.stopped_by = "depth"
                if run.final:
                    stop = state.finals_at_depth_bound(frontier)
                break
            last = max_depth is not None and depth + 1 >= max_depth
            level_start = sum(state.level_sizes)  # len(visited) when the level began
            done, (frontier, expanded, stop, pending) = frontier, state.next_level(frontier, expanded, last, carry)
            carry = None
            joined = state.free.level_joined() if state.free is not None else 0
            state.level_sizes[-1] += joined
            if len(state.visited) > level_start + joined:
                state.level_sizes.append(len(state.visited) - level_start - joined)
            if last and not stop and state.at_bound:
                run.stopped_by = "depth"  # the frontier the bound cuts was judged on admission
                stop = state.pending_finals(pending)
                break
            if isinstance(done, SpillFrontier):
                done.discard()
            del done  # else the expanded level stays alive through the next one (peak memory)
            if not stop:
                state.level_ended(frontier, expanded)
        state.latch.deliver()  # a signal that came after the last safe point
        return not stop  # exhausted, or everything up to the depth bound
    except KeyboardInterrupt:
        run.stopped_by = "interrupted"
        return False

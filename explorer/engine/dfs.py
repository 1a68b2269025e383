"""Depth-first search: low memory, the path is the stack.

The visited set maps each fingerprint to the shallowest depth it was seen at: with a
depth bound, a state first met deep down is expanded again when met higher up, so
nothing within the bound is missed (at the cost of re-expansions).

Checkpoints (``run.checkpoint``) are written at the safe points, between two steps
(SIGINT and SIGTERM are latched meanwhile); each frame counts the successors it took,
so a resumed frame skips exactly those (explorer/engine/snapshots.py).

Past ``--max-memory`` the seen map's older part moves to disk instead of the search
stopping (explorer/engine/seen_spill.py); the stack stays in memory (one frame per step
of the current path: at most the depth bound).
"""

from __future__ import annotations

from collections.abc import Hashable
from functools import partial
from typing import Any

from explorer.engine.interrupts import SignalLatch, latched_signals
from explorer.engine.model import Property
from explorer.engine.results import SearchResult, Violation
from explorer.engine.run import TICK_MASK, Run, overrides
from explorer.engine.seen_spill import SpillingSeen
from explorer.engine.spill import SpillArea


class _Dfs:
    """One depth-first run. The stack holds, per frame, the state, its successor
    iterator, whether it had any successor, and the action that led to the next frame."""

    def __init__(self, run: Run) -> None:
        self.run = run
        model = run.model
        self.successors = model.successors
        self.representative = model.representative if run.settings.symmetry else None
        self.within = model.within_boundary if overrides(model, "within_boundary") else None
        self.max_depth = run.settings.max_depth
        self.spill: SpillArea | None = SpillArea() if run.spills else None
        self.seen: dict[int, int] | SpillingSeen = SpillingSeen(self.spill) if self.spill is not None else {}
        self.generated = 0
        self.renamed = 0  # symmetry: successors renamed to their orbit's canonical member
        self.folded = 0  # ... of which the canonical member was already seen (as deep or shallower)
        self.max_seen_depth = 0
        self.expanded = 0
        self.states: list[Any] = []
        self.iters: list[Any] = []
        self.had: list[bool] = []
        self.acts: list[Hashable] = []
        self.taken: list[int] = []  # per frame: successors taken from its iterator
        self.init_index = 0
        self.latch = SignalLatch()  # replaced by an active one when checkpointing

    def safe_point(self) -> bool:
        """Between two steps: bounds and progress, and a checkpoint when one is due, a
        bound stops the search or a signal is pending (then delivered: it raises).
        True when a bound stops the search."""
        run = self.run
        stop = run.tick(len(self.seen), self.generated, self.max_seen_depth, len(self.states))
        if run.over_memory and isinstance(self.seen, SpillingSeen):
            self.seen.spill()  # (only when its memory part is large enough)
        plan = run.checkpoint
        if plan is not None and (stop or self.latch.pending or plan.due()):
            from explorer.engine.snapshots import save_dfs

            save_dfs(self)
        self.latch.deliver()
        return stop

    def violation(self, prop: Property[Any], last: Any | None) -> bool:
        """Record a violation on the current path (plus ``last``); True to stop."""
        path_states = list(self.states) + ([last] if last is not None else [])
        return self.run.record(
            Violation(prop.name, prop.kind, list(self.acts), path_states, self.init_index)
        )

    def enter(self, state: Any, depth: int) -> bool:
        """Push a new state (already recorded as seen), or end the run there; False to stop."""
        run, within, max_depth = self.run, self.within, self.max_depth
        if depth > self.max_seen_depth:
            self.max_seen_depth = depth
        at_bound = max_depth is not None and depth >= max_depth
        if (within is not None and not within(state)) or at_bound:
            if run.final:
                prop = run.failed_final(state)
                if prop is not None and run.record_each(
                    prop, state, run.failed_final, partial(self.violation, last=state)
                ):
                    return False
            if at_bound and (within is None or within(state)):
                if next(iter(self.successors(state)), None) is not None:
                    run.stopped_by = "depth"
            return True
        self.states.append(state)
        self.iters.append(iter(self.successors(state)))
        self.had.append(False)
        self.taken.append(0)
        return True

    def pop(self) -> bool:
        """Leave the top frame (checking ``final`` where the run ended); False to stop."""
        run = self.run
        if not self.had[-1] and run.final:
            prop = run.failed_final(self.states[-1])
            if prop is not None and run.record_each(
                prop, self.states[-1], run.failed_final, partial(self.violation, last=None)
            ):
                return False
        self.states.pop()
        self.iters.pop()
        self.had.pop()
        self.taken.pop()
        if self.acts:
            self.acts.pop()
        return True

    def explore_from(self, init: Any) -> bool:
        """Search everything reachable from one initial state; False to stop."""
        run = self.run
        prop = run.failed_always(init)
        if prop is not None and run.record_each(
            prop, init, run.failed_always, partial(self.violation, last=init)
        ):
            return False
        if not self.enter(init, 0):
            return False
        return self.descend()

    def descend(self) -> bool:
        """Run the stack down to empty; False to stop."""
        run, representative, max_depth = self.run, self.representative, self.max_depth
        max_states = run.settings.max_states
        seen, states, iters, had, acts = self.seen, self.states, self.iters, self.had, self.acts
        taken, signalled = self.taken, self.latch.pending
        fp_of = run.model.fingerprint
        while states:
            pair = next(iters[-1], None)
            if pair is None:
                if not self.pop():
                    return False
                continue
            self.generated += 1
            taken[-1] += 1
            had[-1] = True
            action, nxt = pair
            if nxt == states[-1]:
                continue
            depth = len(states)
            rep = representative(nxt) if representative else nxt
            fp = fp_of(rep)
            old = seen.get(fp)
            if rep is not nxt and rep != nxt:
                self.renamed += 1
                if old is not None and (max_depth is None or old <= depth):
                    self.folded += 1
                    continue
            if old is not None and (max_depth is None or old <= depth):
                continue
            seen[fp] = depth
            acts.append(action)
            if old is None:
                prop = run.failed_always(nxt)
                if prop is not None and run.record_each(
                    prop, nxt, run.failed_always, partial(self.violation, last=nxt)
                ):
                    return False
                if max_states is not None and len(seen) >= max_states:
                    run.stopped_by = "states"
                    return False
            if not self.enter(nxt, depth):
                return False
            if len(states) == depth:
                acts.pop()  # not expanded: a run end
            self.expanded += 1
            if (signalled or not self.expanded & TICK_MASK) and self.safe_point():
                return False
        return True


def dfs(run: Run) -> SearchResult:
    """Depth-first search within ``run.settings`` (semantics: explorer.engine.search)."""
    state = _Dfs(run)
    try:
        with latched_signals(run.checkpoint is not None) as state.latch:
            complete = _from_inits(state)
    finally:
        if isinstance(state.seen, SpillingSeen):
            state.seen.close()
        if state.spill is not None:
            state.spill.close()
    extra: dict[str, Any] = {}
    if run.settings.symmetry:
        extra["symmetry"] = {"renamed": state.renamed, "folded": state.folded}
    if state.spill is not None:
        extra["spill"] = state.spill.to_json()
    return run.result(
        complete=complete,
        distinct=len(state.seen),
        generated=state.generated,
        levels=state.max_seen_depth + 1 if len(state.seen) else 0,
        extra=extra or None,
    )


def _from_inits(state: _Dfs) -> bool:
    """Everything reachable from every initial state (from a checkpoint's stack first,
    if any); True when it completed."""
    run = state.run
    representative = state.representative
    try:
        first = 0
        snapshot = run.checkpoint.snapshot if run.checkpoint is not None else None
        if snapshot is not None:
            from explorer.engine.snapshots import restore_dfs

            restore_dfs(state, snapshot)
            first = state.init_index + 1
            if not state.descend():
                return False
        for index_of_init, init in enumerate(run.model.init_states()):
            if index_of_init < first:
                continue
            fp = run.model.fingerprint(representative(init) if representative else init)
            if fp in state.seen:
                continue
            state.init_index = index_of_init  # read by violation()
            state.seen[fp] = 0
            if not state.explore_from(init):
                return False
        state.latch.deliver()  # a signal that came after the last safe point
        return True
    except KeyboardInterrupt:
        run.stopped_by = "interrupted"
        return False

"""Seeded random walks and swarm testing.

Each walk gets its own generator, seeded from a master generator seeded by
``settings.seed``, so a run is the same whatever else happens. Swarm testing (Groce et
al.) varies each walk's configuration: every walk switches some kinds of action off,
tilts others, and gets its own length, so different walks reach different corners.
Walks keep the fingerprints they have seen (for the distinct-state count) and their
current path; counterexamples are shrunk (explorer.engine.shrink) before they are kept.

Checkpoints (``run.checkpoint``) are written between two walks, where a run is only the
walks done, the fingerprints seen, the counters and what was witnessed and violated:
walk ``i`` is the ``i``-th seed of the master seed, so a resumed run skips the seeds of
the walks done and goes on with the same walks (explorer/engine/snapshots.py).
"""

from __future__ import annotations

import random
from collections.abc import Hashable, Iterator
from typing import Any

from explorer.engine.interrupts import SignalLatch, latched_signals
from explorer.engine.model import Model, Property
from explorer.engine.results import SearchResult, SearchSettings, Violation
from explorer.engine.run import Run, overrides
from explorer.engine.shrink import shrink

#: random/swarm walk length when ``max_depth`` is not set
DEFAULT_WALK_DEPTH = 100
#: random/swarm walks when no bound at all (walks, states, time) is set
DEFAULT_WALKS = 1000

_SWARM_WEIGHTS = (0.0, 0.0, 0.25, 1.0, 1.0, 4.0)


def _choose(
    model: Model[Any, Any],
    state: Any,
    rng: random.Random,
    weights: dict[str, float] | None,
) -> tuple[Hashable, Any, int]:
    """Pick an enabled action at random (by swarm ``weights`` when given); returns
    (action, next state or None when nothing is enabled, successors generated)."""
    actions = list(model.actions(state))
    generated = 0
    while actions:
        if weights is not None:
            ws = []
            for a in actions:
                kind = model.action_kind(a)
                w = weights.get(kind)
                if w is None:
                    w = weights[kind] = rng.choice(_SWARM_WEIGHTS)
                ws.append(w)
            i = rng.choices(range(len(actions)), ws)[0] if sum(ws) > 0 else rng.randrange(len(actions))
        else:
            i = rng.randrange(len(actions))
        chosen = actions[i]
        nxt = model.next_state(state, chosen)
        generated += 1
        if nxt is not None:
            return chosen, nxt, generated
        actions[i] = actions[-1]
        actions.pop()
    return None, None, generated


class _Walks:
    """The walks of one run: what they have seen, generated and found."""

    def __init__(self, run: Run, swarm: bool) -> None:
        self.run = run
        self.swarm = swarm
        model = run.model
        self.representative = model.representative if run.settings.symmetry else None
        self.within = model.within_boundary if overrides(model, "within_boundary") else None
        self.seen: set[int] = set()
        self.generated = 0
        self.longest = 0
        self.count = 0  # walks done
        self.latch = SignalLatch()  # replaced by an active one when checkpointing

    def safe_point(self, stop: bool) -> None:
        """Between two walks: a checkpoint when one is due, a bound stops the run
        (``stop``) or a signal is pending (then delivered: it raises)."""
        plan = self.run.checkpoint
        if plan is not None and (stop or self.latch.pending or plan.due()):
            from explorer.engine.snapshots import save_walks

            save_walks(self)
        self.latch.deliver()

    def seeded_walk(self, seed: int, inits: list[Any], depth_cap: int) -> bool:
        """The walk of ``seed`` (its length under swarm and its initial state drawn from
        it); True when the search must stop."""
        rng = random.Random(seed)
        length = depth_cap
        if self.swarm:
            length = rng.randint(max(1, depth_cap // 4), depth_cap) if depth_cap > 0 else 0
        init_index = rng.randrange(len(inits))
        return self.walk(rng, init_index, inits[init_index], length)

    def walk(self, rng: random.Random, init_index: int, init: Any, length: int) -> bool:
        """One walk of at most ``length`` actions from ``init``; True when the search must stop."""
        run, representative, within = self.run, self.representative, self.within
        max_states = run.settings.max_states
        weights: dict[str, float] | None = {} if self.swarm else None
        state = init
        path_states: list[Any] = [state]
        path_actions: list[Hashable] = []

        def violation(prop: Property[Any]) -> bool:
            """Record ``prop`` failing at the end of the walk so far; True to stop."""
            return run.record(Violation(prop.name, prop.kind, list(path_actions), list(path_states), init_index))

        stop = False
        ended = False
        for step in range(length + 1):
            fp = run.model.fingerprint(representative(state) if representative else state)
            if fp not in self.seen:
                self.seen.add(fp)
                prop = run.failed_always(state)
                if prop is not None:
                    stop = run.record_each(prop, state, run.failed_always, violation)
                    ended = True
                    break
                if max_states is not None and len(self.seen) >= max_states:
                    run.stopped_by = "states"
                    stop = ended = True
                    break
            if step == length or (within is not None and not within(state)):
                break  # depth bound or boundary: a run end
            chosen, nxt, generated = _choose(run.model, state, rng, weights)
            self.generated += generated
            if nxt is None:
                break  # no enabled action: a run end
            path_actions.append(chosen)
            path_states.append(nxt)
            state = nxt
        if not ended and run.final:
            prop = run.failed_final(state)
            if prop is not None:
                stop = run.record_each(prop, state, run.failed_final, violation)
        self.longest = max(self.longest, len(path_actions))
        return stop


def walk_seeds(seed: int) -> Iterator[int]:
    """The seed of each walk in turn: walk ``i`` of a run is the same walk whichever
    process runs it (the Ray backend hands them out by index)."""
    master = random.Random(seed)
    while True:
        yield master.getrandbits(64)


def walk_depth_cap(run: Run) -> int:
    return run.settings.max_depth if run.settings.max_depth is not None else DEFAULT_WALK_DEPTH


def walk_limit(settings: SearchSettings) -> int | None:
    """How many walks: ``settings.walks``, or :data:`DEFAULT_WALKS` when no bound is set."""
    if settings.walks is None and settings.max_states is None and settings.time_limit is None:
        return DEFAULT_WALKS
    return settings.walks


def walks(run: Run, swarm: bool) -> SearchResult:
    """Random walks (or swarm) within ``run.settings`` (semantics: explorer.engine.search)."""
    state = _Walks(run, swarm)
    with latched_signals(run.checkpoint is not None) as state.latch:
        _walk_on(state)
    depth_cap = walk_depth_cap(run)
    if run.settings.shrink and run.violations:
        try:
            run.violations[:] = [shrink(run.model, v, max_depth=depth_cap) for v in run.violations]
        except KeyboardInterrupt:
            pass  # keep the unshrunk counterexamples
    return run.result(
        complete=False,
        distinct=len(state.seen),
        generated=state.generated,
        levels=state.longest + 1 if state.seen else 0,
        walks=state.count,
    )


def _walk_on(state: _Walks) -> None:
    """The walks of a run, one seed after another (from a checkpoint's, if any)."""
    run = state.run
    inits = list(run.model.init_states())
    depth_cap = walk_depth_cap(run)
    limit = walk_limit(run.settings)
    seeds = walk_seeds(run.settings.seed)
    stop = False
    try:
        snapshot = run.checkpoint.snapshot if run.checkpoint is not None else None
        if snapshot is not None:
            from explorer.engine.snapshots import restore_walks

            restore_walks(state, snapshot)
            for _ in range(state.count):
                next(seeds)  # the walks done
        while not stop and inits:
            if limit is not None and state.count >= limit:
                run.stopped_by = "walks"
                break
            state.count += 1
            stop = state.seeded_walk(next(seeds), inits, depth_cap)
            if not stop:
                bound = run.tick(len(state.seen), state.generated, state.longest, 0, state.count)
                state.safe_point(bound)
                stop = bound
        state.latch.deliver()  # a signal that came after the last walk
    except KeyboardInterrupt:
        run.stopped_by = "interrupted"

"""The search engine: breadth-first, depth-first, seeded random walks and swarm.

``search(model, settings, progress)`` explores the states of a :class:`~explorer.model.Model`
within the bounds of :class:`~explorer.results.SearchSettings` and returns a
:class:`~explorer.results.SearchResult`. The engine knows nothing about any model: it
expands states through ``model.successors``, identifies them by a stable 64-bit
fingerprint (``explorer.fingerprint``) of ``model.representative(state)`` when symmetry
is on (of the state itself otherwise), and checks ``model.properties()``.

Semantics (shared by every strategy):

- ``always`` properties are checked on every new state (initial states included);
- ``sometimes`` properties are checked on new states until witnessed;
- ``final`` properties are checked where a run ends: a state with no enabled successor,
  a state outside ``model.within_boundary`` (it is not expanded), or a state at the
  depth bound;
- a violation stops the search unless ``settings.collect`` (then one violation per
  property is kept and the search goes on);
- ``complete`` is true when everything within the bounds was explored; reaching the
  depth bound still counts as complete (everything up to that depth was seen), running
  out of states, time or memory does not, nor does an interrupt (Ctrl-C returns the
  partial result with ``stopped_by="interrupted"``).

BFS keeps a parent map ``fingerprint -> (parent fingerprint, step index)``; a
counterexample path is rebuilt by re-executing the recorded step indices from the
initial state (:func:`rebuild_path`). DFS keeps only the fingerprints it has seen (the
path is its stack). Random and swarm keep the fingerprints they have seen (for the
distinct-state count) and their current walk.
"""

from __future__ import annotations

import itertools
import os
import random
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

from explorer.fingerprint import fingerprint
from explorer.model import Model, Property
from explorer.results import STRATEGIES, Progress, SearchResult, SearchSettings, Violation
from explorer.shrink import replay_actions, shrink

__all__ = [
    "DEFAULT_WALK_DEPTH",
    "DEFAULT_WALKS",
    "rebuild_path",
    "replay_actions",
    "search",
    "shrink",
    "state_fingerprint",
]

#: random/swarm walk length when ``max_depth`` is not set
DEFAULT_WALK_DEPTH = 100
#: random/swarm walks when no bound at all (walks, states, time) is set
DEFAULT_WALKS = 1000
#: how often (in expanded states) the hot loops look at the clock
_TICK_MASK = 255

ProgressFn = Callable[[Progress], None]


def state_fingerprint(model: Model[Any, Any], state: Any, symmetry: bool = False) -> int:
    """The fingerprint the engine uses for ``state`` (of its representative under symmetry)."""
    return fingerprint(model.representative(state) if symmetry else state)


def memory_mb(pid: int | None = None) -> float:
    """Resident memory of a process in MiB (this one by default)."""
    try:
        with open(f"/proc/{pid or 'self'}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _overrides(model: Model[Any, Any], name: str) -> bool:
    return getattr(type(model), name) is not getattr(Model, name)


@dataclass
class _Run:
    """Bookkeeping shared by the strategies: properties, bounds, clock, progress."""

    model: Model[Any, Any]
    settings: SearchSettings
    progress: ProgressFn | None
    start: float = field(default_factory=time.monotonic)
    always: list[Property[Any]] = field(default_factory=list)
    sometimes_props: list[Property[Any]] = field(default_factory=list)
    final: list[Property[Any]] = field(default_factory=list)
    sometimes: dict[str, bool] = field(default_factory=dict)
    violations: list[Violation] = field(default_factory=list)
    violated: set[str] = field(default_factory=set)
    stopped_by: str | None = None
    next_tick: float = 0.0
    deadline: float | None = None

    def __post_init__(self) -> None:
        for prop in self.model.properties():
            if prop.kind == "always":
                self.always.append(prop)
            elif prop.kind == "sometimes":
                self.sometimes_props.append(prop)
                self.sometimes[prop.name] = False
            elif prop.kind == "final":
                self.final.append(prop)
            else:
                raise ValueError(f"unknown property kind {prop.kind!r} for {prop.name!r}")
        self.next_tick = self.start + 1.0
        if self.settings.time_limit is not None:
            self.deadline = self.start + self.settings.time_limit

    # -- properties -------------------------------------------------------------------

    def failed_always(self, state: Any) -> Property[Any] | None:
        """The first unviolated ``always`` property that fails in ``state``; also notes
        ``sometimes`` properties witnessed in it."""
        if self.sometimes_props:
            for prop in self.sometimes_props:
                if not self.sometimes[prop.name] and prop.condition(state):
                    self.sometimes[prop.name] = True
        for prop in self.always:
            if prop.name not in self.violated and not prop.condition(state):
                return prop
        return None

    def failed_final(self, state: Any) -> Property[Any] | None:
        for prop in self.final:
            if prop.name not in self.violated and not prop.condition(state):
                return prop
        return None

    def record(self, violation: Violation) -> bool:
        """Keep a violation; True when the search must stop."""
        self.violations.append(violation)
        self.violated.add(violation.property_name)
        return not self.settings.collect

    # -- bounds and progress ------------------------------------------------------------

    def tick(self, distinct: int, generated: int, depth: int, queue: int, walks: int = 0) -> bool:
        """Called every few hundred states: True when a time or memory bound is hit."""
        now = time.monotonic()
        if self.deadline is not None and now >= self.deadline:
            self.stopped_by = "time"
            return True
        mem = -1.0
        if self.settings.max_memory_mb is not None:
            mem = memory_mb()
            if mem >= self.settings.max_memory_mb:
                self.stopped_by = "memory"
                return True
        if now >= self.next_tick:
            self.next_tick = now + 1.0
            if self.progress is not None:
                if mem < 0:
                    mem = memory_mb()
                elapsed = now - self.start
                self.progress(
                    Progress(
                        distinct_states=distinct,
                        generated=generated,
                        depth=depth,
                        queue=queue,
                        elapsed_s=elapsed,
                        states_per_s=distinct / elapsed if elapsed > 0 else 0.0,
                        memory_mb=mem,
                        walks=walks,
                    )
                )
        return False

    def result(
        self,
        *,
        complete: bool,
        distinct: int,
        generated: int,
        depth: int,
        walks: int = 0,
        level_sizes: list[int] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> SearchResult:
        return SearchResult(
            verdict="violated" if self.violations else "holds",
            complete=complete,
            distinct_states=distinct,
            generated=generated,
            depth=depth,
            elapsed_s=time.monotonic() - self.start,
            violations=self.violations,
            sometimes=dict(self.sometimes),
            stopped_by=self.stopped_by,
            walks=walks,
            level_sizes=level_sizes or [],
            extra=extra or {},
        )


# ---------------------------------------------------------------------------------------
# path reconstruction


def rebuild_path(
    model: Model[Any, Any],
    steps: Sequence[int],
    init_index: int,
) -> tuple[list[Any], list[Hashable]]:
    """Re-execute a path given as step indices into ``model.successors`` from the
    ``init_index``-th initial state; returns (states, actions)."""
    state = model.init_states()[init_index]
    states: list[Any] = [state]
    actions: list[Hashable] = []
    for index in steps:
        pair = next(itertools.islice(model.successors(state), index, None), None)
        if pair is None:
            raise RuntimeError(
                f"model is not deterministic: step {len(actions)} (successor #{index}) vanished"
            )
        action, state = pair
        actions.append(action)
        states.append(state)
    return states, actions


def path_from_parents(
    model: Model[Any, Any],
    lookup: Callable[[int], tuple[int, int]],
    fp: int,
) -> tuple[int, list[int]]:
    """Walk a parent map (fp -> (parent fp or -1, index)) up to an initial state; returns
    (init index, step indices from it)."""
    steps: list[int] = []
    while True:
        parent, index = lookup(fp)
        if parent == -1:
            steps.reverse()
            return index, steps
        steps.append(index)
        fp = parent


def _violation_from_parents(
    model: Model[Any, Any],
    lookup: Callable[[int], tuple[int, int]],
    fp: int,
    prop: Property[Any],
) -> Violation:
    init_index, steps = path_from_parents(model, lookup, fp)
    states, actions = rebuild_path(model, steps, init_index)
    return Violation(prop.name, prop.kind, actions, states, init_index=init_index)


# ---------------------------------------------------------------------------------------
# breadth-first search


def _bfs(run: _Run) -> SearchResult:
    model, settings = run.model, run.settings
    successors = model.successors
    representative = model.representative if settings.symmetry else None
    fp_of = fingerprint
    within = model.within_boundary if _overrides(model, "within_boundary") else None
    max_states = settings.max_states
    max_depth = settings.max_depth
    check_new = bool(run.always or run.sometimes_props)
    check_final = bool(run.final)

    # fingerprint -> (parent fingerprint, index of the step among the parent's successors);
    # initial states have parent -1 and the index of the initial state.
    parents: dict[int, tuple[int, int]] = {}
    level_sizes: list[int] = []
    generated = 0
    complete = False
    stop = False
    frontier: list[tuple[int, Any]] = []
    lookup = parents.__getitem__

    def violation_at(fp: int, prop: Property[Any]) -> bool:
        return run.record(_violation_from_parents(model, lookup, fp, prop))

    try:
        for i, state in enumerate(model.init_states()):
            fp = fp_of(representative(state) if representative else state)
            if fp in parents:
                continue
            parents[fp] = (-1, i)
            if check_new:
                prop = run.failed_always(state)
                if prop is not None and violation_at(fp, prop):
                    stop = True
                    break
            if within is not None and not within(state):
                if check_final:
                    prop = run.failed_final(state)
                    if prop is not None and violation_at(fp, prop):
                        stop = True
                        break
                continue
            frontier.append((fp, state))
        level_sizes.append(len(parents))
        if max_states is not None and len(parents) >= max_states and not stop:
            run.stopped_by = "states"
            stop = True

        expanded = 0
        while frontier and not stop:
            depth = len(level_sizes) - 1  # actions taken to reach the frontier
            if max_depth is not None and depth >= max_depth:
                run.stopped_by = "depth"
                if check_final:
                    for fp, state in frontier:
                        prop = run.failed_final(state)
                        if prop is not None and violation_at(fp, prop):
                            stop = True
                            break
                break
            level_start = len(parents)
            new_frontier: list[tuple[int, Any]] = []
            append = new_frontier.append
            for pfp, state in frontier:
                index = -1
                for index, (_action, nxt) in enumerate(successors(state)):
                    if nxt == state:
                        continue  # a stuttering step: the state is known
                    fp = fp_of(representative(nxt) if representative else nxt)
                    if fp in parents:
                        continue
                    # The initial states' admission above, inlined on purpose: this is the
                    # hot loop, and a shared helper would cost a call per new state.
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
                generated += index + 1
                if index == -1 and check_final and not stop:
                    prop = run.failed_final(state)
                    if prop is not None and violation_at(pfp, prop):
                        stop = True
                if stop:
                    break
                expanded += 1
                if not expanded & _TICK_MASK and run.tick(
                    len(parents), generated, len(level_sizes), len(frontier) + len(new_frontier)
                ):
                    stop = True
                    break
            if len(parents) > level_start:
                level_sizes.append(len(parents) - level_start)
            frontier = new_frontier
        if not stop:
            complete = True  # exhausted, or everything up to the depth bound
    except KeyboardInterrupt:
        run.stopped_by = "interrupted"
        complete = False
    return run.result(
        complete=complete,
        distinct=len(parents),
        generated=generated,
        depth=len(level_sizes),
        level_sizes=level_sizes,
    )


# ---------------------------------------------------------------------------------------
# depth-first search


def _dfs(run: _Run) -> SearchResult:
    model, settings = run.model, run.settings
    successors = model.successors
    representative = model.representative if settings.symmetry else None
    fp_of = fingerprint
    within = model.within_boundary if _overrides(model, "within_boundary") else None
    max_states = settings.max_states
    max_depth = settings.max_depth
    check_final = bool(run.final)

    # fingerprint -> shallowest depth seen at; with a depth bound a state first met deep
    # down is expanded again when met higher up, so nothing within the bound is missed.
    seen: dict[int, int] = {}
    generated = 0
    max_seen_depth = 0
    stop = False
    complete = False
    expanded = 0
    # the stack: per frame the state, its successor iterator, whether it had any, and the
    # action that led to the next frame
    states: list[Any] = []
    iters: list[Any] = []
    had: list[bool] = []
    acts: list[Hashable] = []
    init_index = 0

    def violation(prop: Property[Any], last: Any | None) -> bool:
        path_states = list(states) + ([last] if last is not None else [])
        return run.record(Violation(prop.name, prop.kind, list(acts), path_states, init_index))

    def enter(state: Any, depth: int) -> bool:
        """Push a new state (already recorded as seen); False to stop."""
        nonlocal max_seen_depth
        if depth > max_seen_depth:
            max_seen_depth = depth
        ends = (within is not None and not within(state)) or (
            max_depth is not None and depth >= max_depth
        )
        if ends:
            if check_final:
                prop = run.failed_final(state)
                if prop is not None and violation(prop, state):
                    return False
            if max_depth is not None and depth >= max_depth and (within is None or within(state)):
                if next(iter(successors(state)), None) is not None:
                    run.stopped_by = "depth"
            return True
        states.append(state)
        iters.append(iter(successors(state)))
        had.append(False)
        return True

    try:
        for index_of_init, init in enumerate(model.init_states()):
            fp = fp_of(representative(init) if representative else init)
            if fp in seen:
                continue
            init_index = index_of_init  # read by violation()
            seen[fp] = 0
            prop = run.failed_always(init)
            if prop is not None and violation(prop, init):
                stop = True
                break
            if not enter(init, 0):
                stop = True
                break
            while states:
                pair = next(iters[-1], None)
                if pair is None:
                    if not had[-1] and check_final:
                        prop = run.failed_final(states[-1])
                        if prop is not None and violation(prop, None):
                            stop = True
                            break
                    states.pop()
                    iters.pop()
                    had.pop()
                    if acts:
                        acts.pop()
                    continue
                generated += 1
                had[-1] = True
                action, nxt = pair
                if nxt == states[-1]:
                    continue
                depth = len(states)
                fp = fp_of(representative(nxt) if representative else nxt)
                old = seen.get(fp)
                if old is not None and (max_depth is None or old <= depth):
                    continue
                seen[fp] = depth
                acts.append(action)
                if old is None:
                    prop = run.failed_always(nxt)
                    if prop is not None and violation(prop, nxt):
                        stop = True
                        break
                    if max_states is not None and len(seen) >= max_states:
                        run.stopped_by = "states"
                        stop = True
                        break
                depth_before = len(states)
                if not enter(nxt, depth):
                    stop = True
                    break
                if len(states) == depth_before:
                    acts.pop()  # not expanded: a run end
                expanded += 1
                if not expanded & _TICK_MASK and run.tick(
                    len(seen), generated, max_seen_depth + 1, len(states)
                ):
                    stop = True
                    break
            if stop:
                break
        else:
            complete = True
    except KeyboardInterrupt:
        run.stopped_by = "interrupted"
        complete = False
    return run.result(
        complete=complete,
        distinct=len(seen),
        generated=generated,
        depth=max_seen_depth + 1 if seen else 0,
    )


# ---------------------------------------------------------------------------------------
# random walks and swarm

_SWARM_WEIGHTS = (0.0, 0.0, 0.25, 1.0, 1.0, 4.0)


def _walks(run: _Run, swarm: bool) -> SearchResult:
    model, settings = run.model, run.settings
    representative = model.representative if settings.symmetry else None
    fp_of = fingerprint
    within = model.within_boundary if _overrides(model, "within_boundary") else None
    inits = list(model.init_states())
    depth_cap = settings.max_depth if settings.max_depth is not None else DEFAULT_WALK_DEPTH
    walk_limit = settings.walks
    if walk_limit is None and settings.max_states is None and settings.time_limit is None:
        walk_limit = DEFAULT_WALKS
    max_states = settings.max_states
    seen: set[int] = set()
    generated = 0
    walks = 0
    longest = 0
    stop = False
    master = random.Random(settings.seed)
    try:
        while not stop and inits:
            if walk_limit is not None and walks >= walk_limit:
                run.stopped_by = "walks"
                break
            rng = random.Random(master.getrandbits(64))
            weights: dict[str, float] = {}
            length = depth_cap
            if swarm:
                # swarm testing: each walk switches some kinds of action off and tilts
                # others, and gets its own length, so different walks reach different corners
                length = rng.randint(max(1, depth_cap // 4), depth_cap) if depth_cap > 0 else 0
            walks += 1
            init_index = rng.randrange(len(inits))
            state = inits[init_index]
            path_states: list[Any] = [state]
            path_actions: list[Hashable] = []
            ended = False
            for step in range(length + 1):
                fp = fp_of(representative(state) if representative else state)
                if fp not in seen:
                    seen.add(fp)
                    prop = run.failed_always(state)
                    if prop is not None:
                        stop = run.record(
                            Violation(
                                prop.name,
                                prop.kind,
                                list(path_actions),
                                list(path_states),
                                init_index,
                            )
                        )
                        ended = True
                        break
                    if max_states is not None and len(seen) >= max_states:
                        run.stopped_by = "states"
                        stop = True
                        ended = True
                        break
                if step == length or (within is not None and not within(state)):
                    break  # depth bound or boundary: a run end
                actions = list(model.actions(state))
                nxt = None
                chosen: Hashable = None
                while actions:
                    if swarm:
                        ws = []
                        for a in actions:
                            kind = model.action_kind(a)
                            w = weights.get(kind)
                            if w is None:
                                w = weights[kind] = rng.choice(_SWARM_WEIGHTS)
                            ws.append(w)
                        if sum(ws) > 0:
                            i = rng.choices(range(len(actions)), ws)[0]
                        else:
                            i = rng.randrange(len(actions))
                    else:
                        i = rng.randrange(len(actions))
                    chosen = actions[i]
                    nxt = model.next_state(state, chosen)
                    generated += 1
                    if nxt is not None:
                        break
                    actions[i] = actions[-1]
                    actions.pop()
                if nxt is None:
                    break  # no enabled action: a run end
                path_actions.append(chosen)
                path_states.append(nxt)
                state = nxt
            if not ended and run.final:
                prop = run.failed_final(state)
                if prop is not None:
                    stop = run.record(
                        Violation(
                            prop.name, prop.kind, list(path_actions), list(path_states), init_index
                        )
                    )
            longest = max(longest, len(path_actions))
            if not stop and run.tick(len(seen), generated, longest + 1, 0, walks):
                stop = True
    except KeyboardInterrupt:
        run.stopped_by = "interrupted"
    if settings.shrink and run.violations:
        try:
            run.violations[:] = [shrink(model, v, max_depth=depth_cap) for v in run.violations]
        except KeyboardInterrupt:
            pass  # keep the unshrunk counterexamples
    return run.result(
        complete=False,
        distinct=len(seen),
        generated=generated,
        depth=longest + 1 if seen else 0,
        walks=walks,
    )


# ---------------------------------------------------------------------------------------
# entry point


def search(
    model: Model[Any, Any],
    settings: SearchSettings,
    progress: ProgressFn | None = None,
) -> SearchResult:
    """Explore ``model`` within ``settings``; see the module docstring for the semantics."""
    if settings.strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {settings.strategy!r} (known: {', '.join(STRATEGIES)})")
    if settings.workers < 1:
        raise ValueError("workers must be at least 1")
    for name in ("max_depth", "max_states", "max_memory_mb", "walks"):
        value = getattr(settings, name)
        if value is not None and value < 0:
            raise ValueError(f"{name} must not be negative")
    run = _Run(model, settings, progress)
    if settings.strategy == "bfs":
        if settings.workers > 1:
            from explorer.parallel import parallel_bfs

            return parallel_bfs(run)
        return _bfs(run)
    if settings.strategy == "dfs":
        return _dfs(run)
    return _walks(run, swarm=settings.strategy == "swarm")

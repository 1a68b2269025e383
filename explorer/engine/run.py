"""What every strategy shares: the run's bookkeeping and counterexample paths.

A :class:`Run` holds the model, the settings, the properties split by kind, what has
been witnessed and violated, and the clock; :func:`rebuild_path` re-executes a path of
successor indices (how BFS stores counterexamples: a parent map of indices, not states).
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

from explorer.engine.checkpoint import CheckpointPlan
from explorer.engine.model import Model, Property
from explorer.engine.results import Progress, SearchResult, SearchSettings, Violation

#: how often (in expanded states) the hot loops look at the clock
TICK_MASK = 255

ProgressFn = Callable[[Progress], None]


def state_fingerprint(model: Model[Any, Any], state: Any, symmetry: bool = False) -> int:
    """The fingerprint the engine uses for ``state`` (of its representative under symmetry)."""
    return model.fingerprint(model.representative(state) if symmetry else state)


def memory_mb(pid: int | None = None) -> float:
    """Resident memory of a process in MiB (this one by default)."""
    try:
        with open(f"/proc/{pid or 'self'}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def overrides(model: Model[Any, Any], name: str) -> bool:
    """Whether ``model``'s class overrides the :class:`Model` method ``name`` (the
    engine skips the call of a default that does nothing)."""
    return getattr(type(model), name) is not getattr(Model, name)


@dataclass
class Run:
    """Bookkeeping shared by the strategies: properties, bounds, clock, progress."""

    model: Model[Any, Any]
    settings: SearchSettings
    progress: ProgressFn | None
    start: float = field(default_factory=time.monotonic)
    always: list[Property[Any]] = field(default_factory=list)
    sometimes_props: list[Property[Any]] = field(default_factory=list)
    final: list[Property[Any]] = field(default_factory=list)
    #: under --por, the extension-closed ``final`` properties, judged in every new state
    #: with the ``always`` ones (:attr:`Property.extension_closed`; docs/por.md)
    final_everywhere: list[Property[Any]] = field(default_factory=list)
    sometimes: dict[str, bool] = field(default_factory=dict)
    violations: list[Violation] = field(default_factory=list)
    violated: set[str] = field(default_factory=set)
    stopped_by: str | None = None
    next_tick: float = 0.0
    deadline: float | None = None
    #: where and how often to write checkpoints, and what to resume from (bfs, dfs)
    checkpoint: CheckpointPlan | None = None
    #: past ``max_memory_mb``, note it in ``over_memory`` instead of stopping (the
    #: one-process BFS spills its frontier to disk then: explorer/engine/spill.py)
    spills: bool = False
    over_memory: bool = False

    def __post_init__(self) -> None:
        for prop in self.model.properties():
            if prop.kind == "always":
                self.always.append(prop)
            elif prop.kind == "sometimes":
                self.sometimes_props.append(prop)
                self.sometimes[prop.name] = False
            elif prop.kind == "final":
                self.final.append(prop)
                if prop.extension_closed and self.settings.por:
                    self.final_everywhere.append(prop)
            else:
                raise ValueError(f"unknown property kind {prop.kind!r} for {prop.name!r}")
        # what failed_always still evaluates: sometimes properties not yet witnessed, and
        # always properties not violated (as of ``violated``'s identity and size)
        self._unwitnessed = list(self.sometimes_props)
        self._unviolated = list(self.always)
        self._checked_against = (id(self.violated), len(self.violated))
        # the model's screen of every always property at once (Model.all_always_hold)
        self._all_hold = self.model.all_always_hold if overrides(self.model, "all_always_hold") else None
        self.next_tick = self.start + 1.0
        if self.settings.time_limit is not None:
            self.deadline = self.start + self.settings.time_limit

    # -- properties -------------------------------------------------------------------

    @property
    def checks_new(self) -> bool:
        """Whether a new state is judged (:meth:`failed_always` has something to do)."""
        return bool(self.always or self.sometimes_props or self.final_everywhere)

    def failed_always(self, state: Any) -> Property[Any] | None:
        """The first unviolated ``always`` property that fails in ``state`` (or, under
        --por, extension-closed ``final`` one); also notes ``sometimes`` properties
        witnessed in it."""
        if self._unwitnessed:
            for prop in self._unwitnessed:
                if prop.condition(state):
                    self.sometimes[prop.name] = True
                    self._unwitnessed = [p for p in self._unwitnessed if not self.sometimes[p.name]]
        all_hold = self._all_hold
        # (the screen: every always property holds, so every unviolated one does)
        if all_hold is None or not all_hold(state):
            violated = self.violated
            if self._checked_against != (id(violated), len(violated)):
                # (violated only grows, but strategies may add to it or replace it directly)
                self._unviolated = [p for p in self.always if p.name not in violated]
                self._checked_against = (id(violated), len(violated))
            for prop in self._unviolated:
                if not prop.condition(state):
                    return prop
        # after the always properties, so that a state breaking both reports the one the
        # unreduced search (which judges finals only where runs end) reports there
        for prop in self.final_everywhere:
            if prop.name not in self.violated and not prop.condition(state):
                return prop
        return None

    def failed_final(self, state: Any) -> Property[Any] | None:
        for prop in self.final:
            if prop.name not in self.violated and not prop.condition(state):
                return prop
        return None

    def record_each(
        self, prop: Property[Any] | None, state: Any,
        failed: Callable[[Any], Property[Any] | None], record: Callable[[Property[Any]], bool],
    ) -> bool:
        """``record`` ``prop`` (None: nothing failed) and, under ``collect``, every other
        property that ``failed`` finds failing in ``state``; True when the search must
        stop. Collecting keeps one violation per property: a state that breaks two of
        them must report both, or a property broken only in such states is lost (and a
        reduced search, which visits fewer states, loses it where a full one need not)."""
        while prop is not None:
            if record(prop):
                return True
            prop = failed(state)  # ``record`` marked ``prop`` violated: the next one
        return False

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
            self.over_memory = mem >= self.settings.max_memory_mb
            if self.over_memory and not self.spills:
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
        levels: int,
        walks: int = 0,
        level_sizes: list[int] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> SearchResult:
        return SearchResult(
            verdict="violated" if self.violations else "holds",
            complete=complete,
            distinct_states=distinct,
            generated=generated,
            levels=levels,
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


def violation_from_parents(
    model: Model[Any, Any],
    lookup: Callable[[int], tuple[int, int]],
    fp: int,
    prop: Property[Any],
) -> Violation:
    init_index, steps = path_from_parents(model, lookup, fp)
    states, actions = rebuild_path(model, steps, init_index)
    return Violation(prop.name, prop.kind, actions, states, init_index=init_index)

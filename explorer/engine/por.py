"""Partial-order reduction: expand a persistent (stubborn) subset of the enabled actions.

Protocol-agnostic. The model offers candidate reduced expansions of a state through the
optional hook :meth:`~explorer.engine.model.Model.ample_sets` (an actor model derives
them from action footprints: explorer/actors/footprint.py); this module adds the cycle
proviso and hands the strategies a successor function. The argument, the conditions and
what a depth bound means under reduction are in docs/por.md.

How it plugs in: :func:`reduce_model` wraps the model in a :class:`ReducedModel` whose
``successors`` yields, in the model's own order, one pair per enabled action: the real
successor for the actions the reduction keeps, and ``(action, state)`` (a stuttering
step, which every strategy already skips) for the ones it prunes. Step indices, and
hence BFS parent records and rebuilt paths, stay indices into the model's own successor
sequence; a counterexample is a real path of the plain model.

The proviso is stateless, so the reduced graph is the same in every process, for any
worker count and any visiting order: a reduced expansion is used only if one of its key
actions leads to a state of strictly higher *rank* (the 64-bit fingerprint of the state's
quotient member, of its symmetry representative under symmetry: a function of what the
search identifies states by). Along any cycle of the reduced graph the rank cannot rise
at every step, so every cycle holds a fully expanded state (C3), and a chain of key steps
that postpones an action cannot go on for ever.

A *free* candidate (``Ample.free``: its one key only takes a message out of the network)
skips the proviso: along a chain of such keys the messages in flight fall, so it ends.
With :attr:`ReducedModel.free_steps` (set for the one-process, in-memory BFS, the
local parallel workers and Ray's, without symmetry) the wrapper also names the free
key's position (``free_index``) and the BFS counts that step as no step of the depth bound (explorer/engine/free_steps.py), which
makes a bounded reduced BFS as strong as the bounded full one (docs/por.md, "Depth bounds").

The wrapper also identifies states by the fingerprint of their quotient member
(:meth:`~explorer.engine.model.Model.por_quotient`): states that no step and no property
can tell apart are searched once. That merge keeps path lengths (the members have the
same futures step for step), so on its own it leaves a depth-bounded search complete.

Keyed successors (``Model.keyed_successors``: a successor's fingerprint first, the
successor built only when new) stay on under reduction through the model's
:meth:`~explorer.engine.model.Model.quotient_model`, a twin that fingerprints every
state as its quotient member, keyed steps included. When the model gives one and has
keyed successors, :func:`reduce_model` returns a :class:`KeyedReducedModel`: a fully
expanded state (most of them) is expanded through the twin's keyed successors, same
order and step indices as ``successors``; a reduced one yields its kept successors
(built already, by the candidate) with their fingerprints and each pruned action as a
stuttering step (the state's own fingerprint, which the search has seen). It lists a
state's actions once (handed to the twin's keyed successors), and decodes and builds
states through the twin, whose fingerprints and notes of plain steps are the ones the
expansion reads (docs/por.md, "What a reduced state cost").
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from explorer.engine.fingerprint import fingerprint
from explorer.engine.model import Ample, Model, Property
from explorer.engine.results import SearchSettings

__all__ = ["KeyedReducedModel", "PorStats", "ReducedModel", "reduce_model"]

T = TypeVar("T")


@dataclass
class PorStats:
    """What the reduction did, counted where states are expanded (local workers and Ray
    actors send theirs back to the search process: :meth:`add`)."""

    status: str  # "on", or why the search ran unreduced
    expanded: int = 0  # states whose successors were enumerated to the end
    fully_expanded: int = 0  # of those, expanded with every enabled action
    transitions: int = 0  # successors computed and handed to the search
    pruned: int = 0  # enabled actions left out
    #: of those, left out at states reduced by a free set (its key counted as no step
    #: of the depth bound: :attr:`ReducedModel.free_steps`)
    pruned_free: int = 0
    #: worker processes whose counters were added (:meth:`add`): with local workers the
    #: search process expands nothing itself
    from_workers: int = 0

    def add(self, other: PorStats) -> None:
        """Add a worker's counters (its copy of the reduced model counted its states)."""
        self.expanded += other.expanded
        self.fully_expanded += other.fully_expanded
        self.transitions += other.transitions
        self.pruned += other.pruned
        self.pruned_free += other.pruned_free
        self.from_workers += 1

    def to_json(self) -> dict[str, Any]:
        share = self.fully_expanded / self.expanded if self.expanded else 1.0
        return {
            "status": self.status,
            "expanded": self.expanded,
            "fully_expanded": self.fully_expanded,
            "share_fully_expanded": round(share, 4),
            "transitions": self.transitions,
            "pruned": self.pruned,
            "pruned_free": self.pruned_free,
        }


class ReducedModel(Model[Any, Any]):
    """``model`` with :meth:`successors` reduced; everything else delegated unchanged."""

    def __init__(self, model: Model[Any, Any], symmetry: bool, twin: Model[Any, Any] | None = None) -> None:
        self.model = model
        #: ``model.quotient_model()``: fingerprints states as their quotient members (or None)
        self.twin = twin
        self.name = model.name
        self.stats = PorStats("on")
        #: whether the search counts a free set's key as no step of the depth bound (the
        #: one-process BFS, the local workers and Ray's: explorer/engine/bfs.py, parallel.py,
        #: ray_backend/bfs.py); then :attr:`free_index` is
        #: the position of that key among the successors of the state last expanded, or -1
        self.free_steps = False
        self.free_index = -1
        representative, quotient = model.representative, model.por_quotient
        self.quotient = quotient
        self.rank: Callable[[Any], int] = (
            (lambda s: fingerprint(quotient(representative(s)))) if symmetry
            else (lambda s: fingerprint(quotient(s)))
        )

    # -- delegated ------------------------------------------------------------------

    def init_states(self) -> Sequence[Any]:
        return self.model.init_states()

    def actions(self, state: Any) -> Any:
        return self.model.actions(state)

    def next_state(self, state: Any, action: Any) -> Any:
        return self.model.next_state(state, action)

    def properties(self) -> Sequence[Property[Any]]:
        return self.model.properties()

    def within_boundary(self, state: Any) -> bool:
        return self.model.within_boundary(state)

    def representative(self, state: Any) -> Any:
        return self.model.representative(state)

    def action_kind(self, action: Any) -> str:
        return self.model.action_kind(action)

    def format_action(self, action: Any) -> str:
        return self.model.format_action(action)

    def config(self) -> dict[str, Any]:
        return self.model.config()

    def fingerprint(self, state: Any) -> int:
        # The engine identifies states by this: one fingerprint per quotient class.
        twin = self.twin
        if twin is not None:
            return twin.fingerprint(state)
        return self.model.fingerprint(self.quotient(state))

    def adopt(self, state: Any) -> Any:
        return self.model.adopt(state)

    def all_always_hold(self, state: Any) -> bool:
        return self.model.all_always_hold(state)

    # -- the reduction ----------------------------------------------------------------

    def choose(self, state: Any, actions: list[Any]) -> Ample | None:
        """The first candidate that passes the proviso, or None (expand fully)."""
        if len(actions) < 2:
            return None
        candidates = self.model.ample_sets(state, actions)
        if candidates is None:
            return None
        own_rank: int | None = None
        for ample in candidates:
            if len(ample.positions) >= len(actions):
                continue
            if not ample.proviso or ample.free:
                return ample
            for key in ample.keys:
                if own_rank is None:
                    own_rank = self.rank(state)
                if self.rank(ample.successors[key]) > own_rank:
                    return ample
        return None

    def successors(self, state: Any) -> Iterator[tuple[Any, Any]]:
        actions = list(self.model.actions(state))
        ample = self.choose(state, actions)
        self.free_index = -1
        if ample is None:
            yield from self.fully(self.model.successors(state))
        else:
            yield from self.reduced(state, actions, ample)

    def fully(self, steps: Iterable[T]) -> Iterator[T]:
        """``steps``, every successor of a fully expanded state, counted."""
        count = 0
        for step in steps:
            count += 1
            yield step
        stats = self.stats
        stats.expanded += 1
        stats.fully_expanded += 1
        stats.transitions += count

    def reduced(self, state: Any, actions: list[Any], ample: Ample) -> Iterator[tuple[Any, Any]]:
        """One pair per enabled action: the successor of a kept one, ``(action, state)``
        (a stuttering step) for a pruned one; counted, and the free key named."""
        stats = self.stats
        positions, successors = ample.positions, ample.successors
        free = self.free_steps and ample.free
        if free:
            self.free_index = positions[ample.keys[0]]
        j, last = 0, len(positions)
        for position, action in enumerate(actions):
            if j < last and positions[j] == position:
                yield action, successors[j]
                j += 1
            else:
                yield action, state  # pruned: a stuttering step, which strategies skip
        stats.expanded += 1
        stats.transitions += last
        stats.pruned += len(actions) - last
        if free:
            stats.pruned_free += len(actions) - last


class KeyedReducedModel(ReducedModel):
    """A :class:`ReducedModel` with keyed successors, through the model's
    :meth:`~explorer.engine.model.Model.quotient_model` (the module docstring)."""

    def __init__(self, model: Model[Any, Any], symmetry: bool, twin: Model[Any, Any]) -> None:
        super().__init__(model, symmetry, twin)
        self.keyed_twin = twin
        # The actions are listed once per state, to choose the set; a twin whose
        # keyed_successors declares ``actions`` steps through that list (Model.keyed_successors).
        self.passes_actions = "actions" in inspect.signature(twin.keyed_successors).parameters
        # The hot delegations bound once (no wrapper frame per state). Steps through the
        # twin, which made the keyed steps: it knows which it judged plain (the actor
        # model's plain_unbuilt, so the Paxos models skip a built step's transition
        # check, as unreduced), and its fingerprints get the step's network change.
        self.next_state = twin.next_state  # type: ignore[method-assign]
        self.all_always_hold = model.all_always_hold  # type: ignore[method-assign]
        self.within_boundary = model.within_boundary  # type: ignore[method-assign]

    def keyed_successors(
        self, state: Any, symmetry: bool, actions: Sequence[Any] | None = None
    ) -> Iterable[tuple[Any, int, Any]]:
        if symmetry:  # (the strategies ask for keyed successors only without symmetry)
            return Model.keyed_successors(self, state, symmetry)
        listed = list(self.model.actions(state) if actions is None else actions)
        ample = self.choose(state, listed)
        self.free_index = -1
        if ample is None:
            twin = self.keyed_twin
            if self.passes_actions:
                return self.fully(twin.keyed_successors(state, False, listed))
            return self.fully(twin.keyed_successors(state, False))
        return self.keyed_reduced(state, listed, ample)

    def keyed_reduced(self, state: Any, actions: list[Any], ample: Ample) -> Iterator[tuple[Any, int, Any]]:
        """:meth:`reduced` keyed: the kept successors' fingerprints, and the state's own
        for a pruned action's stuttering step (seen, so skipped)."""
        twin = self.keyed_twin
        fingerprint = twin.fingerprint
        kept = self.kept_fingerprints(state, actions, ample)
        own = fingerprint(state)
        positions = ample.positions
        j, last = 0, len(positions)
        for position, (action, nxt) in enumerate(self.reduced(state, actions, ample)):
            if j < last and positions[j] == position:
                yield action, fingerprint(nxt) if kept is None else kept[j], nxt
                j += 1
            else:
                yield action, own, nxt

    def kept_fingerprints(self, state: Any, actions: list[Any], ample: Ample) -> list[int] | None:
        """The kept successors' fingerprints, in order, from the twin's keyed successors
        of the kept actions alone (a fingerprint delta per step: the worlds the
        candidate built are new objects, whose networks the twin would sum again), or
        None when the twin takes no list of actions or does not step every one."""
        if not self.passes_actions:
            return None
        kept = [actions[p] for p in ample.positions]
        steps = list(self.keyed_twin.keyed_successors(state, False, kept))
        if len(steps) != len(kept) or any(step[0] is not a for step, a in zip(steps, kept, strict=False)):
            return None
        return [step[1] for step in steps]

    # The frontier keeps states as the model encodes them (bytes for the actor world),
    # as the unreduced BFS does: a level of live worlds is what the cyclic garbage
    # collector walks, over and over (3.5 of 72 CPU-s at depth 10 on the default world).
    # (In one process only, as this class: the workers' exchange ships states as pickles.)
    def encode(self, state: Any) -> Any:
        return self.model.encode(state)

    def decode(self, data: Any) -> Any:
        # Through the twin: the actor codec hands the decoded world's network fingerprint
        # and small-fields number to the decoding model's fingerprints, and the twin's are
        # the ones that expand it (else every expansion refingerprints the network and
        # misses the timer steps' cache).
        return self.keyed_twin.decode(data)


def reduce_model(model: Model[Any, Any], settings: SearchSettings) -> tuple[Model[Any, Any], PorStats]:
    """The model the strategies should search under ``settings.por``, and its counters.

    A model that cannot be reduced (no declarations: :meth:`Model.por_unavailable`) is
    returned as it is, with the reason in the counters' status.
    """
    reason = model.por_unavailable()
    if reason is not None:
        return model, PorStats(f"off: {reason}")
    twin = model.quotient_model()
    # Keyed successors in one process only: over workers the keyed exchange
    # (explorer/engine/parallel_keyed.py) would replace the plain one that a reduced
    # search's workers use (its partition of the frontier, hence which equally short
    # counterexample is found and where a stopped level ends, differ).
    keyed = (
        twin is not None and type(model).keyed_successors is not Model.keyed_successors
        and settings.workers == 1 and settings.backend == "local"
    )
    reduced = (
        KeyedReducedModel(model, settings.symmetry, twin) if keyed and twin is not None
        else ReducedModel(model, settings.symmetry, twin)
    )
    # Free steps need a BFS that can extend the level it expands: the one-process one in
    # memory, or the local workers and Ray's actors (in rounds); no symmetry (a state
    # moved to an earlier level keeps its record).
    reduced.free_steps = (
        settings.strategy == "bfs" and not settings.symmetry
        and (settings.backend == "ray" or settings.workers > 1 or settings.max_memory_mb is None)
    )
    return reduced, reduced.stats

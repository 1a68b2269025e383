"""Free steps in the parallel searches: a level in rounds, so every state gets its 0-1 distance.

A reduced search's *free* step (explorer/engine/free_steps.py, docs/por.md "Depth
bounds") counts as no step of the depth bound: the one-process BFS puts the state it
reaches in the level being expanded, and moves a state that a counted step had put in
the next level to this one when a free step reaches it later. Over partitions of the
fingerprint space (the local worker processes of explorer/engine/parallel.py and the Ray
actors of explorer/engine/ray_backend/) a level then runs in *rounds*:

1. the first round expands the partition's frontier; a successor reached by a free step
   goes to its owner (the partition its fingerprint falls to, as any state) in a batch
   of its own, marked free;
2. the owner admits it into the level being expanded if it is new, or moves it there
   from its next level if a counted step of this level (this round or an earlier one)
   had put it there: whichever of the two steps arrives first, the state ends in this
   level (:meth:`FreeRounds.take_free`, with free_steps.py's bookkeeping, fingerprints
   standing for ordinals);
3. while any partition reports states that joined the level, the coordinator starts
   another round, which expands just those (:meth:`FreeRounds.free_round`;
   :meth:`FreeLevels.free_rounds` on the coordinator's side).

The moved states leave the next frontier when the next level begins
(:meth:`FreeRounds.begin_level`). The level sets are the one process's, so are the level
sizes, the distinct-state count and the reduction's counters, for any worker count.

A partition sends a state to its owner once ever (the sent set), but a free step that
follows a counted one on the same level sends it again: the owner may have it in the
next level and must move it up. A state sent by a counted step on an earlier level is
not resent: its owner has it at this level or before.

What differs between the two transports stays with them: the local workers admit a
state as it arrives (:class:`LocalFreeRounds`), the Ray partitions after each round,
with the least of its discoverers as parent (explorer/engine/ray_backend/partition.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from explorer.engine.free_steps import FreeSteps
from explorer.engine.por import PorStats
from explorer.engine.visited import Visited

__all__ = ["Batch", "FreeLevels", "FreeRounds", "LocalFreeRounds", "add_reduction_counters", "new_batch", "reduction_stats"]

# Successors sent to one worker: fingerprints, parents' fingerprints, step indexes and
# states, in four parallel lists (no tuple per state: every live tuple is one more object
# for the cyclic garbage collector to walk while the level lasts).
Batch = tuple[list[int], list[int], list[int], list[Any]]


def new_batch() -> Batch:
    return [], [], [], []


class Joined:
    """The states free steps put in the level being expanded, for its next round:
    fingerprints and (encoded) states, as ``FreeSteps`` appends them."""

    __slots__ = ("fps", "states")

    def __init__(self) -> None:
        self.fps: list[int] = []
        self.states: list[Any] = []

    def append(self, fp: int, data: Any) -> None:
        self.fps.append(fp)
        self.states.append(data)


class FreeRounds:
    """A partition's side of the rounds, for either transport: the subclass says how a
    state is recorded (:meth:`record_new`), admitted (``admit``) and dropped from its next
    frontier (:meth:`drop_moved`)."""

    encode: Any
    level: Any

    def start_free_rounds(self, model: Any, encode: Any) -> None:
        """Set up for ``model`` (free steps when it is a reduced model that asks for them:
        explorer/engine/por.py ``free_steps``); ``encode``: how the frontier keeps states."""
        self.free = FreeSteps(model, encode) if getattr(model, "free_steps", False) else None
        #: the states that joined the level in this round: the next round's to expand
        self.joined = Joined()
        #: fingerprints sent to their owner on this level by a counted step
        self.counted_sent: set[int] = set()

    def record_new(self, fp: int, parent: int, index: int) -> bool:
        """Record ``fp``'s parent if it is new to this partition; whether it was."""
        raise NotImplementedError

    def admit(self, level: Any, fp: int, state: Any, free: bool = False) -> None:
        raise NotImplementedError

    def drop_moved(self, moved: set[int]) -> None:
        """Take the states free steps moved to the level before out of the frontier."""
        raise NotImplementedError

    def take_free(self, level: Any, fp: int, parent: int, index: int, state: Any) -> None:
        """A state this partition owns, reached by a free step: new, it joins the level;
        admitted to the next one by a counted step on this level, it is moved to this one."""
        assert self.free is not None
        if self.record_new(fp, parent, index):
            self.admit(level, fp, state, free=True)
        else:
            self.free.pull_forward(fp, self.joined, state)

    def begin_level(self, level: Any) -> None:
        """A level starts: its frontier loses the states free steps moved to the level
        before (expanded there)."""
        self.level = level
        if self.free is None:
            return
        self.counted_sent = set()
        self.joined = Joined()
        moved = self.free.begin_level()
        if moved:
            self.drop_moved(moved)

    def free_round(self) -> tuple[list[int], list[Any]]:
        """The states the last round put in the level, to expand in this one."""
        joined, self.joined = self.joined, Joined()
        return joined.fps, joined.states

    def next_frontier_size(self, kept: int, last: bool) -> int:
        """The next frontier's size, from the ``kept`` states a counted step put in it: on
        the level the depth bound cuts every one of them (their finals are judged there,
        moved or not, as in one process), else those not moved to this level."""
        if self.free is None or last:
            return kept
        return kept - len(self.free.moved)


class LocalFreeRounds(FreeRounds):
    """The local workers' side (mixed into explorer.engine.parallel's ``_Partition``,
    which supplies the declared attributes and ``admit``): a state is admitted as it
    arrives, its first discoverer its parent."""

    parents: Visited
    sent: Visited
    ships: bool
    fps: list[int]
    states: list[Any]

    def record_new(self, fp: int, parent: int, index: int) -> bool:
        return self.parents.add_keyed(fp, parent, index)

    def drop_moved(self, moved: set[int]) -> None:
        kept = [i for i, fp in enumerate(self.fps) if fp not in moved]
        self.fps = [self.fps[i] for i in kept]
        self.states = [self.states[i] for i in kept]

    def send_free(self, fp: int, outgoing: Batch, parent: int, index: int, state: Any) -> None:
        """A free step's state owned by another worker, into its batch for that owner,
        unless the owner has it at this level or before already (module docstring)."""
        if self.sent.insert(fp) or fp in self.counted_sent:
            self.counted_sent.discard(fp)
            fps, parent_fps, indexes, states = outgoing
            fps.append(fp)
            parent_fps.append(parent)
            indexes.append(index)
            states.append(self.encode(state) if self.ships and self.encode else state)


class FreeLevels:
    """The coordinator's side of the rounds (mixed into either coordinator, which
    supplies :meth:`free_round`, :meth:`halted`, ``joined`` and ``level_sizes``)."""

    #: the states free steps put in the level on the last round, summed over partitions
    joined: int
    level_sizes: list[int]
    #: rounds of levels after their first, for free steps
    free_rounds_run: int = 0

    def free_round(self) -> tuple[int, int]:
        """Run one further round of the level; (new states, next frontier)."""
        raise NotImplementedError

    def halted(self) -> bool:
        """Whether the search stops (a violation without collect, a bound, a signal)."""
        raise NotImplementedError

    def free_rounds(self, new: int, frontier: int) -> tuple[int, int, int]:
        """The further rounds of a level while free steps put states in it (a 0-1 BFS:
        explorer/engine/free_steps.py), after its first round found ``new`` states and a
        next frontier of ``frontier``; returns the level's (new states, next frontier,
        states that joined the level expanded)."""
        joined = self.joined
        while self.joined and not self.halted():
            self.free_rounds_run += 1
            more, frontier = self.free_round()
            new += more
            joined += self.joined
        return new, frontier, joined

    def close_level(self, new: int, joined: int) -> None:
        """Count a level's ``new`` states: ``joined`` of them in the level expanded."""
        self.level_sizes[-1] += joined
        if new > joined:
            self.level_sizes.append(new - joined)

    def rounds_figures(self) -> dict[str, int]:
        """``SearchResult.extra``'s count of further rounds (when there were any)."""
        return {"free_rounds": self.free_rounds_run} if self.free_rounds_run else {}


def reduction_stats(model: Any) -> PorStats | None:
    """A reduced model's counters (explorer/engine/por.py), or None."""
    stats = getattr(model, "stats", None)
    return stats if isinstance(stats, PorStats) else None


def add_reduction_counters(model: Any, counted: Iterable[PorStats | None]) -> None:
    """Add what the partitions' copies of a reduced model counted to this process's
    (each state is expanded by one partition, so the sums are the one-process search's)."""
    stats = reduction_stats(model)
    for other in counted:
        if stats is not None and other is not None:
            stats.add(other)

"""Free steps in the parallel search: a level in rounds, so every state gets its 0-1 distance.

A reduced search's *free* step (explorer/engine/free_steps.py, docs/por.md "Depth
bounds") counts as no step of the depth bound: the one-process BFS puts the state it
reaches in the level being expanded, and moves a state that a counted step had put in
the next level to this one when a free step reaches it later. Over worker processes
(explorer/engine/parallel.py) a level then runs in *rounds*:

1. the first round expands the worker's frontier; a successor reached by a free step
   goes to its owner (the worker its fingerprint falls to, as any state) in a batch of
   its own, marked free;
2. the owner admits it into the level being expanded if it is new, or moves it there
   from its next level if a counted step of this level (this round or an earlier one)
   had put it there: whichever of the two steps arrives first, the state ends in this
   level (:meth:`FreeRounds.take_free`, with free_steps.py's bookkeeping, fingerprints
   standing for ordinals);
3. while any worker reports states that joined the level, the coordinator starts another
   round, which expands just those (:meth:`FreeRounds.free_round`).

The moved states leave the next frontier when the next level begins
(:meth:`FreeRounds.begin_level`). The level sets are the one process's, so are the level
sizes, the distinct-state count and the reduction's counters, for any worker count.

A worker sends a state to its owner once ever (the sent set), but a free step that
follows a counted one on the same level sends it again: the owner may have it in the
next level and must move it up. A state sent by a counted step on an earlier level is
not resent: its owner has it at this level or before.
"""

from __future__ import annotations

from typing import Any

from explorer.engine.free_steps import FreeSteps
from explorer.engine.visited import Visited

__all__ = ["Batch", "FreeRounds", "new_batch"]

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
    """A worker partition's side of the rounds (mixed into explorer.engine.parallel's
    ``_Partition``, which supplies the declared attributes and ``admit``)."""

    parents: Visited
    sent: Visited
    encode: Any
    ships: bool
    fps: list[int]
    states: list[Any]
    level: Any

    def start_free_rounds(self, model: Any) -> None:
        """Set up for ``model`` (free steps when it is a reduced model that asks for them:
        explorer/engine/por.py ``free_steps``)."""
        self.free = FreeSteps(model, self.encode) if getattr(model, "free_steps", False) else None
        #: the states that joined the level in this round: the next round's to expand
        self.joined = Joined()
        #: fingerprints sent to their owner on this level by a counted step
        self.counted_sent: set[int] = set()

    def admit(self, level: Any, fp: int, state: Any, free: bool = False) -> None:
        raise NotImplementedError

    def take_free(self, level: Any, fp: int, parent: int, index: int, state: Any) -> None:
        """A state this partition owns, reached by a free step: new, it joins the level;
        admitted to the next one by a counted step on this level, it is moved to this one."""
        assert self.free is not None
        if self.parents.add_keyed(fp, parent, index):
            self.admit(level, fp, state, free=True)
        else:
            self.free.pull_forward(fp, self.joined, state)

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
            kept = [i for i, fp in enumerate(self.fps) if fp not in moved]
            self.fps = [self.fps[i] for i in kept]
            self.states = [self.states[i] for i in kept]

    def free_round(self) -> tuple[list[int], list[Any]]:
        """The states the last round put in the level, to expand in this one."""
        joined, self.joined = self.joined, Joined()
        return joined.fps, joined.states

"""Free steps of a reduced breadth-first search (partial-order reduction, docs/por.md,
"Depth bounds").

A reduced model (explorer/engine/por.py) may take, at a state, a *free* set: its one key
only takes a message out of the network (an ignored delivery). The one-process BFS
counts that step as no step of the depth bound: the state it reaches joins the level
being expanded (a 0-1 breadth-first search), so a reduced path is never longer, in
counted steps, than the full path it stands for. A state that a counted step already
admitted to the next level and that a free step reaches afterwards is moved to the
level being expanded (expanded there, skipped in the next one).

The local parallel workers (explorer/engine/parallel.py) keep the same bookkeeping per
partition, with fingerprints for ordinals, and expand the states a free step put in a
level in further rounds of it.

A checkpoint (explorer/engine/snapshots.py) saves that bookkeeping with the frontier
(:meth:`FreeSteps.to_saved`): the states to skip in the level being expanded, the ones
moved out of the next, the next level's ordinals so far and how many joined, so a
resumed level skips, pulls forward and counts exactly as the uninterrupted one.
"""

from __future__ import annotations

from typing import Any

__all__ = ["FreeSteps"]


class FreeSteps:
    """The per-level bookkeeping of free steps for one BFS."""

    __slots__ = ("model", "encode", "moved", "next_ordinals", "joined", "skip", "resumed")

    def __init__(self, model: Any, encode: Any) -> None:
        self.model = model  # the reduced model: ``free_index`` per expanded state
        self.encode = encode
        self.moved: set[int] = set()  # ordinals of the next level moved to this one
        self.next_ordinals: dict[int, int] = {}  # fingerprint -> ordinal, of the next level
        self.joined = 0  # states that joined the level being expanded
        self.skip: set[int] = set()  # ordinals of the level being expanded moved to the one before
        #: a level cut by a checkpoint, restored: its skip set (begin_level then keeps
        #: the rest of the bookkeeping as restored)
        self.resumed: set[int] | None = None

    def begin_level(self) -> set[int]:
        """Start a level; returns the ordinals of it that were moved to the level before."""
        if self.resumed is not None:  # the rest of a level a checkpoint cut
            self.skip, self.resumed = self.resumed, None
            return self.skip
        self.skip, self.moved = self.moved, set()
        self.next_ordinals = {}
        return self.skip

    def to_saved(self, mid_level: bool) -> dict[str, list[int]]:
        """What a checkpoint keeps: inside a level (``mid_level``) all of it; between two
        levels the states the next one skips (the rest is reset when it begins)."""
        fps = list(self.next_ordinals) if mid_level else []
        return {
            "skip": sorted(self.skip) if mid_level else [],
            "moved": sorted(self.moved),
            "next_fps": fps,
            "next_ordinals": [self.next_ordinals[fp] for fp in fps],
            "joined": [self.joined if mid_level else 0],
        }

    def restore(self, saved: dict[str, list[int]], mid_level: bool) -> None:
        """Take back :meth:`to_saved`'s bookkeeping (of a level cut if ``mid_level``)."""
        self.moved = set(saved["moved"])
        self.next_ordinals = dict(zip(saved["next_fps"], saved["next_ordinals"], strict=True))
        self.joined = saved["joined"][0]
        self.resumed = set(saved["skip"]) if mid_level else None

    def in_level(self, frontier: Any, ordinal: int, state: Any) -> None:
        """A new state reached by a free step: expanded in this very level."""
        frontier.append(ordinal, self.encode(state) if self.encode else state)
        self.joined += 1

    def admit_keyed(self, frontier: Any, fp: int, state: Any, free: bool) -> bool:
        """A new state of a partition, which keys states by fingerprint (local workers,
        Ray): reached by a free step it joins the level being expanded (True: nothing more
        to do); else it is noted, since a later free step may pull it into this level."""
        if free:
            self.in_level(frontier, fp, state)  # no step of the depth bound
            return True
        self.next_ordinals[fp] = fp
        return False

    def pull_forward(self, fp: int, frontier: Any, state: Any) -> None:
        """A free step reached a state already seen: if a counted step admitted it to the
        next level (or, on the last level, at the bound, unkept), it belongs to this one
        (it is as near as its parent here) and is expanded here."""
        ordinal = self.next_ordinals.pop(fp, None)
        if ordinal is not None:
            self.moved.add(ordinal)
            self.in_level(frontier, ordinal, state)

    def level_joined(self) -> int:
        """How many states joined the level just expanded (and reset the count)."""
        joined, self.joined = self.joined, 0
        return joined

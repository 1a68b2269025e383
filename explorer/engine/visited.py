"""The BFS visited set: fingerprints and compact parent records.

Membership is a ``set`` of the 64-bit fingerprints (C speed); the parent records are two
arrays of machine ints indexed by the order states were admitted in (their *ordinal*):
the parent's ordinal (-1 for an initial state) and the step's index among the parent's
successors (for an initial state: its index among the initial states). A state costs
its fingerprint in the set and 8 bytes of records, against a dict of Python ints to
tuples (~200 bytes a state) before. A path is rebuilt by walking the ordinals up.
"""

from __future__ import annotations

from array import array

__all__ = ["Visited"]


class Visited:
    """Fingerprints seen, and per ordinal (admission order) the parent record."""

    __slots__ = ("seen", "parent", "step")

    def __init__(self) -> None:
        self.seen: set[int] = set()
        self.parent = array("i")  # parent ordinal, -1 for initial states
        self.step = array("I")  # index among the parent's successors (or initial states)

    def __len__(self) -> int:
        return len(self.parent)

    def __contains__(self, fp: int) -> bool:
        return fp in self.seen

    def add(self, fp: int, parent: int, step: int) -> int:
        """Admit a new fingerprint; returns its ordinal."""
        self.seen.add(fp)
        self.parent.append(parent)
        self.step.append(step)
        return len(self.parent) - 1

    def record(self, ordinal: int) -> tuple[int, int]:
        """(parent ordinal or -1, step index) of the state admitted ``ordinal``-th."""
        return self.parent[ordinal], self.step[ordinal]

"""The BFS frontier: one level of states waiting to be expanded, kept compact.

Per state, in admission order: its ordinal (the visited set's record number) in an
``array('i')``, and the state as the model's ``encode`` hook gave it. Encodings that are
``bytes`` (the actor model's) are laid end to end in one ``bytearray``, with the end
offset of each in an ``array('Q')``, so a state costs its encoding and 12 bytes, not a
``bytes`` object (33 bytes of header) and a list slot; anything else (the state itself,
by default) is kept in a dict by position. Iterating gives ``(ordinal, encoding)`` pairs
in admission order, ``bytes`` encodings as ``bytes`` again.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from typing import Any

__all__ = ["Frontier"]


class Frontier:
    """One BFS level: ordinals, and the states' encodings (see the module docstring)."""

    __slots__ = ("ordinals", "ends", "blob", "objects")

    def __init__(self) -> None:
        self.ordinals = array("i")
        self.ends = array("Q")  # per state: the end of its bytes in ``blob``
        self.blob = bytearray()
        self.objects: dict[int, Any] = {}  # position -> an encoding that is not bytes

    def append(self, ordinal: int, data: Any) -> None:
        if type(data) is bytes:
            self.blob += data
        else:
            self.objects[len(self.ordinals)] = data
        self.ordinals.append(ordinal)
        self.ends.append(len(self.blob))

    def __len__(self) -> int:
        return len(self.ordinals)

    def clear(self) -> None:
        """Empty it in place (a bound ``append`` stays valid: explorer/engine/spill.py)."""
        del self.ordinals[:]
        del self.ends[:]
        del self.blob[:]
        self.objects.clear()

    def __iter__(self) -> Iterator[tuple[int, Any]]:
        blob, objects = self.blob, self.objects
        start = 0
        for position, (ordinal, end) in enumerate(zip(self.ordinals, self.ends, strict=True)):
            if objects and position in objects:
                yield ordinal, objects[position]
            else:
                yield ordinal, bytes(blob[start:end])
            start = end

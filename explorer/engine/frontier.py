"""The BFS frontier: one level of states waiting to be expanded, kept compact.

Per state, in admission order: its ordinal (the visited set's record number) in an
``array('i')``, and the state as the model's ``encode`` hook gave it. Encodings that are
``bytes`` (the actor model's) are laid end to end in one ``bytearray``, with the end
offset of each in an ``array('Q')``, so a state costs its encoding and 12 bytes, not a
``bytes`` object (33 bytes of header) and a list slot. A level of states kept as they
are (a model without ``encode``) is a plain list beside the ordinals; anything else that
is not bytes, in a level that also holds bytes, is kept in a dict by position. Iterating
gives ``(ordinal, encoding)`` pairs in admission order, ``bytes`` encodings as ``bytes``
again.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from typing import Any

__all__ = ["Frontier"]


class Frontier:
    """One BFS level: ordinals, and the states' encodings (see the module docstring)."""

    __slots__ = ("ordinals", "ends", "blob", "objects", "plain", "encoded")

    def __init__(self) -> None:
        self.ordinals = array("i")
        self.ends = array("Q")  # per state: the end of its bytes in ``blob``
        self.blob = bytearray()
        self.objects: dict[int, Any] = {}  # position -> an encoding that is not bytes
        # A level with no bytes encoding (a model without ``encode``) keeps its states in
        # a list, with no offsets and no position lookups: ``encoded`` is False until the
        # first bytes encoding, which moves them to ``objects``.
        self.plain: list[Any] = []
        self.encoded = False

    def append(self, ordinal: int, data: Any) -> None:
        if type(data) is bytes:
            if not self.encoded:
                self._mix()
            self.blob += data
            self.ends.append(len(self.blob))
        elif self.encoded:
            self.objects[len(self.ordinals)] = data
            self.ends.append(len(self.blob))
        else:
            self.plain.append(data)
        self.ordinals.append(ordinal)

    def _mix(self) -> None:
        """From now on the level holds bytes: what was kept plain goes by position."""
        self.encoded = True
        self.objects.update(enumerate(self.plain))
        self.ends.extend([0] * len(self.plain))
        self.plain = []

    def __len__(self) -> int:
        return len(self.ordinals)

    def clear(self) -> None:
        """Empty it in place (a bound ``append`` stays valid: explorer/engine/spill.py)."""
        del self.ordinals[:]
        del self.ends[:]
        del self.blob[:]
        self.objects.clear()
        self.plain.clear()
        self.encoded = False

    def __iter__(self) -> Iterator[tuple[int, Any]]:
        if not self.encoded:
            yield from zip(self.ordinals, self.plain, strict=True)
            return
        blob, objects = self.blob, self.objects
        start = 0
        for position, (ordinal, end) in enumerate(zip(self.ordinals, self.ends, strict=True)):
            if objects and position in objects:
                yield ordinal, objects[position]
            else:
                yield ordinal, bytes(blob[start:end])
            start = end

"""The BFS visited set: fingerprints and compact parent records.

Membership is a ``set`` of the 64-bit fingerprints (C speed); the parent records are two
arrays of machine ints indexed by the order states were admitted in (their *ordinal*):
the parent's ordinal (-1 for an initial state) and the step's index among the parent's
successors (for an initial state: its index among the initial states). A state costs
its fingerprint in the set and 8 bytes of records, against a dict of Python ints to
tuples (~200 bytes a state) before. A path is rebuilt by walking the ordinals up.

The parallel search keys records by fingerprint instead (a parent may be another
process's): :meth:`Visited.add_keyed` keeps the fingerprint and the parent's in one
``array('Q')`` (16 bytes) and the step index beside it.
"""

from __future__ import annotations

import struct
from array import array

__all__ = ["Visited"]

#: to_bytes' header: the number of fingerprints, of ordinal records and of keyed words
_COUNTS = struct.Struct("<QQQ")


class Visited:
    """Fingerprints seen, and per ordinal (admission order) the parent record."""

    __slots__ = ("seen", "parent", "step", "fps")

    def __init__(self) -> None:
        self.seen: set[int] = set()
        self.parent = array("i")  # parent ordinal, -1 for initial states
        self.step = array("I")  # index among the parent's successors (or initial states)
        self.fps = array("Q")  # only for records keyed by fingerprint (add_keyed)

    def __len__(self) -> int:
        return len(self.seen)

    def __contains__(self, fp: int) -> bool:
        return fp in self.seen

    def add(self, fp: int, parent: int, step: int) -> int:
        """Admit a new fingerprint; returns its ordinal."""
        self.seen.add(fp)
        self.parent.append(parent)
        self.step.append(step)
        return len(self.parent) - 1

    def add_keyed(self, fp: int, parent_fp: int, step: int) -> None:
        """Admit a fingerprint whose parent is known by fingerprint (the parallel search:
        the parent may live in another process). Parent fingerprints are kept in
        ``parent_fps``; look records up with :meth:`keyed_record`."""
        self.seen.add(fp)
        self.fps.append(fp)
        self.fps.append(parent_fp & 0xFFFFFFFFFFFFFFFF)  # -1 (an initial state) as 2**64 - 1
        self.step.append(step)

    def keyed_record(self, fp: int) -> tuple[int, int] | None:
        """(parent fingerprint or -1, step) of ``fp`` admitted by :meth:`add_keyed`, or None.
        A linear scan at C speed: it runs only to rebuild a counterexample."""
        if fp not in self.seen:
            return None
        position = 0
        fps = self.fps
        while True:
            position = fps.index(fp, position)
            if position % 2 == 0:
                break
            position += 1
        parent = fps[position + 1]
        return (-1 if parent == 0xFFFFFFFFFFFFFFFF else parent), self.step[position // 2]

    def record(self, ordinal: int) -> tuple[int, int]:
        """(parent ordinal or -1, step index) of the state admitted ``ordinal``-th."""
        return self.parent[ordinal], self.step[ordinal]

    # -- checkpoints (explorer/engine/checkpoint.py) -------------------------------------

    def to_bytes(self) -> bytes:
        """Everything above as one byte string, canonical: the fingerprints sorted (a
        set's order depends on its history), the arrays little-endian."""
        seen = array("Q", sorted(self.seen))
        arrays: list[array[int]] = [seen, self.parent, self.step, self.fps]
        if struct.pack("=H", 1) != struct.pack("<H", 1):  # big-endian host: store little
            arrays = [_swapped(a) for a in arrays]
        header = _COUNTS.pack(len(self.seen), len(self.parent), len(self.fps))
        return header + b"".join(a.tobytes() for a in arrays)

    @classmethod
    def from_bytes(cls, data: bytes | memoryview) -> Visited:
        """The inverse of :meth:`to_bytes`; ValueError when ``data`` does not add up."""
        view = memoryview(data)
        n_seen, n_records, n_fps = _COUNTS.unpack_from(view)
        visited = cls()
        offset = _COUNTS.size
        # the step array holds one entry per ordinal record or per keyed record (two words)
        n_steps = n_records + n_fps // 2
        parts = []
        for code, count in (("Q", n_seen), ("i", n_records), ("I", n_steps), ("Q", n_fps)):
            part = array(code)
            end = offset + count * part.itemsize
            if end > len(view):
                raise ValueError("visited set: truncated")
            part.frombytes(view[offset:end])
            if struct.pack("=H", 1) != struct.pack("<H", 1):
                part.byteswap()
            parts.append(part)
            offset = end
        if offset != len(view):
            raise ValueError("visited set: trailing bytes")
        seen, visited.parent, visited.step, visited.fps = parts
        visited.seen = set(seen)
        if len(visited.seen) != n_seen:
            raise ValueError("visited set: repeated fingerprints")
        return visited


def _swapped(a: array[int]) -> array[int]:
    b = array(a.typecode, a)
    b.byteswap()
    return b

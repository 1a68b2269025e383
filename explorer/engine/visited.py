"""The BFS visited set: fingerprints in an open-addressing table, compact parent records.

Membership is an open-addressing hash table of the 64-bit fingerprints in one
``array('Q')`` (linear probing from the fingerprint's top bits, kept at most 3/4 full,
so 8 to 16 bytes a state; 0 marks an empty slot, and the fingerprint 0 itself is kept
in a flag). A Python ``set`` of ints cost ~72 bytes a state (a 16-byte slot and a
36-byte int object, at half load). The parent records are two arrays of machine ints
indexed by the order states were admitted in (their *ordinal*): the parent's ordinal (-1
for an initial state) and the step's index among the parent's successors (for an
initial state: its index among the initial states), in 16 bits until an index needs
more (then 32: a state with more than 65,535 successors). A path is rebuilt by walking
the ordinals up.

The parallel search keys records by fingerprint instead (a parent may be another
process's): :meth:`Visited.add_keyed` keeps the fingerprint and the parent's in one
``array('Q')`` (16 bytes) and the step index beside it.

Every attribute is an array or an int, and :meth:`Visited.to_bytes` /
:meth:`Visited.from_bytes` save and restore the whole set (a checkpoint).
"""

from __future__ import annotations

import struct
from array import array

__all__ = ["Visited"]

_MIN_BITS = 10
_HEADER = struct.Struct("<4sBBQ")  # magic, version, has_zero, count
_MAGIC = b"SVIS"


class Visited:
    """Fingerprints seen, and per ordinal (admission order) the parent record."""

    __slots__ = ("table", "shift", "mask", "count", "has_zero", "parent", "step", "fps")

    def __init__(self, bits: int = _MIN_BITS) -> None:
        self.table = array("Q", bytes(8 << bits))  # 0: empty slot
        self.shift = 64 - bits  # a fingerprint's home slot is its top ``bits`` bits
        self.mask = (1 << bits) - 1
        self.count = 0  # fingerprints held, the 0 flag included
        self.has_zero = False
        self.parent = array("i")  # parent ordinal, -1 for initial states
        # index among the parent's successors (or initial states); "H" until one is wider
        self.step = array("H")
        self.fps = array("Q")  # only for records keyed by fingerprint (add_keyed)

    def __len__(self) -> int:
        return self.count

    def __contains__(self, fp: int) -> bool:
        if not fp:
            return self.has_zero
        table, mask = self.table, self.mask
        i = fp >> self.shift
        while True:
            held = table[i]
            if held == fp:
                return True
            if not held:
                return False
            i = (i + 1) & mask

    def insert(self, fp: int) -> bool:
        """Put ``fp`` in the table; False when it was there already."""
        if not fp:
            if self.has_zero:
                return False
            self.has_zero = True
        else:
            table, mask = self.table, self.mask
            i = fp >> self.shift
            while True:
                held = table[i]
                if held == fp:
                    return False
                if not held:
                    table[i] = fp
                    break
                i = (i + 1) & mask
        self.count += 1
        if self.count * 4 > len(self.table) * 3:
            self._grow()
        return True

    def _grow(self) -> None:
        old = self.table
        bits = 64 - self.shift + 1
        self.table = table = array("Q", bytes(8 << bits))
        self.shift = shift = 64 - bits
        self.mask = mask = (1 << bits) - 1
        for fp in old:
            if fp:
                i = fp >> shift
                while table[i]:
                    i = (i + 1) & mask
                table[i] = fp

    def admit(self, fp: int, parent: int, step: int) -> int:
        """Admit ``fp`` if it is new: its ordinal, or -1 when it was seen before (the
        BFS's one call per generated state: the probe of :meth:`insert` inlined)."""
        if fp:
            table, mask = self.table, self.mask
            i = fp >> self.shift
            held = table[i]
            while held:
                if held == fp:
                    return -1
                i = (i + 1) & mask
                held = table[i]
            table[i] = fp
            self.count += 1
            if self.count * 4 > len(table) * 3:
                self._grow()
        elif not self.insert(fp):
            return -1
        self.parent.append(parent)
        try:
            self.step.append(step)
        except OverflowError:
            self._widen(step)
        return len(self.parent) - 1

    def _widen(self, step: int) -> None:
        """Step indices in 32 bits from now on (``step`` did not fit in 16), then ``step``."""
        self.step = array("I", self.step)
        self.step.append(step)

    def add(self, fp: int, parent: int, step: int) -> int:
        """Admit a new fingerprint; returns its ordinal."""
        self.insert(fp)
        self.parent.append(parent)
        try:
            self.step.append(step)
        except OverflowError:
            self._widen(step)
        return len(self.parent) - 1

    def add_keyed(self, fp: int, parent_fp: int, step: int) -> bool:
        """Admit a fingerprint whose parent is known by fingerprint (the parallel search:
        the parent may live in another process), if it is new; False when it was seen
        before (nothing recorded). Parent fingerprints are kept in ``fps``; look records
        up with :meth:`keyed_record`."""
        if fp:  # the probe of :meth:`insert`, inlined (one call per generated state)
            table, mask = self.table, self.mask
            i = fp >> self.shift
            held = table[i]
            while held:
                if held == fp:
                    return False
                i = (i + 1) & mask
                held = table[i]
            table[i] = fp
            self.count += 1
            if self.count * 4 > len(table) * 3:
                self._grow()
        elif not self.insert(fp):
            return False
        self.fps.append(fp)
        self.fps.append(parent_fp & 0xFFFFFFFFFFFFFFFF)  # -1 (an initial state) as 2**64 - 1
        try:
            self.step.append(step)
        except OverflowError:
            self._widen(step)
        return True

    def keyed_record(self, fp: int) -> tuple[int, int] | None:
        """(parent fingerprint or -1, step) of ``fp`` admitted by :meth:`add_keyed`, or None.
        A linear scan at C speed: it runs only to rebuild a counterexample."""
        if fp not in self:
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

    # -- saving and restoring ---------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """The whole set (table and records), machine-independent (little-endian)."""
        arrays = [self.table, self.parent, self.step, self.fps]
        parts = [_HEADER.pack(_MAGIC, 1, int(self.has_zero), self.count)]
        for arr in arrays:
            data = array("I" if arr is self.step else arr.typecode, arr)  # (steps saved in 32 bits)
            if struct.pack("=H", 1) != struct.pack("<H", 1):
                data.byteswap()
            parts.append(struct.pack("<Q", len(data)))
            parts.append(data.tobytes())
        return b"".join(parts)

    @classmethod
    def from_bytes(cls, data: bytes | memoryview) -> Visited:
        """The set :meth:`to_bytes` saved; ValueError if ``data`` is not one."""
        try:
            magic, version, has_zero, count = _HEADER.unpack_from(data, 0)
        except struct.error:
            raise ValueError("not a saved visited set (too short)") from None
        if magic != _MAGIC or version != 1:
            raise ValueError("not a saved visited set (bad header)")
        visited = cls()
        offset = _HEADER.size
        loaded = []
        for typecode in ("Q", "i", "I", "Q"):
            if offset + 8 > len(data):
                raise ValueError("not a saved visited set (truncated)")
            (n,) = struct.unpack_from("<Q", data, offset)
            offset += 8
            arr = array(typecode)
            end = offset + n * arr.itemsize
            if end > len(data):
                raise ValueError("not a saved visited set (truncated)")
            arr.frombytes(data[offset:end])
            if struct.pack("=H", 1) != struct.pack("<H", 1):
                arr.byteswap()
            loaded.append(arr)
            offset = end
        table = loaded[0]
        bits = len(table).bit_length() - 1
        if len(table) != 1 << bits or offset != len(data):
            raise ValueError("not a saved visited set (bad table size)")
        visited.table, visited.parent, steps, visited.fps = loaded
        visited.step = array("H", steps) if not steps or max(steps) <= 0xFFFF else steps
        visited.shift, visited.mask = 64 - bits, (1 << bits) - 1
        visited.count, visited.has_zero = count, bool(has_zero)
        return visited

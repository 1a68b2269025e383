"""A BFS visited set whose older part moves to disk past the memory bound (``--max-memory``).

:class:`SpillingVisited` is a :class:`~explorer.engine.visited.Visited` (the in-memory
open-addressing table and parent arrays) plus, once it has spilled, a part on disk:

- the fingerprints, sorted, in one file, with an index in memory of every
  :data:`PAGE`-th one (1/512 of the file: 8 bytes per 512 states). A lookup bisects the
  index and reads one page of 4 KB with ``pread`` (no ``mmap``: file pages mapped in
  would count as the process's resident memory, which is what the bound measures);
- the parent records of the states admitted before the spill (their parent's ordinal
  and step index), in two files indexed by ordinal, read back one record at a time
  (only to rebuild a counterexample).

A fingerprint is in memory or on disk, never both. :meth:`spill` merges the in-memory
fingerprints into the sorted file (one sequential pass, a new file replacing the old)
and appends the in-memory records to theirs, then empties the table. Membership is
exact, so the search admits the same states in the same order, with the same ordinals,
as in memory: counts, parents and counterexamples do not change (tested).

Spilling is amortised: :meth:`spill` does nothing until the table holds at least
:data:`MIN_SPILL` fingerprints and a quarter of what is on disk, so a bound the search
cannot meet (caches, the frontier) costs a bounded number of merges, each writing
about 5 times the states admitted since the last (TLC's disk fingerprint set merges the
same way). The files live in the search's spill directory (explorer/engine/spill.py).
"""

from __future__ import annotations

import heapq
import os
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from pathlib import Path

from explorer.engine.spill import SpillArea
from explorer.engine.visited import Visited

__all__ = ["MIN_SPILL", "PAGE", "SpillingVisited"]

#: fingerprints per page of the sorted file (one index entry each)
PAGE = 512
#: the fewest fingerprints a spill moves (fewer: the spill waits)
MIN_SPILL = 65536
_MERGE_BLOCK = 1 << 16


class SpillingVisited(Visited):
    """A :class:`Visited` with a part on disk (see the module docstring)."""

    __slots__ = ("area", "fps_path", "fd", "index", "disk_count", "records_on_disk", "parent_fd", "step_fd",
                 "parent_path", "step_path", "spills")

    def __init__(self, area: SpillArea) -> None:
        super().__init__()
        self.area = area
        self.fps_path: Path | None = None
        self.fd = -1  # the sorted fingerprints
        self.index = array("Q")  # the first fingerprint of every page
        self.disk_count = 0
        self.records_on_disk = 0
        self.parent_fd = self.step_fd = -1
        self.parent_path = self.step_path = Path()
        self.spills = 0

    @classmethod
    def taking_over(cls, visited: Visited, area: SpillArea) -> SpillingVisited:
        """A spilling set holding ``visited``'s table and records (a resumed checkpoint's)."""
        spilling = cls(area)
        for name in Visited.__slots__:
            setattr(spilling, name, getattr(visited, name))
        return spilling

    # -- the set --------------------------------------------------------------------------

    def __len__(self) -> int:
        return self.count + self.disk_count

    def on_disk(self, fp: int) -> bool:
        if not self.disk_count:
            return False
        page = bisect_right(self.index, fp) - 1
        if page < 0:
            return False
        raw = os.pread(self.fd, PAGE * 8, page * PAGE * 8)
        fps = array("Q")
        fps.frombytes(raw)
        at = bisect_left(fps, fp)
        return at < len(fps) and fps[at] == fp

    def __contains__(self, fp: int) -> bool:
        return Visited.__contains__(self, fp) or self.on_disk(fp)

    def insert(self, fp: int) -> bool:
        if self.on_disk(fp):
            return False
        return Visited.insert(self, fp)

    def admit(self, fp: int, parent: int, step: int) -> int:
        if self.disk_count and not Visited.__contains__(self, fp) and self.on_disk(fp):
            return -1
        ordinal = Visited.admit(self, fp, parent, step)
        return ordinal if ordinal < 0 else ordinal + self.records_on_disk

    def add(self, fp: int, parent: int, step: int) -> int:
        return Visited.add(self, fp, parent, step) + self.records_on_disk

    def record(self, ordinal: int) -> tuple[int, int]:
        if ordinal >= self.records_on_disk:
            return Visited.record(self, ordinal - self.records_on_disk)
        parent, step = array("i"), array("I")
        parent.frombytes(os.pread(self.parent_fd, 4, ordinal * 4))
        step.frombytes(os.pread(self.step_fd, 4, ordinal * 4))
        return parent[0], step[0]

    # -- moving to disk ---------------------------------------------------------------------

    def spill(self) -> bool:
        """Move the in-memory part to disk, if it is large enough (see the module
        docstring); True when it moved."""
        if self.count < max(MIN_SPILL, self.disk_count // 4):
            return False
        moved = self.count
        self._merge(self._sorted_runs())
        self._append_records()
        self.area.spilled_visited += moved
        self.area.spilled_bytes += 16 * moved
        self.spills += 1
        fresh = Visited()
        for name in ("table", "shift", "mask", "count", "has_zero", "parent", "step", "fps"):
            setattr(self, name, getattr(fresh, name))
        return True

    def _sorted_runs(self) -> list[array[int]]:
        """The in-memory fingerprints as sorted runs, one per block of table slots (the
        table is nearly sorted already: a fingerprint sits at or just after its home slot,
        its top bits). Runs are arrays (8 bytes a fingerprint); only one block at a time
        is a list of Python ints."""
        runs = [array("Q", [0])] if self.has_zero else []
        table = self.table
        for start in range(0, len(table), _MERGE_BLOCK):
            block = sorted(fp for fp in table[start : start + _MERGE_BLOCK] if fp)
            if block:
                runs.append(array("Q", block))
        return runs

    def _merge(self, runs: list[array[int]]) -> None:
        """Write the sorted union of the file and ``runs`` to a new file, and its index."""
        path = self.area.new_file("visited")
        index = array("Q")
        written = 0
        with open(path, "wb") as out:
            block = array("Q")
            for fp in heapq.merge(self._disk_fps(), *runs):
                if not written % PAGE:
                    index.append(fp)
                block.append(fp)
                written += 1
                if len(block) >= _MERGE_BLOCK:
                    block.tofile(out)
                    del block[:]
            block.tofile(out)
        if self.fd >= 0:
            os.close(self.fd)
        if self.fps_path is not None:
            self.fps_path.unlink(missing_ok=True)
        self.fps_path, self.fd = path, os.open(path, os.O_RDONLY)
        self.index, self.disk_count = index, written

    def _disk_fps(self) -> Iterator[int]:
        if self.fps_path is None:
            return
        with open(self.fps_path, "rb") as f:
            while True:
                block = array("Q")
                raw = f.read(_MERGE_BLOCK * 8)
                if not raw:
                    return
                block.frombytes(raw)
                yield from block

    def _append_records(self) -> None:
        if self.parent_fd < 0:
            self.parent_path, self.step_path = self.area.new_file("parents"), self.area.new_file("steps")
        # the step file holds 32 bits a record, whatever width the table's steps had
        steps = self.step if self.step.typecode == "I" else array("I", self.step)
        for path, records in ((self.parent_path, self.parent), (self.step_path, steps)):
            with open(path, "ab") as out:
                records.tofile(out)  # (no copy, as tobytes would make)
        if self.parent_fd < 0:
            self.parent_fd, self.step_fd = os.open(self.parent_path, os.O_RDONLY), os.open(self.step_path, os.O_RDONLY)
        self.records_on_disk += len(self.parent)

    def close(self) -> None:
        for fd in (self.fd, self.parent_fd, self.step_fd):
            if fd >= 0:
                os.close(fd)
        self.fd = self.parent_fd = self.step_fd = -1

    # -- checkpoints ------------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """The whole set as :meth:`Visited.to_bytes` writes one (rebuilt in memory: a
        checkpoint of a spilled set costs, while it is written, the memory the spill saved)."""
        whole = Visited()
        for fp in self._disk_fps():
            whole.insert(fp)
        for run in self._sorted_runs():
            for fp in run:
                whole.insert(fp)
        parents, steps = array("i"), array("I")
        if self.records_on_disk:
            parents.frombytes(os.pread(self.parent_fd, 4 * self.records_on_disk, 0))
            steps.frombytes(os.pread(self.step_fd, 4 * self.records_on_disk, 0))
        whole.parent = parents + self.parent
        steps.extend(iter(self.step))  # (the in-memory steps may be 16 bits wide)
        whole.step = steps
        return whole.to_bytes()

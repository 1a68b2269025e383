"""A DFS's seen map (fingerprint -> the shallowest depth it was met at) whose older part
moves to disk past the memory bound (``--max-memory``).

In memory the DFS keeps a dict (about 100 bytes an entry in CPython). Past the bound,
:meth:`SpillingSeen.spill` merges the dict into two files in one sequential pass: the
fingerprints, sorted (8 bytes each), and their depths in the same order (4 bytes each),
with an index in memory of every :data:`PAGE`-th fingerprint; then it empties the
dict. A lookup the dict cannot answer bisects the index and reads one page of each file
with ``pread`` (no ``mmap``: mapped pages would count as the resident memory the bound
measures). A depth lowered later (a state met again higher up, under a depth bound) is
written to the dict, which overrides the disk until the next merge takes the dict's
value. Lookups are exact, so the DFS takes the same steps in the same order: counts and
counterexamples do not change (tested).

Merges wait until the dict holds :data:`MIN_SPILL` entries and a quarter of what is on
disk, as the BFS's visited set does (explorer/engine/visited_spill.py), so a bound the
search cannot meet costs a bounded number of merges. The files live in the search's
spill directory (explorer/engine/spill.py).
"""

from __future__ import annotations

import heapq
import os
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from pathlib import Path

from explorer.engine.spill import SpillArea

__all__ = ["MIN_SPILL", "PAGE", "SpillingSeen"]

#: fingerprints per page of the sorted file (one index entry each)
PAGE = 512
#: the fewest entries a spill moves (fewer: the spill waits)
MIN_SPILL = 65536
_BLOCK = 1 << 16


class SpillingSeen:
    """The DFS's ``seen`` map with a part on disk: ``get``, ``[fp] = depth``, ``in``,
    ``len`` (see the module docstring)."""

    __slots__ = ("area", "memory", "shadowed", "fps_path", "depths_path", "fps_fd", "depths_fd", "index",
                 "disk_count", "spills")

    def __init__(self, area: SpillArea, memory: dict[int, int] | None = None) -> None:
        self.area = area
        self.memory: dict[int, int] = memory if memory is not None else {}
        self.shadowed = 0  # entries of ``memory`` that are on disk too (a depth lowered)
        self.fps_path: Path | None = None
        self.depths_path: Path | None = None
        self.fps_fd = self.depths_fd = -1
        self.index = array("Q")  # the first fingerprint of every page
        self.disk_count = 0
        self.spills = 0

    def __len__(self) -> int:
        return len(self.memory) + self.disk_count - self.shadowed

    def on_disk(self, fp: int) -> int | None:
        """The depth on disk of ``fp``, or None."""
        if not self.disk_count:
            return None
        page = bisect_right(self.index, fp) - 1
        if page < 0:
            return None
        fps = array("Q")
        fps.frombytes(os.pread(self.fps_fd, PAGE * 8, page * PAGE * 8))
        at = bisect_left(fps, fp)
        if at == len(fps) or fps[at] != fp:
            return None
        depth = array("I")
        depth.frombytes(os.pread(self.depths_fd, 4, (page * PAGE + at) * 4))
        return depth[0]

    def get(self, fp: int) -> int | None:
        depth = self.memory.get(fp)
        return depth if depth is not None else self.on_disk(fp)

    def __contains__(self, fp: int) -> bool:
        return self.get(fp) is not None

    def __setitem__(self, fp: int, depth: int) -> None:
        if fp not in self.memory and self.on_disk(fp) is not None:
            self.shadowed += 1
        self.memory[fp] = depth

    # -- moving to disk ---------------------------------------------------------------------

    def spill(self) -> bool:
        """Merge the dict into the files, if it is large enough; True when it moved."""
        if len(self.memory) < max(MIN_SPILL, self.disk_count // 4):
            return False
        moved = len(self.memory) - self.shadowed
        self._write(self.sorted_items())
        self.area.spilled_visited += moved
        self.area.spilled_bytes += 12 * moved
        self.spills += 1
        self.memory, self.shadowed = {}, 0
        return True

    def sorted_items(self) -> Iterator[tuple[int, int]]:
        """Every (fingerprint, depth), sorted; the dict's depth where both hold one."""
        memory = sorted(self.memory.items())
        last = -1
        for fp, depth in heapq.merge(memory, self._disk_items(), key=lambda item: item[0]):
            if fp != last:  # the dict's entry comes first (heapq.merge is stable)
                yield fp, depth
            last = fp

    def _disk_items(self) -> Iterator[tuple[int, int]]:
        if self.fps_path is None or self.depths_path is None:
            return
        with open(self.fps_path, "rb") as f, open(self.depths_path, "rb") as d:
            while True:
                fps, depths = array("Q"), array("I")
                raw = f.read(_BLOCK * 8)
                if not raw:
                    return
                fps.frombytes(raw)
                depths.frombytes(d.read(_BLOCK * 4))
                yield from zip(fps, depths, strict=True)

    def _write(self, items: Iterator[tuple[int, int]]) -> None:
        fps_path, depths_path = self.area.new_file("seen"), self.area.new_file("depths")
        index, written = array("Q"), 0
        with open(fps_path, "wb") as f, open(depths_path, "wb") as d:
            fps, depths = array("Q"), array("I")
            for fp, depth in items:
                if not written % PAGE:
                    index.append(fp)
                fps.append(fp)
                depths.append(depth)
                written += 1
                if len(fps) >= _BLOCK:
                    fps.tofile(f)
                    depths.tofile(d)
                    del fps[:], depths[:]
            fps.tofile(f)
            depths.tofile(d)
        self.close()
        for old in (self.fps_path, self.depths_path):
            if old is not None:
                old.unlink(missing_ok=True)
        self.fps_path, self.depths_path = fps_path, depths_path
        self.fps_fd, self.depths_fd = os.open(fps_path, os.O_RDONLY), os.open(depths_path, os.O_RDONLY)
        self.index, self.disk_count = index, written

    def close(self) -> None:
        for fd in (self.fps_fd, self.depths_fd):
            if fd >= 0:
                os.close(fd)
        self.fps_fd = self.depths_fd = -1

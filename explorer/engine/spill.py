"""A BFS frontier that moves to disk past the memory bound (``--max-memory``).

The one-process BFS keeps the next level's frontier as a
:class:`~explorer.engine.frontier.Frontier` (ordinals and encoded states). With a memory
bound, it is a :class:`SpillFrontier`: states are appended to an in-memory Frontier (the
hot loop calls its own ``append``), and at every safe point of the search where the
process's resident memory is at or past the bound, that Frontier so far is pickled as
one chunk onto the end of a file and emptied in place. The encodings may name a
process's own tables (the actor model's part numbers): spill files are read back by the
process that wrote them only. Iterating yields the chunks from the file in
order, then what is still in memory: the same pairs in the same order as a list would
hold, so counts, parents and counterexamples do not change (tested). Only the chunk
being read is in memory.

The visited set spills too, the same way (explorer/engine/visited_spill.py). Files live in a temporary directory (under ``TMPDIR``) removed when the search
ends, however it ends.
"""

from __future__ import annotations

import pickle
import shutil
import struct
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from explorer.engine.frontier import Frontier

__all__ = ["SpillArea", "SpillFrontier"]

_LENGTH = struct.Struct("<Q")


class SpillArea:
    """The temporary directory of one search's spill files, and what went there."""

    def __init__(self) -> None:
        self.directory: Path | None = None
        self.files = 0
        self.spilled_states = 0  # frontier states
        self.spilled_visited = 0  # visited fingerprints (explorer/engine/visited_spill.py)
        self.spilled_bytes = 0

    def new_file(self, kind: str = "frontier") -> Path:
        if self.directory is None:
            self.directory = Path(tempfile.mkdtemp(prefix="synod-spill-"))
        self.files += 1
        return self.directory / f"{kind}-{self.files}.bin"

    def close(self) -> None:
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None

    def to_json(self) -> dict[str, Any]:
        return {
            "spilled_states": self.spilled_states,
            "spilled_visited": self.spilled_visited,
            "spilled_bytes": self.spilled_bytes,
        }


class SpillFrontier:
    """A :class:`Frontier` whose older part may live in a file."""

    def __init__(self, area: SpillArea) -> None:
        self.area = area
        self.buffer = Frontier()
        self.append = self.buffer.append  # the hot loop's append: the buffer's own
        self.path: Path | None = None
        self.on_disk = 0

    def __len__(self) -> int:
        return self.on_disk + len(self.buffer)

    def __bool__(self) -> bool:
        return self.on_disk > 0 or bool(self.buffer)

    def spill(self) -> None:
        """Move what is in memory to the end of the file (nothing when it is empty)."""
        if not self.buffer:
            return
        if self.path is None:
            self.path = self.area.new_file()
        blob = pickle.dumps(self.buffer, protocol=5)
        with open(self.path, "ab") as out:
            out.write(_LENGTH.pack(len(blob)) + blob)
        self.on_disk += len(self.buffer)
        self.area.spilled_states += len(self.buffer)
        self.area.spilled_bytes += len(blob)
        self.buffer.clear()  # the same Frontier: ``append`` stays bound to it

    def __iter__(self) -> Iterator[tuple[int, Any]]:
        if self.path is not None:
            with open(self.path, "rb") as spilled:
                while True:
                    head = spilled.read(_LENGTH.size)
                    if not head:
                        break
                    (length,) = _LENGTH.unpack(head)
                    yield from pickle.loads(spilled.read(length))
        yield from list(self.buffer)  # a copy: the level may go on appending

    def discard(self) -> None:
        """Remove the file (the level that read this frontier is done)."""
        if self.path is not None:
            self.path.unlink(missing_ok=True)
            self.path = None
        self.on_disk = 0
        self.buffer.clear()

"""Checkpoint files: what a one-process BFS or DFS needs to continue, written atomically.

A checkpoint directory holds one file, ``checkpoint.synod``, replaced as a whole on every
write: the new one goes to a temporary file in the same directory, is flushed and
fsync'ed, and ``os.replace`` puts it in place (then the directory is fsync'ed), so a
crash, a full disk or a signal at any moment leaves the previous checkpoint or the new
one, never a mixture. Layout::

    MAGIC
    piece*      u32 section number, u64 length, bytes   (sections in the header's order)
    header      JSON: format, identity, strategy, counters, sections
    sha256      32 bytes: the digest of everything above
    u64         the header's length
    END

The header comes last so that the pieces can be streamed (a spilled frontier is never
held in memory whole); a truncated file has no valid trailer, a corrupt one fails the
checksum, and either is refused with one line (:class:`CheckpointError`, exit 2).

What goes into the sections is the strategies' business (explorer/engine/snapshots.py):
the visited set through :meth:`Visited.to_bytes`, the frontier or the DFS stack as
pickled chunks of states (the states are plain immutable data; pickle writes the same
bytes for equal states in every process, whatever ``PYTHONHASHSEED``), and the run's
bookkeeping. The *identity* is what a resume must agree with: the configuration and
search bounds that decide the counts, and a code version (the package version and a
digest over the source of the packages that define the model, :func:`source_digest`).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import struct
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from explorer.engine.errors import ConfigError

__all__ = [
    "DEFAULT_EVERY_S",
    "FILE_NAME",
    "CheckpointError",
    "CheckpointPlan",
    "Snapshot",
    "read_checkpoint",
    "source_digest",
]

FILE_NAME = "checkpoint.synod"
MAGIC = b"SYNOD-CHECKPOINT\n"
END = b"END\n"
FORMAT = 1
#: the default period of checkpoints: a long run loses at most this much work
DEFAULT_EVERY_S = 300.0

_PIECE = struct.Struct("<IQ")
_LENGTH = struct.Struct("<Q")
_DIGEST = 32  # sha256


class CheckpointError(ConfigError):
    """A checkpoint that cannot be used (another configuration, another code version,
    corrupt, truncated, missing): one line, exit 2."""


@dataclass
class Snapshot:
    """A checkpoint read back: the header's counters and each section's pieces."""

    strategy: str
    counters: dict[str, Any]
    sections: dict[str, list[bytes]]

    def one(self, name: str) -> bytes:
        """The single piece of section ``name``."""
        pieces = self.sections.get(name, [])
        if len(pieces) != 1:
            raise CheckpointError(f"checkpoint section {name!r} is malformed")
        return pieces[0]


@dataclass
class CheckpointPlan:
    """Where and how often a search writes checkpoints, and what it resumes from.

    ``identity`` (JSON-able) is written into every checkpoint and must equal the one of
    a resumed checkpoint. ``every_s`` / ``every_levels``: a checkpoint is written when
    that much time has passed or that many BFS levels ended since the last one (either
    may be None); one is written as well when a signal, the time limit or the memory
    bound of a DFS stops the search. ``snapshot``: what to continue from (``--resume``).
    """

    directory: Path
    identity: dict[str, Any]
    every_s: float | None = DEFAULT_EVERY_S
    every_levels: int | None = None
    snapshot: Snapshot | None = None
    written: int = 0  # checkpoints written in this session
    errors: list[str] = field(default_factory=list)  # writes that failed (the previous one stays)
    last_write_s: float = 0.0  # how long the last one took
    next_due: float = field(default=0.0)
    levels_since: int = 0

    def __post_init__(self) -> None:
        self.reset_clock()

    @property
    def path(self) -> Path:
        return self.directory / FILE_NAME

    def reset_clock(self) -> None:
        self.next_due = time.monotonic() + self.every_s if self.every_s is not None else float("inf")
        self.levels_since = 0

    def due(self) -> bool:
        """Whether the period has passed (read at the strategies' safe points)."""
        return time.monotonic() >= self.next_due

    def level_ended(self) -> bool:
        """Count one BFS level; whether a checkpoint is due (by levels or by time)."""
        self.levels_since += 1
        return (self.every_levels is not None and self.levels_since >= self.every_levels) or self.due()

    def write(self, strategy: str, counters: dict[str, Any], sections: dict[str, Iterable[bytes]]) -> None:
        """Write one checkpoint atomically (see the module docstring). A write that fails
        (a full disk) is noted in :attr:`errors` and the search goes on: the previous
        checkpoint stays, and the next period tries again."""
        try:
            self._write(strategy, counters, sections)
        except OSError as exc:
            self.errors.append(f"{self.path}: {exc.strerror or exc}")
            self.reset_clock()

    def _write(self, strategy: str, counters: dict[str, Any], sections: dict[str, Iterable[bytes]]) -> None:
        started = time.monotonic()
        self.directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".checkpoint-", suffix=".tmp", dir=self.directory)
        try:
            with os.fdopen(fd, "wb") as out:
                digest = hashlib.sha256()

                def put(data: bytes) -> None:
                    digest.update(data)
                    out.write(data)

                put(MAGIC)
                names = list(sections)
                for number, name in enumerate(names):
                    for piece in sections[name]:
                        put(_PIECE.pack(number, len(piece)))
                        put(piece)
                header = {
                    "format": FORMAT,
                    "identity": self.identity,
                    "strategy": strategy,
                    "counters": counters,
                    "sections": names,
                }
                text = json.dumps(header, sort_keys=True).encode()
                put(text)
                out.write(digest.digest() + _LENGTH.pack(len(text)) + END)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _fsync_directory(self.directory)
        self.written += 1
        self.last_write_s = time.monotonic() - started
        self.reset_clock()


def _fsync_directory(directory: Path) -> None:
    """Make the rename durable (where the platform lets a directory be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def read_checkpoint(directory: Path, identity: dict[str, Any]) -> Snapshot:
    """The checkpoint in ``directory``, checked whole and against ``identity``."""
    path = directory / FILE_NAME
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CheckpointError(f"--resume {directory}: no checkpoint there ({FILE_NAME} is missing)") from None
    except OSError as exc:
        raise CheckpointError(f"--resume {directory}: cannot read {path}: {exc.strerror or exc}") from None
    header, body_end = _header(data, path)
    theirs = header.get("identity", {})
    _same_identity(directory, theirs, identity)
    return Snapshot(str(header["strategy"]), dict(header["counters"]), _pieces(data, body_end, header, path))


def _header(data: bytes, path: Path) -> tuple[dict[str, Any], int]:
    """The header of a whole, intact checkpoint, and where its pieces end."""
    broken = CheckpointError(f"checkpoint {path} is corrupt or truncated; it cannot be resumed")
    tail = _DIGEST + _LENGTH.size + len(END)
    if not data.startswith(MAGIC) or not data.endswith(END) or len(data) < len(MAGIC) + tail:
        raise broken
    (length,) = _LENGTH.unpack_from(data, len(data) - _LENGTH.size - len(END))
    header_end = len(data) - tail
    body_end = header_end - length
    if body_end < len(MAGIC) or hashlib.sha256(data[:header_end]).digest() != data[header_end : header_end + _DIGEST]:
        raise broken
    try:
        header = json.loads(data[body_end:header_end])
    except ValueError:
        raise broken from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        found = header.get("format") if isinstance(header, dict) else None
        raise CheckpointError(f"checkpoint {path} is of another format (version {found!r}, not {FORMAT})")
    return header, body_end


def _pieces(data: bytes, body_end: int, header: dict[str, Any], path: Path) -> dict[str, list[bytes]]:
    names = list(header["sections"])
    sections: dict[str, list[bytes]] = {name: [] for name in names}
    view = memoryview(data)
    offset = len(MAGIC)
    while offset < body_end:
        number, length = _PIECE.unpack_from(view, offset)
        offset += _PIECE.size
        if number >= len(names) or offset + length > body_end:
            raise CheckpointError(f"checkpoint {path} is corrupt or truncated; it cannot be resumed")
        sections[names[number]].append(bytes(view[offset : offset + length]))
        offset += length
    return sections


def _same_identity(directory: Path, theirs: dict[str, Any], ours: dict[str, Any]) -> None:
    """Refuse, naming the first difference, a checkpoint of another check or code."""
    code_keys = ("code",)
    for key in sorted(set(theirs) | set(ours), key=lambda k: (k in code_keys, k)):
        if theirs.get(key) != ours.get(key):
            if key in code_keys:
                raise CheckpointError(
                    f"--resume {directory}: the checkpoint was written by another version of the code "
                    f"({_short(theirs.get(key))} there, {_short(ours.get(key))} here)"
                )
            raise CheckpointError(
                f"--resume {directory}: the checkpoint is of another check: {key} is "
                f"{_short(theirs.get(key))} there, {_short(ours.get(key))} here"
            )


def _short(value: Any) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 80 else text[:77] + "..."


def source_digest(packages: Sequence[str], files: Sequence[str] = ()) -> str:
    """sha256 (16 hex digits) over the ``.py`` files of ``packages`` (found without
    importing them) and ``files``: names relative to each package, and contents.
    The same source gives the same digest on any machine and in any directory."""
    digest = hashlib.sha256()
    for name in packages:
        spec = importlib.util.find_spec(name)
        roots = list(spec.submodule_search_locations or []) if spec is not None else []
        if not roots and spec is not None and spec.origin:
            files = [*files, spec.origin]
        for root in roots:
            for path in sorted(_sources(Path(root))):
                digest.update(f"{name}/{path.relative_to(root).as_posix()}\0".encode())
                digest.update(path.read_bytes())
    for file in sorted(set(files)):
        path = Path(file)
        digest.update(f"{path.name}\0".encode())
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"(unreadable)")
    return digest.hexdigest()[:16]


def _sources(root: Path) -> Iterator[Path]:
    for path in root.rglob("*.py"):
        if "__pycache__" not in path.parts:
            yield path

"""What the checkpoints of the partitioned BFS searches share (explorer/engine/
parallel_checkpoint.py over local processes, ray_backend/checkpoint.py over Ray actors):
parent records keyed by fingerprint and frontiers as bytes, and dealing both out again
to another number of owners (owner ``i`` of ``W`` holds the fingerprints equal to ``i``
modulo ``W``).

Records are ``(fps, steps)`` pickled: ``fps`` an ``array('Q')`` of fingerprint, parent
fingerprint pairs (an initial state's parent -1 as ``2**64 - 1``), ``steps`` an
``array('I')`` of step indices: 20 bytes a state. A frontier is a list of pieces of at
most :data:`CHUNK` states, each ``(fingerprints, states)`` pickled, the states by value
(one pickle per piece writes the sub-objects its states share once).

Under ``--por`` each owner also keeps its copy of the reduction's counters
(:func:`por_counters`) and leaves out of its saved frontier the states free steps moved
to the level before (:func:`without_moved`).
"""

from __future__ import annotations

import itertools
import pickle
from array import array
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from explorer.engine.parallel_free import reduction_stats

__all__ = ["CHUNK", "NO_PARENT", "POR_COUNTERS", "deal_frontier", "deal_por_counters", "deal_records",
           "frontier_pieces", "pack_records", "por_counters", "restore_por_counters", "saved_fronts",
           "unpack_records", "unpieces", "without_moved"]

#: frontier states per pickled piece
CHUNK = 4096
#: an initial state's parent, as the unsigned 64-bit word -1 becomes
NO_PARENT = 0xFFFFFFFFFFFFFFFF


def pack_records(fps: array[int], steps: array[int]) -> bytes:
    # steps are saved 32 bits wide whatever the width in memory (Visited keeps them in
    # 16 bits until one needs more)
    wide = steps if steps.typecode == "I" else array("I", steps)
    return pickle.dumps((fps.tobytes(), wide.tobytes()), protocol=5)


def unpack_records(blob: bytes) -> tuple[array[int], array[int]]:
    """(fingerprint and parent pairs, step indices) of :func:`pack_records`'s blob."""
    fps_raw, steps_raw = pickle.loads(blob)
    fps, steps = array("Q"), array("I")
    fps.frombytes(fps_raw)
    steps.frombytes(steps_raw)
    if len(fps) != 2 * len(steps):
        raise ValueError("parent records of unequal lengths")
    return fps, steps


def frontier_pieces(fps: list[int], states: list[Any], decode: Any = None) -> Iterator[bytes]:
    """A frontier as pickled pieces; ``decode`` turns a held encoding into the state
    (encodings may name tables of one process only)."""
    for start in range(0, len(fps), CHUNK):
        part = states[start : start + CHUNK]
        by_value = [decode(s) for s in part] if decode else list(part)
        yield pickle.dumps((array("Q", fps[start : start + CHUNK]).tobytes(), by_value), protocol=5)


def unpieces(pieces: Iterable[bytes]) -> Iterator[tuple[int, Any]]:
    """The (fingerprint, state) pairs of :func:`frontier_pieces`, in order."""
    for piece in pieces:
        raw, states = pickle.loads(piece)
        fps = array("Q")
        fps.frombytes(raw)
        yield from zip(fps, states, strict=True)


def deal_records(records: Iterable[bytes], workers: int) -> list[bytes]:
    """Parent records split by owner, in the order they were given."""
    fps_out = [array("Q") for _ in range(workers)]
    steps_out = [array("I") for _ in range(workers)]
    for piece in records:
        fps, steps = unpack_records(piece)
        for i, step in enumerate(steps):
            fp = fps[2 * i]
            owner = fp % workers
            fps_out[owner].append(fp)
            fps_out[owner].append(fps[2 * i + 1])
            steps_out[owner].append(step)
    return [pack_records(f, s) for f, s in zip(fps_out, steps_out, strict=True)]


def deal_frontier(pieces: Iterable[bytes], workers: int) -> list[list[bytes]]:
    """Frontier pieces split by owner, in the order they were given."""
    dealt: list[tuple[list[int], list[Any]]] = [([], []) for _ in range(workers)]
    for fp, state in unpieces(pieces):
        fps, states = dealt[fp % workers]
        fps.append(fp)
        states.append(state)
    return [list(frontier_pieces(fps, states)) for fps, states in dealt]


def saved_fronts(pieces: Sequence[bytes], chunk_counts: Iterable[int]) -> list[list[bytes]]:
    """Each saved worker's frontier pieces: a checkpoint's frontier section holds them one
    worker after another, ``chunk_counts`` pieces each (resumed with as many workers)."""
    ends = list(itertools.accumulate(chunk_counts))
    return [list(pieces[b:e]) for b, e in zip([0, *ends[:-1]], ends, strict=True)]


#: the reduction's counters a checkpoint keeps (explorer/engine/por.py PorStats)
POR_COUNTERS = ("expanded", "fully_expanded", "transitions", "pruned", "pruned_free")


def por_counters(model: Any) -> list[int] | None:
    """A reduced model's counters as a checkpoint keeps them, or None."""
    stats = reduction_stats(model)
    return None if stats is None else [getattr(stats, name) for name in POR_COUNTERS]


def restore_por_counters(model: Any, saved: list[int] | None) -> None:
    stats = reduction_stats(model)
    if stats is not None and saved is not None:
        for name, value in zip(POR_COUNTERS, saved, strict=True):
            setattr(stats, name, int(value))


def deal_por_counters(saved: Sequence[list[int] | None], workers: int) -> list[list[int] | None]:
    """Each owner's counters: as saved with as many owners, else their sums in the first
    (the search adds every owner's up at the end)."""
    if len(saved) == workers:
        return list(saved)
    counted = [c for c in saved if c is not None]
    if not counted:
        return [None] * workers
    summed = [sum(column) for column in zip(*counted, strict=True)]
    dealt: list[list[int] | None] = [summed]
    return dealt + [[0] * len(summed) for _ in range(workers - 1)]


def without_moved(fps: list[int], states: list[Any], moved: set[int]) -> tuple[list[int], list[Any]]:
    """A frontier at a level boundary without the states a free step moved to the level
    before (expanded there: the next level's start would drop them)."""
    if not moved:
        return fps, states
    kept = [i for i, fp in enumerate(fps) if fp not in moved]
    return [fps[i] for i in kept], [states[i] for i in kept]

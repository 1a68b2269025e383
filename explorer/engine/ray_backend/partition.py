"""One partition of a level-synchronous distributed BFS, free of any transport.

Worker ``me`` of ``W`` owns the states whose fingerprint is ``me`` modulo ``W``: their
parent records (fingerprint -> parent fingerprint, successor index) and their part of
the frontier. A level is two calls: :meth:`Partition.expand` expands the partition's
frontier and returns, for every other owner, one encoded batch of the successors it
owns; :meth:`Partition.absorb` takes the batches addressed to this partition and admits
what is new. Whoever drives the partitions (Ray actors here; the same class could be
driven by local processes) only moves bytes between them and adds up the reports.

What makes the result independent of the number of workers and of timing:

- a level always runs to its end (a violation stops the search after the level, never
  in the middle of it; only time, memory and Ctrl-C cut a level short);
- a state new on a level gets as parent the least ``(parent fingerprint, index)`` among
  all that reach it on that level, whichever partition expanded them and in which order;
- within a level, properties already violated (with ``collect``) or witnessed are the
  ones the coordinator broadcast at the start of the level, not a partition's own (so
  with ``collect`` every property that fails in a state is noted, not only the first);
- the coordinator picks violations by least (depth, fingerprint): sets, not arrival order.
"""

from __future__ import annotations

import pickle
import resource
import time
from array import array
from dataclasses import dataclass, field
from typing import Any

from explorer.engine.fingerprint import fingerprint
from explorer.engine.model import Model, Property
from explorer.engine.results import SearchSettings
from explorer.engine.run import TICK_MASK, Run, overrides

__all__ = ["Found", "LevelReport", "Partition", "decode_batch", "encode_batch"]

#: (parent fingerprint or -1 for an initial state, successor or initial-state index, state)
Entry = tuple[int, int, Any]
#: (depth, fingerprint, property name, property kind)
Found = tuple[int, int, str, str]


def encode_batch(batch: dict[int, Entry]) -> bytes:
    """One batch of successors for one owner: the fingerprints, parents and indices as
    flat arrays of machine words (8 + 8 + 4 bytes a state) and the states in one pickle,
    which writes every sub-object the states share (an unchanged node, a message) once
    per batch. Only successors travel, so a parent is always a real fingerprint."""
    fps = array("Q", batch.keys())
    parents = array("Q", [p for p, _, _ in batch.values()])
    indices = array("I", [i for _, i, _ in batch.values()])
    states = [s for _, _, s in batch.values()]
    return pickle.dumps((fps.tobytes(), parents.tobytes(), indices.tobytes(), states), protocol=5)


def decode_batch(blob: bytes) -> list[tuple[int, int, int, Any]]:
    """The (fingerprint, parent, index, state) entries of :func:`encode_batch`'s blob."""
    fps_b, parents_b, indices_b, states = pickle.loads(blob)
    fps, parents, indices = array("Q"), array("Q"), array("I")
    fps.frombytes(fps_b)
    parents.frombytes(parents_b)
    indices.frombytes(indices_b)
    return list(zip(fps, parents, indices, states, strict=True))


@dataclass
class LevelReport:
    """What one partition tells the coordinator after a step."""

    worker: int
    new: int  # states new to this partition on this step
    frontier: int  # its part of the next frontier
    distinct: int  # states it owns so far
    generated: int  # successors it computed so far
    found: list[Found] = field(default_factory=list)
    witnessed: list[str] = field(default_factory=list)
    cpu_s: float = 0.0  # this process's CPU time since the partition was made
    sent_states: int = 0  # states it sent to other owners so far
    sent_bytes: int = 0  # bytes of those batches so far
    peak_memory_mb: float = 0.0  # this process's peak resident memory


def _min_entry(table: dict[int, Entry], fp: int, parent: int, index: int, state: Any) -> None:
    """Keep the least (parent, index) that reaches ``fp`` on this level."""
    known = table.get(fp)
    if known is None or (parent, index) < (known[0], known[1]):
        table[fp] = (parent, index, state)


class Partition:
    """One owner's part of the visited set and of the frontier (see the module docstring)."""

    def __init__(self, me: int, workers: int, model: Model[Any, Any], settings: SearchSettings) -> None:
        self.me, self.workers = me, workers
        self.run = run = Run(model, settings, None)
        self.representative = model.representative if settings.symmetry else None
        self.within = model.within_boundary if overrides(model, "within_boundary") else None
        self.check_new = run.checks_new
        self.parents: dict[int, tuple[int, int]] = {}
        self.sent: set[int] = set()  # fingerprints already sent to their owner (never resend)
        self.frontier: list[tuple[int, Any]] = []
        self.level_new: dict[int, Entry] = {}  # own states first reached on this level
        self.found: list[Found] = []
        self.depth = 0  # actions to reach the current frontier
        self.generated = 0
        self.sent_states = 0
        self.sent_bytes = 0
        self.stopped = False  # set from another thread: time, memory or Ctrl-C
        self.cpu_start = time.process_time()

    # -- the two halves of a level ------------------------------------------------------

    def begin(self, violated: list[str], witnessed: list[str]) -> None:
        """What the coordinator knows at the start of a step (see the module docstring)."""
        self.run.violated = set(violated)
        for name in witnessed:
            self.run.sometimes[name] = True
        self.found = []

    def expand(self) -> list[bytes]:
        """Expand the frontier; returns one encoded batch per owner (empty for this one)."""
        run, me, workers = self.run, self.me, self.workers
        successors = run.model.successors
        representative = self.representative
        fp_of = fingerprint
        parents, sent, level_new = self.parents, self.sent, self.level_new
        outgoing: list[dict[int, Entry]] = [{} for _ in range(workers)]
        for expanded, (pfp, state) in enumerate(self.frontier, 1):
            index = -1
            for index, (_action, nxt) in enumerate(successors(state)):
                if nxt == state:
                    continue  # a stuttering step: the state is known
                fp = fp_of(representative(nxt) if representative else nxt)
                owner = fp % workers
                if owner == me:
                    if fp not in parents:
                        _min_entry(level_new, fp, pfp, index, nxt)
                elif fp not in sent:
                    _min_entry(outgoing[owner], fp, pfp, index, nxt)
            self.generated += index + 1
            if index == -1 and run.final:
                self._final(pfp, state, self.depth)
            if not expanded & TICK_MASK and self.stopped:
                break
        blobs = []
        for owner, batch in enumerate(outgoing):
            if owner == me or not batch:
                blobs.append(b"")
                continue
            sent.update(batch)
            blob = encode_batch(batch)
            self.sent_states += len(batch)
            self.sent_bytes += len(blob)
            blobs.append(blob)
        return blobs

    def absorb(self, blobs: list[bytes]) -> LevelReport:
        """Take the batches other owners sent, then admit this level's new states."""
        level_new, parents = self.level_new, self.parents
        for blob in blobs:
            if not blob:
                continue
            for fp, parent, index, state in decode_batch(blob):
                if fp not in parents:
                    _min_entry(level_new, fp, parent, index, state)
        self.depth += 1
        return self._admit_level()

    def initial(self, entries: list[tuple[int, int, int, Any]]) -> LevelReport:
        """Admit the initial states this partition owns (parent -1)."""
        for fp, parent, index, state in entries:
            if fp not in self.parents:
                _min_entry(self.level_new, fp, parent, index, state)
        return self._admit_level()

    def finals(self) -> LevelReport:
        """The depth bound: the frontier is where runs end."""
        for fp, state in self.frontier:
            self._final(fp, state, self.depth)
        return self.report(0)

    # -- bookkeeping ------------------------------------------------------------------

    def _admit_level(self) -> LevelReport:
        run, within, parents = self.run, self.within, self.parents
        frontier: list[tuple[int, Any]] = []
        new = 0
        for fp, (parent, index, state) in self.level_new.items():
            parents[fp] = (parent, index)
            new += 1
            if self.check_new:
                prop = run.failed_always(state)
                if prop is not None:
                    self._found(fp, state, prop, run.always)
            if within is not None and not within(state):
                if run.final:
                    self._final(fp, state, self.depth)
                continue
            frontier.append((fp, state))
        self.level_new = {}
        self.frontier = frontier
        return self.report(new)

    def _final(self, fp: int, state: Any, depth: int) -> None:
        prop = self.run.failed_final(state)
        if prop is not None:
            self._found(fp, state, prop, self.run.final, depth)

    def _found(
        self, fp: int, state: Any, prop: Property[Any], kind: list[Property[Any]], depth: int | None = None
    ) -> None:
        """Note ``prop`` failing in ``state``; with ``collect`` also every later property
        of its kind that fails there: a level is judged against the properties violated
        before it, so each property gets its shallowest violation (as one process
        records each failing property of a state: Run.record_each)."""
        depth = self.depth if depth is None else depth
        self.found.append((depth, fp, prop.name, prop.kind))
        if self.run.settings.collect:
            violated = self.run.violated
            for later in kind[kind.index(prop) + 1 :]:
                if later.name not in violated and not later.condition(state):
                    self.found.append((depth, fp, later.name, later.kind))

    def report(self, new: int) -> LevelReport:
        return LevelReport(
            worker=self.me,
            new=new,
            frontier=len(self.frontier),
            distinct=len(self.parents),
            generated=self.generated,
            found=list(self.found),
            witnessed=[name for name, seen in self.run.sometimes.items() if seen],
            cpu_s=time.process_time() - self.cpu_start,
            sent_states=self.sent_states,
            sent_bytes=self.sent_bytes,
            peak_memory_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        )

    def parent(self, fp: int) -> tuple[int, int] | None:
        return self.parents.get(fp)

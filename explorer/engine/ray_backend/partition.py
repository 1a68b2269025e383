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

A reduced search's free steps (explorer/engine/free_steps.py) count as no step of the
depth bound: a level then runs in rounds (explorer/engine/parallel_free.py), each an
expand and an absorb; a batch carries the successors reached by free steps apart, and
each round admits them first (into the level being expanded, or moved there from the
next), each with the least of its discoverers in that round as parent.
"""

from __future__ import annotations

import pickle
import resource
import time
from array import array
from dataclasses import dataclass, field
from typing import Any

from explorer.engine.model import Model, Property
from explorer.engine.parallel_free import FreeRounds
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
    joined: int = 0  # of ``new``, states free steps put in the level expanded
    sent_states: int = 0  # states it sent to other owners so far
    sent_bytes: int = 0  # bytes of those batches so far
    peak_memory_mb: float = 0.0  # this process's peak resident memory


def _min_entry(table: dict[int, Entry], fp: int, parent: int, index: int, state: Any) -> None:
    """Keep the least (parent, index) that reaches ``fp`` on this level."""
    known = table.get(fp)
    if known is None or (parent, index) < (known[0], known[1]):
        table[fp] = (parent, index, state)


class Partition(FreeRounds):
    """One owner's part of the visited set and of the frontier (see the module docstring)."""

    def __init__(self, me: int, workers: int, model: Model[Any, Any], settings: SearchSettings) -> None:
        self.me, self.workers = me, workers
        self.run = run = Run(model, settings, None)
        self.representative = model.representative if settings.symmetry else None
        # the model's fingerprint (a reduced model's goes through its quotient), as every
        # search's; states arrive pickled, re-linked to this process's parts (``adopt``)
        self.fingerprint = model.fingerprint
        self.adopt = model.adopt if overrides(model, "adopt") else None
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
        # a reduced search's free steps: a level in rounds (module docstring)
        self.start_free_rounds(model, None)
        self.free_new: dict[int, Entry] = {}  # own states reached by free steps in this round
        self.expanding = 0  # the depth of the states this round expands

    # -- the two halves of a level ------------------------------------------------------

    def begin(self, violated: list[str], witnessed: list[str]) -> None:
        """What the coordinator knows at the start of a step (see the module docstring)."""
        self.run.violated = set(violated)
        for name in witnessed:
            self.run.sometimes[name] = True
        self.found = []

    def expand(self, first: bool = True) -> list[bytes]:
        """Expand the frontier, or (not ``first``: a further round of the level, for free
        steps) the states the last round put in the level; returns one encoded batch per
        owner (empty for this one)."""
        run, me, workers = self.run, self.me, self.workers
        successors = run.model.successors
        representative = self.representative
        fp_of = self.fingerprint
        parents, sent, level_new = self.parents, self.sent, self.level_new
        free, free_new = self.free, self.free_new
        outgoing: list[dict[int, Entry]] = [{} for _ in range(workers)]
        outgoing_free: list[dict[int, Entry]] = [{} for _ in range(workers)]
        if first:
            self.begin_level(None)
            sources: Any = self.frontier
            self.expanding = self.depth
        else:
            sources = zip(*self.free_round(), strict=True)
            self.expanding = self.depth - 1  # the level expanded; ``depth`` is the next one's
        for expanded, (pfp, state) in enumerate(sources, 1):
            index = -1
            for index, (_action, nxt) in enumerate(successors(state)):
                if nxt == state:
                    continue  # a stuttering step: the state is known
                fp = fp_of(representative(nxt) if representative else nxt)
                owner = fp % workers
                if free is not None and index == free.model.free_index:  # no step of the depth bound
                    if owner != me:
                        if fp in outgoing_free[owner] or self.resend_free(fp):
                            _min_entry(outgoing_free[owner], fp, pfp, index, nxt)
                    elif fp not in parents or fp in free.next_ordinals:
                        _min_entry(free_new, fp, pfp, index, nxt)
                elif owner == me:
                    if fp not in parents:
                        _min_entry(level_new, fp, pfp, index, nxt)
                elif fp not in sent:
                    _min_entry(outgoing[owner], fp, pfp, index, nxt)
            self.generated += index + 1
            if index == -1 and run.final:
                self._final(pfp, state, self.expanding)
            if not expanded & TICK_MASK and self.stopped:
                break
        return self._blobs(outgoing, outgoing_free if free is not None else None)

    def resend_free(self, fp: int) -> bool:
        """Whether a free step's state goes to its owner: not sent yet, or sent by a
        counted step on this level (the owner may have it in the next level)."""
        return fp not in self.sent or fp in self.counted_sent

    def _blobs(self, outgoing: list[dict[int, Entry]], outgoing_free: list[dict[int, Entry]] | None) -> list[bytes]:
        """One blob per owner: its batch, and with free steps its free batch beside it."""
        sent, blobs = self.sent, []
        for owner, batch in enumerate(outgoing):
            free_batch = outgoing_free[owner] if outgoing_free is not None else {}
            if owner == self.me or not (batch or free_batch):
                blobs.append(b"")
                continue
            sent.update(batch)
            if outgoing_free is None:
                blob = encode_batch(batch)
            else:
                sent.update(free_batch)
                self.counted_sent.update(fp for fp in batch if fp not in free_batch)
                self.counted_sent.difference_update(free_batch)
                blob = pickle.dumps((encode_batch(batch), encode_batch(free_batch)), protocol=5)
            self.sent_states += len(batch) + len(free_batch)
            self.sent_bytes += len(blob)
            blobs.append(blob)
        return blobs

    def absorb(self, blobs: list[bytes], first: bool = True) -> LevelReport:
        """Take the batches other owners sent, then admit this round's new states (the
        first round of a level, or a further one: :meth:`expand`)."""
        level_new, parents, free_new = self.level_new, self.parents, self.free_new
        for blob in blobs:
            if not blob:
                continue
            counted, free_blob = (blob, b"") if self.free is None else pickle.loads(blob)
            for fp, parent, index, state in decode_batch(counted):
                if fp not in parents:
                    _min_entry(level_new, fp, parent, index, state)
            for fp, parent, index, state in decode_batch(free_blob) if free_blob else ():
                _min_entry(free_new, fp, parent, index, state)
        if first:
            self.depth += 1
        return self._admit_level(first)

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

    def _admit_level(self, first: bool = True) -> LevelReport:
        """Admit this round's states: those free steps reached first (into the level
        expanded), then the others (into the next, whose frontier a further round extends)."""
        adopt, before = self.adopt, len(self.parents)
        if first:
            self.frontier = []
        if self.free is not None:
            free_new, self.free_new = self.free_new, {}
            for fp, (parent, index, state) in free_new.items():
                self.take_free(None, fp, parent, index, adopt(state) if adopt else state)
        parents = self.parents
        for fp, (parent, index, state) in self.level_new.items():
            if fp not in parents:  # (else a free step of this round put it in the level expanded)
                parents[fp] = (parent, index)
                self.admit(None, fp, adopt(state) if adopt else state)
        self.level_new = {}
        return self.report(len(parents) - before, self.free.level_joined() if self.free is not None else 0)

    def record_new(self, fp: int, parent: int, index: int) -> bool:
        if fp in self.parents:
            return False
        self.parents[fp] = (parent, index)
        return True

    def admit(self, level: Any, fp: int, state: Any, free: bool = False) -> None:
        """Check a state just recorded; keep it in the next frontier or, reached by a
        free step (``free``), in the level being expanded (``level``: unused here)."""
        run = self.run
        depth = self.depth - 1 if free else self.depth
        if self.check_new:
            prop = run.failed_always(state)
            if prop is not None:
                self._found(fp, state, prop, run.always, depth)
        if self.within is not None and not self.within(state):
            if run.final:
                self._final(fp, state, depth)
            return
        if self.free is not None and self.free.admit_keyed(self.joined, fp, state, free):
            return
        self.frontier.append((fp, state))

    def drop_moved(self, moved: set[int]) -> None:
        self.frontier = [(fp, state) for fp, state in self.frontier if fp not in moved]

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

    def report(self, new: int, joined: int = 0) -> LevelReport:
        max_depth = self.run.settings.max_depth
        last = max_depth is not None and self.depth >= max_depth  # the level the bound cuts
        return LevelReport(
            worker=self.me,
            new=new,
            joined=joined,
            frontier=self.next_frontier_size(len(self.frontier), last),
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

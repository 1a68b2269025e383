"""Checkpoints of the BFS over local worker processes (explorer/engine/parallel.py).

That search is level-synchronous, so its checkpoints are taken at a level boundary,
where every worker's part is whole: per worker its parent records (fingerprint, parent
fingerprint, step index: 20 bytes a state) and its part of the frontier (fingerprints
and states, pickled by value in chunks), and the coordinator's level sizes, counters,
violations found (``--collect``) and witnesses. Worker ``i`` of ``W`` owns the states
whose fingerprint is ``i`` modulo ``W``, so a checkpoint of ``W`` workers resumes with any
number: with ``W`` again each worker gets its own part back as it was (the same
frontier order, so the same parents and the same counterexample); with another number
the coordinator deals the records and the frontier out again by fingerprint (the same
counts and level sizes, which do not depend on the worker count).

When a checkpoint is due (by time or by levels, :class:`CheckpointPlan`) it is written
at the next boundary. When a level is cut instead (SIGINT or SIGTERM, latched by the
coordinator, which then tells the workers to stop expanding; ``--time-limit``;
``--max-memory``), the checkpoint is of the boundary *before* that level: each worker
remembers, at every level's start, how many records it had (records are only appended),
the frontier it is expanding, its successor count and what it had witnessed and
violated. A cut level is redone on resume; a checkpoint never holds part of one.

Under ``--por`` each worker also saves its copy of the reduction's counters (as of the
boundary), and the coordinator how many further rounds free steps took. Free steps
(explorer/engine/parallel_free.py) run inside a level, so at a boundary their
bookkeeping is only which states of the frontier were moved to the level before
(expanded there): they are left out of the saved frontier, as the level's start would
drop them. A checkpoint made under ``--por`` resumes with any number of workers (each
its own counters with as many, else their sums in one) and ends as the uninterrupted search.
"""

from __future__ import annotations

import itertools
import pickle
import queue
from typing import Any, NamedTuple

from explorer.engine.checkpoint import CheckpointError, CheckpointPlan, Snapshot
from explorer.engine.interrupts import SignalLatch, latched_signals
from explorer.engine.parallel import _Coordinator, _Partition
from explorer.engine.partitioned import (
    deal_frontier,
    deal_por_counters,
    deal_records,
    frontier_pieces,
    pack_records,
    por_counters,
    restore_por_counters,
    saved_fronts,
    unpack_records,
    unpieces,
    without_moved,
)
from explorer.engine.run import Run
from explorer.engine.visited import Visited

__all__ = ["STRATEGY", "CheckpointingCoordinator", "worker_command"]

#: the strategy a checkpoint of this search names (a one-process BFS's is "bfs")
STRATEGY = "bfs-workers"


class _LevelStart(NamedTuple):
    """What a worker (or, in ``_CoordinatorStart``, the coordinator) had at a level's start."""

    records: int  # parent records then (they are only appended)
    fps: list[int]  # the frontier being expanded
    states: list[Any]
    generated: int
    violated: list[str]
    witnessed: list[str]
    moved: set[int]  # states of the frontier free steps moved to the level before (--por)
    por: list[int] | None  # the reduction's counters (--por)


class _CoordinatorStart(NamedTuple):
    distinct: int
    frontier: int
    generated: int
    level_sizes: list[int]
    found: list[tuple[int, str, str]]
    bound_found: list[tuple[int, str, str]]
    bounded: bool
    witnessed: list[str]
    free_rounds: int


# -- the worker side ----------------------------------------------------------------------

#: per partition (one per worker process): its state at the start of the current level
_LEVEL_STARTS: dict[int, _LevelStart] = {}


def _witnessed(run: Run) -> list[str]:
    return sorted(name for name, seen in run.sometimes.items() if seen)


def _capture(part: _Partition) -> _LevelStart:
    """What ``part`` has now (a level boundary). The moved set is the one the next level's
    start drops (free_steps.py replaces it then, never mutates it: a reference suffices)."""
    run = part.run
    moved = part.free.moved if part.free is not None else set()
    return _LevelStart(
        len(part.parents), part.fps, part.states, part.generated, sorted(run.violated), _witnessed(run),
        moved, por_counters(run.model),
    )


def worker_command(part: _Partition, command: tuple[Any, ...], results: Any) -> None:
    """A worker's checkpoint commands: ``mark`` (a level starts: remember the state to roll
    back to), ``save`` (send this part as of now, or as of the level's start), ``restore``."""
    kind = command[0]
    if kind == "mark":
        _LEVEL_STARTS[part.me] = _capture(part)
    elif kind == "save":
        start = _LEVEL_STARTS[part.me] if command[1] else _capture(part)
        n = start.records
        records = pack_records(part.parents.fps[: 2 * n], part.parents.step[:n])
        fps, states = without_moved(start.fps, start.states, start.moved)  # (module docstring)
        chunks = list(frontier_pieces(fps, states, part.decode))
        results.put(("saved", part.me, records, chunks, start.generated, start.violated, start.witnessed, start.por))
    elif kind == "restore":
        _restore_partition(part, *command[1:])
        results.put(("restored", part.me))


def _restore_partition(
    part: _Partition, records: bytes, chunks: list[bytes], generated: int, violated: list[str], witnessed: list[str],
    por: list[int] | None,
) -> None:
    fps, steps = unpack_records(records)
    parents = part.parents = Visited()
    for i, step in enumerate(steps):
        parents.add_keyed(fps[2 * i], fps[2 * i + 1], step)  # 2**64 - 1 stays -1's encoding
    part.fps, part.states = [], []
    model = part.run.model
    for fp, state in unpieces(chunks):
        state = model.adopt(state)
        part.fps.append(fp)
        part.states.append(part.encode(state) if part.encode else state)
    part.generated = generated
    part.counters[2 * part.me] = len(parents)
    part.counters[2 * part.me + 1] = generated
    part.run.violated = set(violated)
    for name in witnessed:
        part.run.sometimes[name] = True
    restore_por_counters(model, por)


# -- the coordinator side -------------------------------------------------------------------


class CheckpointingCoordinator(_Coordinator):
    """The coordinator of a checkpointed search: latches SIGINT and SIGTERM, writes
    checkpoints at level boundaries (of the boundary before a cut level), resumes."""

    worker_commands = staticmethod(worker_command)

    def __init__(self, run: Run) -> None:
        super().__init__(run)
        self.latch = SignalLatch()
        self.level_start: _CoordinatorStart | None = None
        self.resumed_here = False  # at the boundary just resumed from (it is on disk already)

    @property
    def plan(self) -> CheckpointPlan:
        assert self.run.checkpoint is not None
        return self.run.checkpoint

    def levels(self) -> tuple[bool, int, int]:
        # a signal still pending when the block ends is delivered there (it raises)
        with latched_signals() as self.latch:
            complete, distinct, generated = super().levels()
            violated_and_stopped = bool(self.found) and not self.run.settings.collect
            if self.stop_flag.value and not violated_and_stopped and self.level_start is not None:
                self.save(self.level_start, rollback=True)  # the level was cut: the one before
        return complete, distinct, generated

    def tick(self) -> None:
        if self.latch.pending and not self.stop_flag.value:
            self.stop_flag.value = 1  # the workers stop expanding; the level is redone on resume
        super().tick()

    def before_level(self, distinct: int, frontier: int, generated: int) -> None:
        now = _CoordinatorStart(
            distinct, frontier, generated, list(self.level_sizes), list(self.found), list(self.bound_found),
            self.bounded, _witnessed(self.run), self.free_rounds_run,
        )
        if self.resumed_here:
            self.resumed_here = False
        elif self.plan.level_ended() or self.latch.pending:
            self.save(now, rollback=False)
        self.latch.deliver()
        self.level_start = now
        self.command("mark")

    def replies(self, kind: str) -> list[tuple[Any, ...]]:
        """One ``kind`` reply from every worker, in worker order."""
        got: dict[int, tuple[Any, ...]] = {}
        while len(got) < self.workers:
            try:
                msg = self.results.get(timeout=1.0)
            except queue.Empty:
                for proc in self.procs:
                    if not proc.is_alive():
                        raise RuntimeError(f"search worker died (exit code {proc.exitcode})") from None
                continue
            if msg[0] == kind:
                got[msg[1]] = msg
        return [got[i] for i in range(self.workers)]

    def save(self, start: _CoordinatorStart, rollback: bool) -> None:
        """Write the checkpoint of the boundary ``start`` (``rollback``: the workers' state
        at the last level's start, else as it is now)."""
        self.command("save", rollback)
        saved = self.replies("saved")
        counters = {
            "workers": self.workers,
            "distinct": start.distinct,
            "frontier": start.frontier,
            "generated": start.generated,
            "level_sizes": start.level_sizes,
            "bounded": start.bounded,
            "frontier_chunks": [len(s[3]) for s in saved],
            "worker_generated": [s[4] for s in saved],
            "free_rounds": start.free_rounds,
        }
        run_state = {
            # sorted: the workers' reports arrive in any order (the choice of violations
            # does not depend on it: _Coordinator.violations), the checkpoint does not
            "found": sorted(start.found),
            "bound_found": sorted(start.bound_found),
            "witnessed": start.witnessed,
            "violated_by": [s[5] for s in saved],
            "witnessed_by": [s[6] for s in saved],
            "por_by": [s[7] for s in saved],
        }
        self.plan.write(
            STRATEGY,
            counters,
            {
                "records": [s[2] for s in saved],
                "frontier": itertools.chain.from_iterable(s[3] for s in saved),
                "run": [pickle.dumps(run_state, protocol=5)],
            },
        )

    def first_level(self) -> tuple[int, int, int]:
        snapshot = self.plan.snapshot
        if snapshot is None:
            return super().first_level()
        return self.restore(snapshot)

    def restore(self, snapshot: Snapshot) -> tuple[int, int, int]:
        """Hand every worker its part of ``snapshot``; returns (distinct, frontier, generated)."""
        c = snapshot.counters
        saved_workers = int(c["workers"])
        records, chunks = snapshot.sections.get("records", []), snapshot.sections.get("frontier", [])
        run_state = pickle.loads(snapshot.one("run"))
        if len(records) != saved_workers or sum(c["frontier_chunks"]) != len(chunks):
            raise CheckpointError("checkpoint: the workers' sections are malformed")
        parts = _deal(snapshot, records, chunks, run_state, self.workers)
        for i, part in enumerate(parts):
            self.controls[i].put(("restore", *part))
        self.replies("restored")
        self.level_sizes = [int(n) for n in c["level_sizes"]]
        self.found = [(int(fp), str(name), str(kind)) for fp, name, kind in run_state["found"]]
        self.bound_found = [(int(fp), str(name), str(kind)) for fp, name, kind in run_state["bound_found"]]
        self.bounded = bool(c["bounded"])
        self.free_rounds_run = int(c.get("free_rounds", 0))
        for name in run_state["witnessed"]:
            self.run.sometimes[name] = True
        self.resumed_here = True
        return int(c["distinct"]), int(c["frontier"]), int(c["generated"])


def _deal(
    snapshot: Snapshot, records: list[bytes], chunks: list[bytes], run_state: dict[str, Any], workers: int
) -> list[tuple[bytes, list[bytes], int, list[str], list[str], list[int] | None]]:
    """Each worker's (records, frontier chunks, generated, violated, witnessed, reduction
    counters): as saved with the same worker count, else dealt out again by fingerprint."""
    c = snapshot.counters
    por = deal_por_counters(run_state.get("por_by", [None] * len(records)), workers)
    if int(c["workers"]) == workers:
        fronts = saved_fronts(chunks, c["frontier_chunks"])
        return [
            (records[i], fronts[i], int(c["worker_generated"][i]),
             list(run_state["violated_by"][i]), list(run_state["witnessed_by"][i]), por[i])
            for i in range(workers)
        ]
    # another worker count: the union of what the workers had violated and witnessed
    # (only --collect keeps searching past a violation; the counts do not depend on it)
    violated = sorted(set(itertools.chain.from_iterable(run_state["violated_by"])))
    witnessed = sorted(set(itertools.chain.from_iterable(run_state["witnessed_by"])))
    generated = [sum(int(g) for g in c["worker_generated"])] + [0] * (workers - 1)
    dealt = zip(deal_records(records, workers), deal_frontier(chunks, workers), strict=True)
    return [(r, f, generated[i], violated, witnessed, por[i]) for i, (r, f) in enumerate(dealt)]

"""Checkpoints of the BFS over Ray actors (explorer/engine/ray_backend/bfs.py).

As over local processes (explorer/engine/parallel_checkpoint.py), a checkpoint is of a
level boundary: per actor its parent records and its part of the frontier, and the
driver's level sizes, violations found and witnesses; a level cut by a signal, the
time limit or the memory bound is rolled back to its start (each actor remembers, at
every level's start, how many records it had: a dict keeps its insertion order, and a
level's records are admitted after its start's; its frontier; its successor count).
The driver gathers the actors' parts through the object store and writes the one file,
so the checkpoint lives where ``synod check`` runs (a cluster's actors need no shared
disk).

The Ray BFS gives a state the least ``(parent, index)`` among its discoverers on its
level, so its result does not depend on the worker count nor on the order of a
partition's frontier: a checkpoint resumes with any number of actors, on this cluster
or another, and ends exactly as the uninterrupted run (counts, level sizes, generated
successors, the counterexample's path). The records and the frontier are dealt out
again by fingerprint when the number differs.

Under ``--por`` each actor also saves its copy of the reduction's counters (as of the
boundary) and leaves out of its frontier the states free steps moved to the level
before; the driver keeps its count of further rounds (as over local processes:
explorer/engine/parallel_checkpoint.py).

The actors run these functions through their ``call`` method (passed by reference).
"""

from __future__ import annotations

import itertools
import pickle
from array import array
from typing import Any, NamedTuple

from explorer.engine.checkpoint import CheckpointError, CheckpointPlan, Snapshot
from explorer.engine.interrupts import SignalLatch, latched_signals
from explorer.engine.partitioned import (
    NO_PARENT,
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
from explorer.engine.ray_backend.bfs import _RayCoordinator
from explorer.engine.ray_backend.partition import Found, LevelReport, Partition
from explorer.engine.run import Run

__all__ = ["STRATEGY", "RayCheckpointingCoordinator"]

#: the strategy a checkpoint of this search names
STRATEGY = "bfs-ray"


# -- in the actors ----------------------------------------------------------------------------


class _PartStart(NamedTuple):
    records: int
    frontier: list[tuple[int, Any]]
    generated: int
    moved: set[int]  # states of the frontier free steps moved to the level before (--por)
    por: list[int] | None  # the reduction's counters (--por)


#: per partition (one per actor process): its state at the start of the current level
_LEVEL_STARTS: dict[int, _PartStart] = {}


def _capture(part: Partition) -> _PartStart:
    """What ``part`` has at a level boundary (the moved set is replaced, never mutated,
    when the next level starts: a reference suffices)."""
    moved = part.free.moved if part.free is not None else set()
    return _PartStart(len(part.parents), part.frontier, part.generated, moved, por_counters(part.run.model))


def mark_partition(part: Partition) -> None:
    _LEVEL_STARTS[part.me] = _capture(part)


def save_partition(part: Partition, rollback: bool) -> tuple[bytes, list[bytes], int, list[int] | None]:
    """(records, frontier pieces, successors generated, reduction counters) of ``part``
    now, or as of the current level's start (``rollback``)."""
    start = _LEVEL_STARTS[part.me] if rollback else _capture(part)
    fps, steps = array("Q"), array("I")
    for fp, (parent, index) in itertools.islice(part.parents.items(), start.records):
        fps.append(fp)
        fps.append(parent & NO_PARENT)
        steps.append(index)
    front_fps, front_states = without_moved([fp for fp, _ in start.frontier], [s for _, s in start.frontier], start.moved)
    frontier = list(frontier_pieces(front_fps, front_states))
    return pack_records(fps, steps), frontier, start.generated, start.por


def restore_partition(
    part: Partition, records: bytes, pieces: list[bytes], generated: int, depth: int, por: list[int] | None = None
) -> LevelReport:
    fps, steps = unpack_records(records)
    part.parents = {
        fps[2 * i]: (-1 if fps[2 * i + 1] == NO_PARENT else fps[2 * i + 1], step) for i, step in enumerate(steps)
    }
    adopt = part.run.model.adopt
    part.frontier = [(fp, adopt(state)) for fp, state in unpieces(pieces)]
    part.level_new, part.found = {}, []
    part.generated, part.depth = generated, depth
    restore_por_counters(part.run.model, por)
    return part.report(0)


# -- the driver -------------------------------------------------------------------------------


class _DriverStart(NamedTuple):
    distinct: int
    frontier: int
    level_sizes: list[int]
    found: list[Found]
    witnessed: list[str]
    violated: list[str]
    free_rounds: int


class RayCheckpointingCoordinator(_RayCoordinator):
    """The driver of a checkpointed Ray BFS (see the module docstring)."""

    def __init__(self, ray: Any, run: Run) -> None:
        super().__init__(ray, run)
        self.latch = SignalLatch()
        self.level_start: _DriverStart | None = None
        self.resumed_here = False  # at the boundary just resumed from (it is on disk already)

    @property
    def plan(self) -> CheckpointPlan:
        assert self.run.checkpoint is not None
        return self.run.checkpoint

    def on_actors(self, function: Any, *args: Any) -> list[Any]:
        return list(self.ray.get([a.call.remote(function, *args) for a in self.actors]))

    def levels(self) -> tuple[bool, int]:
        # a signal still pending when the block ends is delivered there (it raises)
        with latched_signals() as self.latch:
            complete, distinct = super().levels()
            violated_and_stopped = bool(self.found) and not self.run.settings.collect
            if self.stopping and not violated_and_stopped and self.level_start is not None:
                self.save(self.level_start, rollback=True)  # the level was cut: the one before
        return complete, distinct

    def tick(self) -> None:
        if self.latch.pending:
            self.stop_all("interrupted")  # the actors stop expanding; the level is redone on resume
        super().tick()

    def before_level(self, distinct: int, frontier: int) -> None:
        violated, witnessed = self.known()
        now = _DriverStart(
            distinct, frontier, list(self.level_sizes), list(self.found), witnessed, violated, self.free_rounds_run
        )
        if self.resumed_here:
            self.resumed_here = False
        elif self.plan.level_ended() or self.latch.pending:
            self.save(now, rollback=False)
        self.latch.deliver()
        self.level_start = now
        self.on_actors(mark_partition)

    def save(self, start: _DriverStart, rollback: bool) -> None:
        saved = self.on_actors(save_partition, rollback)
        counters = {
            "workers": self.workers,
            "distinct": start.distinct,
            "frontier": start.frontier,
            "level_sizes": start.level_sizes,
            "frontier_chunks": [len(s[1]) for s in saved],
            "worker_generated": [s[2] for s in saved],
            "free_rounds": start.free_rounds,
        }
        run_state = {
            "found": sorted(start.found), "witnessed": start.witnessed, "violated": start.violated,
            "por_by": [s[3] for s in saved],
        }
        self.plan.write(
            STRATEGY,
            counters,
            {
                "records": [s[0] for s in saved],
                "frontier": itertools.chain.from_iterable(s[1] for s in saved),
                "run": [pickle.dumps(run_state, protocol=5)],
            },
        )

    def first_level(self) -> tuple[int, int]:
        snapshot = self.plan.snapshot
        if snapshot is None:
            return super().first_level()
        return self.restore(snapshot)

    def restore(self, snapshot: Snapshot) -> tuple[int, int]:
        c = snapshot.counters
        records, pieces = snapshot.sections.get("records", []), snapshot.sections.get("frontier", [])
        if len(records) != int(c["workers"]) or sum(c["frontier_chunks"]) != len(pieces):
            raise CheckpointError("checkpoint: the workers' sections are malformed")
        generated = [int(g) for g in c["worker_generated"]]
        if len(records) == self.workers:
            fronts = saved_fronts(pieces, c["frontier_chunks"])
        else:
            records, fronts = deal_records(records, self.workers), deal_frontier(pieces, self.workers)
            generated = [sum(generated)] + [0] * (self.workers - 1)
        depth = len(c["level_sizes"]) - 1
        run_state = pickle.loads(snapshot.one("run"))
        por = deal_por_counters(run_state.get("por_by", [None] * len(records)), self.workers)
        refs = [
            a.call.remote(restore_partition, records[i], fronts[i], generated[i], depth, por[i])
            for i, a in enumerate(self.actors)
        ]
        for report in self.ray.get(refs):
            self.latest[report.worker] = report
        self.free_rounds_run = int(c.get("free_rounds", 0))
        self.level_sizes = [int(n) for n in c["level_sizes"]]
        self.found = [(int(d), int(fp), str(name), str(kind)) for d, fp, name, kind in run_state["found"]]
        for name in run_state["witnessed"]:
            self.run.sometimes[name] = True
        self.run.violated = set(run_state["violated"])
        self.resumed_here = True
        return int(c["distinct"]), int(c["frontier"])

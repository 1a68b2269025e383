"""Random walks and swarm as Ray tasks.

Walk ``i`` of a run is the walk of the ``i``-th seed of the master seed
(:func:`explorer.engine.walks.walk_seeds`), whichever process runs it. The driver hands
out chunks of :data:`CHUNK` consecutive walks as tasks (a fixed size, not one per
worker, so the tasks are the same whatever the worker count) and merges what comes back
in walk order: the fingerprints each walk saw first within its chunk (their union in
walk order is the distinct-state count of the one-process run), the successors it
generated, its length, the ``sometimes`` properties it witnessed and its violation. The
first violation by walk index wins: the chunks after it are dropped, the ones before
it must finish. So the counterexample and the counts are those of ``--backend local``;
the counterexample is shrunk and saved as usual.

Two bounds are applied while merging, at walk granularity: ``--max-states`` stops at
the walk in which the union reaches the bound (the cut walk's successors count in full),
and ``--time-limit`` stops handing out chunks. With ``--collect`` a walk in a chunk
ends at its first failing property (the chunk does not know which properties earlier
chunks violated): deterministic for any worker count, but it can differ from the local
run, which lets a walk continue past a property already violated.

Checkpoints (``run.checkpoint``) are written between two merged chunks: the walks and
seeds done, the fingerprints seen, the counters and the run's bookkeeping (the format of
the local campaign's, marked as Ray's: a campaign resumes on the backend that made it).
A resumed campaign hands out the chunks after the seeds done, the same chunks as the
uninterrupted one, so it ends the same; chunks in flight at a signal are left to finish,
dropped and redone.

Chunks in flight when a campaign stops (a violation, the state bound, a signal) are
waited for, never cancelled: cancelling a Ray task that is finishing at that moment can
abort the driver (:func:`_let_finish`).
"""

from __future__ import annotations

import dataclasses
import time
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from explorer.engine.interrupts import SignalLatch, latched_signals
from explorer.engine.model import Model
from explorer.engine.ray_backend.cluster import connected, cpus_per_worker, release_idle_actors
from explorer.engine.results import Progress, SearchResult, SearchSettings, Violation
from explorer.engine.run import Run, memory_mb
from explorer.engine.shrink import shrink
from explorer.engine.walks import _Walks, walk_depth_cap, walk_limit, walk_seeds

__all__ = ["CHUNK", "WalkOutcome", "ray_walks", "run_chunk"]

#: walks per task: large enough that a task outweighs its scheduling, small enough to balance
CHUNK = 16
POLL_S = 0.25


@dataclass
class WalkOutcome:
    """What one walk of a chunk saw (see the module docstring)."""

    new_fps: bytes  # array("Q"): fingerprints new to the chunk, in the order seen
    generated: int
    length: int  # actions taken
    witnessed: list[str] = field(default_factory=list)  # sometimes properties new to the chunk
    violation: Violation | None = None


class _LoggedSet(set[int]):
    """The walks' seen set, also logging what each walk adds (kept out of the local hot path)."""

    log: list[int]

    def add(self, fp: int) -> None:
        super().add(fp)
        self.log.append(fp)


def run_chunk(model: Model[Any, Any], settings: SearchSettings, swarm: bool, seeds: list[int]) -> list[WalkOutcome]:
    """Run the walks of ``seeds`` in order, until the first violation."""
    run = Run(model, dataclasses.replace(settings, max_states=None), None)  # the driver cuts
    walker = _Walks(run, swarm)
    seen = walker.seen = _LoggedSet()
    inits = list(model.init_states())
    depth_cap = walk_depth_cap(run)
    outcomes: list[WalkOutcome] = []
    for seed in seeds:
        seen.log = []
        generated, recorded = walker.generated, len(run.violations)
        witnessed = {name for name, yes in run.sometimes.items() if yes}
        walker.longest = 0
        stop = walker.seeded_walk(seed, inits, depth_cap)
        outcomes.append(
            WalkOutcome(
                new_fps=array("Q", seen.log).tobytes(),
                generated=walker.generated - generated,
                length=walker.longest,
                witnessed=[n for n, yes in run.sometimes.items() if yes and n not in witnessed],
                violation=run.violations[-1] if len(run.violations) > recorded else None,
            )
        )
        if stop or outcomes[-1].violation is not None:
            break  # later walks of the chunk cannot matter: this violation comes first
    return outcomes


class _Merge:
    """The driver's view: chunks merged in walk order (and what a checkpoint of the
    campaign holds: explorer/engine/snapshots.py's save_walks reads ``count``)."""

    def __init__(self, run: Run, swarm: bool) -> None:
        self.run, self.swarm = run, swarm
        self.seen: set[int] = set()
        self.walks = 0
        self.generated = 0
        self.longest = 0
        self.stop = False
        self.seeds = 0  # seeds of the chunks merged (a chunk ends at its first violation)
        self.latch = SignalLatch()  # replaced by an active one when checkpointing

    @property
    def count(self) -> int:
        return self.walks

    @count.setter
    def count(self, walks: int) -> None:
        self.walks = walks

    def safe_point(self, ending: bool) -> None:
        """Between two merged chunks: a checkpoint when one is due, the campaign stops
        short (``ending``) or a signal is pending (then delivered: it raises)."""
        plan = self.run.checkpoint
        if plan is not None and (ending or self.latch.pending or plan.due()):
            from explorer.engine.snapshots import save_walks

            save_walks(self, {"seeds": self.seeds})
        self.latch.deliver()

    def walk(self, outcome: WalkOutcome) -> None:
        run, settings = self.run, self.run.settings
        self.walks += 1
        fps = array("Q")
        fps.frombytes(outcome.new_fps)
        max_states = settings.max_states
        for position, fp in enumerate(fps, 1):
            self.seen.add(fp)
            if max_states is not None and len(self.seen) >= max_states:
                # the local run checks the state that reaches the bound, then stops: only
                # an `always` violation at exactly that state (the walk's last new one) counts
                v = outcome.violation
                if v is None or v.kind == "final" or position != len(fps):
                    run.stopped_by = "states"
                    self.stop = True
                    outcome = dataclasses.replace(outcome, violation=None)
                break
        self.generated += outcome.generated
        self.longest = max(self.longest, outcome.length)
        for name in outcome.witnessed:
            run.sometimes[name] = True
        v = outcome.violation
        if v is not None and v.property_name not in run.violated and run.record(v):
            self.stop = True

    def progress(self, start_memory: float) -> None:
        run = self.run
        now = time.monotonic()
        if run.progress is None or now < run.next_tick:
            return
        run.next_tick = now + 1.0
        elapsed = now - run.start
        run.progress(
            Progress(
                distinct_states=len(self.seen),
                generated=self.generated,
                depth=self.longest,
                queue=0,
                elapsed_s=elapsed,
                states_per_s=len(self.seen) / elapsed if elapsed > 0 else 0.0,
                memory_mb=max(start_memory, memory_mb()),
                walks=self.walks,
            )
        )


def _chunks(seeds: Iterator[int], limit: int | None, handed: int = 0) -> Iterator[list[int]]:
    """Chunks of :data:`CHUNK` seeds, after the ``handed`` first (a resumed campaign's
    walks done: a multiple of CHUNK, so the chunks are the uninterrupted campaign's)."""
    for _ in range(handed):
        next(seeds)
    while limit is None or handed < limit:
        n = CHUNK if limit is None else min(CHUNK, limit - handed)
        handed += n
        yield [next(seeds) for _ in range(n)]


def _drive(ray: ModuleType, run: Run, swarm: bool, merge: _Merge) -> None:
    """Hand out chunks (two per worker in flight) and merge them in order."""
    settings = run.settings
    release_idle_actors(ray)
    task = ray.remote(num_cpus=cpus_per_worker(ray, settings.workers))(run_chunk)
    model_ref = ray.put(run.model)
    chunks = _chunks(walk_seeds(settings.seed), walk_limit(settings), merge.seeds)
    in_flight: dict[int, Any] = {}
    done: dict[int, list[WalkOutcome]] = {}
    sizes: dict[int, int] = {}  # seeds per chunk
    submitted = merged = 0
    exhausted = False
    try:
        while not merge.stop:
            while not exhausted and len(in_flight) < 2 * settings.workers:
                seeds = next(chunks, None)
                if seeds is None:
                    exhausted = True
                    break
                in_flight[submitted] = task.remote(model_ref, settings, swarm, seeds)
                sizes[submitted] = len(seeds)
                submitted += 1
            if not in_flight:
                break
            ready, _ = ray.wait(list(in_flight.values()), num_returns=1, timeout=POLL_S)
            for index in [i for i, ref in in_flight.items() if ref in ready]:
                done[index] = ray.get(in_flight.pop(index))
            while merged in done and not merge.stop:
                for outcome in done.pop(merged):
                    merge.walk(outcome)
                    if merge.stop:
                        break
                merge.seeds += sizes.pop(merged)
                merged += 1
                if not merge.stop:
                    # a safe point after each merged chunk, not after each batch of them
                    # that arrived together: how many there are must not depend on timing
                    merge.safe_point(False)
            if run.deadline is not None and time.monotonic() >= run.deadline and not exhausted:
                run.stopped_by, exhausted = "time", True
            ending = run.stopped_by == "time" and not in_flight
            if not merge.stop and (ending or merge.latch.pending):
                merge.safe_point(ending)
            merge.progress(0.0)
        if not merge.stop and run.stopped_by is None and walk_limit(settings) is not None:
            run.stopped_by = "walks"
    finally:
        _let_finish(ray, list(in_flight.values()))


def _let_finish(ray: ModuleType, refs: list[Any]) -> None:
    """Wait for the chunks still in flight and drop what they return (their walks come
    after the stop; a resumed campaign redoes them). Never ``ray.cancel``: a task that
    finishes while its cancellation is handled trips a check in Ray's driver-side task
    manager ("Tried to complete task that was not pending"), which aborts the whole
    driver process (seen in CI: the pytest worker died). At most two chunks a worker
    are in flight, each of CHUNK walks; a second Ctrl-C stops the wait."""
    if refs:
        ray.wait(refs, num_returns=len(refs), timeout=None)


def ray_walks(run: Run, swarm: bool) -> SearchResult:
    """Random walks (or swarm) as Ray tasks; the same walks, counts and counterexample as
    the one-process :func:`explorer.engine.walks.walks`."""
    merge = _Merge(run, swarm)
    snapshot = run.checkpoint.snapshot if run.checkpoint is not None else None
    if snapshot is not None:
        from explorer.engine.snapshots import restore_walks

        restore_walks(merge, snapshot)
        merge.seeds = int(snapshot.counters.get("seeds", merge.walks))
    if run.model.init_states():
        try:
            with latched_signals(run.checkpoint is not None) as merge.latch:
                with connected(run.settings.address, run.settings.workers) as ray:
                    _drive(ray, run, swarm, merge)
        except KeyboardInterrupt:
            run.stopped_by = "interrupted"
    if run.settings.shrink and run.violations:
        try:
            depth_cap = walk_depth_cap(run)
            run.violations[:] = [shrink(run.model, v, max_depth=depth_cap) for v in run.violations]
        except KeyboardInterrupt:
            pass  # keep the unshrunk counterexamples
    return run.result(
        complete=False,
        distinct=len(merge.seen),
        generated=merge.generated,
        levels=merge.longest + 1 if merge.seen else 0,
        walks=merge.walks,
    )

"""Breadth-first search over Ray actors: one :class:`Partition` per actor.

The driver (this process) creates ``W`` actors, each owning the fingerprints equal to
its number modulo ``W`` (:mod:`explorer.engine.ray_backend.partition`), and runs the
levels: every actor expands its frontier into ``W`` batches (one return value per
owner), and every actor then absorbs the batches addressed to it. The batches go from
actor to actor through Ray's object store as object references: the driver never holds
them, it only gathers the small per-level reports and decides whether to go on. Because
levels are synchronous and a state's parent is the least of its discoverers, the
distinct-state count, the level sizes and the counterexample are those of any other
worker count (and the counts those of the one-process BFS).

Actors run two threads (``max_concurrency=2``) so the driver can ask for live counts
and tell them to stop (time, memory, Ctrl-C) in the middle of a long level; the level
itself is one call at a time, because an actor's absorb waits for its own expand.

A reduced search's free steps (explorer/engine/free_steps.py) count as no step of the
depth bound: a level then runs in rounds, an expand and an absorb each, while free steps
put states in it (explorer/engine/parallel_free.py), so the level sizes, the counts and
the reduction's counters (the actors send theirs back) are the one process's.
"""

from __future__ import annotations

import time
from types import ModuleType
from typing import Any

from explorer.engine.errors import ConfigError
from explorer.engine.parallel_free import FreeLevels, add_reduction_counters, reduction_stats
from explorer.engine.ray_backend.cluster import (
    SESSION_CACHE,
    connected,
    cpus_per_worker,
    release_idle_actors,
)
from explorer.engine.ray_backend.partition import Found, LevelReport, Partition
from explorer.engine.results import Progress, SearchResult
from explorer.engine.run import Run, memory_mb, violation_from_parents

__all__ = ["ray_bfs"]

#: how long the driver waits for a level's reports before it looks at the clock
POLL_S = 0.25
#: how long the actors may take to start before the cluster is judged unable to place them
PLACEMENT_TIMEOUT_S = 180


def _actor_class(ray: ModuleType, cpus: float) -> Any:
    @ray.remote(num_cpus=cpus, max_concurrency=2)
    class PartitionActor:
        """A :class:`Partition` in a Ray actor process."""

        part: Partition

        def reset(self, me: int, workers: int, model: Any, settings: Any) -> None:
            self.part = Partition(me, workers, model, settings)

        def release(self) -> None:
            del self.part  # an idle actor holds no visited set

        def initial(self, entries: list[tuple[int, int, int, Any]]) -> LevelReport:
            self.part.begin([], [])
            return self.part.initial(entries)

        def expand(self, violated: list[str], witnessed: list[str], first: bool) -> Any:
            self.part.begin(violated, witnessed)
            blobs = self.part.expand(first)
            return blobs[0] if len(blobs) == 1 else tuple(blobs)

        def absorb(self, first: bool, *blobs: bytes) -> LevelReport:
            return self.part.absorb(list(blobs), first)

        def counters(self) -> Any:
            """A reduced model's counters (explorer/engine/por.py), counted here."""
            return getattr(self.part.run.model, "stats", None)

        def finals(self, violated: list[str], witnessed: list[str]) -> LevelReport:
            self.part.begin(violated, witnessed)
            return self.part.finals()

        def parent(self, fp: int) -> tuple[int, int] | None:
            return self.part.parent(fp)

        def live(self) -> tuple[int, int, float]:
            """(distinct, generated, resident MiB), read while a level runs."""
            return len(self.part.parents), self.part.generated, memory_mb()

        def stop(self) -> None:
            self.part.stopped = True

        def call(self, function: Any, *args: Any) -> Any:
            """``function(partition, *args)``: what a coordinator subclass adds (checkpoints,
            explorer/engine/ray_backend/checkpoint.py), passed by reference."""
            return function(self.part, *args)

    return PartitionActor


class _RayCoordinator(FreeLevels):
    """The driver's side: the actors, the levels, the reports."""

    def __init__(self, ray: ModuleType, run: Run) -> None:
        self.ray, self.run = ray, run
        self.workers = workers = run.settings.workers
        self.actors = _actors(ray, workers)
        model_ref = ray.put(run.model)  # shipped once, shared by the actors on a node
        ready = [a.reset.remote(i, workers, model_ref, run.settings) for i, a in enumerate(self.actors)]
        try:
            ray.get(ready, timeout=PLACEMENT_TIMEOUT_S)
        except ray.exceptions.GetTimeoutError:
            release_pool(ray)
            raise ConfigError(
                f"the Ray cluster did not start {workers} workers within {PLACEMENT_TIMEOUT_S} s"
                f" (it has {ray.cluster_resources().get('CPU', 0):g} CPUs)"
            ) from None
        self.level_sizes: list[int] = []
        self.found: list[Found] = []
        self.latest: list[LevelReport | None] = [None] * workers
        self.critical_path = 0.0
        self.stopping = False
        self.live_memory = 0.0
        self.joined = 0  # states free steps put in the level on the last round (free_steps.py)
        #: (violated, witnessed) as broadcast at the start of the level being run
        self.level_known: tuple[list[str], list[str]] = ([], [])

    # -- the levels ----------------------------------------------------------------------

    def gather(self, refs: list[Any]) -> tuple[int, int]:
        """Wait for one report per actor (ticking meanwhile); returns (new, frontier)."""
        while True:
            ready, _ = self.ray.wait(refs, num_returns=len(refs), timeout=POLL_S)
            if len(ready) == len(refs):
                break
            self.tick()
        reports: list[LevelReport] = self.ray.get(refs)
        level_cpu = 0.0
        for r in reports:
            before = self.latest[r.worker]
            level_cpu = max(level_cpu, r.cpu_s - (before.cpu_s if before else 0.0))
            self.latest[r.worker] = r
            self.found.extend(r.found)
            for name in r.witnessed:
                self.run.sometimes[name] = True
        # the slowest worker's CPU on each level bounds the wall time on idle cores
        self.critical_path += level_cpu
        self.joined = sum(r.joined for r in reports)
        self.note_violated()
        return sum(r.new for r in reports), sum(r.frontier for r in reports)

    def note_violated(self) -> None:
        if self.run.settings.collect:
            self.run.violated.update(name for _, _, name, _ in self.found)

    def known(self) -> tuple[list[str], list[str]]:
        """(violated, witnessed) as every actor must see them on the next step."""
        run = self.run
        return sorted(run.violated), sorted(n for n, seen in run.sometimes.items() if seen)

    def initial_level(self) -> tuple[int, int]:
        model, symmetry = self.run.model, self.run.settings.symmetry
        entries: list[list[tuple[int, int, int, Any]]] = [[] for _ in range(self.workers)]
        for i, state in enumerate(model.init_states()):
            fp = model.fingerprint(model.representative(state) if symmetry else state)
            entries[fp % self.workers].append((fp, -1, i, state))
        return self.gather([a.initial.remote(e) for a, e in zip(self.actors, entries, strict=True)])

    def next_level(self) -> tuple[int, int, int]:
        """One level, in rounds while free steps put states in it: (new, frontier, joined)."""
        self.level_known = self.known()  # the same in every round of the level
        new, frontier = self.round(first=True)
        return self.free_rounds(new, frontier)

    def round(self, first: bool) -> tuple[int, int]:
        """Every actor expands (its frontier, or after the ``first`` round what the last
        one put in the level), then absorbs what it owns."""
        violated, witnessed = self.level_known
        outgoing = [
            a.expand.options(num_returns=self.workers).remote(violated, witnessed, first) for a in self.actors
        ]
        if self.workers == 1:
            outgoing = [[ref] for ref in outgoing]
        # actor j absorbs slot j of every actor's output, its own included: that makes
        # its absorb wait for its own expand (the actor has a second thread)
        return self.gather(
            [a.absorb.remote(first, *[out[j] for out in outgoing]) for j, a in enumerate(self.actors)]
        )

    def free_round(self) -> tuple[int, int]:
        return self.round(first=False)

    def halted(self) -> bool:
        return self.stopping or bool(self.found and not self.run.settings.collect)

    def reduction_counters(self) -> None:
        """Add what the actors' copies of a reduced model counted to the driver's."""
        if reduction_stats(self.run.model) is not None:
            add_reduction_counters(self.run.model, self.ray.get([a.counters.remote() for a in self.actors]))

    def first_level(self) -> tuple[int, int]:
        """The initial states, admitted: (distinct, frontier)."""
        new, frontier = self.initial_level()
        self.level_sizes.append(new)
        return new, frontier

    def before_level(self, distinct: int, frontier: int) -> None:
        """A hook between two levels (checkpoints: explorer/engine/ray_backend/checkpoint.py)."""

    def levels(self) -> tuple[bool, int]:
        """Level after level until a bound, a violation or the end; (complete, distinct)."""
        run, settings = self.run, self.run.settings
        distinct, frontier = self.first_level()
        while True:
            if (self.found and not settings.collect) or self.stopping:
                return False, distinct  # a violation, or time/memory (stopped_by is set)
            if settings.max_states is not None and distinct >= settings.max_states:
                run.stopped_by = "states"
                return False, distinct
            if frontier == 0:
                return True, distinct
            if settings.max_depth is not None and len(self.level_sizes) - 1 >= settings.max_depth:
                run.stopped_by = "depth"
                violated, witnessed = self.known()
                self.gather([a.finals.remote(violated, witnessed) for a in self.actors])
                return not (self.found and not settings.collect), distinct
            self.before_level(distinct, frontier)
            new, frontier, joined = self.next_level()
            distinct += new
            self.close_level(new, joined)

    # -- bounds and progress -------------------------------------------------------------

    def stop_all(self, reason: str) -> None:
        if not self.stopping:
            self.stopping = True
            self.run.stopped_by = reason
            for a in self.actors:
                a.stop.remote()

    def live(self) -> list[tuple[int, int, float]]:
        return list(self.ray.get([a.live.remote() for a in self.actors]))

    def tick(self) -> None:
        run = self.run
        now = time.monotonic()
        if run.deadline is not None and now >= run.deadline:
            self.stop_all("time")
        if now < run.next_tick:
            return
        run.next_tick = now + 1.0
        live = self.live()
        mem = memory_mb() + sum(m for _, _, m in live)
        self.live_memory = max(self.live_memory, mem)
        limit = run.settings.max_memory_mb
        if limit is not None and mem >= limit:
            self.stop_all("memory")
        if run.progress is not None:
            distinct = sum(d for d, _, _ in live)
            elapsed = now - run.start
            run.progress(
                Progress(
                    distinct_states=distinct,
                    generated=sum(g for _, g, _ in live),
                    depth=len(self.level_sizes),
                    queue=sum(r.frontier for r in self.latest if r is not None),
                    elapsed_s=elapsed,
                    states_per_s=distinct / elapsed if elapsed > 0 else 0.0,
                    memory_mb=mem,
                    worker_states=tuple(d for d, _, _ in live),
                )
            )

    # -- the answer ----------------------------------------------------------------------

    def lookup(self, fp: int) -> tuple[int, int]:
        record = self.ray.get(self.actors[fp % self.workers].parent.remote(fp))
        if record is None:
            raise RuntimeError(f"no parent record for fingerprint {fp:#x}")
        return (record[0], record[1])

    def violations(self) -> None:
        """The shallowest violation at its least fingerprint: per property with
        ``collect``, else one, of the first-declared property among the shallowest."""
        model = self.run.model
        props = model.properties()
        order = {p.name: i for i, p in enumerate(props)}
        ranked = sorted(self.found, key=lambda f: (f[0], order[f[2]], f[1]))
        chosen: dict[str, Found] = {}
        for item in ranked if self.run.settings.collect else ranked[:1]:
            chosen.setdefault(item[2], item)
        by_name = {p.name: p for p in props}
        for name in sorted(chosen, key=order.__getitem__):
            fp = chosen[name][1]
            self.run.violations.append(violation_from_parents(model, self.lookup, fp, by_name[name]))

    def extra(self) -> dict[str, Any]:
        reports = [r for r in self.latest if r is not None]
        sent_states = sum(r.sent_states for r in reports)
        sent_bytes = sum(r.sent_bytes for r in reports)
        distinct = sum(r.distinct for r in reports)
        return {
            "backend": "ray",
            "workers": self.workers,
            "worker_states": [r.distinct for r in reports],
            "worker_generated": [r.generated for r in reports],
            "worker_cpu_s": [round(r.cpu_s, 3) for r in reports],
            "worker_peak_memory_mb": [round(r.peak_memory_mb, 1) for r in reports],
            "critical_path_cpu_s": round(self.critical_path, 3),
            **self.rounds_figures(),
            # what decides scaling on a cluster: states and bytes crossing the network
            "sent_states": sent_states,
            "sent_bytes": sent_bytes,
            "sent_bytes_per_distinct_state": round(sent_bytes / distinct, 1) if distinct else 0.0,
        }

    def release(self, keep: bool) -> None:
        """Idle the actors for the next search of this session, or kill them."""
        if keep:
            self.ray.get([a.release.remote() for a in self.actors])
            return
        release_pool(self.ray)


_POOL = "bfs actors"


def release_pool(ray: ModuleType) -> None:
    release_idle_actors(ray)


def _actors(ray: ModuleType, workers: int) -> list[Any]:
    """``workers`` partition actors: the idle ones of this session's last BFS when it had
    as many (starting an actor process costs seconds), else new ones."""
    cpus = cpus_per_worker(ray, workers)
    job = ray.get_runtime_context().get_job_id()
    cached = SESSION_CACHE.get(_POOL)
    if cached is not None and cached[0] == (job, workers, cpus):
        return list(cached[1])
    release_pool(ray)
    actors = [_actor_class(ray, cpus).remote() for _ in range(workers)]
    SESSION_CACHE[_POOL] = ((job, workers, cpus), actors)
    return actors


def ray_bfs(run: Run, coordinator: type[_RayCoordinator] | None = None) -> SearchResult:
    """BFS over ``run.settings.workers`` Ray actors; same counts as the one-process BFS.
    ``coordinator``: a subclass of the driver's side (ray_backend/checkpoint.py)."""
    with connected(run.settings.address, run.settings.workers) as ray:
        coord = (coordinator or _RayCoordinator)(ray, run)
        complete, distinct = False, 0
        finished = False
        try:
            complete, distinct = coord.levels()
            coord.violations()
            coord.reduction_counters()
            finished = not coord.stopping  # actors stopped mid-level are not reused
        except KeyboardInterrupt:
            run.stopped_by = "interrupted"
            complete = False
            distinct = max([distinct] + [sum(d for d, _, _ in _safe_live(coord))])
        finally:
            extra = coord.extra()
            coord.release(keep=finished)
    if run.violations and not run.settings.collect:
        complete = False
    return run.result(
        complete=complete,
        distinct=distinct,
        generated=sum(extra["worker_generated"]),
        levels=len(coord.level_sizes),
        level_sizes=coord.level_sizes,
        extra=extra,
    )


def _safe_live(coord: _RayCoordinator) -> list[tuple[int, int, float]]:
    try:
        return coord.live()
    except Exception:  # the actors may be gone with the interrupt: what we had stands
        return []

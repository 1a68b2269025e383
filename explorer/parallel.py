"""Parallel breadth-first search over processes.

Level-synchronous BFS with the fingerprint space partitioned between ``W`` worker
processes: worker ``i`` owns the states whose fingerprint is ``i`` modulo ``W``, keeps
their parent records and expands them. For each level every worker expands its part of
the frontier; a successor it owns is deduplicated on the spot, any other is sent (once
ever: each worker remembers what it has sent) to its owner in one batch per level. After
the exchange each worker reports its new states, violations and witnessed ``sometimes``
properties to the coordinating process, which decides whether to go on. Because levels
are synchronous the distinct-state count and the level sizes equal the one-process BFS.

A counterexample path is rebuilt by asking the owners for parent records (fingerprint ->
parent fingerprint, step index), then re-executing the steps from the initial state.

Workers are forked where the platform allows (the model is inherited, not pickled);
elsewhere the model must be picklable. Workers ignore SIGINT: the coordinator handles
Ctrl-C, stops them and returns the partial result.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import signal
import time
from typing import TYPE_CHECKING, Any

from explorer.fingerprint import fingerprint
from explorer.results import Progress, SearchResult

if TYPE_CHECKING:
    from explorer.search import _Run

__all__ = ["parallel_bfs"]

_TICK_MASK = 255


def _context() -> Any:
    try:
        return mp.get_context("fork")
    except ValueError:
        return mp.get_context("spawn")


class _Level:
    """What one worker found on one level."""

    def __init__(self) -> None:
        self.found: list[tuple[int, str, str]] = []  # (fingerprint, property, kind)
        self.frontier: list[tuple[int, Any]] = []


def _worker(
    me: int,
    workers: int,
    run: _Run,
    inboxes: list[Any],
    control: Any,
    results: Any,
    stop_flag: Any,
    counters: Any,
) -> None:
    """One partition of the BFS; runs until told to quit."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    model, settings = run.model, run.settings
    successors = model.successors
    representative = model.representative if settings.symmetry else None
    fp_of = fingerprint
    within = model.within_boundary if run_overrides(model, "within_boundary") else None
    check_new = bool(run.always or run.sometimes_props)
    collect = settings.collect
    parents: dict[int, tuple[int, int]] = {}
    sent: set[int] = set()  # fingerprints already sent to their owner (never resend)
    frontier: list[tuple[int, Any]] = []
    inbox = inboxes[me]
    generated = 0

    def note(level: _Level, fp: int, name: str, kind: str) -> None:
        level.found.append((fp, name, kind))
        if collect:
            run.violated.add(name)
        else:
            stop_flag.value = 1  # the others stop expanding too

    def admit(level: _Level, fp: int, parent: int, index: int, state: Any) -> None:
        """Record a state new to this partition and check it."""
        parents[fp] = (parent, index)
        if check_new:
            prop = run.failed_always(state)
            if prop is not None:
                note(level, fp, prop.name, prop.kind)
        if within is not None and not within(state):
            if run.final:
                prop = run.failed_final(state)
                if prop is not None:
                    note(level, fp, prop.name, prop.kind)
            return
        level.frontier.append((fp, state))

    while True:
        command = control.get()
        kind = command[0]
        if kind == "quit":
            return
        if kind == "parent":
            results.put(("parent", parents.get(command[1])))
            continue
        level = _Level()
        level_start = len(parents)
        if kind == "init":
            for fp, parent, index, state in command[1]:
                if fp not in parents:
                    admit(level, fp, parent, index, state)
        elif kind == "final":
            # the depth bound: the frontier is where runs end
            for fp, state in frontier:
                prop = run.failed_final(state)
                if prop is not None:
                    note(level, fp, prop.name, prop.kind)
        elif kind == "level":
            outgoing: list[list[tuple[int, int, int, Any]]] = [[] for _ in range(workers)]
            expanded = 0
            for pfp, state in frontier:
                index = -1
                for index, (_action, nxt) in enumerate(successors(state)):
                    if nxt == state:
                        continue
                    fp = fp_of(representative(nxt) if representative else nxt)
                    owner = fp % workers
                    if owner == me:
                        if fp not in parents:
                            admit(level, fp, pfp, index, nxt)
                    elif fp not in sent:
                        sent.add(fp)
                        outgoing[owner].append((fp, pfp, index, nxt))
                generated += index + 1
                if index == -1 and run.final:
                    prop = run.failed_final(state)
                    if prop is not None:
                        note(level, pfp, prop.name, prop.kind)
                expanded += 1
                if not expanded & _TICK_MASK:
                    counters[2 * me] = len(parents)
                    counters[2 * me + 1] = generated
                    if stop_flag.value:
                        break
            for other in range(workers):
                if other != me:
                    inboxes[other].put(outgoing[other])
            for _ in range(workers - 1):
                for fp, parent, index, state in inbox.get():
                    if fp not in parents:
                        admit(level, fp, parent, index, state)
        frontier = level.frontier
        counters[2 * me] = len(parents)
        counters[2 * me + 1] = generated
        witnessed = [name for name, seen in run.sometimes.items() if seen]
        results.put(
            (
                "level",
                me,
                len(parents) - level_start,
                len(frontier),
                generated,
                level.found,
                witnessed,
                time.process_time(),
            )
        )


def run_overrides(model: Any, name: str) -> bool:
    from explorer.model import Model

    return getattr(type(model), name) is not getattr(Model, name)


def parallel_bfs(run: _Run) -> SearchResult:
    """BFS over ``run.settings.workers`` processes; same counts as the one-process BFS."""
    from explorer.search import _violation_from_parents, memory_mb

    model, settings = run.model, run.settings
    workers = settings.workers
    ctx = _context()
    inboxes = [ctx.Queue() for _ in range(workers)]
    controls = [ctx.Queue() for _ in range(workers)]
    results = ctx.Queue()
    stop_flag = ctx.Value("b", 0, lock=False)
    counters = ctx.Array("q", 2 * workers, lock=False)
    procs = [
        ctx.Process(
            target=_worker,
            args=(i, workers, run, inboxes, controls[i], results, stop_flag, counters),
            daemon=True,
        )
        for i in range(workers)
    ]
    for proc in procs:
        proc.start()

    level_sizes: list[int] = []
    distinct = 0
    generated = 0
    complete = False
    found: list[tuple[int, str, str]] = []
    props = {p.name: p for p in model.properties()}
    worker_cpu = [0.0] * workers  # process CPU of each worker at its last report
    critical_path = 0.0

    def gather() -> tuple[int, int, int]:
        """Wait for every worker's level report: (new states, frontier, generated)."""
        nonlocal found
        nonlocal critical_path
        new = frontier = gen = 0
        level_cpu = 0.0
        reports = 0
        while reports < workers:
            try:
                msg = results.get(timeout=0.2)
            except queue.Empty:
                tick()
                for proc in procs:
                    if not proc.is_alive() and proc.exitcode not in (0, None):
                        raise RuntimeError(
                            f"search worker died (exit code {proc.exitcode})"
                        ) from None
                continue
            _, me, n_new, n_frontier, n_gen, n_found, witnessed, cpu = msg
            # the slowest worker's CPU on each level bounds the wall time on idle cores
            level_cpu = max(level_cpu, cpu - worker_cpu[me])
            worker_cpu[me] = cpu
            new += n_new
            frontier += n_frontier
            gen += n_gen
            found.extend(n_found)
            for name in witnessed:
                run.sometimes[name] = True
            reports += 1
        critical_path += level_cpu
        return new, frontier, gen

    def tick() -> None:
        now = time.monotonic()
        if run.deadline is not None and now >= run.deadline and not stop_flag.value:
            run.stopped_by = "time"
            stop_flag.value = 1
        if now >= run.next_tick:
            run.next_tick = now + 1.0
            mem = memory_mb() + sum(memory_mb(p.pid) for p in procs if p.pid is not None)
            if settings.max_memory_mb is not None and mem >= settings.max_memory_mb:
                if not stop_flag.value:
                    run.stopped_by = "memory"
                    stop_flag.value = 1
            if run.progress is not None:
                d = sum(counters[2 * i] for i in range(workers))
                g = sum(counters[2 * i + 1] for i in range(workers))
                elapsed = now - run.start
                run.progress(
                    Progress(
                        distinct_states=d,
                        generated=g,
                        depth=len(level_sizes),
                        queue=0,
                        elapsed_s=elapsed,
                        states_per_s=d / elapsed if elapsed > 0 else 0.0,
                        memory_mb=mem,
                    )
                )

    def lookup(fp: int) -> tuple[int, int]:
        controls[fp % workers].put(("parent", fp))
        msg = results.get()
        record = msg[1]
        if record is None:
            raise RuntimeError(f"no parent record for fingerprint {fp:#x}")
        return record

    try:
        # level 0: initial states, each sent to its owner
        batches: list[list[tuple[int, int, int, Any]]] = [[] for _ in range(workers)]
        representative = model.representative if settings.symmetry else None
        for i, state in enumerate(model.init_states()):
            fp = fingerprint(representative(state) if representative else state)
            batches[fp % workers].append((fp, -1, i, state))
        for i in range(workers):
            controls[i].put(("init", batches[i]))
        new, frontier, generated = gather()
        distinct += new
        level_sizes.append(new)
        while True:
            if found and not settings.collect:
                break
            if stop_flag.value:
                break  # time or memory (stopped_by is set)
            if settings.max_states is not None and distinct >= settings.max_states:
                run.stopped_by = "states"
                break
            if frontier == 0:
                complete = True
                break
            if settings.max_depth is not None and len(level_sizes) - 1 >= settings.max_depth:
                run.stopped_by = "depth"
                for c in controls:
                    c.put(("final",))
                gather()
                complete = not (found and not settings.collect)
                break
            for c in controls:
                c.put(("level",))
            new, frontier, generated = gather()
            distinct += new
            if new:
                level_sizes.append(new)
        # violations: one per property, the least fingerprint for determinism
        chosen: dict[str, tuple[int, str, str]] = {}
        for item in sorted(found, key=lambda f: (f[1], f[0])):
            chosen.setdefault(item[1], item)
        order = [p.name for p in model.properties()]
        for name in sorted(chosen, key=order.index):
            fp, _, _ = chosen[name]
            run.violations.append(_violation_from_parents(model, lookup, fp, props[name]))
    except KeyboardInterrupt:
        run.stopped_by = "interrupted"
        complete = False
        distinct = max(distinct, sum(counters[2 * i] for i in range(workers)))
        generated = max(generated, sum(counters[2 * i + 1] for i in range(workers)))
        for proc in procs:
            proc.terminate()
    finally:
        for c in controls:
            try:
                c.put(("quit",))
            except (OSError, ValueError):
                pass
        for proc in procs:
            proc.join(timeout=2)
            if proc.is_alive():
                proc.terminate()
                proc.join(timeout=1)
        for q in (*inboxes, *controls, results):
            q.cancel_join_thread()
            q.close()
    if run.violations and not settings.collect:
        complete = False
    return run.result(
        complete=complete,
        distinct=distinct,
        generated=generated,
        depth=len(level_sizes),
        level_sizes=level_sizes,
        extra={
            "workers": workers,
            "worker_cpu_s": [round(c, 3) for c in worker_cpu],
            # sum over levels of the slowest worker's CPU: the wall time the search would
            # take on idle cores (it ignores IPC latency); a load-independent scaling figure
            "critical_path_cpu_s": round(critical_path, 3),
        },
    )

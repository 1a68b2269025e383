"""Parallel breadth-first search over processes.

Level-synchronous BFS with the fingerprint space partitioned between ``W`` worker
processes: worker ``i`` owns the states whose fingerprint is ``i`` modulo ``W``, keeps
their parent records and expands them. For each level every worker expands its part of
the frontier; a successor it owns is deduplicated on the spot, any other is sent (once
ever: each worker remembers what it has sent) to its owner in one batch per level. After
the exchange each worker reports its new states, violations and witnessed ``sometimes``
properties to the coordinating process, which decides whether to go on. Because levels
are synchronous the distinct-state count and the level sizes equal the one-process BFS.
With a model's keyed successors a level runs otherwise (successors built only when new
to their owner, and expanded by the worker that built them):
explorer/engine/parallel_keyed.py.

A reduced search's *free* steps (explorer/engine/free_steps.py) count as no step of the
depth bound: a level then runs in rounds, and the level sizes, counts and reduction
counters stay the one process's (explorer/engine/parallel_free.py; the workers send
their counters back at the end).

A counterexample path is rebuilt by asking the owners for parent records (fingerprint ->
parent fingerprint, step index), then re-executing the steps from the initial state.

Workers are forked where the platform allows (the model is inherited, not pickled);
elsewhere the model must be picklable. Workers ignore SIGINT and die quietly on
SIGTERM: the coordinator handles either (a terminal's Ctrl-C reaches the whole process
group, ``timeout`` and CI runners signal the coordinator alone), stops them and returns
the partial result. A worker killed by one of these signals stops the search the same way.

With ``run.checkpoint`` the coordinator is explorer/engine/parallel_checkpoint.py's
subclass, which writes checkpoints at level boundaries and resumes from one.
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import os
import queue
import signal
import time
from collections.abc import Callable
from typing import Any

from explorer.engine.model import Property
from explorer.engine.parallel_free import (
    Batch,
    FreeLevels,
    LocalFreeRounds,
    add_reduction_counters,
    new_batch,
    reduction_stats,
)
from explorer.engine.parallel_keyed import KeyedExchange, Mailbox, keyed_level
from explorer.engine.results import Progress, SearchResult
from explorer.engine.run import (
    TICK_MASK,
    Run,
    memory_mb,
    overrides,
    path_from_parents,
    violation_from_parents,
)
from explorer.engine.visited import Visited

__all__ = ["parallel_bfs"]

# (sender, the model's shipped parts or None, (successors by counted steps, by free steps
# or None: explorer/engine/free_steps.py))
Parcel = tuple[int, Any, tuple[Batch, Batch | None]]
# a worker's handler of the commands a coordinator subclass adds: (partition, command, results queue)
WorkerCommands = Callable[["_Partition", tuple[Any, ...], Any], None]



_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_STOPPED_BY_SIGNAL = (-signal.SIGINT, -signal.SIGTERM)  # a Process's exitcode when killed by one


def _context() -> Any:
    try:
        return mp.get_context("fork")
    except ValueError:
        return mp.get_context("spawn")


class _Level:
    """What one worker found on one level."""

    def __init__(self, last: bool = False) -> None:
        self.found: list[tuple[int, str, str]] = []  # (fingerprint, property, kind)
        self.fps: list[int] = []  # the next frontier: fingerprints and (encoded) states
        self.states: list[Any] = []
        # The level the depth bound cuts (``last``) is not kept: its states are counted
        # and their final properties checked as they arrive (as the one-process BFS
        # does), the failures reported apart, as if checked at the bound.
        self.last = last
        self.at_bound = 0
        self.bound: list[tuple[int, str, str]] = []


class _Partition(KeyedExchange, LocalFreeRounds):
    """The worker side: one partition of the fingerprint space, its parent records and
    its part of the frontier."""

    def __init__(self, me: int, workers: int, run: Run, stop_flag: Any, counters: Any) -> None:
        self.me, self.workers, self.run = me, workers, run
        model = run.model
        self.representative = model.representative if run.settings.symmetry else None
        self.within = model.within_boundary if overrides(model, "within_boundary") else None
        self.check_new = run.checks_new
        self.stop_flag, self.counters = stop_flag, counters
        self.parents = Visited()  # records keyed by fingerprint (add_keyed)
        self.adopt = model.adopt if overrides(model, "adopt") else None
        # successors' fingerprints before the successors: built only when new to their
        # owner (explorer/engine/parallel_keyed.py); never under symmetry, as in bfs, nor
        # with free steps (their rounds are the plain exchange's: parallel_free.py)
        self.keyed = (
            overrides(model, "keyed_successors") and self.representative is None
            and not getattr(model, "free_steps", False)
        )
        # The frontier holds states as the model's encode hook gives them (bytes for the
        # actor world): live object graphs kept across a level are what the cyclic
        # garbage collector walks, over and over (a third of a worker's CPU otherwise).
        self.encode = model.encode if overrides(model, "encode") else None
        self.decode = model.decode if overrides(model, "decode") else None
        # Successors for others are sent encoded, with the parts they name (each part
        # once per destination), when the model can ship its encodings; else pickled.
        self.ships = self.encode is not None and overrides(model, "shipped_parts")
        self.marks = [0] * workers  # per destination: the model's mark after the last shipment
        self.tables: list[list[Any]] = [[] for _ in range(workers)]  # per sender: its parts
        # fingerprints already sent to their owner (never resend): an open-addressing
        # array, not a set the garbage collector would walk entry by entry
        self.sent = Visited()
        self.fps: list[int] = []  # this partition's frontier (see _Level)
        self.states: list[Any] = []
        self.generated = 0
        # a reduced search's free steps: a level in rounds (explorer/engine/parallel_free.py)
        self.start_free_rounds(model, self.encode)
        self.level = _Level()  # the level being expanded (its rounds add to it)

    def note_each(
        self, level: _Level, fp: int, state: Any, prop: Property[Any] | None,
        failed: Callable[[Any], Property[Any] | None],
    ) -> None:
        """Note ``prop`` failing in ``state`` and, with ``collect``, every other property
        ``failed`` finds failing there (one violation per property: Run.record_each)."""
        while prop is not None:
            self.note(level, fp, prop.name, prop.kind)
            prop = failed(state) if self.run.settings.collect else None

    def note(self, level: _Level, fp: int, name: str, kind: str) -> None:
        level.found.append((fp, name, kind))
        if self.run.settings.collect:
            self.run.violated.add(name)
        else:
            self.stop_flag.value = 1  # the others stop expanding too

    def admit(self, level: _Level, fp: int, state: Any, free: bool = False) -> None:
        """Check a state just recorded as new to this partition (``parents.add_keyed``);
        ``free``: reached by a free step, it joins the level being expanded."""
        run = self.run
        if self.check_new:
            self.note_each(level, fp, state, run.failed_always(state), run.failed_always)
        if self.within is not None and not self.within(state):
            if run.final:
                self.note_each(level, fp, state, run.failed_final(state), run.failed_final)
            return
        if self.free is not None and self.free.admit_keyed(self.joined, fp, state, free):
            return
        if level.last:
            level.at_bound += 1
            prop = run.failed_final(state) if run.final else None
            while prop is not None:  # as note_each, without stopping the level
                level.bound.append((fp, prop.name, prop.kind))
                if not run.settings.collect:
                    break
                run.violated.add(prop.name)
                prop = run.failed_final(state)
            return
        level.fps.append(fp)
        level.states.append(self.encode(state) if self.encode else state)

    def admit_batch(self, level: _Level, parcel: Parcel) -> None:
        """Admit states sent by another process: decoded through the sender's parts
        (``decode_from``), or pickled and re-linked to this process's (``adopt``); those
        reached by free steps after the others (the order does not matter: take_free)."""
        sender, shipment, (batch, free_batch) = parcel
        parents = self.parents
        if shipment is not None:
            model, table = self.run.model, self.tables[sender]
            model.receive_parts(shipment, table)
            decode_from = model.decode_from
            for fp, parent, index, data in zip(*batch, strict=True):
                if parents.add_keyed(fp, parent, index):
                    self.admit(level, fp, decode_from(data, table))
            for fp, parent, index, data in zip(*(free_batch or new_batch()), strict=True):
                self.take_free(level, fp, parent, index, decode_from(data, table))
            return
        adopt = self.adopt
        for fp, parent, index, state in zip(*batch, strict=True):
            if parents.add_keyed(fp, parent, index):
                self.admit(level, fp, adopt(state) if adopt else state)
        for fp, parent, index, state in zip(*(free_batch or new_batch()), strict=True):
            self.take_free(level, fp, parent, index, adopt(state) if adopt else state)

    def parcel(self, to: int, batch: Any) -> Parcel:
        """``batch`` for worker ``to``, with the parts it does not have yet."""
        if not self.ships:
            return self.me, None, batch
        self.marks[to], shipment = self.run.model.shipped_parts(self.marks[to])
        return self.me, shipment, batch

    def expand(self, level: _Level, sources: tuple[list[int], list[Any]]) -> tuple[list[Batch], list[Batch]]:
        """Expand ``sources`` (fingerprints and states: the frontier, or the states a
        sub-round put in the level); returns the successors owned by others, reached by
        counted steps and by free steps."""
        run, me, workers = self.run, self.me, self.workers
        free = self.free
        outgoing_free = [new_batch() for _ in range(workers)]
        successors = run.model.successors
        representative = self.representative
        fp_of = run.model.fingerprint
        parents, counters = self.parents, self.counters
        send_once = self.sent.insert
        add_keyed = parents.add_keyed
        decode = self.decode
        ship = self.encode if self.ships else None
        outgoing = [new_batch() for _ in range(workers)]
        expanded = 0
        for pfp, data in zip(*sources, strict=True):
            state = decode(data) if decode else data
            index = -1
            for index, (_action, nxt) in enumerate(successors(state)):
                if nxt == state:
                    continue
                fp = fp_of(representative(nxt) if representative else nxt)
                owner = fp % workers
                if free is not None and index == free.model.free_index:  # no step of the depth bound
                    if owner == me:
                        self.take_free(level, fp, pfp, index, nxt)
                    else:
                        self.send_free(fp, outgoing_free[owner], pfp, index, nxt)
                elif owner == me:
                    if add_keyed(fp, pfp, index):  # new here
                        self.admit(level, fp, nxt)
                elif send_once(fp):
                    fps, parent_fps, indexes, states = outgoing[owner]
                    fps.append(fp)
                    parent_fps.append(pfp)
                    indexes.append(index)
                    states.append(ship(nxt) if ship else nxt)
                    if free is not None:
                        self.counted_sent.add(fp)
            self.generated += index + 1
            if index == -1 and run.final:
                self.note_each(level, pfp, state, run.failed_final(state), run.failed_final)
            expanded += 1
            if not expanded & TICK_MASK:
                counters[2 * me] = len(parents)
                counters[2 * me + 1] = self.generated
                if self.stop_flag.value:
                    break
        return outgoing, outgoing_free

    def exchange(self, level: _Level, sources: tuple[list[int], list[Any]], inboxes: list[Any]) -> None:
        """One round of a level: expand ``sources``, send every other worker the
        successors it owns, admit the ones they send."""
        outgoing, outgoing_free = self.expand(level, sources)
        free = self.free is not None
        for other in range(self.workers):
            if other != self.me:
                inboxes[other].put(self.parcel(other, (outgoing[other], outgoing_free[other] if free else None)))
        for _ in range(self.workers - 1):
            self.admit_batch(level, inboxes[self.me].get())

    def finals(self, level: _Level) -> None:
        """The depth bound: the frontier is where runs end."""
        decode = self.decode
        for fp, data in zip(self.fps, self.states, strict=True):
            state = decode(data) if decode else data
            self.note_each(level, fp, state, self.run.failed_final(state), self.run.failed_final)

    def report(self, results: Any, level: _Level, level_start: int) -> None:
        self.fps, self.states = level.fps, level.states
        free = self.free
        at_bound = self.next_frontier_size(len(self.fps), last=False) if not level.last else level.at_bound
        self.counters[2 * self.me] = len(self.parents)
        self.counters[2 * self.me + 1] = self.generated
        witnessed = [name for name, seen in self.run.sometimes.items() if seen]
        results.put(
            (
                "level",
                self.me,
                len(self.parents) - level_start,
                at_bound,
                self.generated,
                level.found,
                level.bound,
                witnessed,
                time.process_time(),
                free.level_joined() if free is not None else 0,
            )
        )
        level.found, level.bound = [], []  # reported (a sub-round of the level may follow)


def _worker(
    me: int,
    workers: int,
    run: Run,
    inboxes: list[Any],
    control: Any,
    results: Any,
    stop_flag: Any,
    counters: Any,
    extra_commands: WorkerCommands | None = None,
) -> None:
    """One partition of the BFS; runs until told to quit."""
    # The coordinator forked us with both signals blocked (see _Coordinator.start): set
    # our own dispositions before letting them in, or a signal in between would run the
    # coordinator's handler here and print a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
    # What we inherited (modules, the model) lives as long as we do: out of the cyclic
    # collector's sight, its full collections need not walk it (nor write to, and so
    # copy, the pages it shares with the coordinator).
    gc.freeze()
    # A level's bookkeeping (queries, deferred actions, batches) lives until the level
    # ends: young collections every 700 allocations kept walking it (0.13 CPU-s of a
    # worker's ~3.5 on the default world, gc.callbacks); every 7,000 halves that.
    gc.set_threshold(7_000, 10, 10)
    part = _Partition(me, workers, run, stop_flag, counters)
    inbox = inboxes[me]
    mailbox = Mailbox(inbox)  # the keyed exchange's (tagged) messages
    coordinator = os.getppid()
    while True:
        try:
            command = control.get(timeout=1.0)
        except queue.Empty:
            if os.getppid() != coordinator:
                return  # the coordinator is gone (killed outright): do not linger as an orphan
            continue
        kind = command[0]
        if kind == "quit":
            return
        if kind == "parent":
            results.put(("parent", part.parents.keyed_record(command[1])))
            continue
        if kind == "counters":  # a reduced model's (explorer/engine/por.py), counted here
            results.put(("counters", getattr(part.run.model, "stats", None)))
            continue
        if extra_commands is not None and kind not in ("init", "final", "level", "free"):
            extra_commands(part, command, results)  # a subclass's (checkpoints)
            continue
        level = part.level if kind == "free" else _Level(last=kind == "level" and command[1])
        level_start = len(part.parents)
        if kind == "init":
            part.admit_batch(level, (-1, None, (command[1], None)))
        elif kind == "final":
            part.finals(level)
        elif kind == "free":  # a further round of the level: what free steps put in it
            part.exchange(level, part.free_round(), inboxes)
        elif kind == "level" and part.keyed:
            keyed_level(part, level, inboxes, mailbox)
        elif kind == "level":
            part.begin_level(level)
            part.exchange(level, (part.fps, part.states), inboxes)
        part.report(results, level, level_start)


class _Coordinator(FreeLevels):
    """The coordinating process: starts the workers, runs the levels, gathers reports."""

    #: what workers do with the commands a subclass adds (explorer/engine/parallel_checkpoint.py)
    worker_commands: WorkerCommands | None = None

    def __init__(self, run: Run) -> None:
        self.run = run
        self.workers = workers = run.settings.workers
        ctx = _context()
        self.inboxes = [ctx.Queue() for _ in range(workers)]
        self.controls = [ctx.Queue() for _ in range(workers)]
        self.results = ctx.Queue()
        self.stop_flag = ctx.Value("b", 0, lock=False)
        self.counters = ctx.Array("q", 2 * workers, lock=False)
        self.procs = [
            ctx.Process(
                target=_worker,
                args=(
                    i, workers, run, self.inboxes, self.controls[i], self.results, self.stop_flag, self.counters,
                    self.worker_commands,
                ),
                daemon=True,
            )
            for i in range(workers)
        ]
        self.level_sizes: list[int] = []
        self.found: list[tuple[int, str, str]] = []
        self.bound_found: list[tuple[int, str, str]] = []  # final failures at the depth bound
        self.bounded = False  # the depth bound's level was run last=True: finals checked
        self.worker_cpu = [0.0] * workers  # process CPU of each worker at its last report
        self.critical_path = 0.0
        self.joined = 0  # states free steps put in the level on the last round (free_steps.py)
        self.generated = 0  # successors generated, as of the last gather

    def start(self) -> None:
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
        try:
            for proc in self.procs:
                proc.start()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)

    def command(self, *message: Any) -> None:
        for c in self.controls:
            c.put(message)

    def gather(self) -> tuple[int, int, int]:
        """Wait for every worker's level report: (new states, frontier, generated)."""
        new = frontier = gen = joined = 0
        level_cpu = 0.0
        reports = 0
        while reports < self.workers:
            try:
                msg = self.results.get(timeout=0.2)
            except queue.Empty:
                self.tick()
                for proc in self.procs:
                    if proc.exitcode in _STOPPED_BY_SIGNAL:
                        raise KeyboardInterrupt from None  # someone is stopping the search
                    if not proc.is_alive() and proc.exitcode not in (0, None):
                        raise RuntimeError(f"search worker died (exit code {proc.exitcode})") from None
                continue
            _, me, n_new, n_frontier, n_gen, n_found, n_bound, witnessed, cpu, n_joined = msg
            # the slowest worker's CPU on each level bounds the wall time on idle cores
            level_cpu = max(level_cpu, cpu - self.worker_cpu[me])
            self.worker_cpu[me] = cpu
            new += n_new
            frontier += n_frontier
            gen += n_gen
            joined += n_joined
            self.found.extend(n_found)
            self.bound_found.extend(n_bound)
            for name in witnessed:
                self.run.sometimes[name] = True
            reports += 1
        self.critical_path += level_cpu
        self.joined, self.generated = joined, gen
        return new, frontier, gen

    def counted(self) -> tuple[int, int]:
        """(distinct, generated) as the workers last published them."""
        w = range(self.workers)
        return sum(self.counters[2 * i] for i in w), sum(self.counters[2 * i + 1] for i in w)

    def tick(self) -> None:
        run, stop_flag = self.run, self.stop_flag
        now = time.monotonic()
        if run.deadline is not None and now >= run.deadline and not stop_flag.value:
            run.stopped_by = "time"
            stop_flag.value = 1
        if now < run.next_tick:
            return
        run.next_tick = now + 1.0
        mem = memory_mb() + sum(memory_mb(p.pid) for p in self.procs if p.pid is not None)
        limit = run.settings.max_memory_mb
        if limit is not None and mem >= limit and not stop_flag.value:
            run.stopped_by = "memory"
            stop_flag.value = 1
        if run.progress is not None:
            d, g = self.counted()
            elapsed = now - run.start
            run.progress(
                Progress(
                    distinct_states=d,
                    generated=g,
                    depth=len(self.level_sizes),
                    queue=0,
                    elapsed_s=elapsed,
                    states_per_s=d / elapsed if elapsed > 0 else 0.0,
                    memory_mb=mem,
                )
            )

    def lookup(self, fp: int) -> tuple[int, int]:
        self.controls[fp % self.workers].put(("parent", fp))
        record = self.results.get()[1]
        if record is None:
            raise RuntimeError(f"no parent record for fingerprint {fp:#x}")
        return record

    def initial_level(self) -> tuple[int, int, int]:
        """Send each initial state to its owner; returns the first gather."""
        model = self.run.model
        batches = [new_batch() for _ in range(self.workers)]
        representative = model.representative if self.run.settings.symmetry else None
        for i, state in enumerate(model.init_states()):
            fp = model.fingerprint(representative(state) if representative else state)
            fps, parent_fps, indexes, states = batches[fp % self.workers]
            fps.append(fp)
            parent_fps.append(-1)
            indexes.append(i)
            states.append(state)
        for i in range(self.workers):
            self.controls[i].put(("init", batches[i]))
        return self.gather()

    def first_level(self) -> tuple[int, int, int]:
        """The initial states, admitted: (distinct, frontier, generated)."""
        new, frontier, generated = self.initial_level()
        self.level_sizes.append(new)
        return new, frontier, generated

    def before_level(self, distinct: int, frontier: int, generated: int) -> None:
        """A hook between two levels (checkpoints: explorer/engine/parallel_checkpoint.py)."""

    def levels(self) -> tuple[bool, int, int]:
        """Run level after level until a bound, a violation or the end; returns
        (complete, distinct, generated)."""
        run, settings = self.run, self.run.settings
        distinct, frontier, generated = self.first_level()
        while True:
            if (self.found and not settings.collect) or self.stop_flag.value:
                return False, distinct, generated  # a violation, or time/memory (stopped_by set)
            if settings.max_states is not None and distinct >= settings.max_states:
                run.stopped_by = "states"
                return False, distinct, generated
            if frontier == 0:
                return True, distinct, generated
            if settings.max_depth is not None and len(self.level_sizes) - 1 >= settings.max_depth:
                run.stopped_by = "depth"
                if not self.bounded:
                    self.command("final")
                    self.gather()
                self.found.extend(self.bound_found)
                return not (self.found and not settings.collect), distinct, generated
            self.before_level(distinct, frontier, generated)
            last = settings.max_depth is not None and len(self.level_sizes) >= settings.max_depth
            self.command("level", last)
            new, frontier, _ = self.gather()
            new, frontier, joined = self.free_rounds(new, frontier)
            self.bounded = last
            distinct += new
            generated = self.generated
            self.close_level(new, joined)

    def free_round(self) -> tuple[int, int]:
        self.command("free")
        new, frontier, _ = self.gather()
        return new, frontier

    def halted(self) -> bool:
        return bool(self.stop_flag.value) or bool(self.found and not self.run.settings.collect)

    def violations(self) -> None:
        """One violation per property: the shallowest, then the least fingerprint
        (deterministic). With ``collect`` a worker stops checking a property once it saw
        it fail, so another worker's report of it may come from a deeper level: the
        depth, not the fingerprint, decides first."""
        model = self.run.model
        props = {p.name: p for p in model.properties()}
        chosen: dict[str, tuple[int, str, str]] = {}
        depth = {fp: len(path_from_parents(model, self.lookup, fp)[1]) for fp, _, _ in self.found}
        for item in sorted(self.found, key=lambda f: (f[1], depth[f[0]], f[0])):
            chosen.setdefault(item[1], item)
        order = [p.name for p in model.properties()]
        for name in sorted(chosen, key=order.index):
            fp, _, _ = chosen[name]
            self.run.violations.append(violation_from_parents(model, self.lookup, fp, props[name]))

    def reduction_counters(self) -> None:
        """Add what the workers' copies of a reduced model counted to this process's."""
        if reduction_stats(self.run.model) is None:
            return
        self.command("counters")
        add_reduction_counters(self.run.model, [self.results.get()[1] for _ in range(self.workers)])

    def shut_down(self) -> None:
        for c in self.controls:
            try:
                c.put(("quit",))
            except (OSError, ValueError):
                pass
        for proc in self.procs:
            if proc.pid is None:
                continue  # never started (a signal came while starting)
            proc.join(timeout=2)
            if proc.is_alive():
                proc.terminate()
                proc.join(timeout=1)
            if proc.is_alive():
                proc.kill()
                proc.join(timeout=1)
        for q in (*self.inboxes, *self.controls, self.results):
            q.cancel_join_thread()
            q.close()


def parallel_bfs(run: Run, coordinator: type[_Coordinator] | None = None) -> SearchResult:
    """BFS over ``run.settings.workers`` processes; same counts as the one-process BFS.
    ``coordinator``: a subclass of the coordinator (explorer/engine/parallel_checkpoint.py)."""
    coord = (coordinator or _Coordinator)(run)
    complete, distinct, generated = False, 0, 0
    try:
        coord.start()  # inside: a signal while starting still stops the started workers
        complete, distinct, generated = coord.levels()
        coord.violations()
        coord.reduction_counters()
    except KeyboardInterrupt:
        run.stopped_by = "interrupted"
        complete = False
        counted_distinct, counted_generated = coord.counted()
        distinct, generated = max(distinct, counted_distinct), max(generated, counted_generated)
        for proc in coord.procs:
            if proc.pid is not None:
                proc.terminate()
    finally:
        coord.shut_down()
    if run.violations and not run.settings.collect:
        complete = False
    return run.result(
        complete=complete,
        distinct=distinct,
        generated=generated,
        levels=len(coord.level_sizes),
        level_sizes=coord.level_sizes,
        extra={
            "workers": coord.workers,
            "worker_cpu_s": [round(c, 3) for c in coord.worker_cpu],
            # sum over levels of the slowest worker's CPU: the wall time the search would
            # take on idle cores (it ignores IPC latency); a load-independent scaling figure
            "critical_path_cpu_s": round(coord.critical_path, 3),
            # a reduced search's further rounds of its levels (free steps: free_steps.py)
            **coord.rounds_figures(),
        },
    )

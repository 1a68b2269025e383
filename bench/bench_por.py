"""Partial-order reduction: figures with and without ``--por`` (docs/por.md).

    python bench/bench_por.py [default] [catalogue] [deepest] [toys] [why] [violations] [workers] [arrivals]

- default: the default 3-node Multi-Paxos world (``synod check``'s) at depth 8:
  distinct states, transitions, CPU seconds and the verdicts, with and without;
- catalogue: each catalogue configuration's correct protocol, searched to completion
  where it completes within a state cap (else to its catalogue depth): reduction factor
  and CPU seconds;
- deepest: the deepest BFS depth bound whose one run finishes on the default world in 60 CPU-s, with and
  without;
- toys: random actor systems of tests/por_toys.py (sparse send graphs), exhausted;
- why: what stands between the sound reduction and the targets on the default world
  (docs/por.md, "Why Paxos barely reduces"): how often another node can send to each
  node within one step, and what two reductions that ignore the future would give
  (unsound, measured here only: a per-node persistent set, and a no-op delivery
  alone), with the catalogue mutants the per-node one misses;
- violations: every catalogue mutant's world and both pairs, BFS to the case's depth
  collecting every violation: the sets of violated properties with and without;
- arrivals: where the default world's BFS transitions lead at depth 8, with and
  without: new states, second arrivals at a state of the level being built (what sleep
  sets could prune at most), earlier levels, pruned actions' stuttering steps;
- workers: the default world at depth 8 with ``--por`` in one process and over 2 local
  workers (free steps in sub-rounds of a level): states, level sizes, the counters, CPU
  seconds (the search process's and each worker's) and the critical path (the sum over
  levels and sub-rounds of the slowest worker's CPU: the wall time on idle cores).

CPU seconds are ``time.process_time`` of this process, measured in one run (ratios are
what to compare: the machine is shared).
"""

from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from explorer.engine.results import SearchResult, SearchSettings  # noqa: E402
from explorer.engine.search import search  # noqa: E402
from explorer.models.config import CheckConfig  # noqa: E402
from explorer.models.paxos import build  # noqa: E402
from explorer.mutants import CATALOGUE  # noqa: E402


def timed(model: Any, settings: SearchSettings) -> tuple[SearchResult, float]:
    start = time.process_time()
    result = search(model, settings)
    return result, time.process_time() - start


def verdict(result: SearchResult) -> str:
    violated = sorted({v.property_name for v in result.violations})
    unwitnessed = sorted(k for k, seen in result.sometimes.items() if not seen)
    return f"{result.verdict} {violated or ''} unwitnessed={unwitnessed}"


def share(result: SearchResult) -> str:
    por = result.extra.get("por", {})
    return f"{100 * por.get('share_fully_expanded', 1.0):.1f}% fully expanded"


def default_world(depth: int = 8) -> None:
    print(f"== default world (3-node Multi-Paxos, 2 clients, drop=1 crash=1), depth {depth}")
    for por in (False, True):
        result, cpu = timed(build(CheckConfig()), SearchSettings(max_depth=depth, collect=True, por=por))
        extra = f"; {share(result)}, {result.extra['por']['transitions']:,} transitions" if por else ""
        print(
            f"  por={por!s:5} {result.distinct_states:>9,} states {result.generated:>10,} generated "
            f"{cpu:7.1f} CPU-s  {verdict(result)}{extra}"
        )


def catalogue(cap: int = 50_000) -> None:
    print(f"== catalogue configurations, correct protocol (complete when under {cap:,} states)")
    seen: set[CheckConfig] = set()
    for case in CATALOGUE:
        config = case.correct_config()
        if config in seen:
            continue
        seen.add(config)
        # The bound is the full search's: exhausted under the cap, else the case's depth;
        # the reduced search runs with the same bound.
        full, full_cpu = timed(build(config), SearchSettings(max_states=cap, collect=True))
        bounds = SearchSettings(collect=True)
        if not full.complete:
            bounds = SearchSettings(max_depth=case.max_depth, collect=True)
            full, full_cpu = timed(build(config), bounds)
        red, red_cpu = timed(build(config), dataclasses.replace(bounds, por=True))
        bound = "complete" if full.complete and full.stopped_by is None else f"depth {case.max_depth}"
        same = verdict(full) == verdict(red)
        print(
            f"  {case.name:26} {bound:9} {full.distinct_states:>8,} -> {red.distinct_states:>8,} states "
            f"(x{full.distinct_states / max(red.distinct_states, 1):.2f}) CPU {full_cpu:6.1f} -> {red_cpu:6.1f} s "
            f"{share(red)}; same verdicts: {same}"
        )


def deepest(budget: float = 60.0) -> None:
    """The deepest depth bound whose BFS (one run, as `synod check --depth d` would do it)
    finishes within ``budget`` CPU-s, with and without reduction. Each depth is its own
    run: a user asks for one bound, not for every bound up to it."""
    print(f"== deepest BFS depth bound finished on the default world within {budget:.0f} CPU-s")
    for por in (False, True):
        best = "none"
        for depth in range(1, 64):
            # a wall-clock guard only, so an overrun depth does not cost 3.5x the budget
            settings = SearchSettings(max_depth=depth, por=por, time_limit=budget * 3)
            result, cpu = timed(build(CheckConfig()), settings)
            if cpu > budget or result.stopped_by == "time":
                print(f"  por={por!s:5} depth {depth}: over the budget ({cpu:.1f} CPU-s, "
                      f"{result.distinct_states:,} states when stopped)")
                break
            best = f"depth {depth} ({result.distinct_states:,} states, {cpu:.1f} CPU-s)"
        print(f"  por={por!s:5} deepest within the budget: {best}")


def toys(seeds: int = 80) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from por_toys import random_system

    full_total = red_total = 0
    full_cpu = red_cpu = 0.0
    for seed in range(seeds):
        model = random_system(seed)
        full, cpu = timed(model, SearchSettings(collect=True, max_states=20_000))
        if not full.complete:
            continue
        red, cpu2 = timed(model, SearchSettings(collect=True, por=True))
        assert verdict(full) == verdict(red), seed
        full_total += full.distinct_states
        red_total += red.distinct_states
        full_cpu += cpu
        red_cpu += cpu2
    print(
        f"== {seeds} random toy systems: {full_total:,} -> {red_total:,} states "
        f"(x{full_total / max(red_total, 1):.3f}), CPU {full_cpu:.1f} -> {red_cpu:.1f} s, same verdicts"
    )


def over_workers(depth: int = 8, workers: int = 2) -> None:
    print(f"== default world, depth {depth}, --por: one process against {workers} local workers")
    figures = []
    for w in (1, workers):
        result, cpu = timed(build(CheckConfig()), SearchSettings(max_depth=depth, collect=True, por=True, workers=w))
        por = result.extra["por"]
        line = f"  workers={w} {result.distinct_states:,} states, levels {result.level_sizes}, {cpu:.1f} CPU-s here"
        if w > 1:
            worker_cpu = result.extra["worker_cpu_s"]
            line += (
                f" + {sum(worker_cpu):.1f} in the workers ({', '.join(f'{c:.1f}' for c in worker_cpu)}), "
                f"critical path {result.extra['critical_path_cpu_s']:.1f} CPU-s, "
                f"{result.extra.get('free_rounds', 0)} further rounds of levels for free steps"
            )
        print(f"{line}\n    complete={result.complete} {verdict(result)} por={por}")
        figures.append((result.distinct_states, result.level_sizes, verdict(result), result.complete, por))
    print(f"  same states, levels, verdicts, completeness and counters: {figures[0] == figures[1]}")


def arrivals(depth: int = 8) -> None:
    """Where the transitions of a BFS lead (what sleep sets could save, docs/por.md): to
    a new state, to a state met before in the level being built (a second arrival: the
    only kind of edge a sleep set can prune in a BFS, the closing edge of a diamond is
    one), to a state of an earlier level, or a pruned action's stuttering step."""
    print(f"== default world, depth {depth}: where the transitions lead")
    for por in (False, True):
        result, counts = _arrivals(depth, por)
        total = sum(counts.values())
        print(f"  por={por!s:5} {result.distinct_states:,} states, {total:,} transitions: " + ", ".join(
            f"{k} {v:,} ({100 * v / total:.1f}%)" for k, v in counts.items()
        ))


def _arrivals(depth: int, por: bool) -> tuple[SearchResult, dict[str, int]]:
    """One BFS with the visited set's admissions classified (see :func:`arrivals`)."""
    from explorer.engine import visited as visited_module

    cls = visited_module.Visited
    plain_admit, plain_add = cls.admit, cls.add
    level_of: list[int] = []
    fp_of: list[int] = []
    level_by_fp: dict[int, int] = {}
    counts = {"new": 0, "second arrival in the next level": 0, "earlier level": 0, "stuttering": 0}

    def add(self: Any, fp: int, parent: int, step: int) -> int:
        ordinal: int = plain_add(self, fp, parent, step)
        level_of.append(0)
        fp_of.append(fp)
        level_by_fp[fp] = 0
        return ordinal

    def admit(self: Any, fp: int, parent: int, step: int) -> int:
        ordinal: int = plain_admit(self, fp, parent, step)
        below = level_of[parent] + 1 if parent >= 0 else 0
        if ordinal >= 0:
            counts["new"] += 1
            level_of.append(below)  # (a free step's state is one level too deep here)
            fp_of.append(fp)
            level_by_fp[fp] = below
        elif parent >= 0 and fp == fp_of[parent]:
            counts["stuttering"] += 1
        elif level_by_fp.get(fp) == below:
            counts["second arrival in the next level"] += 1
        else:
            counts["earlier level"] += 1
        return ordinal

    cls.admit, cls.add = admit, add  # type: ignore[method-assign]
    try:
        result = search(build(CheckConfig()), SearchSettings(max_depth=depth, por=por))
    finally:
        cls.admit, cls.add = plain_admit, plain_add  # type: ignore[method-assign]
    return result, counts


def one_step_senders(depth: int = 6) -> None:
    """Per expanded state: the nodes that act, and which of them some other node's
    enabled action sends a message to (a per-node persistent set needs none)."""
    from explorer.actors.footprint import owner

    model = build(CheckConfig())
    init = model.init_states()[0]
    seen, frontier = {model.fingerprint(init)}, [init]
    expanded = replicas_reached = some_node_unreached = 0
    replicas = set(model.servers)
    for _ in range(depth):
        nxt = []
        for world in frontier:
            expanded += 1
            before = _to_each(model, world)
            acting: set[int] = set()
            reached: set[int] = set()
            for action in model.actions(world):
                node = owner(action)
                if node is not None:
                    acting.add(node)
                succ = model.next_state(world, action)
                assert succ is not None
                after = _to_each(model, succ)
                reached.update(d for d, count in after.items() if count > before.get(d, 0) and d != node)
                if model.within_boundary(succ):
                    fp = model.fingerprint(succ)
                    if fp not in seen:
                        seen.add(fp)
                        nxt.append(succ)
            replicas_reached += (acting & replicas) <= reached
            some_node_unreached += bool(acting - reached)
        frontier = nxt
    print(
        f"  the {expanded:,} states of levels 0-{depth - 1}: in {100 * replicas_reached / expanded:.1f}% every "
        f"acting replica is sent to by another node's enabled action (one step); "
        f"in {100 * some_node_unreached / expanded:.1f}% some acting node (a client, mostly) is not"
    )


def _to_each(model: Any, world: Any) -> dict[int, int]:
    counts: dict[int, int] = {}
    for _src, dst, _msg in model.in_flight(world):
        counts[dst] = counts.get(dst, 0) + 1
    return counts


def per_node_oracle(model: Any) -> Any:
    """UNSOUND (bench only): the enabled actions of one node as a persistent set, as if no
    other node could ever send to it, every action a key, invisible to every property."""
    from explorer.actors.footprint import owner
    from explorer.engine.model import Ample

    def ample_sets(world: Any, actions: Any) -> list[Ample]:
        owners = [owner(a) for a in actions]
        out = []
        for node in model.addresses:
            positions = tuple(p for p, o in enumerate(owners) if o == node)
            if positions and len(positions) < len(actions):
                successors = tuple(model.next_state(world, actions[p]) for p in positions)
                out.append(Ample(positions, successors, tuple(range(len(positions)))))
        return sorted(out, key=lambda a: len(a.positions))

    model.ample_sets = ample_sets
    return model


def no_op_oracle(model: Any) -> Any:
    """UNSOUND (bench only): a delivery that changes nothing now, taken alone (with its
    drop), as if its receiver ignored it for ever: the most that declaring more stale
    messages (ignores_forever) could give."""
    from explorer.engine.model import Ample

    net = model.net

    def ample_sets(world: Any, actions: Any) -> list[Ample]:
        for p, a in enumerate(actions):
            if a.kind != "deliver":
                continue
            i = model.index[a.dst]
            nxt = model.next_state(world, a)
            if (nxt.actors[i] == world.actors[i] and nxt.timers == world.timers and nxt.history == world.history
                    and nxt.network == net.remove(world.network, a.src, a.dst, a.msg)):
                positions = sorted([p] + [
                    q for q, b in enumerate(actions)
                    if b.kind in ("drop", "dup") and (b[0], b[1], b[2]) == (a.src, a.dst, a.msg)
                ])
                successors = tuple(model.next_state(world, actions[q]) for q in positions)
                return [Ample(tuple(positions), successors, (positions.index(p),), proviso=False)]
        return []

    model.ample_sets = ample_sets
    return model


def why(depth: int = 8) -> None:
    print("== why the sound reduction is the full search on the default world")
    one_step_senders()
    oracle, cpu = timed(per_node_oracle(build(CheckConfig())), SearchSettings(max_depth=depth, collect=True, por=True))
    print(f"  UNSOUND per-node sets, depth {depth}: {oracle.distinct_states:,} states ({cpu:.1f} CPU-s), {verdict(oracle)}")
    no_op, cpu = timed(no_op_oracle(build(CheckConfig())), SearchSettings(max_depth=depth, collect=True, por=True))
    print(f"  UNSOUND no-op deliveries alone, depth {depth}: {no_op.distinct_states:,} states ({cpu:.1f} CPU-s), {verdict(no_op)}")
    missed = []
    for case in CATALOGUE:
        model = per_node_oracle(build(case.config))
        result = search(model, case.settings("bfs", 0, por=True))
        if case.expected_property not in {v.property_name for v in result.violations}:
            missed.append(case.name)
    print(f"  the UNSOUND per-node sets miss {len(missed)} of {len(CATALOGUE)} catalogue mutants: {', '.join(missed) or '-'}")


def violated_sets(cap: int = 200_000) -> None:
    """Each catalogue mutant's world and each pair, BFS to the case's depth collecting
    every violation: the set of violated properties with and without ``--por`` (a
    bounded reduced search may in principle find fewer: docs/por.md, "Depth bounds")."""
    from explorer.mutants import PAIRS

    print(f"== violated properties at each mutant's depth, collected (state cap {cap:,})")
    rows = [(c.name, c.config, c.max_depth) for c in CATALOGUE if c.strategy == "bfs"]
    rows += [(p.variant, p.config_for(p.variant), p.max_depth) for p in PAIRS]
    equal = 0
    full_cpu = red_cpu = 0.0
    for name, config, depth in rows:
        bounds = SearchSettings(max_depth=depth, max_states=cap, collect=True)
        full, cpu = timed(build(config), bounds)
        red, cpu2 = timed(build(config), dataclasses.replace(bounds, por=True))
        full_cpu, red_cpu = full_cpu + cpu, red_cpu + cpu2
        a = sorted({v.property_name for v in full.violations})
        b = sorted({v.property_name for v in red.violations})
        equal += a == b
        print(
            f"  {name:42} depth {depth:2} {full.distinct_states:>8,} -> {red.distinct_states:>8,} states "
            f"CPU {cpu:5.1f} -> {cpu2:5.1f} s  {'same' if a == b else 'DIFFERENT'}: {a}"
            + ("" if a == b else f" vs {b}")
        )
    print(f"  {equal} of {len(rows)} with the same set; CPU {full_cpu:.1f} -> {red_cpu:.1f} s")


if __name__ == "__main__":
    parts = sys.argv[1:] or ["default", "catalogue", "deepest", "toys", "why", "violations"]
    for part in parts:
        {
            "default": default_world, "catalogue": catalogue, "deepest": deepest, "toys": toys, "why": why,
            "violations": violated_sets, "workers": over_workers, "arrivals": arrivals,
        }[part]()

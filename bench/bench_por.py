"""Partial-order reduction: figures with and without ``--por`` (docs/por.md).

    python bench/bench_por.py [default] [catalogue] [deepest] [toys]

- default: the default 3-node Multi-Paxos world (``synod check``'s) at depth 8:
  distinct states, transitions, CPU seconds and the verdicts, with and without;
- catalogue: each catalogue configuration's correct protocol, searched to completion
  where it completes within a state cap (else to its catalogue depth): reduction factor
  and CPU seconds;
- deepest: the deepest BFS level completed on the default world in 60 CPU-s, with and
  without;
- toys: random actor systems of tests/por_toys.py (sparse send graphs), exhausted.

CPU seconds are ``time.process_time`` of this process, measured in one run (ratios are
what to compare: the machine is shared).
"""

from __future__ import annotations

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
        figures = []
        for por in (False, True):
            result, cpu = timed(build(config), SearchSettings(max_states=cap, collect=True, por=por))
            if not result.complete:
                result, cpu = timed(
                    build(config), SearchSettings(max_depth=case.max_depth, collect=True, por=por)
                )
            figures.append((result, cpu))
        (full, full_cpu), (red, red_cpu) = figures
        bound = "complete" if full.complete and full.stopped_by is None else f"depth {case.max_depth}"
        same = verdict(full) == verdict(red)
        print(
            f"  {case.name:26} {bound:9} {full.distinct_states:>8,} -> {red.distinct_states:>8,} states "
            f"(x{full.distinct_states / max(red.distinct_states, 1):.2f}) CPU {full_cpu:6.1f} -> {red_cpu:6.1f} s "
            f"{share(red)}; same verdicts: {same}"
        )


def deepest(budget: float = 60.0) -> None:
    print(f"== deepest BFS level completed on the default world in {budget:.0f} CPU-s")
    for por in (False, True):
        depth, states = 0, 0
        spent = 0.0
        while spent < budget:
            result, cpu = timed(build(CheckConfig()), SearchSettings(max_depth=depth + 1, por=por))
            spent += cpu
            if spent > budget:
                break
            depth, states = depth + 1, result.distinct_states
        print(f"  por={por!s:5} depth {depth} ({states:,} states; {spent:.1f} CPU-s spent in all)")


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


if __name__ == "__main__":
    parts = sys.argv[1:] or ["default", "catalogue", "deepest", "toys"]
    for part in parts:
        {"default": default_world, "catalogue": catalogue, "deepest": deepest, "toys": toys}[part]()

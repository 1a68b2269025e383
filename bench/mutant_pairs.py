"""Survey: seeded mistakes that are silent alone and do harm together.

For every configuration of the mutant catalogue (``explorer.mutants``: the catalogue's
cases, run with the correct protocol's depth, and the harmless cases), BFS each single
mistake that applies to the model; those under which no property fails are *silent*
there. Then BFS every pair ``a+b`` of silent mistakes: a pair under which a property
fails is harmful only in combination, the kind of bug issue 5 asks to keep as a
documented pair. Prints one line per configuration and a summary; exit 0.

    python bench/mutant_pairs.py               # every configuration, 2 processes
    python bench/mutant_pairs.py --jobs 1

Runs are bounded by ``--max-states`` (a run that hits it counts as "not silent", so a
pair is reported only when both halves were searched to the end).
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from explorer.engine.results import SearchSettings  # noqa: E402
from explorer.engine.search import search  # noqa: E402
from explorer.models.config import CheckConfig  # noqa: E402
from explorer.mutants import CATALOGUE, HARMLESS, build  # noqa: E402
from paxos_core import MULTI_ONLY_VARIANTS, VARIANTS  # noqa: E402


def configurations() -> list[tuple[CheckConfig, int]]:
    """Each distinct (configuration, depth) of the catalogue, variant reset to correct."""
    found: dict[tuple[CheckConfig, int], None] = {}
    for case in CATALOGUE:
        found[case.correct_check_key()] = None
    for harmless in HARMLESS:
        found[(dataclasses.replace(harmless.config, variant="correct"), harmless.max_depth)] = None
    return list(found)


def mistakes_for(config: CheckConfig) -> list[str]:
    names = [v for v in VARIANTS if v != "correct"]
    if config.model == "basic":
        names = [v for v in names if v not in MULTI_ONLY_VARIANTS]
    return names


def run(job: tuple[CheckConfig, int, str, int]) -> dict[str, Any]:
    config, depth, variant, max_states = job
    started = time.perf_counter()
    model = build(dataclasses.replace(config, variant=variant))
    result = search(model, SearchSettings(max_depth=depth, max_states=max_states), None)
    failed = [v.property_name for v in result.violations]
    return {
        "variant": variant,
        "silent": result.complete and not failed,
        "failed": failed,
        "complete": result.complete,
        "states": result.distinct_states,
        "seconds": time.perf_counter() - started,
    }


def describe(config: CheckConfig) -> str:
    extra = "".join(f", {k}={v}" for k, v in config.extra)
    q = ""
    if config.phase1_quorum or config.phase2_quorum:
        q = f", q1={config.phase1_quorum} q2={config.phase2_quorum}"
    return (
        f"{config.model} {config.nodes} nodes{q}, {config.clients} clients, "
        f"ballots {config.ballots}, faults {config.faults}{extra}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--max-states", type=int, default=150_000)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    pairs_found: list[str] = []
    total_pairs = 0
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for config, depth in configurations():
            singles = list(pool.map(run, [(config, depth, v, args.max_states) for v in mistakes_for(config)]))
            silent = [r["variant"] for r in singles if r["silent"]]
            pairs = [f"{a}+{b}" for a, b in itertools.combinations(silent, 2)]
            results = list(pool.map(run, [(config, depth, p, args.max_states) for p in pairs]))
            total_pairs += len(pairs)
            harmful = [r for r in results if r["failed"]]
            unfinished = [r["variant"] for r in results if not r["complete"] and not r["failed"]]
            print(f"{describe(config)}, depth {depth}:")
            print(f"  silent alone ({len(silent)} of {len(singles)}): {', '.join(silent) or '-'}")
            states = sum(r["states"] for r in (*singles, *results))
            print(f"  pairs searched: {len(pairs)}, harmful together: {len(harmful)}, "
                  f"cut by --max-states: {len(unfinished)}; {states:,} states in all")
            for r in harmful:
                line = f"{r['variant']} ({', '.join(r['failed'])}) on {describe(config)}, depth {depth}"
                pairs_found.append(line)
                print(f"  HARMFUL TOGETHER: {line}")
    print(f"{len(configurations())} configurations, {total_pairs} pairs, "
          f"{len(pairs_found)} harmful together, {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

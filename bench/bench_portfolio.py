"""Benchmark: the default ``synod check`` (the portfolio), its CPU seconds per world and in all.

    python bench/bench_portfolio.py                  # the whole portfolio, one process (its default)
    python bench/bench_portfolio.py --workers 2
    python bench/bench_portfolio.py --por            # every world reduced where that keeps its guarantee
    python bench/bench_portfolio.py --no-por         # every world unreduced
    python bench/bench_portfolio.py --compare --rounds 3    # both, world by world, alternating

Prints one line per world (states, depth, complete, CPU s, verdict) and the total CPU
seconds of this process and its children, which the README's claim ("under a minute
on 2 cores") and the 60 CPU-s budget are about.

``--compare`` runs each world unreduced and reduced in one process, ``--rounds`` times,
alternating which goes first (the machine is shared and noisy: a pair of runs next to
each other sees the same load), and prints per world the distinct states and the median
CPU seconds of each, whether the verdicts, the ``sometimes`` witnesses, the violated
properties and the completeness are identical (they must be), and the totals.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from explorer.models.portfolio import DEFAULT_PORTFOLIO, PortfolioWorld  # noqa: E402
from explorer.models.portfolio_run import (  # noqa: E402
    WorldOutcome,
    overall_verdict,
    run_portfolio,
    run_world,
)


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def one_run(workers: int, por: bool | None) -> None:
    wall, cpu = time.monotonic(), cpu_seconds()
    outcomes = run_portfolio(DEFAULT_PORTFOLIO, workers=workers) if por is None else run_portfolio(
        DEFAULT_PORTFOLIO, workers=workers, por=por
    )
    wall, cpu = time.monotonic() - wall, cpu_seconds() - cpu
    print(f"{'world':22} {'states':>9} {'depth':>5} {'complete':>8} {'por':>4} {'CPU s':>6}  verdict")
    for o in outcomes:
        r = o.result
        print(f"{o.world.name:22} {r.distinct_states:>9,} {r.depth - 1:>5} {str(r.complete):>8} "
              f"{'on' if o.settings.por else 'off':>4} {o.cpu_s:>6.1f}  {o.verdict}"
              + ("" if not o.violations else f" ({o.violations[0].property_name})"))
        unwitnessed = sorted(n for n, seen in r.sometimes.items() if not seen)
        if unwitnessed:
            print(f"{'':22} not witnessed: {', '.join(unwitnessed)}")
        if not o.settings.por and por is not False:
            print(f"{'':22} {o.por}")
    print(f"verdict: {overall_verdict(outcomes)}; {cpu:.1f} CPU-s (this process and children), {wall:.1f} s wall, workers {workers}")


def judged(o: WorldOutcome) -> tuple[object, ...]:
    """What must be identical with and without reduction."""
    r = o.result
    return (o.verdict, r.complete, tuple(sorted(r.sometimes.items())), tuple(sorted(v.property_name for v in r.violations)))


def compare_world(world: PortfolioWorld, rounds: int, first_round: int) -> tuple[list[WorldOutcome], list[WorldOutcome]]:
    plain: list[WorldOutcome] = []
    reduced: list[WorldOutcome] = []
    for i in range(rounds):
        order = (False, True) if (first_round + i) % 2 == 0 else (True, False)
        for por in order:
            (reduced if por else plain).append(run_world(world, por=por))
    return plain, reduced


def compare(rounds: int) -> None:
    print(f"{'world':22} {'states':>9} {'reduced':>9} {'x':>5} {'CPU s':>6} {'reduced':>7} {'ratio':>6}  same  por")
    totals = [0.0, 0.0]
    states = [0, 0]
    differ: list[str] = []
    wall, cpu = time.monotonic(), cpu_seconds()
    for index, world in enumerate(DEFAULT_PORTFOLIO):
        plain, reduced = compare_world(world, rounds, index)
        a, b = plain[0], reduced[0]
        same = all(judged(o) == judged(a) for o in plain + reduced)
        if not same:
            differ.append(world.name)
        cpu_a = statistics.median(o.cpu_s for o in plain)
        cpu_b = statistics.median(o.cpu_s for o in reduced)
        totals[0] += cpu_a
        totals[1] += cpu_b
        states[0] += a.result.distinct_states
        states[1] += b.result.distinct_states
        factor = a.result.distinct_states / max(b.result.distinct_states, 1)
        ratio = cpu_b / cpu_a if cpu_a > 0 else float("nan")
        print(f"{world.name:22} {a.result.distinct_states:>9,} {b.result.distinct_states:>9,} {factor:>5.2f} "
              f"{cpu_a:>6.2f} {cpu_b:>7.2f} {ratio:>6.2f}  {'yes' if same else 'NO':>4}  {b.por}")
        if not same:
            print(f"{'':22} unreduced {judged(a)}\n{'':22} reduced   {judged(b)}")
    wall, cpu = time.monotonic() - wall, cpu_seconds() - cpu
    print(f"total: {states[0]:,} -> {states[1]:,} states (x{states[0] / max(states[1], 1):.2f}); median CPU-s "
          f"{totals[0]:.1f} -> {totals[1]:.1f} (x{totals[1] / max(totals[0], 1e-9):.2f}); {rounds} round(s) each, "
          f"{cpu:.1f} CPU-s, {wall:.1f} s wall in all")
    print("verdicts, witnesses, violations, completeness: " + ("identical in every world" if not differ else "DIFFER in " + ", ".join(differ)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--por", action=argparse.BooleanOptionalAction, default=None,
                        help="reduce every world where that keeps its guarantee (--no-por: none); default: the portfolio's own default")
    parser.add_argument("--compare", action="store_true", help="each world with and without reduction, alternating")
    parser.add_argument("--rounds", type=int, default=1, help="--compare: runs of each world each way (default 1)")
    args = parser.parse_args()
    if args.compare:
        compare(args.rounds)
    else:
        one_run(args.workers, args.por)


if __name__ == "__main__":
    main()

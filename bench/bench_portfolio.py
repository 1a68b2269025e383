"""Benchmark: the default ``synod check`` (the portfolio), its CPU seconds per world and in all.

    python bench/bench_portfolio.py            # the whole portfolio, one process
    python bench/bench_portfolio.py --workers 2

Prints one line per world (states, depth, complete, CPU s, verdict) and the total CPU
seconds of this process and its children, which the README's claim ("under a minute
on 2 cores") and the 60 CPU-s budget are about.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from explorer.models.portfolio import DEFAULT_PORTFOLIO  # noqa: E402
from explorer.models.portfolio_run import overall_verdict, run_portfolio  # noqa: E402


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    wall, cpu = time.monotonic(), cpu_seconds()
    outcomes = run_portfolio(DEFAULT_PORTFOLIO, workers=args.workers)
    wall, cpu = time.monotonic() - wall, cpu_seconds() - cpu
    print(f"{'world':22} {'states':>9} {'depth':>5} {'complete':>8} {'CPU s':>6}  verdict")
    for o in outcomes:
        r = o.result
        print(f"{o.world.name:22} {r.distinct_states:>9,} {r.depth - 1:>5} {str(r.complete):>8} {o.cpu_s:>6.1f}  {o.verdict}"
              + ("" if not o.violations else f" ({o.violations[0].property_name})"))
        unwitnessed = sorted(n for n, seen in r.sometimes.items() if not seen)
        if unwitnessed:
            print(f"{'':22} not witnessed: {', '.join(unwitnessed)}")
    print(f"verdict: {overall_verdict(outcomes)}; {cpu:.1f} CPU-s (this process and children), {wall:.1f} s wall, workers {args.workers}")


if __name__ == "__main__":
    main()

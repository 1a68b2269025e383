"""What the diagnostics cost: coverage and the sanitizer, in CPU seconds (one run each).

    python bench/bench_diagnostics.py [--depth D]

Prints the CPU seconds of a plain BFS of the default Multi-Paxos world to depth D
(default 7), the same search under --coverage and their ratio, then the sanitizer's
seconds (this process; the two subprocesses' wall time shows in the total) and the
coverage summary.
"""

from __future__ import annotations

import argparse
import resource
import time

from explorer.actors.components import components_for
from explorer.engine.coverage import CoverageModel
from explorer.engine.coverage_report import CoverageReport
from explorer.engine.results import SearchSettings
from explorer.engine.search import search
from explorer.models import build_model
from explorer.models.config import CheckConfig
from explorer.testing.sanitize import sanitize


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--depth", type=int, default=7)
    args = parser.parse_args()
    config = CheckConfig()
    model = build_model(config)
    settings = SearchSettings(max_depth=args.depth)

    t = time.process_time()
    plain = search(model, settings)
    plain_s = time.process_time() - t
    wrapper = CoverageModel(model, components_for(model))
    t = time.process_time()
    covered = search(wrapper, settings)
    report = CoverageReport.of(wrapper)
    covered_s = time.process_time() - t
    assert covered.distinct_states == plain.distinct_states == report.total_new_states
    print(f"multipaxos depth {args.depth}: {plain.distinct_states:,} states")
    print(f"plain BFS:        {plain_s:7.2f} CPU-s")
    print(f"BFS + coverage:   {covered_s:7.2f} CPU-s  (x{covered_s / plain_s:.2f})")

    t, c, wall = time.process_time(), children_cpu(), time.monotonic()
    result = sanitize(model, config)
    own, kids = time.process_time() - t, children_cpu() - c
    print(
        f"sanitize:         {own:7.2f} CPU-s here + {kids:.2f} CPU-s in subprocesses "
        f"({time.monotonic() - wall:.2f} s wall; {result.transitions:,} transitions, "
        f"deterministic={result.deterministic})"
    )
    for line in report.summary():
        print(line)


if __name__ == "__main__":
    main()

"""Benchmark of the search engine: tla-paxos (Paxos.tla) and the default Multi-Paxos check.

Prints, per configuration and worker count: distinct states, states generated, BFS
levels, wall seconds, CPU seconds (the search process plus its worker processes),
distinct states per CPU-second, peak resident memory, and speed as ratios within this
run (2 workers against 1; CPU against TLC's ~13 CPU-seconds for ballots 0..2). Each case
runs in a fresh subprocess, so peak memory and CPU belong to that case alone.

For parallel runs it also prints the critical path: the sum over BFS levels of the
busiest worker's CPU time, i.e. the wall time the search would take on otherwise idle
cores. It does not depend on what else the machine is running, unlike the wall time,
so it is the figure to judge scaling by on a shared machine (the load average is
printed too).

    python bench/bench_explorer.py                 # ballots 0..2 and Multi-Paxos, 1 and 2 workers
    python bench/bench_explorer.py --ballots 1     # a quick run
    python bench/bench_explorer.py --repeat 3      # best of 3 (by wall time) per case
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TLC_CPU_S_BALLOTS_2 = 13.0  # TLC, one worker, ballots 0..2 (issue 3)
TLC_COUNTS = {(1, False): 3921, (2, False): 185369, (1, True): 443, (2, True): 17153}


def _cpu_s() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def run_case(case: str, ballots: int, workers: int) -> dict[str, Any]:
    """Run one case in this process; returns its figures."""
    sys.path.insert(0, str(ROOT))
    from explorer.engine.results import SearchSettings
    from explorer.engine.search import search

    settings: dict[str, Any] = {}
    if case.startswith("tla-paxos"):
        from explorer.models.tla_paxos import TlaPaxos

        symmetry = case.endswith("symmetry")
        model: Any = TlaPaxos(ballots=ballots, symmetry=symmetry)
        settings["symmetry"] = symmetry
    else:
        from explorer.cli.check import DEFAULT_BOUNDS
        from explorer.models import build_model
        from explorer.models.config import CheckConfig

        model = build_model(CheckConfig())
        settings.update(DEFAULT_BOUNDS["multipaxos"])
    cpu0, wall0 = _cpu_s(), time.monotonic()
    result = search(model, SearchSettings(workers=workers, **settings))
    wall = time.monotonic() - wall0
    cpu = _cpu_s() - cpu0
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "distinct": result.distinct_states,
        "generated": result.generated,
        "levels": result.depth,
        "verdict": result.verdict,
        "complete": result.complete,
        "stopped_by": result.stopped_by,
        "wall_s": wall,
        "cpu_s": cpu,
        "peak_mb": own,
        "peak_worker_mb": kids if workers > 1 else 0.0,
        "critical_path_s": result.extra.get("critical_path_cpu_s"),
        "bounds": {k: v for k, v in settings.items() if k != "symmetry"},
    }


def _spawn(case: str, ballots: int, workers: int) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--one", case, str(ballots), str(workers)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        return {"skipped": f"failed: {out.stderr.strip().splitlines()[-1:]}"}
    data: dict[str, Any] = json.loads(out.stdout)
    return data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ballots", type=int, default=2, help="tla-paxos ballots 0..B (default 2)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=1, help="best of N runs per case")
    parser.add_argument("--skip-multipaxos", action="store_true")
    parser.add_argument(
        "--one", nargs=3, metavar=("CASE", "BALLOTS", "WORKERS"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_case(args.one[0], int(args.one[1]), int(args.one[2]))))
        return 0

    cases = ["tla-paxos", "tla-paxos+symmetry"]
    if not args.skip_multipaxos:
        cases.append("multipaxos")
    print(f"machine: {os.cpu_count()} CPUs, load average at start {os.getloadavg()[0]:.2f}")
    header = (
        f"{'case':<30} {'W':>2} {'distinct':>9} {'generated':>10} {'lv':>3} {'wall s':>7} "
        f"{'CPU s':>7} {'dist/CPU-s':>10} {'peak MB':>12} {'crit s':>7}"
    )
    print(header)
    print("-" * len(header))
    for case in cases:
        label = (
            f"{case} --ballots {args.ballots}"
            if case.startswith("tla")
            else "multipaxos (default check)"
        )
        runs: dict[int, dict[str, Any]] = {}
        for workers in args.workers:
            best: dict[str, Any] | None = None
            for _ in range(args.repeat):
                figures = _spawn(case, args.ballots, workers)
                if "skipped" in figures:
                    best = figures
                    break
                if best is None or figures["wall_s"] < best["wall_s"]:
                    best = figures
            assert best is not None
            runs[workers] = best
            if "skipped" in best:
                print(f"{label:<30} {workers:>2}  skipped: {best['skipped']}")
                break
            peak = f"{best['peak_mb']:.0f}" + (
                f"+{workers}x{best['peak_worker_mb']:.0f}" if workers > 1 else ""
            )
            crit = f"{best['critical_path_s']:.2f}" if best["critical_path_s"] is not None else "-"
            print(
                f"{label:<30} {workers:>2} {best['distinct']:>9,} {best['generated']:>10,} "
                f"{best['levels']:>3} {best['wall_s']:>7.2f} {best['cpu_s']:>7.2f} "
                f"{best['distinct'] / best['cpu_s']:>10,.0f} {peak:>12} {crit:>7}"
            )
        one = runs.get(1)
        if one is None or "skipped" in one:
            continue
        notes = []
        if case.startswith("tla"):
            expected = TLC_COUNTS.get((args.ballots, case.endswith("symmetry")))
            if expected is not None:
                notes.append(
                    f"TLC count {expected:,}: {'same' if one['distinct'] == expected else 'DIFFERENT'}"
                )
            if args.ballots == 2 and not case.endswith("symmetry"):
                notes.append(
                    f"TLC CPU / ours (1 worker) = {TLC_CPU_S_BALLOTS_2 / one['cpu_s']:.1f}x"
                )
        else:
            notes.append(
                f"bounds {one['bounds']}, verdict {one['verdict']}, stopped by {one['stopped_by']}"
            )
        for workers, other in runs.items():
            if workers == 1 or "skipped" in other:
                continue
            same = other["distinct"] == one["distinct"]
            notes.append(
                f"{workers} workers: wall speed-up {one['wall_s'] / other['wall_s']:.2f}x, "
                f"critical-path speed-up {one['cpu_s'] / other['critical_path_s']:.2f}x"
                if other["critical_path_s"]
                else f"{workers} workers: wall speed-up {one['wall_s'] / other['wall_s']:.2f}x"
            )
            notes.append(f"{workers} workers: same distinct count as 1: {same}")
        for note in notes:
            print(f"    {note}")
    print(f"load average at end {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

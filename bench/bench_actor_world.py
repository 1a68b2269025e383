"""Benchmark of the actor world (issue 14): this tree against a baseline ref, side by side.

Cases (each in a fresh subprocess, so CPU and peak memory belong to that case alone):

- ``multipaxos``: the default ``synod check`` (3 replicas, 2 clients, 1 op each,
  faults drop=1,crash=1, BFS depth 8): exactly 195,002 distinct states;
- ``basic``: the Basic Paxos world at its defaults, BFS depth 8;
- ``tla-paxos``: the hand-written Paxos.tla model, ballots 0..2 (TLC: 185,369 states).

Per case and worker count it prints distinct states, CPU seconds (the search process
and its worker processes: ``getrusage`` of self and children), distinct states per
CPU-second, the critical path for parallel runs (the sum over levels of the busiest
worker's CPU: the wall time on idle cores, the figure to judge scaling by on a shared
machine), peak RSS, and bytes per distinct state (peak RSS of the search process minus
its RSS just before the search, over the distinct states; one-worker runs). Wall time
is printed but means little while other work shares the machine.

With ``--baseline-ref REF`` the same cases also run on the code at ``REF``, extracted
with ``git archive`` into a temporary directory (nothing in the repository changes), and
the table gains the ratio baseline/current of CPU seconds and of bytes per state.
``--current-ref REF`` measures the code at ``REF`` as "current" in the same way (so the
worktree may change while the bench runs).

    python bench/bench_actor_world.py                          # this tree only
    python bench/bench_actor_world.py --baseline-ref 09b8d3c   # side by side
    python bench/bench_actor_world.py --cases multipaxos --workers 1
    python bench/bench_actor_world.py --profile multipaxos     # cProfile, top 25
    python bench/bench_actor_world.py --cases multipaxos --workers 1 --baseline-ref main --rounds 5

With ``--rounds N`` each (case, workers) runs N times, the baseline and this tree
alternating (the machine's load drifts: alternation spreads it over both), every run
printed, then per case the ratio baseline/current of each round, their median, and the
ratio of the two trees' fastest runs. A round runs every worker count in turn, so with
``--workers 1 2`` each tree's 2-worker speed-up over 1 worker is also printed per round
(its two runs neighbours in time) with the median.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CASES = ("multipaxos", "basic", "tla-paxos")
EXPECTED = {"multipaxos": 195_002, "tla-paxos": 185_369}


def _cpu_s() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _own_cpu_s() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _model_and_settings(case: str) -> tuple[Any, dict[str, Any]]:
    from explorer.models import build_model
    from explorer.models.config import CheckConfig, Faults

    if case == "tla-paxos":
        from explorer.models.tla_paxos import TlaPaxos

        return TlaPaxos(ballots=2), {}
    if case == "multipaxos":
        config = CheckConfig(model="multipaxos", nodes=3, clients=2, ops=1, faults=Faults(drop=1, crash=1))
    elif case == "basic":
        config = CheckConfig(model="basic")
    else:
        raise SystemExit(f"unknown case {case!r} (known: {', '.join(CASES)})")
    return build_model(config), {"max_depth": 8}


def run_case(case: str, workers: int) -> dict[str, Any]:
    """Run one case in this process (whose ``sys.path`` picks the code); its figures."""
    from explorer.engine.results import SearchSettings
    from explorer.engine.search import search

    model, settings = _model_and_settings(case)
    rss0 = _rss_mb()
    cpu0, own0, wall0 = _cpu_s(), _own_cpu_s(), time.monotonic()
    result = search(model, SearchSettings(workers=workers, **settings))
    wall, cpu, own = time.monotonic() - wall0, _cpu_s() - cpu0, _own_cpu_s() - own0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "distinct": result.distinct_states,
        "generated": result.generated,
        "levels": result.level_sizes,
        "verdict": result.verdict,
        "wall_s": wall,
        "cpu_s": cpu,
        "peak_mb": peak,
        "rss_before_mb": rss0,
        "peak_worker_mb": kids if workers > 1 else 0.0,
        "critical_path_s": result.extra.get("critical_path_cpu_s"),
        "worker_cpu_s": result.extra.get("worker_cpu_s"),
        "coordinator_cpu_s": own,  # this process alone (with workers: the coordinator)
    }


def _spawn(root: Path, case: str, workers: int) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=str(root))
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--one", case, str(workers), str(root)],
        cwd=root, env=env, capture_output=True, text=True, check=False,
    )
    if out.returncode != 0:
        tail = out.stderr.strip().splitlines()[-1:] or ["no output"]
        return {"failed": tail[0]}
    data: dict[str, Any] = json.loads(out.stdout)
    return data


def _extract(ref: str, into: Path) -> None:
    """The tree of ``ref`` in ``into`` (git archive: the repository is not touched)."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], capture_output=True, check=False)
    if archive.returncode != 0:
        raise SystemExit(f"bench: cannot archive {ref!r}: {archive.stderr.decode().strip()}")
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)


def bytes_per_state(r: dict[str, Any]) -> float:
    return (r["peak_mb"] - r["rss_before_mb"]) * 2**20 / max(r["distinct"], 1)


def _row(label: str, case: str, workers: int, r: dict[str, Any]) -> str:
    if "failed" in r:
        return f"{label:<9} {case:<11} {workers:>2}  failed: {r['failed']}"
    crit = f"{r['critical_path_s']:.2f}" if r["critical_path_s"] is not None else "-"
    per_state = f"{bytes_per_state(r):.0f}" if workers == 1 else "-"
    peak = f"{r['peak_mb']:.0f}" + (f"+{workers}x{r['peak_worker_mb']:.0f}" if workers > 1 else "")
    expected = EXPECTED.get(case)
    mark = "" if expected is None or r["distinct"] == expected else " (count differs!)"
    return (
        f"{label:<9} {case:<11} {workers:>2} {r['distinct']:>9,} {r['cpu_s']:>7.2f} "
        f"{r['distinct'] / r['cpu_s']:>9,.0f} {crit:>7} {r['wall_s']:>7.2f} {peak:>11} {per_state:>7}{mark}"
    )


def _compare(case: str, workers: int, base: dict[str, Any], cur: dict[str, Any]) -> str:
    if "failed" in base or "failed" in cur:
        return "    (no ratio: a run failed)"
    same = base["distinct"] == cur["distinct"] and base["levels"] == cur["levels"]
    parts = [f"CPU baseline/current {base['cpu_s'] / cur['cpu_s']:.2f}x"]
    if workers == 1:
        parts.append(f"bytes/state baseline/current {bytes_per_state(base) / max(bytes_per_state(cur), 1):.2f}x")
    parts.append("same distinct count and level sizes" if same else "COUNTS DIFFER")
    return f"    {case} W={workers}: " + ", ".join(parts)


def _round(trees: list[tuple[str, Path]], case: str, workers: int) -> dict[str, dict[str, Any]]:
    """One run of ``case`` on each tree in turn (printed as it ends), by label."""
    runs: dict[str, dict[str, Any]] = {}
    for label, root in trees:
        runs[label] = r = _spawn(root, case, workers)
        print(_row(label, case, workers, r), flush=True)
    return runs


def _rounds_note(case: str, workers: int, base: str, rounds: list[dict[str, dict[str, Any]]]) -> str:
    """The CPU ratio baseline/current of each round (critical path with workers) and
    their median."""
    key = "cpu_s" if workers == 1 else "critical_path_s"
    pairs = [
        (r[base][key], r["current"][key])
        for r in rounds
        if "failed" not in r[base] and "failed" not in r["current"] and r[base][key] and r["current"][key]
    ]
    if not pairs:
        return f"    {case} W={workers}: no ratio (runs failed)"
    ratios = [b / c for b, c in pairs]
    each = ", ".join(f"{x:.3f}" for x in ratios)
    what = "CPU" if workers == 1 else "critical path"
    least = min(b for b, _ in pairs) / min(c for _, c in pairs)
    return (
        f"    {case} W={workers}: {what} baseline/current per round {each}; "
        f"median {statistics.median(ratios):.3f}x, min/min {least:.3f}x"
    )


def _speedups_note(case: str, label: str, by_round: list[dict[int, dict[str, dict[str, Any]]]]) -> str:
    """The 2-worker critical-path speed-up over 1 worker's CPU of ``label``'s code, per
    round (the two runs of a round are neighbours in time), and their median."""
    ratios = [
        r[1][label]["cpu_s"] / r[2][label]["critical_path_s"]
        for r in by_round
        if "failed" not in r[1][label] and "failed" not in r[2][label] and r[2][label]["critical_path_s"]
    ]
    if not ratios:
        return f"    {case} {label}: no speed-up (runs failed)"
    each = ", ".join(f"{x:.2f}" for x in ratios)
    return f"    {case} {label}: 2 workers over 1 per round {each}; median {statistics.median(ratios):.2f}x"


def _profile(case: str) -> None:
    import cProfile
    import pstats

    from explorer.engine.results import SearchSettings
    from explorer.engine.search import search

    model, settings = _model_and_settings(case)
    prof = cProfile.Profile()
    prof.enable()
    result = search(model, SearchSettings(**settings))
    prof.disable()
    print(f"{case}: {result.distinct_states:,} distinct states")
    pstats.Stats(prof).sort_stats("tottime").print_stats(25)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", nargs="+", default=list(CASES), choices=CASES)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--baseline-ref", help="git ref to measure beside this tree (e.g. 09b8d3c)")
    parser.add_argument("--current-ref", help="git ref to measure as 'current' instead of this tree")
    parser.add_argument("--rounds", type=int, default=1, help="runs per tree, alternating (A/B)")
    parser.add_argument("--profile", choices=CASES, help="cProfile one case in this process")
    parser.add_argument("--one", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        sys.path.insert(0, args.one[2])
        print(json.dumps(run_case(args.one[0], int(args.one[1]))))
        return 0
    if args.profile:
        sys.path.insert(0, str(ROOT))
        _profile(args.profile)
        return 0
    print(f"machine: {os.cpu_count()} CPUs, load average at start {os.getloadavg()[0]:.2f}")
    header = (
        f"{'code':<9} {'case':<11} {'W':>2} {'distinct':>9} {'CPU s':>7} {'dist/CPUs':>9} "
        f"{'crit s':>7} {'wall s':>7} {'peak MB':>11} {'B/state':>7}"
    )
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory(prefix="synod-baseline-") as tmp:
        trees = [("current", ROOT)]
        if args.current_ref:  # a commit, so the tree can change while the bench runs
            (Path(tmp) / "current").mkdir()
            _extract(args.current_ref, Path(tmp) / "current")
            trees = [("current", Path(tmp) / "current")]
        if args.baseline_ref:
            (Path(tmp) / "baseline").mkdir()
            _extract(args.baseline_ref, Path(tmp) / "baseline")
            trees.insert(0, (args.baseline_ref[:9], Path(tmp) / "baseline"))
        notes: list[str] = []
        for case in args.cases:
            runs: dict[tuple[str, int], dict[str, Any]] = {}
            # each round runs every worker count in turn, so that a round's 1- and
            # 2-worker runs are neighbours in time (the load changes between rounds)
            by_round = [{w: _round(trees, case, w) for w in args.workers} for _ in range(args.rounds)]
            for workers in args.workers:
                rounds = [r[workers] for r in by_round]
                for label, _root in trees:
                    runs[label, workers] = rounds[-1][label]
                if args.baseline_ref:
                    notes.append(_compare(case, workers, runs[trees[0][0], workers], runs["current", workers]))
                    if args.rounds > 1:
                        notes.append(_rounds_note(case, workers, trees[0][0], rounds))
            if args.rounds > 1 and 1 in args.workers and 2 in args.workers:
                notes.extend(_speedups_note(case, label, by_round) for label, _root in trees)
            one, two = runs.get(("current", 1)), runs.get(("current", 2))
            if one and two and "failed" not in one and "failed" not in two and two["critical_path_s"]:
                # the critical path with the coordinator's CPU added (it runs between levels)
                with_coordinator = two["critical_path_s"] + two["coordinator_cpu_s"]
                notes.append(
                    f"    {case} current: 2 workers critical-path speed-up "
                    f"{one['cpu_s'] / two['critical_path_s']:.2f}x over 1 worker's CPU "
                    f"({one['cpu_s'] / with_coordinator:.2f}x with the coordinator's CPU; "
                    f"worker CPU {', '.join(f'{c:.2f}' for c in two['worker_cpu_s'])} s, "
                    f"coordinator {two['coordinator_cpu_s']:.2f} s)"
                )
    print("\n".join(notes))
    print(f"load average at end {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

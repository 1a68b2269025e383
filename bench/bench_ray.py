"""Benchmark of the Ray backend: counts, CPU overhead over the local backend, memory per
worker, and a simulated scale-out.

Prints, per case: distinct states, BFS levels, wall seconds, and CPU seconds measured in
this run: the local backend's is this process's; the Ray backend's is the driver plus
every process of the Ray instance it started (GCS, raylet, workers: read from /proc),
so the overhead ratio charges Ray for all of its machinery. For the distributed runs
also the work per worker (states owned, successors generated, CPU) and the
communication: states and bytes sent between workers per distinct state, which is what
decides scaling on a real cluster (docs/distributed.md does the arithmetic).

    python bench/bench_ray.py                      # all three targets
    python bench/bench_ray.py --only overhead      # tla-paxos ballots 0..2, local vs Ray (2 workers)
    python bench/bench_ray.py --only multipaxos --depth 9,10   # 10 only if 9 took < 5 min
    python bench/bench_ray.py --only scaleout --workers 1,2,4,8
    python bench/bench_ray.py --only por --depth 8    # --por: one process, 2 local workers, Ray (2)

Ray is started once with as many logical CPUs as the largest worker count (more than the
machine has is fine: counts do not care; the wall time of an oversubscribed run does).
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from pathlib import Path
from typing import Any

from explorer.engine import SearchResult, SearchSettings, search
from explorer.engine.ray_backend.cluster import connected
from explorer.models import build_model
from explorer.models.config import CheckConfig

TICKS = os.sysconf("SC_CLK_TCK")


def _tree_cpu_s() -> float:
    """CPU seconds (user + system) of this process, its reaped children (the local
    backend's workers) and all its live descendants (Ray's processes)."""
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        cpu[pid] = (int(fields[11]) + int(fields[12])) / TICKS
    me = os.getpid()
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = kids.ru_utime + kids.ru_stime
    for pid in cpu:
        p = pid
        while p not in (0, 1) and p != me:
            p = parents.get(p, 0)
        if p == me:
            total += cpu[pid]
    return total


def _measure(model: Any, settings: SearchSettings) -> tuple[SearchResult, float, float]:
    wall, cpu = time.perf_counter(), _tree_cpu_s()
    result = search(model, settings)
    return result, time.perf_counter() - wall, _tree_cpu_s() - cpu


def _line(label: str, r: SearchResult, wall: float, cpu: float) -> None:
    print(
        f"{label:<28} {r.distinct_states:>10,} states {len(r.level_sizes):>3} levels "
        f"{wall:>8.1f} s wall {cpu:>8.1f} CPU-s  complete={r.complete}"
    )


def _workers(label: str, r: SearchResult) -> None:
    e = r.extra
    n = e["workers"]
    print(f"  {label}: work per worker (states owned / generated / CPU-s / peak MB):")
    for i in range(n):
        print(
            f"    worker {i}: {e['worker_states'][i]:>10,} / {e['worker_generated'][i]:>11,} / "
            f"{e['worker_cpu_s'][i]:>7.1f} / {e['worker_peak_memory_mb'][i]:>6.0f}"
        )
    per_state = e["sent_states"] / r.distinct_states if r.distinct_states else 0.0
    print(
        f"    sent between workers: {e['sent_states']:,} states ({per_state:.2f} per distinct state), "
        f"{e['sent_bytes']:,} bytes ({e['sent_bytes_per_distinct_state']:.0f} B per distinct state); "
        f"critical path {e['critical_path_cpu_s']:.1f} CPU-s"
    )


def overhead(ballots: int) -> None:
    print(f"== tla-paxos ballots 0..{ballots}: local (1 process) vs Ray (2 workers)")
    model = build_model(CheckConfig(model="tla-paxos", ballots=ballots))
    local, lw, lc = _measure(model, SearchSettings())
    _line("local, 1 process", local, lw, lc)
    local2, l2w, l2c = _measure(model, SearchSettings(workers=2))
    _line("local, 2 processes", local2, l2w, l2c)
    ray_r, rw, rc = _measure(model, SearchSettings(backend="ray", workers=2))
    _line("ray, 2 workers", ray_r, rw, rc)
    _workers("ray", ray_r)
    same = (ray_r.distinct_states, ray_r.level_sizes) == (local.distinct_states, local.level_sizes)
    print(f"  same counts and level sizes as one process: {same}")
    print(f"  Ray CPU over one process: {rc / lc:.2f}x; over 2 local processes: {rc / l2c:.2f}x")


def multipaxos(depths: list[int], workers: int, deeper_if_under_s: float) -> None:
    """The default world (--model multipaxos --nodes 3 --clients 2 --ops 1 --faults
    drop=1,crash=1) at each depth in turn; the next depth only if this one took less
    than ``deeper_if_under_s`` of wall time (each level costs about 3.4 times the last)."""
    model = build_model(CheckConfig())
    for depth in depths:
        print(f"== the default Multi-Paxos world, depth {depth}, Ray with {workers} workers")
        r, wall, cpu = _measure(model, SearchSettings(backend="ray", workers=workers, max_depth=depth))
        _line(f"ray, {workers} workers", r, wall, cpu)
        _workers("ray", r)
        if wall >= deeper_if_under_s:
            print(f"  {wall:.0f} s >= {deeper_if_under_s:.0f} s: no deeper depth in this run")
            break


def reduced(depth: int, workers: int) -> None:
    """The default world under --por at ``depth`` (free steps count as no step of the
    bound: a level in rounds over workers) in one process, over local workers and on Ray:
    the same states, level sizes, verdicts, completeness and counters?"""
    print(f"== the default Multi-Paxos world, depth {depth}, --por: one process, {workers} local workers, Ray")
    figures = []
    for label, settings in (
        ("local, 1 process", SearchSettings(max_depth=depth, collect=True, por=True)),
        (f"local, {workers} processes", SearchSettings(max_depth=depth, collect=True, por=True, workers=workers)),
        (f"ray, {workers} workers", SearchSettings(max_depth=depth, collect=True, por=True, backend="ray", workers=workers)),
    ):
        r, wall, cpu = _measure(build_model(CheckConfig()), settings)
        _line(label, r, wall, cpu)
        print(f"  levels {r.level_sizes}; por {r.extra['por']}; further rounds {r.extra.get('free_rounds', 0)}")
        if settings.backend == "ray":
            _workers("ray", r)
        verdicts = sorted(v.property_name for v in r.violations)
        figures.append((r.distinct_states, r.level_sizes, verdicts, r.complete, r.sometimes, r.extra["por"]))
    print(f"  same states, levels, verdicts, completeness and counters: {all(f == figures[0] for f in figures)}")


def scaleout(counts: list[int], ballots: int) -> None:
    print(f"== simulated scale-out, tla-paxos ballots 0..{ballots} (oversubscribed past the cores)")
    model = build_model(CheckConfig(model="tla-paxos", ballots=ballots))
    base: tuple[int, list[int]] | None = None
    for n in counts:
        r, wall, cpu = _measure(model, SearchSettings(backend="ray", workers=n))
        _line(f"ray, {n} workers", r, wall, cpu)
        _workers(f"{n} workers", r)
        base = base or (r.distinct_states, r.level_sizes)
        print(f"  same counts as with {counts[0]} worker(s): {(r.distinct_states, r.level_sizes) == base}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("overhead", "multipaxos", "scaleout", "por"))
    parser.add_argument("--ballots", type=int, default=2)
    parser.add_argument("--depth", default="9", help="multipaxos depths, e.g. 9 or 9,10 (default 9; por: the first)")
    parser.add_argument(
        "--deeper-if-under", type=float, default=300.0, metavar="S",
        help="run the next depth only if the last took less than S seconds (default 300)",
    )
    parser.add_argument("--workers", default="1,2,4,8", help="scale-out worker counts")
    parser.add_argument("--scaleout-ballots", type=int, default=2)
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    with connected(None, max(counts + [2])):
        if args.only in (None, "overhead"):
            overhead(args.ballots)
        if args.only in (None, "multipaxos"):
            multipaxos([int(d) for d in args.depth.split(",")], 2, args.deeper_if_under)
        if args.only in (None, "scaleout"):
            scaleout(counts, args.scaleout_ballots)
        if args.only == "por":
            reduced(int(args.depth.split(",")[0]), 2)
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

"""Benchmark of the visited set spilling to disk past ``--max-memory`` (issue 16).

A world where the visited set is most of the memory: the grid of counters
``(a, b, c)``, each 0..n, one action per counter (``(n+1)**3`` states of three small
ints; the frontier, one diagonal plane, stays small). Each case runs in a fresh process
and prints distinct states, levels, CPU and wall seconds, peak resident MB and what
went to disk; the level sizes (DFS: the states, successors and depth) of every case
must equal the in-memory one's.

    python bench/bench_visited_spill.py                   # n = 120 (1.77 million states), bound 30 MB
    python bench/bench_visited_spill.py --n 160 --max-memory 40
    python bench/bench_visited_spill.py --strategy dfs    # the DFS's seen map (seen_spill.py)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from typing import Any

from explorer.engine import SearchSettings, search
from explorer.engine.model import Model, Property

State = tuple[int, int, int]


class Grid(Model[State, int]):
    name = "grid"

    def __init__(self, n: int) -> None:
        self.n = n

    def init_states(self) -> Sequence[State]:
        return [(0, 0, 0)]

    def actions(self, state: State) -> Iterable[int]:
        return (0, 1, 2)

    def next_state(self, state: State, action: int) -> State | None:
        if state[action] >= self.n:
            return None
        return tuple(v + (i == action) for i, v in enumerate(state))  # type: ignore[return-value]

    def properties(self) -> Sequence[Property[State]]:
        return [Property.always("in the grid", lambda s: max(s) <= self.n)]


def _case(n: int, max_memory: int | None, strategy: str) -> dict[str, Any]:
    wall, cpu = time.perf_counter(), time.process_time()
    r = search(Grid(n), SearchSettings(strategy=strategy, max_memory_mb=max_memory))  # type: ignore[arg-type]
    return {
        "distinct": r.distinct_states,
        "level_sizes": r.level_sizes if strategy == "bfs" else [r.distinct_states, r.generated, r.levels],
        "verdict": r.verdict,
        "wall_s": time.perf_counter() - wall,
        "cpu_s": time.process_time() - cpu,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "spill": r.extra.get("spill"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=120)
    parser.add_argument("--max-memory", type=int, default=30, metavar="MB")
    parser.add_argument("--strategy", choices=("bfs", "dfs"), default="bfs")
    parser.add_argument("--case", choices=("memory", "spill"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(_case(args.n, args.max_memory if args.case == "spill" else None, args.strategy)))
        return
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"== the grid 0..{args.n} cubed, one process, {args.strategy}")
    base: list[int] | None = None
    for name in ("memory", "spill"):
        line = subprocess.run(
            [sys.executable, __file__, "--case", name, "--n", str(args.n), "--max-memory", str(args.max_memory),
             "--strategy", args.strategy],
            check=True, capture_output=True, text=True,
        ).stdout.strip().splitlines()[-1]
        r = json.loads(line)
        base = base or r["level_sizes"]
        label = f"spill (--max-memory {args.max_memory})" if name == "spill" else name
        extra = ""
        if r["spill"]:
            s = r["spill"]
            extra = (f"  to disk: {s['spilled_visited']:,} visited fingerprints, {s['spilled_states']:,} frontier states,"
                     f" {s['spilled_bytes'] / 2**20:.0f} MB")
        print(
            f"{label:<26} {r['distinct']:>10,} states {r['cpu_s']:>7.1f} CPU-s {r['wall_s']:>7.1f} s wall "
            f"peak {r['peak_mb']:>6.0f} MB  same {'level sizes' if args.strategy == 'bfs' else 'counts'}: "
            f"{r['level_sizes'] == base}{extra}"
        )
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

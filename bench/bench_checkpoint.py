"""Benchmark of checkpoints and of frontier spilling on the default Multi-Paxos world.

Each case runs in a fresh process (so its peak resident memory is its own) and prints:
distinct states, levels, wall and CPU seconds, peak resident MB, and what it wrote.

- ``memory``: the plain one-process BFS (the baseline);
- ``spill``: the same with ``--max-memory MB`` (the frontier and the visited set go to
  disk past it);
- ``checkpoint``: the same writing a checkpoint after every level: how many, the size
  of the last, the CPU seconds the writes took;
- ``resume``: continuing from the checkpoint the ``checkpoint`` case left (its last
  level-boundary one), to the end.

The counts of every case must equal the baseline's (printed: ``same counts``). With
``--workers N`` every case is the BFS over N local worker processes (no ``spill`` case:
there the bound stops the search), its CPU the coordinator's and the workers' together,
its peak the largest process's; ``resume`` then resumes with ``--resume-workers`` (N by
default: another number deals the records out again).

    python bench/bench_checkpoint.py                    # depth 7, spill bound 150 MB
    python bench/bench_checkpoint.py --depth 8 --max-memory 300
    python bench/bench_checkpoint.py --depth 8 --workers 2 --resume-workers 3
    python bench/bench_checkpoint.py --depth 8 --workers 2 --backend ray --resume-workers 1
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _cpu_s() -> float:
    """CPU seconds of this process and of its children that ended (the workers)."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def _case(name: str, depth: int, max_memory: int, directory: Path, workers: int = 1, backend: str = "local") -> dict[str, Any]:
    from explorer.cli.checkpoint_options import identity
    from explorer.engine import SearchSettings, search
    from explorer.engine.checkpoint import CheckpointPlan, read_checkpoint
    from explorer.models import build_model
    from explorer.models.config import CheckConfig

    config = CheckConfig()
    model = build_model(config)
    settings = SearchSettings(
        max_depth=depth, max_memory_mb=max_memory if name == "spill" else None, workers=workers,
        backend=backend,  # type: ignore[arg-type]
    )
    ident = identity(config, settings, model)
    plan = None
    if name == "checkpoint":
        plan = CheckpointPlan(directory, ident, every_s=None, every_levels=1)
    elif name == "resume":
        plan = CheckpointPlan(directory, ident, every_s=None, snapshot=read_checkpoint(directory, ident))
    wall, cpu = time.perf_counter(), _cpu_s()
    r = search(model, settings, checkpoint=plan)
    out: dict[str, Any] = {
        "case": name,
        "distinct": r.distinct_states,
        "level_sizes": r.level_sizes,
        "wall_s": time.perf_counter() - wall,
        # on Ray the actors are no children of this process: their CPU is what they report
        "cpu_s": _cpu_s() - cpu + sum(r.extra.get("worker_cpu_s", [])) * (backend == "ray"),
        "peak_mb": max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
        / 1024,
        "spill": r.extra.get("spill"),
    }
    if plan is not None:
        out["written"] = plan.written
        out["checkpoint_mb"] = plan.path.stat().st_size / 2**20 if plan.path.exists() else 0.0
        out["last_write_s"] = plan.last_write_s
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depth", type=int, default=7)
    parser.add_argument("--max-memory", type=int, default=150, metavar="MB")
    parser.add_argument("--workers", type=int, default=1, help="worker processes or Ray actors (default 1)")
    parser.add_argument("--backend", choices=("local", "ray"), default="local")
    parser.add_argument("--resume-workers", type=int, help="workers of the resume case (default --workers)")
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(_case(args.case, args.depth, args.max_memory, Path(args.dir), args.workers, args.backend)))
        return
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    where = "one process" if args.workers == 1 else f"{args.workers} worker processes"
    if args.backend == "ray":
        where = f"{args.workers} Ray workers (a local instance per case; CPU: the driver's and the actors' own)"
    print(f"== the default Multi-Paxos world, depth {args.depth}, {where}")
    base: list[int] | None = None
    alone = args.workers == 1 and args.backend == "local"
    names = ("memory", "spill", "checkpoint", "resume") if alone else ("memory", "checkpoint", "resume")
    with tempfile.TemporaryDirectory(prefix="synod-bench-ckpt-") as tmp:
        for name in names:
            workers = args.resume_workers if name == "resume" and args.resume_workers else args.workers
            line = subprocess.run(
                [sys.executable, __file__, "--case", name, "--depth", str(args.depth),
                 "--max-memory", str(args.max_memory), "--dir", tmp, "--workers", str(workers),
                 "--backend", args.backend],
                check=True, capture_output=True, text=True,
            ).stdout.strip().splitlines()[-1]
            r = json.loads(line)
            base = base or r["level_sizes"]
            extra = ""
            if r["spill"]:
                extra += (
                    f"  spilled {r['spill']['spilled_states']:,} frontier states and"
                    f" {r['spill'].get('spilled_visited', 0):,} visited fingerprints, {r['spill']['spilled_bytes'] / 2**20:.0f} MB"
                )
            if r.get("written"):
                extra += f"  {r['written']} checkpoints, last {r['checkpoint_mb']:.1f} MB in {r['last_write_s']:.2f} s"
            label = f"{name} (--max-memory {args.max_memory})" if name == "spill" else name
            if name == "resume" and workers != args.workers:
                label = f"resume ({workers} workers)"
            print(
                f"{label:<26} {r['distinct']:>9,} states {r['wall_s']:>7.1f} s wall {r['cpu_s']:>7.1f} CPU-s "
                f"peak {r['peak_mb']:>6.0f} MB  same counts: {r['level_sizes'] == base}{extra}"
            )
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

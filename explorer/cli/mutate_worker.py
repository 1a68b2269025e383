"""One mutant's check, in its own process: ``python -m explorer.cli.mutate_worker``.

The runner (explorer.mutants.mutate_run, which names this module without importing it) starts this module in a temporary directory
whose copy of the target package holds the mutated module, first on ``sys.path``, so
every import of the package (the model's, the explorer's) gets the mutant. It reads one
JSON job on stdin, runs the worlds in order until one is violated, and writes one JSON
line on stdout:

- ``{"status": "killed", "world", "property", "depth", "trace", "cpu_s"}``;
- ``{"status": "survived", "cpu_s", "states", "witnessed"}``: every world held (or its
  sample found nothing); ``witnessed`` names the ``sometimes`` properties seen per world;

A job may carry ``witnessed`` from the unmutated protocol's run (the baseline): a mutant
that leaves one of those unwitnessed in a world searched exhaustively is killed too (it
made, say, a value impossible to choose there), though no safety property fails.
- ``{"status": "broken", "error"}``: the mutated code raised (at import, build or search).
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from explorer.models.portfolio import (
    DEFAULT_PORTFOLIO,
    PortfolioWorld,
    load_portfolio,
    select_world,
)
from explorer.models.registry import build_model


def worlds_for(job: dict[str, Any]) -> tuple[PortfolioWorld, ...]:
    """The worlds a job names: a user's model alone, a portfolio, or the default one."""
    from explorer.models.config import CheckConfig

    if job.get("model"):
        config = CheckConfig(model=job["model"], variant=job.get("variant") or "correct")
        worlds: tuple[PortfolioWorld, ...] = (
            PortfolioWorld("model", f"{job['model']} at synod check's default bounds", config, max_states=1_000_000),
        )
    elif job.get("portfolio"):
        worlds = load_portfolio(job["portfolio"])
    else:
        worlds = DEFAULT_PORTFOLIO
    if job.get("world"):
        worlds = (select_world(worlds, job["world"]),)
    return worlds


def check(job: dict[str, Any]) -> dict[str, Any]:
    from explorer.models.portfolio_run import run_world
    from explorer.replay.trace import save_trace, trace_from_violation

    start = time.process_time()
    states = 0
    baseline: dict[str, list[str]] = job.get("witnessed") or {}
    witnessed: dict[str, list[str]] = {}
    for world in worlds_for(job):
        outcome = run_world(world, por=job.get("por"))
        states += outcome.result.distinct_states
        seen = sorted(name for name, hit in outcome.result.sometimes.items() if hit)
        witnessed[world.name] = seen
        lost = [name for name in baseline.get(world.name, ()) if name not in seen]
        if lost and not outcome.violations and outcome.result.complete:
            # the unmutated protocol witnesses it in this world, exhaustively searched:
            # the mutant made it impossible (a value can no longer be chosen, ...)
            return {
                "status": "killed", "world": world.name, "property": f"sometimes {lost[0]!r} never witnessed",
                "depth": None, "trace": None, "cpu_s": round(time.process_time() - start, 3), "states": states,
            }
        if outcome.violations:
            v = outcome.violations[0]
            trace_path: str | None = None
            if job.get("traces"):
                model = build_model(world.config)
                trace = trace_from_violation(model, world.config, outcome.settings, v)
                trace_path = str(save_trace(trace, Path(job["traces"])))
            return {
                "status": "killed", "world": world.name, "property": v.property_name,
                "depth": v.step, "trace": trace_path, "cpu_s": round(time.process_time() - start, 3),
                "states": states,
            }
    return {"status": "survived", "cpu_s": round(time.process_time() - start, 3), "states": states,
            "witnessed": witnessed}


def _cap_memory(memory_mb: int | None) -> None:
    """Cap this process's address space (the runner counts a MemoryError as timed out)."""
    if memory_mb:
        import resource

        limit = int(memory_mb) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def main() -> int:
    job = json.loads(sys.stdin.read())
    _cap_memory(job.get("memory_mb"))
    try:
        result = check(job)
    except Exception as exc:  # the mutant's code raised: broken, never a verdict
        frames = traceback.extract_tb(exc.__traceback__)
        where = next((f"{Path(f.filename).name}:{f.lineno}" for f in reversed(frames)), "?")
        result = {"status": "broken", "error": f"{type(exc).__name__}: {exc} (at {where})"}
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

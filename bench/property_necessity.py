"""Survey: which mutants escape when one safety property is switched off.

The catalogue shows that the properties catch every mutant; this shows that each
property earns its place. For every safety property of the Paxos models it re-runs the
mutant catalogue (each case at its own strategy and depth) with that one property
removed, and prints which mutants are then caught by another property, at what depth,
and which escape within the case's bounds. A property whose removal lets nothing escape
is redundant at these bounds (it may still report earlier or more clearly).

    python bench/property_necessity.py            # 2 processes
    python bench/property_necessity.py --jobs 1
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from explorer.engine.search import search  # noqa: E402
from explorer.models.paxos_properties import SAFETY_PROPERTIES, PaxosModel  # noqa: E402
from explorer.mutants import CATALOGUE, build  # noqa: E402


def run(job: tuple[str, str]) -> dict[str, Any]:
    removed, name = job
    (case,) = [c for c in CATALOGUE if c.name == name]
    model = build(case.config)
    assert isinstance(model, PaxosModel)
    model._properties = tuple(p for p in model._properties if p.name != removed)
    result = search(model, case.settings(case.strategy), None)
    v = result.violations[0] if result.violations else None
    return {
        "removed": removed,
        "mutant": name,
        "property": v.property_name if v else None,
        "depth": v.step if v else None,
        "bound": case.max_depth,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    jobs = [(prop, case.name) for prop in SAFETY_PROPERTIES for case in CATALOGUE]
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        rows = list(pool.map(run, jobs))
    for prop in SAFETY_PROPERTIES:
        mine = [r for r in rows if r["removed"] == prop]
        escaped = [r["mutant"] for r in mine if r["property"] is None]
        moved = [
            f"{r['mutant']} -> {r['property']} @{r['depth']}"
            for r in mine
            if r["property"] is not None and r["mutant"] in _caught_by(prop)
        ]
        print(f"without {prop!r}:")
        print(f"  escape within their bounds: {', '.join(escaped) or 'none'}")
        print(f"  caught by another property instead: {'; '.join(moved) or '-'}")
    print(f"{len(jobs)} searches, {time.perf_counter() - started:.1f} s")
    return 0


def _caught_by(prop: str) -> set[str]:
    return {case.name for case in CATALOGUE if case.expected_property == prop}


if __name__ == "__main__":
    sys.exit(main())

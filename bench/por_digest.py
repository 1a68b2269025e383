"""What reduced searches find, as JSON: to compare two versions of the engine (not a timing).

    python bench/por_digest.py [quick] > digest.json

Per search: distinct states, level sizes, generated successors, whether it completed and
why it stopped, the verdict, every violation with its path (action labels), the
``sometimes`` witnesses and the reduction's counters (``extra["por"]``). The searches:
the default world (``synod check``'s) at depth 7 and 8 with ``--por`` (BFS, and BFS
collecting every violation), over two workers at depth 6 and DFS at depth 6; every
catalogue mutant and both pairs with ``--por`` (and the correct protocol of each pair);
the random toy systems of tests/por_toys.py, exhausted by BFS and DFS; and one model
object searched reduced, then unreduced. ``quick`` leaves out depth 8 and the workers.

Two versions search the same space when their digests are equal (``diff``); run each
under two ``PYTHONHASHSEED`` values: nothing may depend on it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from explorer.engine.model import Model  # noqa: E402
from explorer.engine.results import SearchResult, SearchSettings  # noqa: E402
from explorer.engine.search import search  # noqa: E402
from explorer.models.config import CheckConfig  # noqa: E402
from explorer.models.paxos import build  # noqa: E402
from explorer.mutants import CATALOGUE, PAIRS  # noqa: E402
from explorer.mutants.catalogue import build as build_checked  # noqa: E402
from tests.por_toys import random_system  # noqa: E402

TOY_SEEDS = range(40)


def digest(model: Model[Any, Any], result: SearchResult) -> dict[str, Any]:
    return {
        "distinct": result.distinct_states,
        "levels": result.level_sizes,
        "generated": result.generated,
        "complete": result.complete,
        "stopped_by": result.stopped_by,
        "verdict": result.verdict,
        "violations": [
            [v.property_name, v.kind, v.init_index, [model.format_action(a) for a in v.actions]]
            for v in result.violations
        ],
        "sometimes": dict(sorted(result.sometimes.items())),
        "por": result.extra.get("por"),
    }


def run(model: Model[Any, Any], **settings: Any) -> dict[str, Any]:
    return digest(model, search(model, SearchSettings(**settings)))


def default_world(quick: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for depth in (7,) if quick else (7, 8):
        out[f"bfs-{depth}"] = run(build(CheckConfig()), max_depth=depth, por=True)
        out[f"bfs-{depth}-collect"] = run(build(CheckConfig()), max_depth=depth, por=True, collect=True)
    out["dfs-6"] = run(build(CheckConfig()), max_depth=6, por=True, strategy="dfs")
    if not quick:
        out["workers-2-depth-6"] = run(build(CheckConfig()), max_depth=6, por=True, workers=2)
    model = build(CheckConfig())
    out["same-model-reduced-6"] = run(model, max_depth=6, por=True)
    out["same-model-plain-6"] = run(model, max_depth=6)
    return out


def catalogue() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for case in CATALOGUE:
        model = build_checked(case.config)
        out[case.name] = digest(model, search(model, case.settings(por=True)))
    for pair in PAIRS:
        for variant in (pair.variant, *pair.variants):
            model = build_checked(pair.config_for(variant))
            out[f"pair {pair.variant}: {variant}"] = run(model, max_depth=pair.max_depth, por=True)
    return out


def toys() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for seed in TOY_SEEDS:
        for strategy in ("bfs", "dfs"):
            out[f"{seed}-{strategy}"] = run(random_system(seed), por=True, collect=True, strategy=strategy)
        out[f"{seed}-free"] = run(random_system(seed, free_sets=True), por=True, collect=True)
        out[f"{seed}-free-depth-4"] = run(random_system(seed, free_sets=True), por=True, collect=True, max_depth=4)
        out[f"{seed}-depth-4"] = run(random_system(seed), por=True, max_depth=4)
    return out


def main() -> None:
    quick = "quick" in sys.argv[1:]
    report = {"default": default_world(quick), "catalogue": catalogue(), "toys": toys()}
    json.dump(report, sys.stdout, indent=1, sort_keys=True)
    print()


if __name__ == "__main__":
    main()

"""`--por` against the unreduced search in alternating rounds: CPU seconds, medians, ratios.

    python bench/bench_por_rounds.py [--depths 8 9 10] [--rounds 3] [--tree PATH ...]
    valgrind --tool=callgrind --callgrind-out-file=/dev/null \
        python bench/bench_por_rounds.py --one DEPTH {0,1} [--tree PATH]

The default 3-node Multi-Paxos world (``synod check``'s configuration, docs/por.md) is
searched by BFS to each depth bound, unreduced and with ``--por``, each search in a fresh
interpreter (so no search inherits another's caches or heap), in rounds that alternate
the two (and the trees, with ``--tree``: an A/B of versions of the engine, e.g. a
checkout of main beside this tree; the unreduced search runs from the first tree only,
and every tree's reduced search is compared with it). The machine is shared and noisy:
what to compare is the per-round ratio and the medians over rounds, all measured in
this one run.

Each child prints its own ``time.process_time`` (CPU seconds of the search alone, model
building excluded), the distinct states, the generated successors and the reduction's
counters; this script prints every round and then per depth the medians and the median
of the per-round ratios (reduced CPU over the same round's unreduced CPU).

``--one DEPTH POR`` runs one such search in this process (the child itself), for an
instruction count that load does not move: callgrind's "Collected" total, less that of
``--one 0 0`` (the imports and the model).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from explorer.engine.results import SearchSettings
from explorer.engine.search import search
from explorer.models.config import CheckConfig
from explorer.models.paxos import build
depth, por = int(sys.argv[2]), sys.argv[3] == "1"
model = build(CheckConfig())
start = time.process_time()
result = search(model, SearchSettings(max_depth=depth, por=por))
cpu = time.process_time() - start
print(json.dumps({"cpu": cpu, "states": result.distinct_states, "generated": result.generated,
                  "por": result.extra.get("por")}))
"""


def run_one(tree: Path, depth: int, por: bool) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(tree), str(depth), "1" if por else "0"],
        check=True, capture_output=True, text=True,
    ).stdout
    found: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depths", type=int, nargs="+", default=[8, 9, 10])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tree", type=Path, action="append", help="a source tree (default: this one)")
    parser.add_argument("--one", type=int, nargs=2, metavar=("DEPTH", "POR"), help="one search, here")
    args = parser.parse_args()
    trees: list[Path] = [t.resolve() for t in (args.tree or [HERE])]
    if args.one is not None:
        sys.argv = ["-c", str(trees[0]), str(args.one[0]), str(args.one[1])]
        exec(compile(CHILD, "<child>", "exec"), {"__name__": "__child__"})
        return
    for depth in args.depths:
        plain: list[float] = []
        reduced: dict[Path, list[float]] = {tree: [] for tree in trees}
        states: dict[Path, object] = {}
        plain_states: object = None
        for r in range(args.rounds):
            # alternate what runs first, so no search always meets the same load
            order: list[Path | None] = [None, *trees] if r % 2 == 0 else [*trees, None]
            got: dict[Path | None, float] = {}
            for tree in order:
                found = run_one(tree or trees[0], depth, tree is not None)
                got[tree] = float(str(found["cpu"]))
                if tree is None:
                    plain.append(got[tree])
                    plain_states = found["states"]
                else:
                    reduced[tree].append(got[tree])
                    states[tree] = found["states"]
            print(
                f"depth {depth} round {r + 1}: unreduced {got[None]:6.2f}; "
                + "; ".join(f"{t.name} reduced {got[t]:6.2f} (x{got[t] / got[None]:.2f})" for t in trees),
                flush=True,
            )
        for tree in trees:
            ratios = [x / p for x, p in zip(reduced[tree], plain, strict=True)]
            print(
                f"== depth {depth} {tree.name}: states {plain_states:,} -> {states[tree]:,}; "
                f"median CPU-s unreduced {statistics.median(plain):.2f}, reduced {statistics.median(reduced[tree]):.2f}; "
                f"median ratio x{statistics.median(ratios):.2f} (rounds: {', '.join(f'x{x:.2f}' for x in ratios)})",
                flush=True,
            )

if __name__ == "__main__":
    main()

"""The correct protocol where the catalogue stops short: lowest-ballot-value's configuration
to the mutant's own depth.

``synod mutants`` (and CI) check the correct protocol at every mutant's configuration,
exhaustively to the case's depth, except for lowest-ballot-value, the DFS case: its
counterexample is 13 actions, and BFS to depth 13 of the correct protocol takes minutes,
so the catalogue goes to depth 10 (``CORRECT_DEPTH``). This runs the full depth and
prints what it found; exit 1 if the correct protocol fails or a ``sometimes`` property
is not witnessed.

    python bench/correct_deep.py              # depth 13 (about 2.5 minutes, ~500 MB)
    python bench/correct_deep.py --depth 11
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from explorer.engine.results import SearchSettings  # noqa: E402
from explorer.engine.search import search  # noqa: E402
from explorer.mutants import CATALOGUE, build  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    (case,) = [case for case in CATALOGUE if case.strategy != "bfs"]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depth", type=int, default=case.max_depth)
    args = parser.parse_args(argv)
    result = search(build(case.correct_config()), SearchSettings(max_depth=args.depth), None)
    unwitnessed = [name for name, seen in result.sometimes.items() if not seen]
    print(f"correct protocol at {case.name}'s configuration, BFS to depth {args.depth}:")
    print(f"  verdict {result.verdict}, complete {result.complete}, "
          f"{result.distinct_states:,} distinct states, {result.generated:,} generated, "
          f"{result.elapsed_s:.1f} s")
    print(f"  level sizes {result.level_sizes}")
    print(f"  sometimes not witnessed: {', '.join(unwitnessed) or '-'}")
    ok = result.verdict == "holds" and result.complete and not unwitnessed
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

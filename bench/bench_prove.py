"""Timings for ``synod prove`` (figures, not assertions).

    python bench/bench_prove.py            # everything, a few minutes (two 60 s+ cases)
    python bench/bench_prove.py --quick    # skip the slow encodings comparison
    python bench/bench_prove.py --bmc-depth 6   # shallower bounded checks

Prints: quorum checks (n=50 sizes, n=1000 majority, weights by z3 vs subset-sum, grid,
explicit sets), the cardinality-constraint encoding the solver module avoids, and the time
of every Paxos / Multi-Paxos query, and bounded model checks by depth.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import z3

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from checker.prove.bmc import bounded_check  # noqa: E402
from checker.prove.paxos import prove  # noqa: E402
from checker.prove.protocol import VARIANTS  # noqa: E402
from checker.prove.quorums import (  # noqa: E402
    ExplicitQuorums,
    GridQuorums,
    QuorumSystem,
    SizeQuorums,
    WeightedQuorums,
    check_intersection,
)


def timed_quorum(
    label: str, system: QuorumSystem, method: str = "auto", timeout_s: float | None = None
) -> None:
    result = check_intersection(system, method=method, timeout_s=timeout_s)  # type: ignore[arg-type]
    print(f"  {label:<58} {result.verdict:<9} {result.method:<12} {result.elapsed * 1000:9.1f} ms")


def cardinality_default_solver(n: int, q1: int, q2: int, timeout_s: float) -> str:
    """The encoding we do not use: Bool membership, AtLeast constraints, default solver."""
    start = time.perf_counter()
    solver = z3.Solver()
    solver.set("timeout", int(timeout_s * 1000))
    a = [z3.Bool(f"a{i}") for i in range(n)]
    b = [z3.Bool(f"b{i}") for i in range(n)]
    solver.add([z3.Not(z3.And(x, y)) for x, y in zip(a, b, strict=True)])
    solver.add(z3.AtLeast(*a, q1), z3.AtLeast(*b, q2))
    answer = solver.check()
    return f"{answer} in {(time.perf_counter() - start) * 1000:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--bmc-depth", type=int, default=8, help="deepest bounded check")
    args = parser.parse_args()

    print("quorum intersection (check_intersection, wall time incl. encoding)")
    timed_quorum("sizes n=50 q1=26 q2=25", SizeQuorums(50, 26, 25))
    timed_quorum("sizes n=50 q1=25 q2=25", SizeQuorums(50, 25, 25))
    timed_quorum("majority n=1000", SizeQuorums(1000, 501, 501))
    timed_quorum("sizes n=1000 q1=500 q2=500", SizeQuorums(1000, 500, 500))
    timed_quorum("grid 30x30 (column/row)", GridQuorums(30, 30))
    timed_quorum("grid 30x30 (row/row)", GridQuorums(30, 30, "row", "row"))
    ring = tuple(frozenset({i, (i + 1) % 40, (i + 2) % 40}) for i in range(40))
    timed_quorum("40 listed 3-node windows on a ring of 40", ExplicitQuorums(40, ring, ring))
    for n, w_max in ((50, 10), (200, 100), (1000, 1000)):
        weights = tuple((i * 7919) % w_max + 1 for i in range(n))
        total = sum(weights)
        for t1, t2 in ((total // 2 + 1, total // 2), (total // 2, total // 2)):
            system = WeightedQuorums(weights, t1, t2)
            for method in ("z3", "subset-sum", "auto"):
                timed_quorum(f"weights n={n} W={total} t1={t1} t2={t2}", system, method)
    # weights too large for bitsets: counting bound, greedy, or z3 with a time limit
    for n, w_max in ((2000, 1_000_000), (40, 1_000_000_000)):
        weights = tuple((i * 2654435761) % w_max + 1 for i in range(n))
        total = sum(weights)
        for t1, t2 in (
            (total // 2 + 1, total // 2),
            (total // 2, total // 3),
            (total // 2, total // 2),
        ):
            timed_quorum(
                f"weights n={n} W={total} t1={t1} t2={t2}",
                WeightedQuorums(weights, t1, t2),
                timeout_s=60.0,
            )

    if not args.quick:
        print("\nthe encoding not used: Bool + AtLeast in z3's default solver (10 s limit)")
        for n in (11, 15, 21, 31):
            majority = n // 2 + 1
            print(f"  majority n={n}: {cardinality_default_solver(n, majority, majority, 10.0)}")

    print("\ninductive invariant queries (each: axioms ∧ Inv ∧ action ∧ ¬conjunct')")
    for multi in (False, True):
        for variant in VARIANTS:
            result = prove(multi=multi, variant=variant, timeout_s=60)
            slowest = max(result.queries, key=lambda q: q.elapsed)
            print(
                f"  {result.protocol:<10} {variant:<24} {result.status:<8} "
                f"{len(result.queries)} queries, total {result.elapsed:.2f} s, slowest "
                f"{slowest.elapsed * 1000:.0f} ms ({slowest.action}/{slowest.conjunct})"
            )
            if variant == "correct":
                for q in result.queries:
                    print(f"      {q.action:<10} {q.conjunct:<24} {q.elapsed * 1000:7.1f} ms")

    print("\nbounded model checking, unbounded universes (per-depth solver time, 120 s limit)")
    for multi, variant in ((False, "correct"), (False, "repropose-in-round"), (True, "correct")):
        bmc = bounded_check(multi=multi, variant=variant, depth=args.bmc_depth, timeout_s=120)
        depths = ", ".join(f"{d}:{a} {t:.2f}s" for d, a, t in bmc.per_depth)
        print(f"  {bmc.protocol:<10} {variant:<20} {bmc.status:<14} {depths}")


if __name__ == "__main__":
    main()

"""Quorum systems and the z3 check that every phase-1 quorum meets every phase-2 quorum.

Paxos is safe only if any quorum that can promise (phase 1) shares a node with any quorum
that can accept (phase 2). Flexible Paxos relaxes majorities to exactly this condition.
A bounded model check can only try the sizes it runs; the question here is answered for
the configuration as given, whatever n is, by asking a solver for two *disjoint* quorums:
unsat means every pair intersects, sat gives the witness pair.

Encoding (why it is fast): one pair of 0/1 integer variables per node, ``a_i`` (node i
in the phase-1 quorum) and ``b_i`` (in the phase-2 quorum), with ``a_i + b_i <= 1`` for
disjointness, and each quorum condition as a linear sum.  In z3's QF_LIA solver the
simplex core refutes the majority case from the sum of the disjointness rows alone, so
n = 1000 is answered in a fraction of a second, where pseudo-Boolean cardinality
constraints in the default solver blow up at about twenty nodes.

Every system is *superset-closed*: a superset of a quorum is a quorum. So checking the
minimal quorums is enough, and a witness is shrunk to minimal quorums before it is shown.

The cheap test the explorer needs for size-based quorums is
:func:`quorum_sizes_intersect` (``q1 + q2 > n``); no solver is involved.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import z3

Phase = Literal[1, 2]
Verdict = Literal["intersect", "disjoint", "unknown"]

__all__ = [
    "ExplicitQuorums",
    "GridQuorums",
    "QuorumError",
    "QuorumResult",
    "QuorumSystem",
    "SizeQuorums",
    "WeightedQuorums",
    "brute_force_intersection",
    "check_intersection",
    "quorum_sizes_intersect",
    "size_quorum_problem",
]


class QuorumError(ValueError):
    """A quorum configuration that does not describe a usable system (bad input)."""


def quorum_sizes_intersect(n: int, q1: int, q2: int) -> bool:
    """Whether every q1-subset of n nodes meets every q2-subset: exactly when q1 + q2 > n.

    Pure and solver-free, for the explorer's configuration check. Two disjoint sets of
    sizes q1 and q2 fit in n nodes iff q1 + q2 <= n.
    """
    return q1 + q2 > n


def size_quorum_problem(n: int, q1: int, q2: int) -> str | None:
    """One line saying why a size configuration is unsafe, or None when it is fine.

    For the explorer's refusal (exit 2) of configurations whose quorums need not meet.
    """
    if not 1 <= q1 <= n or not 1 <= q2 <= n:
        return f"quorum sizes must be between 1 and the {n} nodes (got q1={q1}, q2={q2})"
    if quorum_sizes_intersect(n, q1, q2):
        return None
    return (
        f"phase-1 quorums of {q1} and phase-2 quorums of {q2} need not intersect among "
        f"{n} nodes ({q1} + {q2} <= {n}), e.g. {{0..{q1 - 1}}} and {{{q1}..{q1 + q2 - 1}}}"
    )


# ---------------------------------------------------------------------------------------
# Quorum systems. Each knows its node count, decides membership of a concrete set (used to
# shrink witnesses and by brute force in tests), and states "this 0/1 vector is a quorum"
# as a z3 constraint over Int variables already bounded to {0, 1}.
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SizeQuorums:
    """Any q1 nodes form a phase-1 quorum, any q2 nodes a phase-2 quorum."""

    n: int
    q1: int
    q2: int
    kind: str = field(default="sizes", init=False)

    def __post_init__(self) -> None:
        if self.n < 1:
            raise QuorumError(f"need at least one node, got n={self.n}")
        for name, q in (("q1", self.q1), ("q2", self.q2)):
            if not 1 <= q <= self.n:
                raise QuorumError(f"{name}={q} must be between 1 and n={self.n}")

    def is_quorum(self, phase: Phase, members: frozenset[int]) -> bool:
        return len(members) >= (self.q1 if phase == 1 else self.q2)

    def z3_quorum(self, phase: Phase, xs: Sequence[z3.ArithRef]) -> z3.BoolRef:
        return z3.Sum(list(xs)) >= (self.q1 if phase == 1 else self.q2)

    def describe(self) -> str:
        return f"{self.n} nodes, phase-1 quorums of {self.q1}, phase-2 quorums of {self.q2}"


@dataclass(frozen=True)
class ExplicitQuorums:
    """Listed quorums per phase (and every superset of a listed one)."""

    n: int
    phase1: tuple[frozenset[int], ...]
    phase2: tuple[frozenset[int], ...]
    kind: str = field(default="sets", init=False)

    def __post_init__(self) -> None:
        if self.n < 1:
            raise QuorumError(f"need at least one node, got n={self.n}")
        for name, sets in (("phase-1", self.phase1), ("phase-2", self.phase2)):
            if not sets:
                raise QuorumError(f"no {name} quorums given")
            for s in sets:
                if not s:
                    raise QuorumError(f"an empty {name} quorum is not allowed")
                bad = sorted(x for x in s if not 0 <= x < self.n)
                if bad:
                    raise QuorumError(f"{name} quorum names node {bad[0]}, outside 0..{self.n - 1}")

    def _sets(self, phase: Phase) -> tuple[frozenset[int], ...]:
        return self.phase1 if phase == 1 else self.phase2

    def is_quorum(self, phase: Phase, members: frozenset[int]) -> bool:
        return any(s <= members for s in self._sets(phase))

    def z3_quorum(self, phase: Phase, xs: Sequence[z3.ArithRef]) -> z3.BoolRef:
        return z3.Or([z3.And([xs[i] == 1 for i in sorted(s)]) for s in self._sets(phase)])

    def describe(self) -> str:
        return (
            f"{self.n} nodes, {len(self.phase1)} phase-1 and {len(self.phase2)} phase-2 "
            "listed quorums"
        )


@dataclass(frozen=True)
class WeightedQuorums:
    """A set is a phase-k quorum when its total weight reaches threshold k."""

    weights: tuple[int, ...]
    threshold1: int
    threshold2: int
    kind: str = field(default="weights", init=False)

    def __post_init__(self) -> None:
        if not self.weights:
            raise QuorumError("no weights given")
        if any(w < 0 for w in self.weights):
            raise QuorumError("weights must be non-negative integers")
        total = sum(self.weights)
        for name, t in (("threshold1", self.threshold1), ("threshold2", self.threshold2)):
            if t < 1:
                raise QuorumError(f"{name}={t} must be at least 1 (else the empty set is a quorum)")
            if t > total:
                raise QuorumError(f"{name}={t} exceeds the total weight {total}: no quorum exists")

    @property
    def n(self) -> int:
        return len(self.weights)

    def is_quorum(self, phase: Phase, members: frozenset[int]) -> bool:
        t = self.threshold1 if phase == 1 else self.threshold2
        return sum(self.weights[i] for i in members) >= t

    def z3_quorum(self, phase: Phase, xs: Sequence[z3.ArithRef]) -> z3.BoolRef:
        t = self.threshold1 if phase == 1 else self.threshold2
        return z3.Sum([w * x for w, x in zip(self.weights, xs, strict=True)]) >= t

    def describe(self) -> str:
        return (
            f"{self.n} nodes, total weight {sum(self.weights)}, thresholds "
            f"{self.threshold1} (phase 1) and {self.threshold2} (phase 2)"
        )


GridLine = Literal["row", "column"]


@dataclass(frozen=True)
class GridQuorums:
    """Flexible Paxos grid: node r*cols + c sits at row r, column c.

    By default a phase-1 quorum is any full column and a phase-2 quorum any full row, so
    the frequent phase 2 needs only ``cols`` nodes and every row crosses every column.
    Choosing the same line kind for both phases is the classic mistake (two rows are
    disjoint), which the check then exhibits.
    """

    rows: int
    cols: int
    phase1_line: GridLine = "column"
    phase2_line: GridLine = "row"
    kind: str = field(default="grid", init=False)

    def __post_init__(self) -> None:
        if self.rows < 1 or self.cols < 1:
            raise QuorumError(f"grid {self.rows}x{self.cols} needs at least one row and column")
        for line in (self.phase1_line, self.phase2_line):
            if line not in ("row", "column"):
                raise QuorumError(f"grid quorum line must be 'row' or 'column', not {line!r}")

    @property
    def n(self) -> int:
        return self.rows * self.cols

    def lines(self, phase: Phase) -> list[frozenset[int]]:
        line = self.phase1_line if phase == 1 else self.phase2_line
        if line == "row":
            return [
                frozenset(r * self.cols + c for c in range(self.cols)) for r in range(self.rows)
            ]
        return [frozenset(r * self.cols + c for r in range(self.rows)) for c in range(self.cols)]

    def is_quorum(self, phase: Phase, members: frozenset[int]) -> bool:
        return any(line <= members for line in self.lines(phase))

    def z3_quorum(self, phase: Phase, xs: Sequence[z3.ArithRef]) -> z3.BoolRef:
        return z3.Or([z3.And([xs[i] == 1 for i in sorted(line)]) for line in self.lines(phase)])

    def describe(self) -> str:
        return (
            f"{self.rows}x{self.cols} grid, phase-1 quorum = any full {self.phase1_line}, "
            f"phase-2 quorum = any full {self.phase2_line}"
        )


QuorumSystem = SizeQuorums | ExplicitQuorums | WeightedQuorums | GridQuorums


@dataclass(frozen=True)
class QuorumResult:
    """The answer: ``intersects`` is True only when proved (never on a timeout)."""

    verdict: Verdict
    witness: tuple[tuple[int, ...], tuple[int, ...]] | None
    method: str
    elapsed: float
    description: str

    @property
    def intersects(self) -> bool:
        return self.verdict == "intersect"

    def to_json(self) -> dict[str, object]:
        return {
            "verdict": self.verdict,
            "intersects": self.intersects,
            "witness": None
            if self.witness is None
            else {"phase1": list(self.witness[0]), "phase2": list(self.witness[1])},
            "method": self.method,
            "elapsed_s": round(self.elapsed, 6),
            "system": self.description,
        }


def _shrink(system: QuorumSystem, phase: Phase, members: frozenset[int]) -> tuple[int, ...]:
    """Drop nodes while the set stays a quorum, so the witness shows minimal quorums."""
    if isinstance(system, WeightedQuorums):  # linear: track the weight instead of re-summing
        threshold = system.threshold1 if phase == 1 else system.threshold2
        kept = sorted(members)
        total = sum(system.weights[i] for i in kept)
        for node in sorted(members, reverse=True):
            if total - system.weights[node] >= threshold:
                kept.remove(node)
                total -= system.weights[node]
        return tuple(kept)
    if isinstance(system, SizeQuorums):
        return tuple(sorted(members)[: system.q1 if phase == 1 else system.q2])
    current = set(members)
    for node in sorted(members, reverse=True):
        smaller = frozenset(current - {node})
        if system.is_quorum(phase, smaller):
            current.discard(node)
    return tuple(sorted(current))


# z3 gets two variables per node: at 10,000 nodes it answers (or says unknown) within
# its time limit; building 10^30 variables, which --nodes 1e30 asked for, never ends
# (found by bench/fuzz_cli.py). Grids (auto) and counting bounds need no variables.
MAX_Z3_NODES = 10_000


def _check_with_z3(
    system: QuorumSystem, timeout_ms: int | None
) -> tuple[Verdict, tuple[frozenset[int], frozenset[int]] | None]:
    n = system.n
    if n > MAX_Z3_NODES:
        raise QuorumError(f"{n:,} nodes: z3 is asked about at most {MAX_Z3_NODES:,} (two variables a node)")
    solver = z3.SolverFor("QF_LIA")
    if timeout_ms is not None:
        solver.set("timeout", int(timeout_ms))
    a = [z3.Int(f"p1_{i}") for i in range(n)]
    b = [z3.Int(f"p2_{i}") for i in range(n)]
    for ai, bi in zip(a, b, strict=True):
        solver.add(ai >= 0, bi >= 0, ai + bi <= 1)
    solver.add(system.z3_quorum(1, a), system.z3_quorum(2, b))
    answer = solver.check()
    if answer == z3.unsat:
        return "intersect", None
    if answer == z3.unknown:
        return "unknown", None
    model = solver.model()

    def chosen(xs: list[z3.ArithRef]) -> frozenset[int]:
        return frozenset(
            i for i, x in enumerate(xs) if model.eval(x, model_completion=True).as_long() == 1
        )

    return "disjoint", (chosen(a), chosen(b))


def _check_weights_by_subset_sum(
    system: WeightedQuorums,
) -> tuple[Verdict, tuple[frozenset[int], frozenset[int]] | None]:
    """Two disjoint weighted quorums exist iff some subset A has t1 <= w(A) <= W - t2.

    (Given such an A, its complement weighs at least t2; weights are non-negative, so the
    complement is the best partner.) Reachable subset sums are a bitset held in a Python
    int, one shift-or per node; the per-node bitsets are kept to rebuild A.
    """
    total = sum(system.weights)
    low, high = system.threshold1, total - system.threshold2
    if low > high:
        return "intersect", None
    reach = [1]  # reach[k]: sums reachable with the first k nodes (bit s set = sum s)
    for w in system.weights:
        reach.append(reach[-1] | (reach[-1] << w))
    window = ((1 << (high - low + 1)) - 1) << low
    hits = reach[-1] & window
    if hits == 0:
        return "intersect", None
    target = (hits & -hits).bit_length() - 1  # smallest reachable sum in the window
    chosen: set[int] = set()
    for k in range(system.n, 0, -1):  # walk back: was node k-1 needed to reach target?
        if not (reach[k - 1] >> target) & 1:
            chosen.add(k - 1)
            target -= system.weights[k - 1]
    phase1 = frozenset(chosen)
    return "disjoint", (phase1, frozenset(range(system.n)) - phase1)


# The bitset subset-sum keeps one W-bit integer per node to rebuild the witness, so it is
# used while n * W bits stay small (<= 125 MB); bench_prove.py shows it beating z3 by one
# to two orders of magnitude wherever it fits. Beyond that z3 decides, with a greedy pass
# first because z3 is slow on very large coefficients.
SUBSET_SUM_MAX_BITS = 1_000_000_000


def _weights_greedy(system: WeightedQuorums) -> tuple[frozenset[int], frozenset[int]] | None:
    """Heaviest-first packing of A below W - t2; a witness if it reaches t1 (else None)."""
    high = sum(system.weights) - system.threshold2
    chosen: list[int] = []
    total = 0
    for i in sorted(range(system.n), key=lambda k: (-system.weights[k], k)):
        if total + system.weights[i] <= high:
            chosen.append(i)
            total += system.weights[i]
    if total < system.threshold1:
        return None
    phase1 = frozenset(chosen)
    return phase1, frozenset(range(system.n)) - phase1


def check_intersection(
    system: QuorumSystem,
    *,
    timeout_s: float | None = None,
    method: Literal["auto", "z3", "subset-sum"] = "auto",
) -> QuorumResult:
    """Decide whether every phase-1 quorum of ``system`` meets every phase-2 quorum.

    Returns the verdict and, when they do not, one pair of disjoint (minimal) quorums.
    ``method`` picks the decision procedure for weights ("auto": counting bound, then
    subset-sum where it fits, else greedy then z3); other systems always use z3.
    """
    start = time.perf_counter()
    if method == "subset-sum" and not isinstance(system, WeightedQuorums):
        raise QuorumError("subset-sum applies to weighted quorums only")
    timeout_ms = None if timeout_s is None else max(1, int(timeout_s * 1000))
    verdict: Verdict
    pair: tuple[frozenset[int], frozenset[int]] | None = None
    used = "z3-qf-lia"
    if isinstance(system, WeightedQuorums) and method != "z3":
        total = sum(system.weights)
        greedy = None
        if method == "auto" and system.threshold1 + system.threshold2 > total:
            # two disjoint sets weigh at most W together: nothing to search
            verdict, used = "intersect", "weight-count"
        elif method == "subset-sum" or system.n * total <= SUBSET_SUM_MAX_BITS:
            verdict, pair = _check_weights_by_subset_sum(system)
            used = "subset-sum"
        elif (greedy := _weights_greedy(system)) is not None:
            verdict, pair, used = "disjoint", greedy, "greedy"
        else:
            verdict, pair = _check_with_z3(system, timeout_ms)
    elif isinstance(system, GridQuorums) and method == "auto":
        verdict, pair = _check_grid_lines(system)
        used = "grid-lines"
    else:
        verdict, pair = _check_with_z3(system, timeout_ms)
    witness = None
    if pair is not None and used == "grid-lines":
        witness = (tuple(sorted(pair[0])), tuple(sorted(pair[1])))  # lines are minimal
    elif pair is not None:
        witness = (_shrink(system, 1, pair[0]), _shrink(system, 2, pair[1]))
    return QuorumResult(
        verdict=verdict,
        witness=witness,
        method=used,
        elapsed=time.perf_counter() - start,
        description=system.describe(),
    )


def _check_grid_lines(
    system: GridQuorums,
) -> tuple[Verdict, tuple[frozenset[int], frozenset[int]] | None]:
    """A grid's minimal quorums are its full lines, so compare lines, not subsets.

    A row and a column always share one node; two different lines of the same kind
    share none. So the phases intersect iff they use different kinds of line, or the
    same kind with only one line of it. O(rows + cols), where z3 took a minute at 100x100.
    """
    if system.phase1_line != system.phase2_line:
        return "intersect", None
    lines = system.lines(1)
    if len(lines) == 1:
        return "intersect", None
    return "disjoint", (lines[0], lines[1])


def brute_force_intersection(system: QuorumSystem) -> bool:
    """Reference answer by enumerating every pair of subsets (tests only; exponential in n)."""
    n = system.n
    subsets = [frozenset(i for i in range(n) if mask >> i & 1) for mask in range(1 << n)]
    q1 = [s for s in subsets if system.is_quorum(1, s)]
    q2 = [s for s in subsets if system.is_quorum(2, s)]
    return all(a & b for a in q1 for b in q2)

"""Quorum intersection: the solver's answers against brute-force enumeration.

The reference here is written from the raw configuration (sizes, listed sets, weights,
grid lines), independently of the systems' own ``is_quorum``, so a bug there shows too.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checker.prove.quorums import (
    ExplicitQuorums,
    GridQuorums,
    QuorumError,
    QuorumSystem,
    SizeQuorums,
    WeightedQuorums,
    brute_force_intersection,
    check_intersection,
    quorum_sizes_intersect,
    size_quorum_problem,
)

SETTINGS = settings(max_examples=60, deadline=None)

Member = Callable[[int, frozenset[int]], bool]  # (phase, set) -> is it a quorum


def subsets(n: int) -> list[frozenset[int]]:
    return [frozenset(i for i in range(n) if mask >> i & 1) for mask in range(1 << n)]


def reference_intersects(n: int, is_quorum: Member) -> bool:
    all_sets = subsets(n)
    q1 = [s for s in all_sets if is_quorum(1, s)]
    q2 = [s for s in all_sets if is_quorum(2, s)]
    return all(a & b for a in q1 for b in q2)


def assert_agrees(system: QuorumSystem, is_quorum: Member, **kwargs: object) -> None:
    expected = reference_intersects(system.n, is_quorum)
    result = check_intersection(system, **kwargs)  # type: ignore[arg-type]
    assert result.verdict in ("intersect", "disjoint")
    assert result.intersects == expected
    assert brute_force_intersection(system) == expected
    if expected:
        assert result.witness is None
        return
    assert result.witness is not None
    q1, q2 = (frozenset(x) for x in result.witness)
    assert is_quorum(1, q1) and is_quorum(2, q2)
    assert not q1 & q2
    # shrunk: dropping any node stops it being a quorum
    assert all(not is_quorum(1, q1 - {x}) for x in q1)
    assert all(not is_quorum(2, q2 - {x}) for x in q2)


@SETTINGS
@given(
    st.integers(1, 9).flatmap(lambda n: st.tuples(st.just(n), st.integers(1, n), st.integers(1, n)))
)
def test_sizes_agree_with_enumeration(case: tuple[int, int, int]) -> None:
    n, q1, q2 = case
    assert quorum_sizes_intersect(n, q1, q2) == reference_intersects(
        n, lambda phase, s: len(s) >= (q1 if phase == 1 else q2)
    )
    assert_agrees(SizeQuorums(n, q1, q2), lambda phase, s: len(s) >= (q1 if phase == 1 else q2))


@st.composite
def explicit_systems(draw: st.DrawFn) -> tuple[int, list[frozenset[int]], list[frozenset[int]]]:
    n = draw(st.integers(1, 7))
    nonempty = st.frozensets(st.integers(0, n - 1), min_size=1)
    return (
        n,
        draw(st.lists(nonempty, min_size=1, max_size=5)),
        draw(st.lists(nonempty, min_size=1, max_size=5)),
    )


@SETTINGS
@given(explicit_systems())
def test_explicit_sets_agree_with_enumeration(
    case: tuple[int, list[frozenset[int]], list[frozenset[int]]],
) -> None:
    n, sets1, sets2 = case

    def is_quorum(phase: int, s: frozenset[int]) -> bool:
        return any(listed.issubset(s) for listed in (sets1 if phase == 1 else sets2))

    assert_agrees(ExplicitQuorums(n, tuple(sets1), tuple(sets2)), is_quorum)


@st.composite
def weighted_systems(draw: st.DrawFn) -> tuple[list[int], int, int]:
    weights = draw(st.lists(st.integers(0, 6), min_size=1, max_size=8))
    total = sum(weights)
    if total == 0:
        weights[0] = 1
        total = 1
    return weights, draw(st.integers(1, total)), draw(st.integers(1, total))


@SETTINGS
@given(weighted_systems(), st.sampled_from(["z3", "subset-sum", "auto"]))
def test_weights_agree_with_enumeration(case: tuple[list[int], int, int], method: str) -> None:
    weights, t1, t2 = case

    def is_quorum(phase: int, s: frozenset[int]) -> bool:
        return sum(weights[i] for i in s) >= (t1 if phase == 1 else t2)

    assert_agrees(WeightedQuorums(tuple(weights), t1, t2), is_quorum, method=method)


@SETTINGS
@given(
    st.integers(1, 3),
    st.integers(1, 3),
    st.sampled_from(["row", "column"]),
    st.sampled_from(["row", "column"]),
)
def test_grid_agrees_with_enumeration(rows: int, cols: int, line1: str, line2: str) -> None:
    def lines(kind: str) -> list[frozenset[int]]:
        if kind == "row":
            return [frozenset(r * cols + c for c in range(cols)) for r in range(rows)]
        return [frozenset(r * cols + c for r in range(rows)) for c in range(cols)]

    def is_quorum(phase: int, s: frozenset[int]) -> bool:
        return any(line.issubset(s) for line in lines(line1 if phase == 1 else line2))

    system = GridQuorums(rows, cols, line1, line2)  # type: ignore[arg-type]
    assert_agrees(system, is_quorum)


def test_row_column_grid_always_intersects_and_rows_rows_do_not() -> None:
    assert check_intersection(GridQuorums(5, 7)).intersects
    result = check_intersection(GridQuorums(5, 7, "row", "row"))
    assert result.verdict == "disjoint" and result.witness is not None
    assert len(result.witness[0]) == 7 and len(result.witness[1]) == 7


def test_large_size_systems() -> None:
    assert check_intersection(SizeQuorums(50, 26, 25)).intersects
    assert not check_intersection(SizeQuorums(50, 25, 25)).intersects
    assert check_intersection(SizeQuorums(1000, 501, 501)).intersects
    result = check_intersection(SizeQuorums(1000, 300, 700))
    assert result.verdict == "disjoint" and result.witness is not None
    q1, q2 = result.witness
    assert len(q1) == 300 and len(q2) == 700 and not set(q1) & set(q2)


def test_weight_methods_agree_on_a_larger_system() -> None:
    weights = tuple((i * 7919) % 13 + 1 for i in range(40))
    total = sum(weights)
    # t1 + t2 > total forces intersection; the other two have disjoint pairs (weights 1..13)
    for t1, t2, expected in (
        (total // 2 + 1, total // 2, True),
        (total // 2, total // 2, False),
        (total - 20, 4, False),
    ):
        system = WeightedQuorums(weights, t1, t2)
        a = check_intersection(system, method="z3")
        b = check_intersection(system, method="subset-sum")
        assert a.intersects == b.intersects == expected
        assert a.method == "z3-qf-lia" and b.method == "subset-sum"


@pytest.mark.parametrize(
    "make",
    [
        lambda: SizeQuorums(0, 1, 1),
        lambda: SizeQuorums(3, 0, 2),
        lambda: SizeQuorums(3, 2, 4),
        lambda: ExplicitQuorums(3, (frozenset({0, 3}),), (frozenset({1}),)),
        lambda: ExplicitQuorums(3, (), (frozenset({1}),)),
        lambda: ExplicitQuorums(3, (frozenset(),), (frozenset({1}),)),
        lambda: WeightedQuorums((1, -1, 2), 1, 1),
        lambda: WeightedQuorums((1, 1), 3, 1),
        lambda: WeightedQuorums((1, 1), 0, 1),
        lambda: GridQuorums(0, 3),
    ],
)
def test_bad_configurations_are_rejected(make: Callable[[], QuorumSystem]) -> None:
    with pytest.raises(QuorumError):
        make()


def test_subset_sum_is_refused_for_other_systems() -> None:
    with pytest.raises(QuorumError):
        check_intersection(SizeQuorums(3, 2, 2), method="subset-sum")


def test_auto_weights_use_counting_greedy_and_subset_sum() -> None:
    small = WeightedQuorums((3, 1, 4, 1, 5), 8, 7)  # 8 + 7 > 14: counting settles it
    assert check_intersection(small).method == "weight-count"
    assert check_intersection(small).intersects
    assert check_intersection(WeightedQuorums((3, 1, 4, 1, 5), 7, 7)).method == "subset-sum"
    heavy = tuple((i * 7919) % 10_000_000 + 1 for i in range(300))  # n * W too big for bitsets
    total = sum(heavy)
    result = check_intersection(WeightedQuorums(heavy, total // 2, total // 3))
    assert result.method == "greedy" and result.verdict == "disjoint"
    assert result.witness is not None
    q1, q2 = (set(q) for q in result.witness)
    assert not q1 & q2
    assert sum(heavy[i] for i in q1) >= total // 2 and sum(heavy[i] for i in q2) >= total // 3


def test_size_quorum_problem_is_one_line_or_none() -> None:
    assert size_quorum_problem(5, 3, 3) is None
    assert size_quorum_problem(5, 4, 2) is None
    message = size_quorum_problem(4, 2, 2)
    assert message is not None and "\n" not in message and "{0..1} and {2..3}" in message
    assert size_quorum_problem(3, 0, 3) is not None
    assert size_quorum_problem(3, 2, 4) is not None


@pytest.mark.parametrize(
    ("rows", "cols", "line1", "line2", "expected"),
    [
        (3, 4, "column", "row", True),
        (3, 4, "row", "column", True),
        (3, 4, "row", "row", False),
        (1, 4, "row", "row", True),
        (3, 1, "column", "column", True),
        (2, 3, "column", "column", False),
    ],
)
def test_grid_by_lines_agrees_with_z3_and_enumeration(
    rows: int, cols: int, line1: str, line2: str, expected: bool
) -> None:
    grid = GridQuorums(rows, cols, line1, line2)  # type: ignore[arg-type]
    fast = check_intersection(grid)
    assert fast.method == "grid-lines"
    assert fast.intersects is expected
    assert check_intersection(grid, method="z3").intersects is expected
    assert brute_force_intersection(grid) is expected
    if not expected:
        assert fast.witness is not None
        q1, q2 = (frozenset(q) for q in fast.witness)
        assert grid.is_quorum(1, q1) and grid.is_quorum(2, q2) and not q1 & q2


def test_large_grid_is_decided_without_a_solver() -> None:
    assert check_intersection(GridQuorums(300, 300)).intersects

"""Inductive invariants of abstract Paxos / Multi-Paxos: proofs, broken variants, EPR."""

from __future__ import annotations

import pytest
import z3

from checker.prove import bmc, paxos
from checker.prove.epr import find_cycle, quantifier_alternation_edges
from checker.prove.paxos import (
    ProofResult,
    prove,
    render_cti,
    render_result,
    verification_conditions,
)
from checker.prove.protocol import VARIANTS, build_protocol

# variant -> (action, conjunct) that must be among the refuted queries
EXPECTED_BREAK = {
    "missing-choosable": ("decide", "agreement"),
    "missing-one-b-left": ("propose", "choosable"),
    "propose-ignoring-votes": ("propose", "choosable"),
    "vote-after-leaving": ("cast_vote", "choosable"),
    "repropose-in-round": ("propose", "one_proposal_per_round"),
    "no-quorum-axiom": ("propose", "choosable"),
}

_cache: dict[tuple[bool, str], ProofResult] = {}


def proof(multi: bool, variant: str) -> ProofResult:
    key = (multi, variant)
    if key not in _cache:
        _cache[key] = prove(multi=multi, variant=variant, timeout_s=60)
    return _cache[key]


def test_every_broken_variant_has_an_expectation() -> None:
    assert set(VARIANTS) == {"correct", *EXPECTED_BREAK}


@pytest.mark.parametrize("multi", [False, True], ids=["paxos", "multipaxos"])
def test_correct_protocol_is_proved(multi: bool) -> None:
    result = proof(multi, "correct")
    assert result.status == "proved"
    assert all(q.status == "proved" for q in result.queries)
    names = {q.conjunct for q in result.queries}
    assert {"agreement", "choosable", "votes_are_proposed", "one_proposal_per_round"} <= names
    actions = {q.action for q in result.queries}
    assert actions == {"init", "send_1a", "join_round", "propose", "cast_vote", "decide"}
    # one initiation query per conjunct plus one per (action, conjunct)
    assert len(result.queries) == len(names) * 6
    assert "PROVED" in render_result(result)


@pytest.mark.parametrize("multi", [False, True], ids=["paxos", "multipaxos"])
@pytest.mark.parametrize("variant", sorted(EXPECTED_BREAK))
def test_broken_variant_is_refuted_with_a_readable_cti(multi: bool, variant: str) -> None:
    result = proof(multi, variant)
    assert result.status == "refuted"
    broken = {(q.action, q.conjunct) for q in result.failures}
    assert EXPECTED_BREAK[variant] in broken
    for failure in result.failures:
        cti = failure.cti
        assert cti is not None
        text = render_cti(cti)
        assert f"action '{cti.action}'" in text and f"conjunct '{cti.conjunct}'" in text
        assert "sort sizes:" in text and "pre-state" in text and "post-state" in text
        assert "conjunct false at:" in text
        assert set(cti.sort_sizes) == (
            {"node", "quorum", "round", "value"} | ({"inst"} if multi else set())
        )
        assert all(size >= 1 for size in cti.sort_sizes.values())
        assert cti.violated_at, "the violated instance of the conjunct is named"
        # the action really added what its parameters say
        if cti.action == "propose":
            point = (*([cti.params["i"]] if multi else []), cti.params["r"], cti.params["v"])
            assert point in cti.post["proposal"]
        if cti.action == "cast_vote":
            n, r, v = cti.params["n"], cti.params["r"], cti.params["v"]
            point = (n, *([cti.params["i"]] if multi else []), r, v)
            assert point in cti.post["vote"] and point not in cti.pre["vote"]
        # names used in the relations are the listed elements
        elements = {e for names in cti.elements.values() for e in names}
        for tuples in [*cti.pre.values(), *cti.post.values()]:
            for t in tuples:
                assert set(t) <= elements


def test_cti_shows_the_choosable_violation_of_ignoring_votes() -> None:
    cti = proof(False, "propose-ignoring-votes").failures[0].cti
    assert cti is not None
    at = cti.violated_at
    # the broken instance: a proposal in R2 while another value V1 is choosable in R1 < R2
    rounds = cti.elements["round"]
    assert rounds.index(at["R1"]) < rounds.index(at["R2"])
    assert (at["R2"], at["V2"]) in cti.post["proposal"]
    assert at["V1"] != at["V2"]
    members = cti.quorums[at["Q"]]
    # no member of Q has left R1 without voting V1 there
    assert not [
        n
        for n in members
        if (n, at["R1"]) in cti.pre["left_rnd"] and (n, at["R1"], at["V1"]) not in cti.pre["vote"]
    ]


def test_missing_quorum_axiom_cti_has_non_intersecting_quorums() -> None:
    result = proof(False, "no-quorum-axiom")
    for failure in result.failures:
        cti = failure.cti
        assert cti is not None
        quorums = [set(m) for m in cti.quorums.values()]
        assert any(not (a & b) for a in quorums for b in quorums)


@pytest.mark.parametrize("multi", [False, True], ids=["paxos", "multipaxos"])
@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_query_is_in_stratified_epr(multi: bool, variant: str) -> None:
    protocol = build_protocol(multi=multi, variant=variant)
    for _action, _conjunct, formulas in verification_conditions(protocol):
        edges = quantifier_alternation_edges(formulas)
        assert find_cycle(edges) is None, edges
        assert all(a in protocol.sorts and b in protocol.sorts for a, b in edges)


def test_alternation_graph_sees_both_directions_and_functions() -> None:
    a, b = z3.DeclareSort("A"), z3.DeclareSort("B")
    x, y = z3.Const("x", a), z3.Const("y", b)
    r = z3.Function("r", a, b, z3.BoolSort())
    forall_exists = z3.ForAll([x], z3.Exists([y], r(x, y)))
    assert quantifier_alternation_edges([forall_exists]) == {("A", "B")}
    # ¬∀y∃x is ∃y∀x: no edge; but ∀y ¬∀x (= ∀y ∃x) is B → A
    exists_forall = z3.Not(z3.ForAll([y], z3.Exists([x], r(x, y))))
    assert quantifier_alternation_edges([exists_forall]) == set()
    back = z3.ForAll([y], z3.Not(z3.ForAll([x], r(x, y))))
    edges = quantifier_alternation_edges([forall_exists, back])
    assert edges == {("A", "B"), ("B", "A")}
    assert find_cycle(edges) is not None
    f = z3.Function("f", a, a)
    assert find_cycle(quantifier_alternation_edges([z3.ForAll([x], f(x) == x)])) == ["A", "A"]


def test_timeouts_are_unknown_never_proved(monkeypatch: pytest.MonkeyPatch) -> None:
    class GivesUp(z3.Solver):
        def check(self, *assumptions: z3.ExprRef) -> z3.CheckSatResult:
            return z3.unknown

    monkeypatch.setattr(paxos.z3, "Solver", GivesUp)
    result = prove(variant="correct", timeout_s=1)
    assert result.status == "unknown"
    assert all(q.status == "unknown" for q in result.queries)


def test_unknown_variant_is_rejected() -> None:
    with pytest.raises(ValueError):
        build_protocol(variant="no-such-variant")


@pytest.mark.parametrize("multi", [False, True], ids=["paxos", "multipaxos"])
def test_bounded_check_of_correct_protocol_finds_nothing(multi: bool) -> None:
    result = bmc.bounded_check(multi=multi, variant="correct", depth=4, timeout_s=60)
    assert result.status == "safe-to-depth" and result.depth == 4
    assert [d for d, _, _ in result.per_depth] == [0, 1, 2, 3, 4]
    assert all(answer == "unsat" for _, answer, _ in result.per_depth)


def test_bounded_check_finds_decisions_by_an_empty_quorum_without_the_axiom() -> None:
    result = bmc.bounded_check(variant="no-quorum-axiom", depth=4, timeout_s=60)
    assert result.status == "violated"
    assert [action for action, _ in result.steps] == ["decide", "decide"]
    first, second = (params for _, params in result.steps)
    assert first["v"] != second["v"]
    # both decisions rest on quorums that share no node (here: an empty quorum)
    q1, q2 = set(result.quorums[first["q"]]), set(result.quorums[second["q"]])
    assert not q1 & q2
    assert "VIOLATED" in bmc.render_bmc(result)

"""The safety properties of checker.invariants on hand-built views: each holds and fails."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from checker.invariants import (
    Command,
    Reply,
    Vote,
    agreement_problems,
    chosen_values,
    decided_prefix,
    decided_values,
    kv_step,
    log_consistency_problems,
    promise_problems,
    reply_problems,
    sequential_replies,
    slot_order_problems,
    stability_problems,
    unchosen_learned_problems,
    validity_problems,
)

B1 = (1, 0)
B2 = (2, 1)


def test_chosen_needs_a_quorum_of_votes_in_one_ballot() -> None:
    votes = [Vote(0, 0, B1, "a"), Vote(1, 0, B2, "a"), Vote(2, 0, B2, "b")]
    # "a" has two votes, but in different ballots: not chosen by a majority of 3.
    assert chosen_values(votes, quorum=2) == {}
    votes.append(Vote(0, 0, B2, "a"))
    assert chosen_values(votes, quorum=2) == {0: {"a"}}


def test_repeated_votes_of_one_acceptor_count_once() -> None:
    votes = [Vote(0, 0, B1, "a"), Vote(0, 0, B1, "a")]
    assert chosen_values(votes, quorum=2) == {}


def test_agreement_holds_for_one_value_per_slot() -> None:
    votes = [Vote(0, 0, B1, "a"), Vote(1, 0, B1, "a"), Vote(1, 0, B2, "a"), Vote(2, 0, B2, "a")]
    assert agreement_problems(votes, 2, {0: {0: "a"}, 1: {}}) == []


def test_agreement_fails_on_two_quorums_for_different_values() -> None:
    votes = [Vote(0, 0, B1, "a"), Vote(1, 0, B1, "a"), Vote(1, 0, B2, "b"), Vote(2, 0, B2, "b")]
    problems = agreement_problems(votes, 2)
    assert len(problems) == 1 and "slot 0" in problems[0]
    assert "'a'" in problems[0] and "'b'" in problems[0]


def test_agreement_fails_when_a_replica_learns_an_unchosen_value() -> None:
    votes = [Vote(0, 3, B1, "a"), Vote(1, 3, B1, "a")]
    problems = agreement_problems(votes, 2, {2: {3: "b"}})
    assert problems and "learned by node 2" in problems[0]


def test_agreement_fails_when_replicas_learn_different_values() -> None:
    # No quorum at all (a learner counting one acknowledgement): still a split decision.
    problems = agreement_problems([], 2, {0: {0: "a"}, 1: {0: "b"}})
    assert len(problems) == 1


def test_learned_values_must_have_been_chosen() -> None:
    # Two votes for "a", but in two ballots: learning "a" on them is learning too early,
    # though nothing else was chosen (agreement holds).
    votes = [Vote(0, 0, B1, "a"), Vote(1, 0, B2, "a")]
    learned = {0: {0: "a"}, 1: {}}
    assert agreement_problems(votes, 2, learned) == []
    problems = unchosen_learned_problems(votes, 2, learned)
    assert problems == ["slot 0: node 0 learned 'a', but no ballot holds 2 votes for it"]
    votes.append(Vote(1, 0, B1, "a"))
    assert unchosen_learned_problems(votes, 2, learned) == []
    # a chosen value in one slot says nothing about another
    assert len(unchosen_learned_problems(votes, 2, {2: {0: "a", 1: "a"}})) == 1


def test_validity() -> None:
    decided = decided_values([Vote(0, 0, B1, "x"), Vote(1, 0, B1, "x")], 2, {2: {1: None}})
    assert validity_problems(decided, proposed={"x"}, noop=None) == []
    problems = validity_problems({0: {"y"}}, proposed={"x"}, noop=None)
    assert problems == ["slot 0: decided value 'y' was never proposed"]


def test_stability_allows_growth_and_catches_change_and_loss() -> None:
    assert stability_problems({0: {0: "a"}}, {0: {0: "a", 1: "b"}}) == []
    changed = stability_problems({0: {0: "a"}}, {0: {0: "b"}})
    assert changed and "changed" in changed[0]
    forgot = stability_problems({0: {0: "a"}}, {0: {}})
    assert forgot and "forgot" in forgot[0]
    # A crash may wipe volatile learned values, but never change them.
    assert stability_problems({0: {0: "a"}}, {0: {}}, may_forget={0}) == []
    assert stability_problems({0: {0: "a"}}, {0: {0: "c"}}, may_forget={0})


def test_promise_monotonicity() -> None:
    assert promise_problems({0: None, 1: B1}, {0: B1, 1: B2}) == []
    assert promise_problems({0: B2}, {0: B2}) == []
    problems = promise_problems({0: B2}, {0: None})
    assert problems and "node 0" in problems[0]
    assert promise_problems({0: B2}, {0: B1})


def test_log_consistency() -> None:
    assert log_consistency_problems({0: ["a", "b"], 1: ["a"], 2: []}) == []
    problems = log_consistency_problems({0: ["a", "b"], 1: ["a", "c"]})
    assert problems and "position 1" in problems[0]


def test_log_consistency_against_the_decided_log_catches_a_lone_replica() -> None:
    # One replica applied slot 1's value first: no other log to compare with.
    assert log_consistency_problems({0: ["b"]}) == []
    problems = log_consistency_problems({0: ["b"]}, decided={0: "a", 1: "b"})
    assert problems and "position 0" in problems[0]


def test_decided_prefix_stops_at_the_first_hole_or_split() -> None:
    assert decided_prefix({0: {"a"}, 1: {"b"}, 3: {"d"}}) == ["a", "b"]
    assert decided_prefix({0: {"a"}, 1: {"b", "c"}}) == ["a"]
    assert decided_prefix({}) == []


def test_kv_step_semantics() -> None:
    state: tuple = ()
    state, r = kv_step(state, ("get", "x"))
    assert r is None
    state, r = kv_step(state, ("put", "x", 1))
    assert r == "ok"
    state, r = kv_step(state, ("cas", "x", 2, 3))
    assert r is False
    state, r = kv_step(state, ("cas", "x", 1, 3))
    assert r is True
    assert kv_step(state, ("get", "x"))[1] == 3


def test_sequential_replies_apply_a_retried_command_once() -> None:
    cas = Command(5, 1, ("cas", "x", None, 1))
    log = [cas, None, cas, Command(6, 1, ("get", "x"))]
    assert sequential_replies(log, kv_step, (), noop=None) == {(5, 1): True, (6, 1): 1}


def test_sequential_replies_skip_a_stale_copy_of_an_older_request() -> None:
    log = [Command(5, 1, ("put", "x", 1)), Command(5, 2, ("put", "x", 2)), Command(5, 1, ("put", "x", 1))]
    replies = sequential_replies(log + [Command(6, 1, ("get", "x"))], kv_step, ())
    assert replies[(6, 1)] == 2


def test_slot_order() -> None:
    assert slot_order_problems({0: [0, 1, 2], 1: []}) == []
    problems = slot_order_problems({0: [0, 1], 1: [1, 0]})
    assert problems == ["node 1 applied slot 1 as its entry number 0 (slots must be applied in order)"]


def test_reply_problems() -> None:
    log = [Command(3, 1, ("put", "x", 1)), Command(4, 1, ("get", "x"))]
    assert reply_problems(log, [Reply(3, 1, "ok"), Reply(4, 1, 1)], kv_step, ()) == []
    problems = reply_problems(log, [Reply(4, 1, None)], kv_step, ())
    assert problems and "client 4 request 1" in problems[0]
    # A reply for a request that never reached the log is left to linearizability.
    assert reply_problems(log, [Reply(4, 2, 7)], kv_step, ()) == []


values = st.sampled_from(["a", "b", "c"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 1), st.integers(0, 2), values)))
def test_one_value_per_ballot_and_slot_never_breaks_agreement_alone(
    raw: list[tuple[int, int, int, str]],
) -> None:
    # Whatever the votes, if each (slot, ballot) carries a single value and every slot's
    # values agree across ballots, agreement holds; the checker must not cry wolf.
    per_slot: dict[int, str] = {}
    votes = []
    for acceptor, slot, ballot, value in raw:
        value = per_slot.setdefault(slot, value)
        votes.append(Vote(acceptor, slot, ballot, value))
    assert agreement_problems(votes, 2) == []


@settings(max_examples=200, deadline=None)
@given(st.lists(values, max_size=6), st.lists(values, max_size=6))
def test_log_consistency_is_the_prefix_relation(a: list[str], b: list[str]) -> None:
    prefix = a[: len(b)] == b or b[: len(a)] == a
    assert (log_consistency_problems({0: a, 1: b}) == []) == prefix

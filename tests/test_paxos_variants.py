"""Each seeded mistake really changes behaviour: one hand-written sequence per variant,
run under "correct" and under the variant, with the difference asserted."""

from __future__ import annotations

from typing import Any

import pytest

from paxos_core import (
    BOTTOM,
    MULTI_ONLY_VARIANTS,
    VARIANTS,
    Accept,
    Accepted,
    BasicPaxosReplica,
    ClusterConfig,
    Command,
    Decide,
    MultiPaxosReplica,
    Nack,
    Prepare,
    Promise,
    Reply,
    Request,
    Send,
    VariantFlags,
    applied_log,
    is_leader,
    kv,
    learned,
    promised_ballot,
    variant_parts,
)

OP = ("propose", "mine")


def sends(outputs: Any) -> list[tuple[int, Any]]:
    return [(o.dst, o.msg) for o in outputs if isinstance(o, Send)]


def basic(variant: str, nodes: int = 3) -> BasicPaxosReplica:
    return BasicPaxosReplica(ClusterConfig(nodes=nodes, variant=variant))


def multi(variant: str, nodes: int = 3) -> MultiPaxosReplica:
    return MultiPaxosReplica(ClusterConfig(nodes=nodes, variant=variant))


def test_catalogue_has_the_fifteen_mistakes_with_descriptions() -> None:
    assert len(VARIANTS) == 16 and next(iter(VARIANTS)) == "correct"
    assert all(len(d) > 20 for d in VARIANTS.values())
    assert VariantFlags.for_variant("correct") == VariantFlags()
    for name in VARIANTS:
        flags = VariantFlags.for_variant(name)
        assert sum(getattr(flags, f) for f in flags.__slots__) == (name != "correct")
    assert set(MULTI_ONLY_VARIANTS) < set(VARIANTS)


def test_mistakes_combine_with_plus() -> None:
    flags = VariantFlags.for_variant("count-stale-accepted+phase2-off-by-one")
    assert flags == VariantFlags(count_stale_accepted=True, phase2_off_by_one=True)
    assert variant_parts("correct") == () and variant_parts("quorum-one") == ("quorum-one",)
    for bad, message in (
        ("quorum-one+quorum-one", "twice"),
        ("quorum-one+correct", "unknown variant 'correct'"),
        ("quorum-one+", "unknown variant ''"),
        ("typo", "unknown variant 'typo'"),
    ):
        with pytest.raises(ValueError, match=message):
            VariantFlags.for_variant(bad)
    # both halves act: a 3-node cluster decides on one Accepted (n//2) and the
    # combination's quorums are the off-by-one's
    both = ClusterConfig(nodes=3, variant="phase2-off-by-one+ignore-promise-values")
    assert both.q2 == 1 and both.flags.ignore_promise_values


def proposing(node: BasicPaxosReplica, me: int = 0) -> Any:
    s, _ = node.on_start(me)
    s, out = node.on_message(me, s, 9, Request(9, 1, OP))
    return s, out


def test_quorum_one_decides_alone() -> None:
    s, _ = proposing(basic("correct"))
    assert learned(s) == ()
    s, out = proposing(basic("quorum-one"))
    assert learned(s) == ((0, Command(9, 1, OP)),)  # no other acceptor heard of it


def test_phase2_off_by_one_decides_on_a_minority() -> None:
    for variant, expect_learned in (("correct", False), ("phase2-off-by-one", True)):
        node = basic(variant, nodes=5)
        s, _ = proposing(node)
        s, _ = node.on_message(0, s, 1, Promise((1, 0), ()))
        s, _ = node.on_message(0, s, 2, Promise((1, 0), ()))
        s, _ = node.on_message(0, s, 1, Accepted((1, 0), 0, Command(9, 1, OP)))
        assert (learned(s) != ()) is expect_learned  # 2 of 5 Accepted


def test_ignore_promise_values_proposes_its_own() -> None:
    reported = ((0, (0, 2), "theirs"),)
    for variant, value in (("correct", "theirs"), ("ignore-promise-values", Command(9, 1, OP))):
        node = basic(variant)
        s, _ = proposing(node)
        s, out = node.on_message(0, s, 1, Promise((1, 0), reported))
        assert sends(out)[0] == (1, Accept((1, 0), 0, value))
    # Multi-Paxos: the new leader drops the reported value and reuses its slot
    put = Command(9, 1, ("put", "x", 1))
    for variant, on_election, slot in (("correct", ["theirs"], 1), ("ignore-promise-values", [], 0)):
        m = multi(variant)
        s, _ = m.on_start(0)
        s, _ = m.on_timer(0, s, "election")
        s, out = m.on_message(0, s, 1, Promise((1, 0), reported))
        assert [msg.value for d, msg in sends(out) if d == 1] == on_election
        s, out = m.on_message(0, s, 9, Request(*put))
        assert sends(out)[0] == (1, Accept((1, 0), slot, put))


def test_lowest_ballot_value_adopts_the_older_value() -> None:
    for variant, value in (("correct", "new"), ("lowest-ballot-value", "old")):
        node = basic(variant, nodes=5)
        s, _ = proposing(node)
        s, _ = node.on_message(0, s, 1, Promise((1, 0), ((0, (0, 3), "old"),)))
        s, out = node.on_message(0, s, 2, Promise((1, 0), ((0, (0, 4), "new"),)))
        assert sends(out)[0] == (1, Accept((1, 0), 0, value))
        m = multi(variant, nodes=5)
        t, _ = m.on_start(0)
        t, _ = m.on_timer(0, t, "election")
        t, _ = m.on_message(0, t, 1, Promise((1, 0), ((0, (0, 3), "old"),)))
        t, out = m.on_message(0, t, 2, Promise((1, 0), ((0, (0, 4), "new"),)))
        assert sends(out)[0] == (1, Accept((1, 0), 0, value))


def test_accept_ignores_promise() -> None:
    for variant, accepted in (("correct", False), ("accept-ignores-promise", True)):
        for node in (basic(variant), multi(variant)):
            s, _ = node.on_start(2)
            s, _ = node.on_message(2, s, 1, Prepare((5, 1), 0))
            s, out = node.on_message(2, s, 0, Accept((1, 0), 0, "late"))
            assert isinstance(sends(out)[0][1], Accepted) is accepted
            assert promised_ballot(s) == (5, 1)


def test_nonunique_ballots_let_two_proposers_share_a_ballot() -> None:
    correct, mutant = basic("correct"), basic("nonunique-ballots")
    _, out = proposing(correct, me=2)
    assert sends(out)[0][1] == Prepare((1, 2), 0)
    _, out = proposing(mutant, me=2)
    assert sends(out)[0][1] == Prepare((1, 0), 0)  # same ballot as replica 0's first
    for node, promised_twice in ((correct, False), (mutant, True)):
        s, _ = node.on_start(1)
        s, _ = node.on_message(1, s, 0, Prepare((1, 0), 0))
        s, out = node.on_message(1, s, 2, Prepare((1, 0), 0))  # >= lets it through
        assert isinstance(sends(out)[0][1], Promise) is promised_twice


def test_forget_promise_on_restart() -> None:
    for variant, kept in (("correct", True), ("forget-promise-on-restart", False)):
        for node in (basic(variant), multi(variant)):
            s, _ = node.on_start(1)
            s, _ = node.on_message(1, s, 0, Prepare((3, 0), 0))
            s, _ = node.on_restart(1, node.on_crash(1, s))
            assert (promised_ballot(s) == (3, 0)) is kept
            assert kept or promised_ballot(s) == BOTTOM
            s, out = node.on_message(1, s, 2, Accept((1, 2), 0, "old"))
            assert isinstance(sends(out)[0][1], Accepted) is not kept


def test_forget_learned_on_restart() -> None:
    for variant, kept in (("correct", True), ("forget-learned-on-restart", False)):
        node = BasicPaxosReplica(ClusterConfig(nodes=3, variant=variant, phase1_quorum=3, phase2_quorum=1))
        s, _ = node.on_start(0)
        s, _ = node.on_message(0, s, 9, Request(9, 1, OP))
        s, _ = node.on_message(0, s, 1, Promise((1, 0), ()))
        s, _ = node.on_message(0, s, 2, Promise((1, 0), ()))  # phase 2 on its own vote
        assert learned(s) == ((0, Command(9, 1, OP)),)
        s, _ = node.on_restart(0, node.on_crash(0, s))
        assert (learned(s) != ()) is kept
        m = MultiPaxosReplica(
            ClusterConfig(nodes=3, variant=variant, initial_leader=0, phase1_quorum=3, phase2_quorum=1)
        )
        t, _ = m.on_start(0)  # the initial leader
        t, _ = m.on_message(0, t, 9, Request(9, 1, ("put", "x", 1)))
        assert learned(t) == ((0, Command(9, 1, ("put", "x", 1))),)
        t, _ = m.on_restart(0, m.on_crash(0, t))
        assert (learned(t) != ()) is kept
        assert promised_ballot(t) == (1, 0)  # only the log is forgotten


def test_forward_as_own_renames_the_client() -> None:
    put = ("put", "x", 1)
    for variant, client in (("correct", 9), ("forward-as-own", 1)):
        m = MultiPaxosReplica(ClusterConfig(nodes=3, variant=variant, initial_leader=0))
        s, _ = m.on_start(1)  # a follower of leader 0
        s, out = m.on_message(1, s, 9, Request(9, 1, put))
        assert sends(out) == [(0, Request(client, 1, put))]


def test_count_stale_accepted_counts_an_old_ballots_reply() -> None:
    for variant, learns in (("correct", False), ("count-stale-accepted", True)):
        node = basic(variant)
        s, _ = proposing(node)  # ballot (1, 0)
        s, _ = node.on_message(0, s, 1, Prepare((2, 1), 0))  # preempted
        s, _ = node.on_timer(0, s, "retry")  # ballot (3, 0)
        s, _ = node.on_message(0, s, 2, Promise((3, 0), ()))
        s, _ = node.on_message(0, s, 1, Accepted((1, 0), 0, Command(9, 1, OP)))  # stale
        assert (learned(s) != ()) is learns
    for variant, decides in (("correct", False), ("count-stale-accepted", True)):
        m = multi(variant)
        t, _ = m.on_start(0)
        t, _ = m.on_timer(0, t, "election")
        t, _ = m.on_message(0, t, 1, Promise((1, 0), ()))
        t, _ = m.on_message(0, t, 1, Nack((1, 0), (2, 1)))
        t, _ = m.on_timer(0, t, "election")  # (3, 0)
        t, _ = m.on_message(0, t, 2, Promise((3, 0), ()))
        t, _ = m.on_message(0, t, 9, Request(9, 1, ("put", "x", 1)))
        t, _ = m.on_message(0, t, 1, Accepted((1, 0), 0, Command(9, 1, ("put", "x", 1))))
        assert (learned(t) != ()) is decides


def run_count_stale_scenario(variant: str) -> dict[int, Any]:
    """Five replicas; returns their states after a fixed delivery schedule."""
    node = basic(variant, nodes=5)
    st = {r: node.on_start(r)[0] for r in range(5)}
    a, c, d = (Command(9, 1, ("propose", "a")), Command(10, 1, ("propose", "c")),
               Command(11, 1, ("propose", "d")))

    def to(r: int, src: int, msg: Any) -> list[tuple[int, Any]]:
        st[r], out = node.on_message(r, st[r], src, msg)
        return sends(out)

    def timer(r: int) -> None:
        st[r], _ = node.on_timer(r, st[r], "retry")

    to(0, 9, Request(*a))  # 0 runs (1, 0)
    to(0, 1, to(1, 0, Prepare((1, 0), 0))[0][1])
    to(0, 2, to(2, 0, Prepare((1, 0), 0))[0][1])  # 0 accepts "a" itself, sends Accept
    stale = to(1, 0, Accept((1, 0), 0, a))[0][1]  # 1 votes "a"; reply held back
    to(2, 10, Request(*c))  # 2 runs (2, 2) with 3 and 4, votes "c" itself
    to(2, 3, to(3, 2, Prepare((2, 2), 0))[0][1])
    to(2, 4, to(4, 2, Prepare((2, 2), 0))[0][1])
    to(0, 2, Accept((2, 2), 0, c))  # 0 votes "c" in (2, 2): preempted
    timer(0)  # 0 runs (3, 0) with 3 and 4: the highest value it knows is "c"
    to(0, 3, to(3, 0, Prepare((3, 0), 0))[0][1])
    accept = to(0, 4, to(4, 0, Prepare((3, 0), 0))[0][1])[0][1]
    assert accept == Accept((3, 0), 0, c)
    to(0, 1, stale)  # the reply to ballot (1, 0) arrives
    to(0, 2, to(2, 0, accept)[0][1])  # 2 votes "c" in (3, 0): votes for "c" are 0 and 2
    to(3, 11, Request(*d))  # 3 runs (4, 3) with 1 and 4: 1 reports "a"
    to(3, 1, to(1, 3, Prepare((4, 3), 0))[0][1])
    for dst, msg in to(3, 4, to(4, 3, Prepare((4, 3), 0))[0][1]):
        if dst in (1, 4):
            to(3, dst, to(dst, 3, msg)[0][1])
    return st


def test_count_stale_accepted_breaks_agreement_with_five_replicas() -> None:
    """With 3 replicas and majority quorums the mistake is harmless (the proposer's own
    vote plus any one acceptor's already make its value chosen); with 5 a stale reply lets replica 0
    learn "c" with real votes from 0 and 2 only, and "a" is then chosen by 1, 3, 4."""
    correct = run_count_stale_scenario("correct")
    assert learned(correct[0]) == ()
    assert learned(correct[3])[0][1].op == ("propose", "a")  # "c" was never chosen: fine
    mutant = run_count_stale_scenario("count-stale-accepted")
    assert learned(mutant[0])[0][1].op == ("propose", "c")
    assert learned(mutant[3])[0][1].op == ("propose", "a")  # agreement broken


def test_leader_skips_phase1_and_overwrites_a_chosen_slot() -> None:
    put = Command(9, 1, ("put", "x", 1))
    for variant, prepares in (("correct", True), ("leader-skips-phase1", False)):
        m = multi(variant)
        s, _ = m.on_start(2)  # replica 2 never heard of slot 0, which 0 and 1 chose
        s, out = m.on_timer(2, s, "election")
        assert any(isinstance(msg, Prepare) for _, msg in sends(out)) is prepares
        assert is_leader(s) is not prepares
        if not prepares:
            s, out = m.on_message(2, s, 9, Request(*put))
            assert sends(out)[0] == (0, Accept((1, 2), 0, put))  # slot 0 again


def test_fill_holes_with_own_replaces_the_recovered_value() -> None:
    own = Command(9, 1, ("put", "x", 1))
    for variant, slot0 in (("correct", "recovered"), ("fill-holes-with-own", own)):
        m = multi(variant)
        s, _ = m.on_start(0)
        s, _ = m.on_timer(0, s, "election")
        s, _ = m.on_message(0, s, 9, Request(*own))  # buffered by the candidate
        s, out = m.on_message(0, s, 1, Promise((1, 0), ((0, (0, 1), "recovered"),)))
        proposed = [(msg.slot, msg.value) for d, msg in sends(out) if d == 1]
        assert proposed[0] == (0, slot0)
        if variant == "correct":
            assert proposed == [(0, "recovered"), (1, own)]


def test_local_reads_answer_without_the_log() -> None:
    get = Command(9, 1, ("get", "x"))
    for variant, local in (("correct", False), ("local-reads", True)):
        m = multi(variant)
        s, _ = m.on_start(0)
        s, _ = m.on_timer(0, s, "election")
        s, _ = m.on_message(0, s, 1, Promise((1, 0), ()))
        s, out = m.on_message(0, s, 9, Request(*get))
        assert (sends(out) == [(9, Reply(1, None))]) is local
        assert any(isinstance(msg, Accept) for _, msg in sends(out)) is not local


def test_double_apply_retry_applies_a_request_twice() -> None:
    first, second = Command(9, 1, ("put", "x", 1)), Command(10, 1, ("put", "x", 2))
    for variant, final in (("correct", 2), ("double-apply-retry", 1)):
        m = multi(variant)
        s, _ = m.on_start(1)
        for slot, cmd in enumerate((first, second, first)):  # the retry got a second slot
            s, _ = m.on_message(1, s, 0, Decide(slot, cmd))
        assert applied_log(s) == (first, second, first)
        assert dict(s.volatile.kv.data)["x"] == final
    # at the leader: a retry of an applied request is proposed again, not answered
    for variant, reproposed in (("correct", False), ("double-apply-retry", True)):
        m = multi(variant)
        s, _ = m.on_start(0)
        s, _ = m.on_timer(0, s, "election")
        s, _ = m.on_message(0, s, 1, Promise((1, 0), ()))
        s, _ = m.on_message(0, s, 9, Request(*first))
        s, _ = m.on_message(0, s, 1, Accepted((1, 0), 0, first))
        s, out = m.on_message(0, s, 9, Request(*first))
        assert any(isinstance(msg, Accept) for _, msg in sends(out)) is reproposed
    store, _ = kv.apply(kv.EMPTY_KV, first, at_most_once=False)
    assert store.sessions == ()


def test_apply_out_of_order_applies_past_a_gap() -> None:
    a, b = Command(9, 1, ("put", "x", 1)), Command(10, 1, ("put", "x", 2))
    for variant, early in (("correct", ()), ("apply-out-of-order", (b,))):
        m = multi(variant)
        s, _ = m.on_start(1)
        s, _ = m.on_message(1, s, 0, Decide(1, b))
        assert applied_log(s) == early
        s, _ = m.on_message(1, s, 0, Decide(0, a))
        assert applied_log(s) == ((a, b) if not early else (b, a))


@pytest.mark.parametrize("variant", [v for v in VARIANTS if v not in MULTI_ONLY_VARIANTS])
def test_multi_only_variants_are_listed_and_shared_ones_build(variant: str) -> None:
    assert BasicPaxosReplica(ClusterConfig(nodes=3, variant=variant)).config.variant == variant

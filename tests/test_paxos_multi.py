"""Multi-Paxos, the KV store and the client against hand-written message sequences."""

from __future__ import annotations

from typing import Any

import pytest

from paxos_core import (
    NOOP,
    Accept,
    Accepted,
    CancelTimer,
    CatchUp,
    ClientNode,
    ClusterConfig,
    Command,
    Complete,
    Decide,
    Invoke,
    Learn,
    MultiPaxosReplica,
    MultiState,
    Nack,
    Prepare,
    Promise,
    Redirect,
    Reply,
    Request,
    Send,
    SetTimer,
    applied_log,
    default_schedule,
    is_leader,
    kv,
    kv_replies,
    kv_state,
    leader_belief,
    learned,
    max_round,
    promised_ballot,
    propose_schedule,
    votes_cast,
)

C = 3  # first client address in a 3-replica cluster
PUT = Command(C, 1, ("put", "x", 1))
GET = Command(C + 1, 1, ("get", "x"))


def sends(outputs: Any) -> list[tuple[int, Any]]:
    return [(o.dst, o.msg) for o in outputs if isinstance(o, Send)]


def elected(node: MultiPaxosReplica, me: int = 0, reports: tuple[Any, ...] = ()) -> tuple[MultiState, Any]:
    """Replica ``me`` fires its election timer and gets replica 1's promise."""
    s, out = node.on_start(me)
    assert out == (SetTimer("election"),)
    s, out = node.on_timer(me, s, "election")
    assert [m for _, m in sends(out)] == [Prepare((1, me), 0)] * 2
    s, out = node.on_message(me, s, 1, Promise((1, me), reports))
    assert is_leader(s)
    return s, out


def test_election_recovers_values_and_fills_holes_with_noops() -> None:
    node = MultiPaxosReplica(ClusterConfig(nodes=3))
    s, out = elected(node, reports=((0, (0, 2), "old"), (2, (0, 1), PUT)))
    assert CancelTimer("election") in out
    accepts = [m for d, m in sends(out) if d == 1]
    assert accepts == [Accept((1, 0), 0, "old"), Accept((1, 0), 1, NOOP), Accept((1, 0), 2, PUT)]
    assert [v for _, _, v in votes_cast(s)] == ["old", NOOP, PUT]


def test_second_diagram_stable_leader_skips_phase1() -> None:
    node = MultiPaxosReplica(ClusterConfig(nodes=3))
    s, _ = elected(node)
    s, out = node.on_message(0, s, C, Request(*PUT))
    assert sends(out) == [(1, Accept((1, 0), 0, PUT)), (2, Accept((1, 0), 0, PUT))]
    s, out = node.on_message(0, s, 1, Accepted((1, 0), 0, PUT))
    assert sends(out) == [(1, Decide(0, PUT)), (2, Decide(0, PUT)), (C, Reply(1, "ok"))]
    assert applied_log(s) == (PUT,)
    s, out = node.on_message(0, s, 2, Accepted((1, 0), 0, PUT))  # late ack: nothing
    assert out == ()
    s, out = node.on_message(0, s, C + 1, Request(*GET))  # next request: no Prepare
    assert sends(out) == [(1, Accept((1, 0), 1, GET)), (2, Accept((1, 0), 1, GET))]
    s, out = node.on_message(0, s, 2, Accepted((1, 0), 1, GET))
    assert (C + 1, Reply(1, 1)) in sends(out)  # the read went through the log
    assert kv_state(s) == kv.KVState((("x", 1),), ((C, 1, "ok"), (C + 1, 1, 1)))
    assert kv_replies(s) == ((C, 1, "ok"), (C + 1, 1, 1))


def test_follower_accepts_learns_and_forwards_or_redirects() -> None:
    node = MultiPaxosReplica(ClusterConfig(nodes=3))
    f, _ = node.on_start(1)
    f, out = node.on_message(1, f, C, Request(*PUT))  # no leader known: dropped
    assert out == ()
    f, out = node.on_message(1, f, 0, Prepare((1, 0), 0))
    assert sends(out) == [(0, Promise((1, 0), ()))] and leader_belief(f) == 0
    f, out = node.on_message(1, f, 0, Accept((1, 0), 0, PUT))
    assert sends(out) == [(0, Accepted((1, 0), 0, PUT))]
    f, out = node.on_message(1, f, C, Request(*GET))
    assert sends(out) == [(0, Request(*GET))]
    f, out = node.on_message(1, f, 2, Request(*GET))  # never re-forward a forwarded request
    assert out == ()
    f, out = node.on_message(1, f, 0, Decide(0, PUT))
    assert learned(f) == ((0, PUT),) and applied_log(f) == (PUT,)
    assert all(d != C for d, _ in sends(out))  # followers do not answer clients
    redirecting = MultiPaxosReplica(ClusterConfig(nodes=3, forward=False))
    g, _ = redirecting.on_start(2)
    g, out = redirecting.on_message(2, g, C, Request(*PUT))
    assert sends(out) == [(C, Redirect(1, None))]
    g, _ = redirecting.on_message(2, g, 0, Prepare((1, 0), 0))
    g, out = redirecting.on_message(2, g, C, Request(*PUT))
    assert sends(out) == [(C, Redirect(1, 0))]


def test_leader_steps_down_on_higher_ballot() -> None:
    node = MultiPaxosReplica(ClusterConfig(nodes=3))
    s, _ = elected(node)
    s, out = node.on_message(0, s, 2, Prepare((2, 2), 0))
    assert not is_leader(s) and SetTimer("election") in out and leader_belief(s) == 2
    s, _ = elected(node)
    s, out = node.on_message(0, s, 1, Nack((1, 0), (3, 1)))
    assert not is_leader(s) and promised_ballot(s) == (3, 1)
    s, out = node.on_timer(0, s, "election")
    assert sends(out)[0] == (1, Prepare((4, 0), 0))  # strictly above what it saw
    s, _ = elected(node)
    s, out = node.on_message(0, s, 2, Accept((2, 2), 0, PUT))
    assert not is_leader(s) and sends(out) == [(2, Accepted((2, 2), 0, PUT))]
    s, out = node.on_message(0, s, 1, Accept((1, 0), 0, GET))  # old ballot refused
    assert sends(out) == [(1, Nack((1, 0), (2, 2)))]
    s, out = node.on_message(0, s, 1, Prepare((1, 1), 0))
    assert sends(out) == [(1, Nack((1, 1), (2, 2)))]


def test_candidate_retries_and_buffers_requests() -> None:
    node = MultiPaxosReplica(ClusterConfig(nodes=3))
    s, _ = node.on_start(0)
    s, out = node.on_timer(0, s, "election")
    assert SetTimer("election") in out
    s, out = node.on_message(0, s, C, Request(*PUT))
    assert out == ()
    s, _ = node.on_message(0, s, C, Request(*PUT))  # buffered once
    s, out = node.on_timer(0, s, "election")  # phase 1 lost: retry higher
    assert sends(out)[0] == (1, Prepare((2, 0), 0))
    s, out = node.on_message(0, s, 1, Promise((1, 0), ()))  # stale promise ignored
    assert not is_leader(s)
    s, out = node.on_message(0, s, 2, Promise((2, 0), ()))
    assert is_leader(s)
    assert [m for d, m in sends(out) if d == 1] == [Accept((2, 0), 0, PUT)]
    assert node.on_timer(0, s, "election") == (s, ())  # a leader has no election timer


def test_at_most_once_and_retries_at_the_leader() -> None:
    node = MultiPaxosReplica(ClusterConfig(nodes=3))
    s, _ = elected(node)
    s, _ = node.on_message(0, s, C, Request(*PUT))
    s, out = node.on_message(0, s, C, Request(*PUT))  # retry while in flight: re-send
    assert sends(out) == [(1, Accept((1, 0), 0, PUT)), (2, Accept((1, 0), 0, PUT))]
    s, _ = node.on_message(0, s, 2, Accepted((1, 0), 0, PUT))
    s, out = node.on_message(0, s, 1, Request(*PUT))  # retry after apply: stored reply
    assert sends(out) == [(C, Reply(1, "ok"))]
    s, out = node.on_message(0, s, C, Request(C, 0, ("put", "x", 9)))  # older seq: ignored
    assert out == ()
    # the log holds the same request twice (two leaders proposed it): applied once
    store, r1 = kv.apply(kv.EMPTY_KV, PUT)
    store, r2 = kv.apply(store, Command(C + 1, 1, ("put", "x", 2)))
    store, r3 = kv.apply(store, PUT)
    assert (r1, r3) == ("ok", "ok") and dict(store.data) == {"x": 2}


def test_decided_but_unapplied_retry_resends_the_blocking_slot() -> None:
    node = MultiPaxosReplica(ClusterConfig(nodes=3))
    s, _ = elected(node)
    s, _ = node.on_message(0, s, C, Request(*PUT))
    s, _ = node.on_message(0, s, C + 1, Request(*GET))
    s, out = node.on_message(0, s, 1, Accepted((1, 0), 1, GET))  # slot 1 before slot 0
    assert learned(s) == ((1, GET),) and applied_log(s) == ()
    assert all(d != C + 1 for d, _ in sends(out))
    s, out = node.on_message(0, s, C + 1, Request(*GET))
    assert sends(out) == [(1, Accept((1, 0), 0, PUT)), (2, Accept((1, 0), 0, PUT))]
    s, out = node.on_message(0, s, 1, Accepted((1, 0), 0, PUT))
    assert applied_log(s) == (PUT, GET)
    assert (C, Reply(1, "ok")) in sends(out) and (C + 1, Reply(1, 1)) in sends(out)


def test_catch_up_after_gap_and_restart() -> None:
    node = MultiPaxosReplica(ClusterConfig(nodes=3))
    f, _ = node.on_start(2)
    f, out = node.on_message(2, f, 0, Decide(1, GET))
    assert sends(out) == [(0, CatchUp(0))] and applied_log(f) == ()
    leader = MultiPaxosReplica(ClusterConfig(nodes=3))
    s, _ = elected(leader)
    assert leader.on_message(0, s, 2, CatchUp(0))[1] == ()  # nothing decided yet
    s, _ = leader.on_message(0, s, C, Request(*PUT))
    s, _ = leader.on_message(0, s, 1, Accepted((1, 0), 0, PUT))
    s, out = leader.on_message(0, s, 2, CatchUp(0))
    assert sends(out) == [(2, Learn(((0, PUT),)))]
    f, _ = node.on_message(2, f, 0, Learn(((0, PUT),)))
    assert applied_log(f) == (PUT, GET)
    down = node.on_crash(2, f)
    assert applied_log(down) == () and learned(down) == ((0, PUT), (1, GET))
    f, out = node.on_restart(2, down)
    assert applied_log(f) == (PUT, GET)  # rebuilt from the durable log
    assert SetTimer("election") in out
    assert sends(out) == [(0, CatchUp(2)), (1, CatchUp(2))]


def test_crash_keeps_durable_part_and_never_reuses_a_ballot() -> None:
    node = MultiPaxosReplica(ClusterConfig(nodes=3))
    s, _ = elected(node)
    s, _ = node.on_message(0, s, C, Request(*PUT))
    down = node.on_crash(0, s)
    assert down.durable == s.durable and down.volatile is None
    assert node.on_message(0, down, 1, Accepted((1, 0), 0, PUT)) == (down, ())
    assert node.on_timer(0, down, "election") == (down, ())
    s, _ = node.on_restart(0, down)
    assert not is_leader(s) and max_round(s) == 1
    s, out = node.on_timer(0, s, "election")
    assert sends(out)[0] == (1, Prepare((2, 0), 0))
    s, out = node.on_message(0, s, 1, Promise((2, 0), ()))
    # its own accepted value in slot 0 is recovered and re-proposed
    assert sends(out)[0] == (1, Accept((2, 0), 0, PUT))


def test_initial_leader_and_single_node_cluster() -> None:
    config = ClusterConfig(nodes=3, initial_leader=1)
    node = MultiPaxosReplica(config)
    lead, out = node.on_start(1)
    assert is_leader(lead) and out == ()
    other, out = node.on_start(2)
    assert leader_belief(other) == 1 and out == (SetTimer("election"),)
    lead, out = node.on_message(1, lead, C, Request(*PUT))
    assert sends(out) == [(0, Accept((1, 1), 0, PUT)), (2, Accept((1, 1), 0, PUT))]
    solo = MultiPaxosReplica(ClusterConfig(nodes=1))
    s, _ = solo.on_start(0)
    s, out = solo.on_timer(0, s, "election")
    assert is_leader(s)
    s, out = solo.on_message(0, s, 1, Request(1, 1, ("put", "k", 5)))
    assert sends(out) == [(1, Reply(1, "ok"))]


def test_client_issues_retries_follows_redirects_and_completes() -> None:
    config = ClusterConfig(nodes=3, client_ops=default_schedule(2, 2))
    client = ClientNode(config)
    me = 3
    ops = config.ops_of(me)
    s, out = client.on_start(me)
    assert out == (SetTimer("next"),)
    assert client.on_message(me, s, 0, Reply(1, "ok")) == (s, ())  # nothing outstanding
    s, out = client.on_timer(me, s, "next")
    assert out == (Invoke(me, 1, ops[0]), Send(0, Request(me, 1, ops[0])), SetTimer("retry"))
    assert client.on_timer(me, s, "next") == (s, ())  # one op at a time
    s, out = client.on_timer(me, s, "retry")
    assert out == (Send(1, Request(me, 1, ops[0])), SetTimer("retry"))
    s, out = client.on_message(me, s, 1, Redirect(1, 2))
    assert out == (Send(2, Request(me, 1, ops[0])),)
    assert client.on_message(me, s, 1, Redirect(1, None)) == (s, ())
    assert client.on_message(me, s, 2, Reply(7, "ok")) == (s, ())  # stale seq
    s, out = client.on_message(me, s, 2, Reply(1, "ok"))
    assert out == (Complete(me, 1, "ok"), CancelTimer("retry"), SetTimer("next"))
    assert s.target == 2  # remembers who answered
    s, out = client.on_restart(me, client.on_crash(me, s))
    assert out == (SetTimer("next"),)
    s, _ = client.on_timer(me, s, "next")
    s, out = client.on_restart(me, s)
    assert out == (SetTimer("retry"),)
    s, out = client.on_message(me, s, 2, Reply(2, False))
    assert out == (Complete(me, 2, False), CancelTimer("retry"))  # last op: no "next"
    assert client.on_restart(me, s) == (s, ())
    assert client.on_start(3)[0].target == 0


def test_client_targets_choose_each_clients_first_replica() -> None:
    config = ClusterConfig(nodes=3, client_ops=default_schedule(3, 1), client_targets=(2, 0, 1))
    client = ClientNode(config)
    assert [client.on_start(me)[0].target for me in config.clients] == [2, 0, 1]
    s, _ = client.on_start(3)
    s, out = client.on_timer(3, s, "next")
    assert Send(2, Request(3, 1, config.ops_of(3)[0])) in out
    # retries still go round the replicas from there
    s, out = client.on_timer(3, s, "retry")
    assert Send(0, Request(3, 1, config.ops_of(3)[0])) in out
    # a list (as from JSON) is normalised to a tuple, so the config stays hashable
    listed = ClusterConfig(nodes=3, client_ops=default_schedule(3, 1), client_targets=[2, 0, 1])  # type: ignore[arg-type]
    assert listed == config and hash(listed) == hash(config)
    with pytest.raises(ValueError, match="one replica 0..2 per client"):
        ClusterConfig(nodes=3, client_ops=default_schedule(2, 1), client_targets=(0,))
    with pytest.raises(ValueError, match="one replica 0..2 per client"):
        ClusterConfig(nodes=3, client_ops=default_schedule(2, 1), client_targets=(0, 3))


def test_kv_semantics() -> None:
    data: dict[str, Any] = {}
    assert kv.run_op(data, ("get", "x")) is None
    assert kv.run_op(data, ("put", "x", 1)) == "ok"
    assert kv.run_op(data, ("cas", "x", 2, 3)) is False
    assert kv.run_op(data, ("cas", "x", 1, 3)) is True and data == {"x": 3}
    assert kv.run_op(data, ("noop",)) is None
    with pytest.raises(ValueError):
        kv.run_op(data, ("frob", "x"))
    store, result = kv.apply(kv.EMPTY_KV, NOOP)
    assert store == kv.EMPTY_KV and result is None
    store, _ = kv.apply(kv.EMPTY_KV, PUT)
    assert kv.session_reply(store, C, 1) == (True, "ok")
    assert kv.session_reply(store, C, 2) == (False, None)
    assert kv.session_reply(store, 99, 1) == (False, None)
    assert kv.apply(store, Command(C, 0, ("put", "x", 7))) == (store, None)  # older seq


def test_config_validation_and_schedules() -> None:
    with pytest.raises(ValueError):
        ClusterConfig(nodes=0)
    with pytest.raises(ValueError):
        ClusterConfig(nodes=3, phase1_quorum=4)
    with pytest.raises(ValueError):
        ClusterConfig(nodes=3, variant="nope")
    with pytest.raises(ValueError):
        ClusterConfig(nodes=3, initial_leader=3)
    config = ClusterConfig(nodes=4, client_ops=default_schedule(3, 1))
    assert (config.q1, config.q2) == (3, 3)
    assert config.client_ops == ((("put", "x", 1),), (("cas", "x", 1, 11),), (("get", "x"),))
    assert list(config.clients) == [4, 5, 6] and list(config.replicas) == [0, 1, 2, 3]
    flexible = ClusterConfig(nodes=4, phase1_quorum=3, phase2_quorum=2)
    assert (flexible.q1, flexible.q2) == (3, 2)
    assert ClusterConfig(nodes=3, variant="quorum-one").q1 == 1
    assert ClusterConfig(nodes=5, variant="phase2-off-by-one").q2 == 2
    assert ClusterConfig(nodes=3).to_json()["variant"] == "correct"
    assert "flags" not in ClusterConfig().to_json()
    assert propose_schedule(2) == ((("propose", "v0"),), (("propose", "v1"),))
    assert ClusterConfig(nodes=3, variant="local-reads") == ClusterConfig(nodes=3, variant="local-reads")
    assert hash(config) == hash(ClusterConfig(nodes=4, client_ops=default_schedule(3, 1)))

"""Basic Paxos roles against hand-written message sequences (DESIGN.md's first diagram)."""

from __future__ import annotations

from typing import Any

from paxos_core import (
    BOTTOM,
    Accept,
    Accepted,
    BasicPaxosReplica,
    CancelTimer,
    ClusterConfig,
    Command,
    Decide,
    Nack,
    Prepare,
    Promise,
    Reply,
    Request,
    Send,
    SetTimer,
    applied_log,
    is_leader,
    leader_belief,
    learned,
    max_round,
    message_round,
    promised_ballot,
    votes_cast,
)

CLIENT = 3
OP = ("propose", "a")
CMD = Command(CLIENT, 1, OP)


def sends(outputs: Any) -> list[tuple[int, Any]]:
    return [(o.dst, o.msg) for o in outputs if isinstance(o, Send)]


def test_first_diagram_prepare_promise_accept_accepted() -> None:
    """Client -> A; A: Prepare(1.A); B: Promise(1.A, none); A: Accept; B: Accepted; chosen."""
    node = BasicPaxosReplica(ClusterConfig(nodes=3))
    a, _ = node.on_start(0)
    a, out = node.on_message(0, a, CLIENT, Request(CLIENT, 1, OP))
    assert sends(out) == [(1, Prepare((1, 0), 0)), (2, Prepare((1, 0), 0))]
    assert SetTimer("retry") in out
    b, _ = node.on_start(1)
    b, out = node.on_message(1, b, 0, Prepare((1, 0), 0))
    assert sends(out) == [(0, Promise((1, 0), ()))]
    assert promised_ballot(b) == (1, 0) and leader_belief(b) == 0
    a, out = node.on_message(0, a, 1, Promise((1, 0), ()))
    assert sends(out) == [(1, Accept((1, 0), 0, CMD)), (2, Accept((1, 0), 0, CMD))]
    assert votes_cast(a) == ((0, (1, 0), CMD),)  # the proposer accepted locally
    b, out = node.on_message(1, b, 0, Accept((1, 0), 0, CMD))
    assert sends(out) == [(0, Accepted((1, 0), 0, CMD))]
    a, out = node.on_message(0, a, 1, Accepted((1, 0), 0, CMD))
    assert learned(a) == ((0, CMD),) and applied_log(a) == (CMD,)
    assert sends(out) == [(CLIENT, Reply(1, "a")), (1, Decide(0, CMD)), (2, Decide(0, CMD))]
    assert CancelTimer("retry") in out
    b, out = node.on_message(1, b, 0, Decide(0, CMD))
    assert learned(b) == ((0, CMD),)
    # a late client is told the chosen value at once
    b, out = node.on_message(1, b, 4, Request(4, 1, ("propose", "z")))
    assert sends(out) == [(4, Reply(1, "a"))]
    assert not is_leader(a) and max_round(a) == 1


def test_acceptor_promises_strictly_higher_and_accepts_at_least_promised() -> None:
    node = BasicPaxosReplica(ClusterConfig(nodes=3))
    s, _ = node.on_start(2)
    s, out = node.on_message(2, s, 1, Prepare((2, 1), 0))
    assert sends(out) == [(1, Promise((2, 1), ()))]
    s, out = node.on_message(2, s, 1, Prepare((2, 1), 0))  # equal: refused
    assert sends(out) == [(1, Nack((2, 1), (2, 1)))]
    s, out = node.on_message(2, s, 0, Prepare((1, 0), 0))  # lower: refused
    assert sends(out) == [(0, Nack((1, 0), (2, 1)))]
    s, out = node.on_message(2, s, 0, Accept((1, 0), 0, "x"))  # below the promise
    assert sends(out) == [(0, Nack((1, 0), (2, 1)))]
    s, out = node.on_message(2, s, 1, Accept((2, 1), 0, "y"))  # at the promise
    assert sends(out) == [(1, Accepted((2, 1), 0, "y"))]
    s, out = node.on_message(2, s, 0, Prepare((3, 0), 0))  # reports what it accepted
    assert sends(out) == [(0, Promise((3, 0), ((0, (2, 1), "y"),)))]
    assert votes_cast(s) == ((0, (2, 1), "y"),)


def test_proposer_adopts_highest_ballot_value_reported() -> None:
    node = BasicPaxosReplica(ClusterConfig(nodes=5))
    a, _ = node.on_start(0)
    a, _ = node.on_message(0, a, CLIENT, Request(CLIENT, 1, OP))
    a, out = node.on_message(0, a, 1, Promise((1, 0), ((0, (0, 3), "low"),)))
    assert sends(out) == []  # 2 of 3
    a, out = node.on_message(0, a, 1, Promise((1, 0), ()))  # duplicate: not counted
    assert sends(out) == []
    a, out = node.on_message(0, a, 2, Promise((1, 0), ((0, (0, 4), "high"),)))
    assert {m for _, m in sends(out)} == {Accept((1, 0), 0, "high")}


def test_nack_gives_up_and_retry_uses_a_higher_ballot_even_after_crash() -> None:
    node = BasicPaxosReplica(ClusterConfig(nodes=3))
    a, _ = node.on_start(0)
    a, _ = node.on_message(0, a, CLIENT, Request(CLIENT, 1, OP))
    a, out = node.on_message(0, a, 1, Nack((1, 0), (4, 2)))
    assert out == () and promised_ballot(a) == (4, 2)
    a, out = node.on_message(0, a, 2, Promise((1, 0), ()))  # too late: ballot given up
    assert sends(out) == []
    a, out = node.on_timer(0, a, "retry")
    assert sends(out)[0] == (1, Prepare((5, 0), 0))
    crashed = node.on_crash(0, a)
    assert crashed.volatile is None and crashed.durable == a.durable
    a, out = node.on_restart(0, crashed)
    assert out == ()
    a, out = node.on_timer(0, a, "retry")  # nothing to propose after a restart
    assert out == ()
    a, out = node.on_message(0, a, CLIENT, Request(CLIENT, 1, OP))
    assert sends(out)[0] == (1, Prepare((6, 0), 0))  # never reuses round 5


def test_preempted_proposer_drops_its_round() -> None:
    node = BasicPaxosReplica(ClusterConfig(nodes=3))
    a, _ = node.on_start(0)
    a, _ = node.on_message(0, a, CLIENT, Request(CLIENT, 1, OP))
    a, out = node.on_message(0, a, 2, Prepare((2, 2), 0))
    assert sends(out) == [(2, Promise((2, 2), ()))]
    a, out = node.on_message(0, a, 1, Promise((1, 0), ()))
    assert sends(out) == []  # its ballot (1, 0) was preempted


def test_learn_directly_from_acceptors() -> None:
    config = ClusterConfig(nodes=3, learn_directly=True)
    node = BasicPaxosReplica(config)
    c, _ = node.on_start(2)
    c, out = node.on_message(2, c, 0, Accept((1, 0), 0, "v"))
    assert sends(out) == [(0, Accepted((1, 0), 0, "v")), (1, Accepted((1, 0), 0, "v"))]
    assert learned(c) == ()
    c, out = node.on_message(2, c, 1, Accepted((1, 0), 0, "v"))
    assert learned(c) == ((0, "v"),)
    # a proposer learns the same way and does not broadcast Decide
    a, _ = node.on_start(0)
    a, _ = node.on_message(0, a, CLIENT, Request(CLIENT, 1, OP))
    a, out = node.on_message(0, a, 1, Promise((1, 0), ()))
    assert (1, Accepted((1, 0), 0, CMD)) in sends(out)
    a, out = node.on_message(0, a, 2, Accepted((1, 0), 0, CMD))
    assert learned(a) == ((0, CMD),)
    assert all(not isinstance(m, Decide) for _, m in sends(out))


def test_dueling_proposers_choose_one_value() -> None:
    node = BasicPaxosReplica(ClusterConfig(nodes=3))
    states = {r: node.on_start(r)[0] for r in range(3)}
    net: list[tuple[int, int, Any]] = []

    def run(r: int, src: int, msg: Any) -> None:
        states[r], out = node.on_message(r, states[r], src, msg)
        net.extend((r, dst, m) for dst, m in sends(out))

    run(0, 3, Request(3, 1, ("propose", "a")))
    run(2, 4, Request(4, 1, ("propose", "b")))
    # deliver newest first (a hostile order) until quiet
    while net:
        src, dst, msg = net.pop()
        if dst < 3:
            run(dst, src, msg)
    values = {learned(s) for s in states.values()} - {()}
    assert len(values) == 1


def test_crashed_replica_ignores_messages_and_wrong_timers() -> None:
    node = BasicPaxosReplica(ClusterConfig(nodes=3))
    a, _ = node.on_start(0)
    down = node.on_crash(0, a)
    assert node.on_message(0, down, 1, Prepare((1, 1), 0)) == (down, ())
    assert node.on_timer(0, a, "other") == (a, ())
    assert node.on_message(0, a, 1, "junk") == (a, ())
    assert promised_ballot(down) == BOTTOM and applied_log(down) == ()


def test_message_round() -> None:
    assert message_round(Prepare((3, 1), 0)) == 3
    assert message_round(Nack((1, 0), (4, 2))) == 4
    assert message_round(Promise((2, 0), ((0, (5, 1), "v"),))) == 5
    assert message_round(Reply(1, "ok")) == 0

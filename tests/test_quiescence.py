"""Quiescence: once nothing can happen, the replicated log has converged.

checker/quiescence.py judges plain data; explorer/models/paxos_properties.py decides
which Multi-Paxos worlds are quiescent. Each check fails somewhere below: on plain
data, on a hand-built world, and on a mistake no other property catches.
"""

from __future__ import annotations

from typing import Any

from checker.quiescence import effective_commands, quiescence_problems
from explorer.actors import Deliver, FireTimer, World
from explorer.engine.results import SearchSettings
from explorer.engine.search import search
from explorer.models.config import CheckConfig, Faults
from explorer.models.paxos_properties import QUIESCENCE, _Quiescence
from explorer.models.registry import build_model
from paxos_core.messages import NOOP, Command


def cid(value: Any) -> tuple[int, int] | None:
    return None if value == NOOP else (value.client, value.seq)


A, B = Command(3, 1, ("put", "x", 1)), Command(3, 2, ("get", "x"))


def test_converged_logs_have_no_problems() -> None:
    logs = {0: {0: A, 1: NOOP, 2: B}, 1: {0: A, 1: NOOP, 2: B}}
    applied = {0: (A, NOOP, B), 1: (A, NOOP, B)}
    assert quiescence_problems(logs, applied, [(3, 1), (3, 2)], cid) == []


def test_a_replica_that_never_learned_a_decision() -> None:
    problems = quiescence_problems({0: {0: A}, 1: {}}, {0: (A,), 1: ()}, [(3, 1)], cid)
    assert any("decided different logs" in p for p in problems)


def test_a_hole_and_an_unapplied_slot() -> None:
    assert any("hole" in p for p in quiescence_problems({0: {1: A}}, {0: ()}, [], cid))
    assert any("applied 0 of its 1" in p for p in quiescence_problems({0: {0: A}}, {0: ()}, [], cid))


def test_an_acknowledged_operation_missing_or_without_effect() -> None:
    assert any("not in the decided log" in p for p in quiescence_problems({0: {0: A}}, {0: (A,)}, [(3, 2)], cid))
    # seq 2 decided before seq 1: seq 1 is taken for a stale retry and never applied
    problems = quiescence_problems({0: {0: B, 1: A}}, {0: (B, A)}, [(3, 1)], cid)
    assert any("never took effect" in p for p in problems)
    assert effective_commands([B, A, B], cid) == [(3, 2)]


def test_after_a_lost_message_only_acknowledged_operations_are_judged() -> None:
    logs = {0: {0: A}, 1: {}}
    assert quiescence_problems(logs, {0: (A,), 1: ()}, [(3, 1)], cid, converged=False) == []
    assert quiescence_problems(logs, {0: (A,), 1: ()}, [(3, 2)], cid, converged=False) != []


CONFIG = CheckConfig(model="multipaxos", nodes=2, clients=1, ops=1, faults=Faults(), phase1_quorum=1, phase2_quorum=2)


def settle(model: Any, client: int = 2, timer: str = "next") -> World:
    """Run the one client's operation to the end: deliver everything, fire only its timer."""
    world: World = model.init_states()[0]
    for _ in range(50):
        actions = [a for a in model.actions(world) if isinstance(a, Deliver)]
        actions = actions or [a for a in model.actions(world) if isinstance(a, FireTimer) and a.node == client and a.timer == timer]
        if not actions:
            return world
        world = model.next_state(world, actions[0])
    raise AssertionError("the run did not settle")


def test_a_settled_world_is_quiescent_and_converged() -> None:
    model = build_model(CONFIG)
    q = _Quiescence(model, CONFIG)
    world = settle(model)
    assert q.quiescent(world) and q.holds(world)
    assert len(world.actors[0].durable.decided) == 1 == len(world.actors[1].durable.decided)


def test_a_hand_built_lagging_replica_fails_quiescence() -> None:
    model = build_model(CONFIG)
    q = _Quiescence(model, CONFIG)
    world = settle(model)
    follower = world.actors[1]
    lagging = follower._replace(
        durable=follower.durable._replace(decided=()), volatile=follower.volatile._replace(applied=(), kv=follower.volatile.kv._replace(data=(), sessions=()))
    )
    world = world._replace(actors=(world.actors[0], lagging, *world.actors[2:]))
    assert q.quiescent(world) and not q.holds(world)
    assert any("decided different logs" in p for p in q.problems(world))


def test_a_world_with_messages_in_flight_is_not_quiescent() -> None:
    model = build_model(CONFIG)
    q = _Quiescence(model, CONFIG)
    world = model.next_state(model.init_states()[0], FireTimer(2, "next"))
    assert world.network and not q.quiescent(world) and q.holds(world)


def test_the_correct_protocol_reaches_quiescence_and_holds() -> None:
    model = build_model(CONFIG)
    result = search(model, SearchSettings(max_depth=9))
    assert result.verdict == "holds" and result.complete
    assert QUIESCENCE in {p.name for p in model.properties()}


def test_a_basic_learner_that_missed_the_chosen_value_fails_quiescence() -> None:
    config = CheckConfig(model="basic", nodes=3, clients=1, faults=Faults())
    model = build_model(config)
    q = _Quiescence(model, config)
    world = settle(model, client=3, timer="next")
    assert q.quiescent(world) and q.holds(world)
    assert all(world.actors[r].durable.learned is not None for r in range(3))
    learner = world.actors[2]
    world = world._replace(actors=(*world.actors[:2], learner._replace(durable=learner.durable._replace(learned=None)), *world.actors[3:]))
    assert not q.holds(world)
    assert any("never learned chosen slot(s) [0]" in p for p in q.problems(world))

"""The Paxos models' properties on hand-built worlds: each one holds, and each one fails."""

from __future__ import annotations

import pickle
from typing import Any

import pytest

from explorer.actors import World
from explorer.engine.model import Property
from explorer.engine.results import SearchSettings
from explorer.engine.search import search
from explorer.models.config import CheckConfig, Faults
from explorer.models.paxos import build as build_plain
from explorer.models.paxos import build_checked, cluster_config
from explorer.models.paxos_properties import (
    LEARNED_IS_CHOSEN,
    PROMISE_MONOTONICITY,
    SAFETY_PROPERTIES,
    SOMETIMES_PROPERTIES,
    STABILITY,
    BrokenStepWorld,
    PaxosModel,
    problems_in,
    step_problems,
    transition_check,
)
from explorer.models.paxos_views import history_operations
from paxos_core import NOOP, Command
from paxos_core.events import Complete, Invoke

MULTI = CheckConfig(model="multipaxos", clients=2, ops=1, faults=Faults(crash=1))
PUT = Command(3, 1, ("put", "x", 1))
CAS = Command(4, 1, ("cas", "x", 1, 11))


def _model(config: CheckConfig = MULTI) -> PaxosModel:
    return build_checked(config)


def _props(model: PaxosModel) -> dict[str, Property[World]]:
    return {p.name: p for p in model.properties()}


def _with_replica(world: World, r: int, **durable: Any) -> World:
    state = world.actors[r]
    new = state._replace(durable=state.durable._replace(**durable))
    return world._replace(actors=(*world.actors[:r], new, *world.actors[r + 1 :]))


def _with_applied(world: World, r: int, slots: tuple[int, ...]) -> World:
    state = world.actors[r]
    new = state._replace(volatile=state.volatile._replace(applied=slots))
    return world._replace(actors=(*world.actors[:r], new, *world.actors[r + 1 :]))


def test_property_names_and_kinds() -> None:
    props = _props(_model())
    assert set(SAFETY_PROPERTIES) <= set(props)
    assert set(SOMETIMES_PROPERTIES) <= set(props)
    assert props["linearizable"].kind == "final"
    assert all(props[n].kind == "sometimes" for n in SOMETIMES_PROPERTIES)


def test_every_safety_property_holds_initially() -> None:
    model = _model()
    world = model.init_states()[0]
    for name in SAFETY_PROPERTIES:
        assert _props(model)[name].condition(world), name


def test_agreement_fails_on_two_chosen_values() -> None:
    model = _model()
    world = model.init_states()[0]
    b1, b2 = (1, 0), (2, 1)
    world = _with_replica(world, 0, votes=((0, b1, PUT),))
    world = _with_replica(world, 1, votes=((0, b1, PUT), (0, b2, CAS)))
    assert _props(model)["agreement"].condition(world)  # PUT chosen, CAS has one vote
    world = _with_replica(world, 2, votes=((0, b2, CAS),))
    assert not _props(model)["agreement"].condition(world)
    assert "agreement" in problems_in(MULTI, cluster_config(MULTI), world)


def test_learned_is_chosen_fails_on_a_value_learned_without_a_quorum() -> None:
    model = _model()
    prop = _props(model)[LEARNED_IS_CHOSEN]
    world = model.init_states()[0]
    b1, b2 = (1, 0), (2, 0)
    # two votes for PUT, but in two ballots: replica 0 learning it is premature
    world = _with_replica(world, 0, votes=((0, b2, PUT),), decided=((0, PUT),))
    world = _with_replica(world, 1, votes=((0, b1, PUT),))
    assert _props(model)["agreement"].condition(world)  # no second value anywhere
    assert not prop.condition(world)
    assert LEARNED_IS_CHOSEN in problems_in(MULTI, cluster_config(MULTI), world)
    # a second vote in ballot b2 makes PUT chosen, and learning it fine
    world = _with_replica(world, 2, votes=((0, b2, PUT),))
    assert prop.condition(world)
    assert LEARNED_IS_CHOSEN not in problems_in(MULTI, cluster_config(MULTI), world)
    # learning a value in a slot where nothing was chosen fails again
    world = _with_replica(world, 1, votes=((0, b1, PUT),), decided=((0, PUT), (1, CAS)))
    assert not prop.condition(world)


def test_validity_fails_on_a_value_nobody_proposed() -> None:
    model = _model()
    world = model.init_states()[0]
    world = _with_replica(world, 0, decided=((0, NOOP),))
    assert _props(model)["validity"].condition(world)  # the no-op is always valid
    world = _with_replica(world, 0, decided=((0, PUT),))
    assert not _props(model)["validity"].condition(world)  # never invoked
    world = world._replace(history=(Invoke(3, 1, PUT.op),))
    assert _props(model)["validity"].condition(world)


def test_log_consistency_fails_on_out_of_order_application() -> None:
    model = _model()
    world = model.init_states()[0]
    world = _with_replica(world, 0, decided=((0, PUT), (1, CAS)))
    world = _with_applied(world, 0, (0, 1))
    world = world._replace(history=(Invoke(3, 1, PUT.op), Invoke(4, 1, CAS.op)))
    assert _props(model)["log consistency"].condition(world)
    assert not _props(model)["log consistency"].condition(_with_applied(world, 0, (1, 0)))
    # Two replicas that applied different values in slot 0.
    other = _with_replica(world, 1, decided=((0, CAS),))
    other = _with_applied(other, 1, (0,))
    assert not _props(model)["log consistency"].condition(other)


def test_client_visible_fails_on_a_reply_the_log_does_not_give() -> None:
    model = _model()
    world = model.init_states()[0]
    world = _with_replica(world, 0, decided=((0, PUT), (1, CAS)))
    history = (Invoke(3, 1, PUT.op), Complete(3, 1, "ok"), Invoke(4, 1, CAS.op))
    good = world._replace(history=(*history, Complete(4, 1, True)))
    bad = world._replace(history=(*history, Complete(4, 1, False)))
    assert _props(model)["client-visible"].condition(good)
    assert not _props(model)["client-visible"].condition(bad)


def test_linearizable_fails_on_a_stale_read_and_allows_pending_operations() -> None:
    config = CheckConfig(model="multipaxos", clients=3, ops=1, faults=Faults())
    model = _model(config)
    world = model.init_states()[0]
    prop = _props(model)["linearizable"]
    stale = (Invoke(3, 1, ("put", "x", 1)), Complete(3, 1, "ok"), Invoke(5, 1, ("get", "x")), Complete(5, 1, None))
    assert not prop.condition(world._replace(history=stale))
    # A put that never returned may or may not have happened: both reads are fine.
    pending = (Invoke(3, 1, ("put", "x", 1)), Invoke(5, 1, ("get", "x")), Complete(5, 1, None))
    assert prop.condition(world._replace(history=pending))
    pending_seen = (Invoke(3, 1, ("put", "x", 1)), Invoke(5, 1, ("get", "x")), Complete(5, 1, 1))
    assert prop.condition(world._replace(history=pending_seen))


def test_history_operations_mark_pending_ones() -> None:
    ops = history_operations((Invoke(3, 1, ("put", "x", 1)), Invoke(4, 1, ("get", "x")), Complete(4, 1, None)))
    assert [(op.process, op.ret is None) for op in ops] == [(3, True), (4, False)]


def test_transition_check_catches_a_changed_learned_value_and_a_lower_promise() -> None:
    world = _model().init_states()[0]
    check = transition_check(3)
    learned = _with_replica(world, 1, decided=((0, PUT),))
    assert check(world, learned) == {}
    changed = _with_replica(world, 1, decided=((0, CAS),))
    assert STABILITY in check(learned, changed)
    forgot = _with_replica(world, 1, decided=())
    assert STABILITY in check(learned, forgot)
    lower = _with_replica(world, 2, promised=(0, -1))  # every replica starts promised (1, 0)
    assert PROMISE_MONOTONICITY in check(world, lower)


def test_broken_step_world_fails_its_property_and_survives_pickling() -> None:
    model = _model()
    world = model.init_states()[0]
    broken = BrokenStepWorld._make(world)
    broken.step_problems = {STABILITY: ["node 1 changed its learned value"]}
    assert broken == world
    assert not _props(model)[STABILITY].condition(broken)
    assert _props(model)[PROMISE_MONOTONICITY].condition(broken)
    again = pickle.loads(pickle.dumps(broken))
    assert step_problems(again) == broken.step_problems


def test_forgotten_promise_is_caught_on_the_crash_step() -> None:
    config = CheckConfig(model="multipaxos", clients=0, faults=Faults(crash=1), variant="forget-promise-on-restart")
    model = _model(config)
    world = model.init_states()[0]
    crash = next(a for a in model.actions(world) if a.kind == "crash")
    after = model.next_state(world, crash)
    assert after is not None and PROMISE_MONOTONICITY in step_problems(after)


@pytest.mark.parametrize(
    "config",
    [
        CheckConfig(model="multipaxos", clients=1, ops=1, faults=Faults(crash=1)),
        CheckConfig(model="basic", clients=2, ops=1, ballots=1, faults=Faults(crash=1)),
    ],
    ids=["multipaxos", "basic"],
)
def test_checked_model_adds_no_states(config: CheckConfig) -> None:
    # Transition properties ride on the step, not in the world: same space, same counts.
    settings = SearchSettings(max_depth=5)
    plain = search(build_plain(config), settings, None)
    checked = search(build_checked(config), settings, None)
    assert checked.verdict == "holds"
    assert (checked.distinct_states, checked.generated, checked.level_sizes) == (
        plain.distinct_states, plain.generated, plain.level_sizes,
    )


def test_a_broken_step_keeps_its_mark_under_symmetry() -> None:
    config = CheckConfig(model="basic", clients=2, ops=1, ballots=1, faults=Faults(crash=1))
    model = _model(config)
    world = model.init_states()[0]
    broken = BrokenStepWorld._make(world)
    broken.step_problems = {PROMISE_MONOTONICITY: ["node 0's promise went back"]}
    rep = model.representative(broken)
    assert step_problems(rep) == broken.step_problems
    assert model.representative(world) == rep  # same class of worlds otherwise


def test_forgotten_promise_is_found_with_symmetry_on() -> None:
    config = CheckConfig(
        model="basic", clients=2, ops=1, ballots=1, faults=Faults(crash=1),
        variant="forget-promise-on-restart", symmetry=True,
    )
    result = search(_model(config), SearchSettings(max_depth=4, symmetry=True), None)
    assert [v.property_name for v in result.violations] == [PROMISE_MONOTONICITY]


@pytest.mark.parametrize(
    "config",
    [
        CheckConfig(
            model="basic", nodes=3, clients=2, ops=1, ballots=2, faults=Faults(),
            phase1_quorum=1, phase2_quorum=3, variant="count-stale-accepted",
        ),
        CheckConfig(model="multipaxos", clients=2, ops=1, faults=Faults(crash=1), variant="quorum-one"),
        CheckConfig(model="multipaxos", clients=2, ops=1, faults=Faults(crash=1, drop=1)),
    ],
    ids=["count-stale", "multi-quorum-one", "multi-correct"],
)
def test_fast_properties_agree_with_the_checker_functions(config: CheckConfig) -> None:
    # The model's properties take shortcuts (caches, one-candidate fast paths); on every
    # state of seeded random walks they must judge as checker.invariants does.
    import random

    model = _model(config)
    props = _props(model)
    cluster = cluster_config(config)
    rng = random.Random(7)
    seen_failures: set[str] = set()
    for _walk in range(60):
        world = model.init_states()[0]
        for _step in range(25):
            found = problems_in(config, cluster, world)
            for name in ("agreement", LEARNED_IS_CHOSEN, "validity", "log consistency", "client-visible"):
                assert props[name].condition(world) is (name not in found), (name, found.get(name))
                if name in found:
                    seen_failures.add(name)
            options = list(model.successors(world))
            if not options:
                break
            world = rng.choice(options)[1]
    if config.variant != "correct":
        assert LEARNED_IS_CHOSEN in seen_failures  # the walks did reach the interesting states

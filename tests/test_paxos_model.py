"""The Paxos models built from CheckConfig: validation, shape, bounds, known violations."""

from __future__ import annotations

import dataclasses
from typing import cast

import pytest

from explorer.actors import ActorAction, ActorModel
from explorer.engine.results import SearchSettings
from explorer.engine.search import search
from explorer.models.config import CheckConfig, ConfigError, Faults
from explorer.models.paxos import DEFAULT_DEPTH, DEFAULT_MAX_STATES, build
from paxos_core import max_round


def config(**kw: object) -> CheckConfig:
    return dataclasses.replace(CheckConfig(), **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"nodes": 0}, "--nodes must be at least 1"),
        ({"phase1_quorum": 4}, "--phase1-quorum must be between 1 and 3"),
        ({"phase2_quorum": 0}, "--phase2-quorum must be between 1 and 3"),
        ({"variant": "nope"}, "unknown --variant 'nope'"),
        ({"phase1_quorum": 1, "phase2_quorum": 2}, "need not intersect"),
        ({"network": "carrier-pigeon"}, "unknown --network"),
        ({"ballots": 0}, "--ballots must be at least 1"),
        ({"extra": (("colour", "red"),)}, "unknown option(s) colour"),
        ({"extra": (("initial_leader", 7),)}, "initial_leader must be a replica"),
        ({"extra": (("retries", -1),)}, "retries must be an int >= 0"),
        ({"extra": (("client_targets", (0,)),)}, "client_targets must name one replica 0..2 per client"),
        ({"extra": (("client_targets", (0, 3)),)}, "client_targets must name one replica 0..2 per client"),
        ({"extra": (("client_targets", 1),)}, "client_targets must be a list of replica numbers"),
        ({"extra": (("client_targets", ("a", 0)),)}, "client_targets must be a list of replica numbers"),
    ],
)
def test_impossible_configs_are_refused_in_one_line(kw: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        build(config(**kw))
    text = str(info.value)
    assert message in text and "\n" not in text


def test_non_intersecting_quorums_are_allowed_for_the_mutant_that_asks_for_them() -> None:
    model = build(config(phase1_quorum=1, phase2_quorum=1, variant="quorum-one"))
    assert isinstance(model, ActorModel)


@pytest.mark.parametrize("name", ["multipaxos", "basic"])
def test_default_shape(name: str) -> None:
    model = build(config(model=name))
    assert model.servers == (0, 1, 2) and model.clients == (3, 4)
    assert model.name == name
    names = {p.name: p.kind for p in model.properties()}
    assert names["agreement"] == "always"
    assert names["value chosen"] == names["operation completed"] == "sometimes"
    assert model.config()["model"] == name
    (world,) = model.init_states()
    assert world.budgets == (1, 0, 1, 0)  # the default faults: drop=1, crash=1
    assert [model.action_kind(a) for a in model.actions(world)].count("crash") == 3


def test_ballot_bound_is_a_state_constraint() -> None:
    model = build(config(ballots=1, faults=Faults()))
    (world,) = model.init_states()
    # a follower's election timer would start round 2: outside the bound
    fire = next(a for a in model.actions(world) if model.format_action(a) == "timer 1 election")
    nxt = model.next_state(world, fire)
    assert nxt is not None and max_round(nxt.actors[1]) == 2
    assert not model.within_boundary(nxt)
    assert model.within_boundary(world)


def test_bounded_search_respects_the_ballot_bound_and_witnesses_progress() -> None:
    model = build(config(faults=Faults()))
    result = search(model, SearchSettings(max_depth=7))
    assert result.verdict == "holds" and result.complete
    assert result.sometimes["value chosen"] and result.sometimes["operation completed"]


@pytest.mark.parametrize(("name", "depth"), [("multipaxos", 6), ("basic", 5)])
def test_quorum_one_breaks_agreement(name: str, depth: int) -> None:
    model = build(config(model=name, variant="quorum-one", faults=Faults()))
    # "learned is chosen" fires first (a replica learns on its own vote); collect goes on
    # until agreement breaks too, on the shortest path that breaks it.
    result = search(model, SearchSettings(max_depth=depth, collect=True))
    assert result.verdict == "violated"
    found = {v.property_name: v for v in result.violations}
    assert found["learned is chosen"].step < depth
    violation = found["agreement"]
    assert violation.step == depth
    # Violation.actions is typed for any model (Hashable); these are this model's actions.
    labels = [model.format_action(cast(ActorAction, a)) for a in violation.actions]
    assert any(label.startswith("timer") for label in labels)


def test_correct_protocol_holds_where_the_mutant_fails() -> None:
    model = build(config(model="basic", faults=Faults()))
    result = search(model, SearchSettings(max_depth=7))
    assert result.verdict == "holds"


def test_fifo_network_builds_and_runs() -> None:
    model = build(config(network="fifo", faults=Faults()))
    result = search(model, SearchSettings(max_depth=5))
    assert result.verdict == "holds" and result.distinct_states > 10


def test_history_is_json_ready() -> None:
    model = build(config(faults=Faults()))
    world = model.init_states()[0]
    for label in ["timer 3 next"]:
        action = next(a for a in model.actions(world) if model.format_action(a) == label)
        successor = model.next_state(world, action)
        assert successor is not None
        world = successor
    assert model.history(world) == [{"type": "invoke", "client": 3, "seq": 1, "op": ["put", "x", 1]}]


def test_default_bounds_are_sane() -> None:
    assert 5 <= DEFAULT_DEPTH <= 30 and DEFAULT_MAX_STATES >= 10_000

"""Symmetry of the Paxos models: sound (an automorphism), smaller, and blind to no bug."""

from __future__ import annotations

import random

from explorer.actors import ActorModel, World
from explorer.engine.results import SearchSettings
from explorer.engine.search import search
from explorer.models.config import CheckConfig, Faults
from explorer.models.paxos import basic_client_renaming, build

SWAP = {3: 4, 4: 3}


def basic(**kw: object) -> ActorModel:
    defaults: dict[str, object] = {"model": "basic", "faults": Faults()}
    defaults.update(kw)
    return build(CheckConfig(**defaults))  # type: ignore[arg-type]


def sample_worlds(model: ActorModel, walks: int = 30, length: int = 14, seed: int = 7) -> list[World]:
    rng = random.Random(seed)
    worlds = []
    for _ in range(walks):
        world = model.init_states()[0]
        for _ in range(length):
            actions = model.actions(world)
            if not actions:
                break
            nxt = model.next_state(world, rng.choice(actions))
            if nxt is None or not model.within_boundary(nxt):
                break
            world = nxt
            worlds.append(world)
    return worlds


def swapped(model: ActorModel, world: World) -> World:
    return model.permuted(world, SWAP, basic_client_renaming(3, SWAP))


def successor_texts(model: ActorModel, world: World) -> set[str]:
    out = set()
    for action in model.actions(world):
        nxt = model.next_state(world, action)
        if nxt is not None and model.within_boundary(nxt):
            out.add(repr(nxt))
    return out


def test_swapping_clients_is_an_automorphism_of_basic_paxos() -> None:
    # The soundness argument of docs/actors.md, checked on sampled worlds: the successors
    # of the swapped world are exactly the swapped successors.
    model = basic(faults=Faults(drop=1, dup=1, crash=1, partition=1))
    worlds = sample_worlds(model)
    assert len(worlds) > 100
    for world in worlds:
        image = swapped(model, world)
        assert swapped(model, image) == world  # an involution
        expected = {repr(swapped(model, nxt)) for nxt in map(lambda a: model.next_state(world, a), model.actions(world)) if nxt is not None and model.within_boundary(nxt)}
        assert successor_texts(model, image) == expected
        for prop in model.properties():
            assert prop.condition(image) == prop.condition(world)


def test_representative_is_the_same_for_the_whole_orbit() -> None:
    model = basic()
    worlds = sample_worlds(model)
    moved = 0
    for world in worlds:
        rep = model.representative(world)
        assert rep == model.representative(swapped(model, world))
        assert rep in (world, swapped(model, world))
        moved += rep != world
    assert moved > 0  # some worlds are not their own representative


def test_symmetry_shrinks_the_basic_paxos_space() -> None:
    model = basic()
    plain = search(model, SearchSettings(max_depth=8))
    reduced = search(model, SearchSettings(max_depth=8, symmetry=True))
    assert plain.complete and reduced.complete
    assert reduced.distinct_states < 0.6 * plain.distinct_states
    assert reduced.verdict == plain.verdict == "holds"
    assert reduced.sometimes == plain.sometimes
    assert plain.sometimes["value chosen"] and plain.sometimes["operation completed"]


def test_symmetry_still_finds_the_quorum_one_violation_at_the_same_depth() -> None:
    model = basic(variant="quorum-one")
    plain = search(model, SearchSettings(max_depth=6, collect=True))
    reduced = search(model, SearchSettings(max_depth=6, symmetry=True, collect=True))
    assert plain.verdict == reduced.verdict == "violated"
    steps = {v.property_name: v.step for v in plain.violations}
    assert steps == {v.property_name: v.step for v in reduced.violations}
    assert steps["learned is chosen"] == 2 and steps["agreement"] == 5
    # the reduced search's path is a real run of the model
    world = model.init_states()[0]
    for action in reduced.violations[0].actions:
        assert action in model.actions(world)
        nxt = model.next_state(world, action)
        assert nxt is not None
        world = nxt
    (prop,) = [p for p in model.properties() if p.name == reduced.violations[0].property_name]
    assert not prop.condition(world)


def test_multipaxos_has_no_symmetry_to_exploit() -> None:
    # node ids order ballots and the clients run different programs: the only sound
    # symmetry is the identity, so the switch changes nothing
    model = build(CheckConfig(faults=Faults()))
    assert not model.has_symmetry
    world = model.init_states()[0]
    assert model.representative(world) is world
    single = basic(clients=1)
    assert not single.has_symmetry

"""Keyed successors (explorer/actors/keyed.py, Model.keyed_successors): a successor's
fingerprint known before its world is built is the built world's, and the BFS that
builds only the new ones finds the same states, levels and traces."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import pytest

from explorer.actors import ActorModel, World
from explorer.engine.model import Model, Property
from explorer.engine.parallel_keyed import balanced_moves
from explorer.engine.results import SearchSettings
from explorer.engine.search import search
from explorer.models import build_model
from explorer.models.config import CheckConfig, Faults
from explorer.models.paxos_properties import BrokenStepWorld, PaxosModel, TransitionCheck
from explorer.mutants.catalogue import build, catalogue_by_name
from tests.search_toys import GridModel, KeyedGridModel, check_path


def paxos_model(**options: Any) -> ActorModel:
    config = dict(model="multipaxos", nodes=3, clients=2, ops=1, faults=Faults(drop=1, dup=1, crash=1))
    config.update(options)
    model = build_model(CheckConfig(**config))
    assert isinstance(model, ActorModel)
    return model


def expanded_worlds(model: ActorModel, depth: int) -> Iterator[World]:
    """Every distinct world within ``depth`` steps, by value (successors built)."""
    level = list(model.init_states())
    seen = set(level)
    for _ in range(depth):
        yield from level
        nxt_level = []
        for world in level:
            for _action, nxt in Model.successors(model, world):
                if nxt not in seen:
                    seen.add(nxt)
                    nxt_level.append(nxt)
        level = nxt_level


def assert_keyed_as_built(model: ActorModel, depth: int, symmetry: bool = False) -> int:
    """Checks every expanded world's keyed successors against the built ones; returns
    how many were given unbuilt."""
    unbuilt = 0
    for world in expanded_worlds(model, depth):
        built = list(Model.successors(model, world))
        # each unbuilt successor built while the keyed steps wait, in the engine's order
        for (action, fp, given), (built_action, nxt) in zip(model.keyed_successors(world, symmetry), built, strict=True):
            assert action == built_action
            assert fp == model.fingerprint(model.representative(nxt) if symmetry else nxt), action
            if given is None:
                unbuilt += 1
                again = model.next_state(world, action)
                assert again == nxt and type(again) is type(nxt)
            else:
                assert given == nxt
    return unbuilt


def test_keyed_fingerprints_are_the_built_worlds_on_the_default_model() -> None:
    unbuilt = assert_keyed_as_built(paxos_model(), 5)
    assert unbuilt > 1000  # the fast path is taken (deliveries, timers, drops, dups)


def test_keyed_fingerprints_of_decoded_worlds_are_the_built_worlds() -> None:
    # A decoded world shares the codec's tuple of its small fields with every world of
    # equal small fields: timer steps, drops and duplicates cache their small fields'
    # change by that tuple's identity (keyed._timers_changed, keyed._spent).
    model = paxos_model()
    fps, fast = model.fingerprints, 0
    for world in expanded_worlds(model, 5):
        decoded = model.decode(model.encode(world))
        assert decoded == world and decoded is not world
        built = list(Model.successors(model, world))
        keyed = list(model.keyed_successors(decoded, False))
        assert fps.base_small is not None and fps.base[0] is decoded
        for (action, fp, given), (_a, nxt) in zip(keyed, built, strict=True):
            assert fp == model.fingerprint(nxt), action
            fast += given is None and action.kind != "deliver"
    assert fast > 5 * len(fps.small_steps) > 0  # the cached changes are reused


def test_a_fifo_network_and_symmetry_fall_back_to_built_worlds() -> None:
    assert assert_keyed_as_built(paxos_model(network="fifo"), 4) == 0
    symmetric = paxos_model(symmetry=True, clients=2)
    assert assert_keyed_as_built(symmetric, 4, symmetry=True) == 0


def test_a_broken_step_is_fingerprinted_as_its_broken_world() -> None:
    model = paxos_model()
    assert isinstance(model, PaxosModel)
    # every change of replica 0 "breaks" a transition property: its worlds are broken steps
    model._transition = TransitionCheck(
        lambda before, after: {"flagged": ["r0"]} if before.actors[0] is not after.actors[0] else {},
        lambda r, old, new: [("flagged", ["r0"])] if r == 0 else [],
        3,
    )
    broken = sum(
        isinstance(nxt, BrokenStepWorld)
        for world in expanded_worlds(model, 3)
        for _a, nxt in Model.successors(model, world)
    )
    assert broken > 0
    assert_keyed_as_built(model, 3)


@pytest.mark.parametrize("workers", [1, 2])
def test_the_default_check_keeps_its_counts_and_levels_at_depth_6(workers: int) -> None:
    result = search(paxos_model(faults=Faults(drop=1, crash=1)), SearchSettings(max_depth=6, workers=workers))
    assert result.distinct_states == 15_835
    assert result.level_sizes == [1, 7, 38, 196, 826, 3183, 11584]


class Counter(Model[int, int]):
    """0..9, steps +1 and +2 (mod 10): many successors seen before; 7 is bad, when
    ``checked``."""

    name = "counter"

    def __init__(self, checked: bool = True) -> None:
        self.built = 0
        self.checked = checked

    def init_states(self) -> list[int]:
        return [0]

    def actions(self, state: int) -> list[int]:
        return [1, 2]

    def next_state(self, state: int, action: int) -> int:
        self.built += 1
        return (state + action) % 10

    def properties(self) -> list[Property[int]]:
        return [Property.always("not-seven", lambda s: s != 7)] if self.checked else []


class KeyedCounter(Counter):
    def keyed_successors(self, state: int, symmetry: bool) -> Iterable[tuple[int, int, int | None]]:
        for action in self.actions(state):
            yield action, self.fingerprint((state + action) % 10), None


def test_the_bfs_builds_only_new_successors_and_finds_the_same_trace() -> None:
    plain, keyed = Counter(), KeyedCounter()
    expected = search(plain, SearchSettings(collect=True))
    found = search(keyed, SearchSettings(collect=True))
    assert found.distinct_states == expected.distinct_states == 10
    assert found.level_sizes == expected.level_sizes
    assert [(v.actions, v.states) for v in found.violations] == [(v.actions, v.states) for v in expected.violations]
    assert found.violations and found.violations[0].states[-1] == 7
    unchecked = KeyedCounter(checked=False)
    assert search(unchecked, SearchSettings()).distinct_states == 10
    assert unchecked.built == 9  # one build per new state (10 states, one initial), not 20


@pytest.mark.parametrize("workers", [2, 3])
def test_workers_build_only_the_new_successors_and_match_one_process(workers: int) -> None:
    one = search(GridModel(n=12), SearchSettings())
    keyed = KeyedGridModel(n=12)
    many = search(keyed, SearchSettings(workers=workers))
    assert (many.distinct_states, many.level_sizes, many.generated) == (
        one.distinct_states, one.level_sizes, one.generated,
    )
    assert many.complete and many.distinct_states == 169
    # each new state built once, by its owner or by the worker that sent it; none of
    # the 143 successors seen before (each state but the edges has two parents)
    assert keyed.built.value == many.distinct_states - 1
    bad = search(KeyedGridModel(n=12, bad=(5, 2)), SearchSettings(workers=workers))
    (v,) = bad.violations
    assert v.step == 7 and v.states[-1] == (5, 2)
    check_path(GridModel(n=12), v.states, v.actions)
    again = search(KeyedGridModel(n=12, bad=(5, 2)), SearchSettings(workers=workers))
    assert [(w.actions, w.states) for w in again.violations] == [(v.actions, v.states)]


def test_workers_with_keyed_successors_keep_the_bounds_and_property_kinds() -> None:
    model = KeyedGridModel(n=9, final_ok=lambda s: s != (1, 1))
    r = search(model, SearchSettings(workers=2, max_depth=2))
    assert r.violations and r.violations[0].states[-1] == (1, 1) and r.violations[0].kind == "final"
    r = search(KeyedGridModel(n=9, final_ok=lambda s: s != (1, 1)), SearchSettings(workers=2, max_depth=3))
    assert r.verdict == "holds" and r.complete and r.distinct_states == 10
    bounded = search(KeyedGridModel(n=10, boundary=2), SearchSettings(workers=2))
    assert bounded.level_sizes == [1, 2, 3, 4] and bounded.complete
    both = KeyedGridModel(n=3, bad=(1, 0), final_ok=lambda s: False, sometimes=lambda s: s == (3, 3))
    r = search(both, SearchSettings(workers=3, collect=True))
    assert sorted(v.property_name for v in r.violations) == ["final-ok", "not-bad"]
    assert r.sometimes == {"sometimes": True} and r.distinct_states == 16
    for v in r.violations:
        check_path(both, v.states, v.actions)


@pytest.mark.parametrize("name", ["ignore-promise-values", "double-apply-retry"])
def test_two_workers_find_a_mutant_shortest_counterexample_deterministically(name: str) -> None:
    case = catalogue_by_name()[name]
    one = search(build(case.config), SearchSettings(max_depth=case.max_depth))
    found = [search(build(case.config), SearchSettings(max_depth=case.max_depth, workers=w)) for w in (2, 2, 3)]
    expected = [(v.property_name, v.step) for v in one.violations]
    assert expected == [(case.expected_property, case.max_depth)]
    for result in found:
        assert [(v.property_name, v.step) for v in result.violations] == expected
        (v,) = result.violations
        check_path(build(case.config), v.states, v.actions)
    assert [v.actions for v in found[0].violations] == [v.actions for v in found[1].violations]


@pytest.mark.parametrize("sizes", [[7, 0], [0, 1], [10, 0, 2], [5, 5, 5], [1, 9, 3, 0], [0, 0, 0]])
def test_balanced_moves_even_out_the_frontiers_within_one(sizes: list[int]) -> None:
    moves = balanced_moves(sizes)
    after = [
        size - sum(moves[i]) + sum(row[i] for row in moves) for i, size in enumerate(sizes)
    ]
    assert sum(after) == sum(sizes)
    assert max(after) - min(after) <= 1
    assert all(moves[i][i] == 0 and min(moves[i]) >= 0 for i in range(len(sizes)))
    # nobody both sends and receives
    assert not any(sum(moves[i]) and sum(row[i] for row in moves) for i in range(len(sizes)))

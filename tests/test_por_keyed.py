"""Keyed successors under partial-order reduction (explorer/engine/por.py,
``KeyedReducedModel``; ``Model.quotient_model``): a reduced state's keyed fingerprints are
the fingerprints of its built successors' quotient members, the search through them is
the search that builds every successor, and the quotient mode never reaches an
unreduced search of the same model object."""

from __future__ import annotations

from typing import Any

import pytest

from explorer.actors import ActorModel, World
from explorer.engine.model import Model
from explorer.engine.por import KeyedReducedModel, ReducedModel, reduce_model
from explorer.engine.results import SearchResult, SearchSettings
from explorer.engine.search import search
from explorer.models.config import CheckConfig, Faults
from explorer.models.paxos import build
from explorer.models.paxos_properties import BrokenStepWorld, PaxosModel, TransitionCheck
from explorer.mutants.catalogue import build as build_checked
from explorer.mutants.catalogue import catalogue_by_name
from tests.por_toys import random_system
from tests.search_toys import KeyedGridModel
from tests.test_keyed_successors import expanded_worlds

POR = SearchSettings(por=True)


def keyed_reduced(model: ActorModel) -> KeyedReducedModel:
    reduced, _stats = reduce_model(model, POR)
    assert isinstance(reduced, KeyedReducedModel)
    return reduced


def assert_reduced_keyed_as_built(model: ActorModel, depth: int) -> tuple[int, int, int]:
    """Every expanded world's reduced keyed successors against its reduced successors,
    built: same actions, and each fingerprint that of the built successor's quotient
    member. Returns (successors given unbuilt, successors the quotient changed, pruned)."""
    reduced = keyed_reduced(model)
    unbuilt = merged = pruned = 0
    for world in expanded_worlds(model, depth):
        assert reduced.fingerprint(world) == model.fingerprint(model.por_quotient(world))
        built = list(reduced.successors(world))
        keyed = list(reduced.keyed_successors(world, False))
        assert [a for a, _fp, _w in keyed] == [a for a, _w in built]
        for (action, fp, given), (_a, nxt) in zip(keyed, built, strict=True):
            quotient = model.por_quotient(nxt)
            assert fp == model.fingerprint(quotient), action
            merged += quotient is not nxt
            pruned += nxt is world
            if given is None:
                unbuilt += 1
                again = model.next_state(world, action)
                assert again == nxt and type(again) is type(nxt)
            else:
                assert given == nxt and type(given) is type(nxt)
    return unbuilt, merged, pruned


def test_reduced_keyed_fingerprints_are_the_built_successors_quotients() -> None:
    model = build(CheckConfig(clients=2, ops=2, faults=Faults(drop=1, dup=1, crash=1)))
    unbuilt, merged, pruned = assert_reduced_keyed_as_built(model, 5)
    # the fast path is taken, the quotient reorders histories, and some states are reduced
    assert unbuilt > 1000 and merged > 100 and pruned > 10


def test_reduced_keyed_fingerprints_of_broken_steps_and_fifo_networks() -> None:
    model = build(CheckConfig(clients=2, faults=Faults(drop=1, crash=1)))
    assert isinstance(model, PaxosModel)
    # every change of replica 0 "breaks" a transition property: its worlds are broken
    # steps, which the quotient leaves alone (their keyed fingerprints built)
    model._transition = TransitionCheck(
        lambda before, after: {"flagged": ["r0"]} if before.actors[0] is not after.actors[0] else {},
        lambda r, old, new: [("flagged", ["r0"])] if r == 0 else [],
        3,
    )
    assert any(
        isinstance(nxt, BrokenStepWorld) for world in expanded_worlds(model, 3)
        for _a, nxt in Model.successors(model, world)
    )
    assert_reduced_keyed_as_built(model, 4)
    assert assert_reduced_keyed_as_built(build(CheckConfig(clients=2, network="fifo")), 4)[0] == 0


def outcome(result: SearchResult) -> tuple[Any, ...]:
    return (
        result.distinct_states, result.level_sizes, result.generated, result.complete,
        result.verdict, result.extra.get("por"), dict(result.sometimes),
        [(v.property_name, v.kind, v.init_index, v.actions, v.states) for v in result.violations],
    )


def built_every_successor(model: Model[Any, Any], settings: SearchSettings) -> SearchResult:
    """The reduced search without keyed successors: each successor built, and
    fingerprinted through its quotient member (the model offers no quotient model)."""
    model.quotient_model = lambda: None  # type: ignore[method-assign]
    try:
        return search(model, settings)
    finally:
        del model.quotient_model  # type: ignore[attr-defined]


# default-6 and the collecting run pull states forward by free steps (the keyed path's
# own bookkeeping in explorer/engine/bfs.py): without it their level sizes differ
CASES = {
    "default-6": (lambda: build(CheckConfig()), SearchSettings(max_depth=6, por=True)),
    "default-5-collect": (lambda: build(CheckConfig()), SearchSettings(max_depth=5, por=True, collect=True)),
    "mutant": (
        lambda: build_checked(catalogue_by_name()["ignore-promise-values"].config),
        catalogue_by_name()["ignore-promise-values"].settings(por=True),
    ),
    **{
        f"toy-{seed}-free-4": (
            lambda seed=seed: random_system(seed, free_sets=True),  # type: ignore[misc]
            SearchSettings(max_depth=4, por=True, collect=True),
        )
        for seed in range(6)
    },
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_keyed_reduced_search_is_the_one_that_builds_every_successor(name: str) -> None:
    make, settings = CASES[name]
    model = make()
    reduced, _stats = reduce_model(model, settings)
    assert isinstance(reduced, KeyedReducedModel)
    keyed = search(model, settings)
    built = built_every_successor(make(), settings)
    assert outcome(keyed) == outcome(built)
    assert keyed.extra["por"]["status"] == "on"


def test_an_unreduced_search_after_a_reduced_one_of_the_same_model_keeps_its_counts() -> None:
    model = build(CheckConfig())
    assert isinstance(model, ActorModel)
    reduced = search(model, SearchSettings(max_depth=6, por=True))
    plain = search(model, SearchSettings(max_depth=6))
    # the figures of tests/test_keyed_successors.py (a fresh model, unreduced)
    assert plain.distinct_states == 15_835
    assert plain.level_sizes == [1, 7, 38, 196, 826, 3183, 11584]
    assert reduced.distinct_states < plain.distinct_states
    assert model.fingerprints.canonical is None  # the quotient mode is the twin's only
    again = search(model, SearchSettings(max_depth=6, por=True))
    assert outcome(again) == outcome(reduced)
    twin = model.quotient_model()
    assert twin is not model and twin.fingerprints is not model.fingerprints
    world: World = model.init_states()[0]
    assert twin.fingerprint(world) == model.fingerprint(world)


def test_without_a_history_quotient_the_model_is_its_own_quotient_model() -> None:
    # random_system(1) has a property that reads the history's order: no quotient
    unmerged, merged = random_system(1), random_system(0)
    assert not unmerged.footprints.history_quotient and merged.footprints.history_quotient
    assert unmerged.quotient_model() is unmerged and merged.quotient_model() is not merged
    plain_model: Model[Any, Any] = Model()
    assert plain_model.quotient_model() is plain_model  # por_quotient is the identity
    assert isinstance(reduce_model(unmerged, POR)[0], KeyedReducedModel)


def test_workers_keep_the_plain_exchange_under_reduction() -> None:
    # (the keyed exchange of explorer/engine/parallel_keyed.py partitions the frontier
    # otherwise: the reduced search over workers stays as it was)
    for settings in (SearchSettings(por=True, workers=2), SearchSettings(por=True, backend="ray")):
        reduced, _ = reduce_model(build(CheckConfig()), settings)
        assert isinstance(reduced, ReducedModel) and not isinstance(reduced, KeyedReducedModel)
        assert reduced.twin is not None  # fingerprints still through the quotient model


class ListedGrid(KeyedGridModel):
    """Keyed successors that step through the caller's list of actions when given one."""

    def __init__(self) -> None:
        super().__init__(3)
        self.given: list[list[str] | None] = []

    def keyed_successors(self, state: Any, symmetry: bool, actions: Any = None) -> Any:
        self.given.append(None if actions is None else list(actions))
        return super().keyed_successors(state, symmetry)


def test_reduced_keyed_successors_pass_the_listed_actions_to_a_twin_that_declares_them() -> None:
    # A twin without the parameter (KeyedGridModel: the two-argument form) still works,
    # and one that declares it gets the list the reduction made; same successors.
    state = (1, 2)
    plain = KeyedGridModel(3)
    expected = list(plain.keyed_successors(state, False))
    assert list(KeyedReducedModel(plain, False, plain).keyed_successors(state, False)) == expected
    listed = ListedGrid()
    reduced = KeyedReducedModel(listed, False, listed)
    assert list(reduced.keyed_successors(state, False)) == expected
    assert listed.given == [list(listed.actions(state))]


def test_a_reduced_actor_state_lists_its_actions_once() -> None:
    model = build(CheckConfig())
    worlds = list(expanded_worlds(model, 3))
    reduced = keyed_reduced(model)
    twin = reduced.keyed_twin
    calls: list[Any] = []
    for m in {id(model): model, id(twin): twin}.values():
        inner = m.actions
        m.actions = lambda state, inner=inner: calls.append(state) or inner(state)  # type: ignore[method-assign]
    assert len(worlds) > 20
    for world in worlds:
        calls.clear()
        list(reduced.keyed_successors(world, False))
        assert len(calls) == 1


class ReducedGrid(KeyedGridModel):
    """A grid whose every state with two moves keeps ``x+1`` alone (a candidate set,
    no proviso); its keyed successors step through a given list of actions when
    ``honours_list``, else give every successor whatever the list, last first (a twin
    the reduced state cannot use for its kept successors' fingerprints)."""

    def __init__(self, honours_list: bool) -> None:
        super().__init__(3)
        self.honours_list = honours_list

    def ample_sets(self, state: Any, actions: Any) -> Any:
        from explorer.engine.model import Ample

        if list(actions) != ["x+1", "y+1"]:
            return None
        return [Ample((0,), (self.next_state(state, "x+1"),), (0,), proviso=False)]

    def keyed_successors(self, state: Any, symmetry: bool, actions: Any = None) -> Any:
        steps = list(super().keyed_successors(state, symmetry))
        if actions is None:
            return steps
        if not self.honours_list:
            return steps[::-1]
        return [step for step in steps if step[0] in actions]


@pytest.mark.parametrize("honours_list", [True, False])
def test_a_reduced_states_kept_fingerprints_are_its_built_successors(honours_list: bool) -> None:
    # The kept successors' fingerprints come from the twin's keyed steps of the kept
    # actions (a delta each) when the twin steps through exactly that list, else from
    # the built successors: the same either way, and the pruned step the state's own.
    model = ReducedGrid(honours_list)
    reduced = KeyedReducedModel(model, False, model)
    assert reduced.passes_actions
    state = (1, 2)
    steps = list(reduced.keyed_successors(state, False))
    assert steps == [
        ("x+1", model.fingerprint((2, 2)), (2, 2)),
        ("y+1", model.fingerprint(state), state),
    ]
    assert reduced.stats.pruned == 1

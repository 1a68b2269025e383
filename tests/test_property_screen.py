"""The screen of every invariant at once (Model.all_always_hold; the Paxos models':
explorer/models/paxos_screen.py): it answers True only where every always property
holds, it does answer True on most states of a correct world, and the engine skips
the one-by-one evaluation exactly when it does."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from explorer.engine.model import Model, Property
from explorer.engine.results import SearchSettings
from explorer.engine.search import search
from explorer.models import build_model
from explorer.models.config import CheckConfig, Faults
from explorer.models.paxos_properties import PaxosModel
from explorer.mutants import build, catalogue_by_name
from tests.search_toys import GridModel


def worlds_within(model: Model[Any, Any], depth: int) -> Iterator[Any]:
    """Every distinct state within ``depth`` steps (successors built, by value)."""
    level = list(model.init_states())
    seen = set(level)
    for _ in range(depth + 1):
        yield from level
        following = []
        for state in level:
            for _action, nxt in Model.successors(model, state):
                if nxt not in seen:
                    seen.add(nxt)
                    following.append(nxt)
        level = following


def screen_against_properties(model: PaxosModel, depth: int) -> tuple[int, int, set[str]]:
    """Checks the screen on every world within ``depth``, before and after the
    properties are evaluated (cold and warm verdict caches): never True where one
    fails. Returns (worlds the warm screen passed, worlds where all hold, what failed)."""
    always = [p for p in model.properties() if p.kind == "always"]
    passed = holding = 0
    failed: set[str] = set()
    for world in worlds_within(model, depth):
        cold = model.all_always_hold(world)
        failing = [p.name for p in always if not p.condition(world)]
        warm = model.all_always_hold(world)
        if failing:
            assert not cold and not warm, (failing, world)
            failed.update(failing)
        else:
            holding += 1
            passed += warm
    return passed, holding, failed


@pytest.mark.parametrize(
    "name",
    ["quorum-one", "forget-promise-on-restart", "forget-learned-on-restart", "forward-as-own", "apply-out-of-order"],
)
def test_the_screen_never_passes_a_world_a_mutant_breaks(name: str) -> None:
    case = catalogue_by_name()[name]
    model = build(case.config)
    assert isinstance(model, PaxosModel)
    _passed, _holding, failed = screen_against_properties(model, case.max_depth)
    assert case.expected_property in failed  # the case's violation was among the worlds


def test_the_screen_passes_most_worlds_of_the_correct_protocol() -> None:
    model = build_model(
        CheckConfig(model="multipaxos", nodes=3, clients=2, ops=1, faults=Faults(drop=1, crash=1))
    )
    assert isinstance(model, PaxosModel)
    passed, holding, failed = screen_against_properties(model, 5)
    assert not failed
    assert passed > holding // 2  # it is not vacuous: most worlds skip the one-by-one checks


def test_a_model_whose_properties_changed_is_not_screened() -> None:
    model = build_model(CheckConfig(model="multipaxos", nodes=3, clients=1, ops=1))
    assert isinstance(model, PaxosModel)
    (world,) = model.init_states()
    for p in model.properties():
        p.condition(world)  # verdicts cached
    assert model.all_always_hold(world)
    model._properties = (*model._properties, Property.always("never", lambda w: False))
    assert not model.all_always_hold(world)  # the screen was made for the old list


class ScreenedGrid(GridModel):
    """A grid whose screen vouches for every state (wrongly where ``bad`` fails): the
    engine must take its word, which shows where the screen is asked."""

    def __init__(self, vouch: bool, **kw: Any) -> None:
        super().__init__(**kw)
        self.vouch = vouch
        self.asked = 0

    def all_always_hold(self, state: Any) -> bool:
        self.asked += 1
        return self.vouch


@pytest.mark.parametrize("strategy", ["bfs", "dfs"])
def test_the_engine_skips_the_properties_exactly_where_the_screen_vouches(strategy: str) -> None:
    settings = SearchSettings(strategy=strategy)
    vouching = ScreenedGrid(True, n=3, bad=(2, 2))
    assert not search(vouching, settings).violations
    assert vouching.asked == 16  # asked once per distinct state ((n+1)^2 of them)
    honest = ScreenedGrid(False, n=3, bad=(2, 2))
    names: Sequence[str] = [v.property_name for v in search(honest, settings).violations]
    assert names == ["not-bad"]

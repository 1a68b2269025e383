"""The screen of every invariant at once (Model.all_always_hold; the Paxos models':
explorer/models/paxos_screen.py): it answers True only where every always property
holds, it does answer True on most states of a correct world, and the engine skips
the one-by-one evaluation exactly when it does."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from explorer.actors.world import replace_at
from explorer.engine.model import Model, Property
from explorer.engine.results import SearchSettings
from explorer.engine.search import search
from explorer.models import build_model
from explorer.models.config import CheckConfig, Faults
from explorer.models.paxos_progress import JUDGED_KINDS, TRUTHFUL_MESSAGES
from explorer.models.paxos_properties import PaxosModel
from explorer.models.paxos_screen import StepScreened
from explorer.mutants import build, catalogue_by_name
from paxos_core.events import Send
from paxos_core.messages import BOTTOM, Accepted
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


def screen_after_steps(model: PaxosModel, depth: int) -> tuple[int, int, set[str]]:
    """Checks the screen on each step's world right after the step built it (where a
    :class:`StepScreened` condition reads the step), as :func:`screen_against_properties`."""
    always = [p for p in model.properties() if p.kind == "always"]
    passed = holding = 0
    failed: set[str] = set()
    level = list(model.init_states())
    seen = set(level)
    for _ in range(depth):
        following = []
        for world in level:
            for action in model.actions(world):
                nxt = model.next_state(world, action)
                assert nxt is not None
                screened = model.all_always_hold(nxt)
                failing = [p.name for p in always if not p.condition(nxt)]
                if failing:
                    assert not screened, (failing, nxt)
                    failed.update(failing)
                else:
                    holding += 1
                    passed += screened
                if nxt not in seen:
                    seen.add(nxt)
                    following.append(nxt)
        level = following
    return passed, holding, failed


def test_the_screen_after_a_step_never_passes_an_untruthful_message() -> None:
    # forget-promise-on-restart: a crash wipes a replica's promise, so the Promise it
    # sent before, still in flight, becomes untrue although the step sent nothing
    model = build(catalogue_by_name()["forget-promise-on-restart"].config)
    assert isinstance(model, PaxosModel)
    _passed, _holding, failed = screen_after_steps(model, 6)
    assert TRUTHFUL_MESSAGES in failed


def test_truthful_after_a_step_judges_again_the_messages_of_the_actor_it_moved() -> None:
    # A step that makes its actor forget a promise and its votes (only a mutant's, and
    # then a broken step: the screen rejects its world by type first) makes that actor's
    # messages in flight untrue without sending one: after_step judges them again.
    model = build_model(CheckConfig(model="multipaxos", nodes=3, clients=1, ops=1))
    truthful = next(p.condition for p in model.properties() if p.name == TRUTHFUL_MESSAGES)
    assert isinstance(truthful, StepScreened) and isinstance(model, PaxosModel)
    world, sender = next(
        (w, src)
        for w in worlds_within(model, 5)
        for src, _dst, msg in model.net.heads(w.network)
        if type(msg) in JUDGED_KINDS and src < 3 and truthful(w)
    )
    state = world.actors[sender]
    forgot = state._replace(durable=state.durable._replace(promised=BOTTOM, votes=()))
    after = world._replace(actors=replace_at(world.actors, sender, forgot))
    assert not truthful(after)
    model.last_step = (after, world, sender, ())
    assert not truthful.after_step(after)
    model.last_step = (world, world, sender, ())  # the step's world itself: still true
    assert truthful.after_step(world)
    lie = Accepted((9, sender), 0, "never voted")  # a message the step sent
    told = world._replace(network=model.net.add(world.network, sender, 0, lie))
    assert not truthful(told)
    model.last_step = (told, world, sender, (Send(0, lie),))
    assert not truthful.after_step(told)


def test_the_screen_after_a_step_passes_most_worlds_of_the_correct_protocol() -> None:
    model = build_model(
        CheckConfig(model="multipaxos", nodes=3, clients=2, ops=1, faults=Faults(drop=1, dup=1, crash=1))
    )
    assert isinstance(model, PaxosModel)
    passed, holding, failed = screen_after_steps(model, 4)
    assert not failed
    assert passed > holding // 2


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

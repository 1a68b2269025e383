"""Scripted openings (explorer/actors/script.py), the ``schedule`` option and the
``leader tracks its slots`` property, which the portfolio's worlds for the last gaps of
docs/mutation.md use (the gap mutants themselves: tests/test_progress.py)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from explorer.cli.main import main
from explorer.models.config import CheckConfig, ConfigError, extra_pairs
from explorer.models.paxos_progress import LEADER_TRACKS_SLOTS
from explorer.models.portfolio import DEFAULT_PORTFOLIO, select_world
from explorer.models.registry import build_model
from paxos_core.messages import Command
from paxos_core.multi import LEADER, MultiDurable, MultiState, MultiVolatile

REPO = Path(__file__).resolve().parent.parent
SCRIPTED = [w for w in DEFAULT_PORTFOLIO if dict(w.config.extra).get("script")]


@pytest.fixture(autouse=True)
def _run_from_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


def with_extra(config: CheckConfig, **changes: object) -> CheckConfig:
    return dataclasses.replace(config, extra=extra_pairs({**dict(config.extra), **changes}))


def test_the_portfolio_has_scripted_worlds_and_each_follows_its_whole_script() -> None:
    assert {w.name for w in SCRIPTED} >= {"retry-dup", "candidate-buffers", "lost-accept"}
    for world in SCRIPTED:
        model = build_model(world.config)
        assert model.script_followed() == len(model.script), world.name


def test_a_script_starts_the_search_where_it_leads_and_stops_at_an_entry_nothing_matches() -> None:
    config = select_world(DEFAULT_PORTFOLIO, "lost-accept").config
    start = build_model(config).init_states()[0]
    assert start.budgets[0] == 0  # the scripted drop spent the drop budget
    assert any(c.outstanding for c in start.actors[2:])  # the client's request is out
    # an entry no enabled action matches: the script stops there (a mutated protocol
    # may leave the scripted run; the search starts from the last world it reached)
    broken = build_model(with_extra(config, script=("timer 2 next", "deliver 1->0 Nothing", "drop 0->1 Accept")))
    assert broken.script_followed() == 1
    plain = build_model(with_extra(config, script=()))
    assert broken.init_states()[0] != plain.init_states()[0] != start


def test_a_violation_in_a_scripted_world_replays_from_the_scripted_start(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code = main(["check", "--world", "retry-dup", "--variant", "double-apply-retry", "--json", "--traces", str(tmp_path)])
    data = json.loads(capsys.readouterr().out)
    assert code == 1 and data["verdict"] == "violated"
    (violation,) = data["worlds"][0]["violations"]
    assert violation["property"] == "client-visible"
    assert main(["replay", violation["trace"]]) == 1  # reproduced
    capsys.readouterr()


@pytest.mark.parametrize(
    "extra, message",
    [
        ({"script": "timer 0 election"}, "script must be a list"),
        ({"script": ["timer 0 election", ""]}, "script must be a list"),
        ({"schedule": [[["put", "x", 1]]]}, "schedule must be 2 list(s) of 1 operation(s)"),
        ({"schedule": [[["put", "x", 1]], [[]]]}, "schedule must be"),
        ({"schedule": [[["put", "x", 1]], "get"]}, "schedule must be"),
    ],
)
def test_bad_script_or_schedule_is_a_config_error(extra: dict[str, object], message: str) -> None:
    config = CheckConfig(model="multipaxos", nodes=2, clients=2, ops=1, extra=extra_pairs(extra))
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        build_model(config)


def test_a_schedule_replaces_the_default_workload() -> None:
    config = select_world(DEFAULT_PORTFOLIO, "retry-dup").config
    start = build_model(with_extra(config, script=())).init_states()[0]
    assert start.history == ()
    model = build_model(config)
    invoked = {ev.op for ev in model.init_states()[0].history}
    assert invoked == {("cas", "x", None, 1), ("put", "y", 5)}


def test_a_leader_that_skips_an_undecided_slot_it_accepted_breaks_leader_tracks_its_slots() -> None:
    config = CheckConfig(model="multipaxos", nodes=2, clients=1, ops=1, phase1_quorum=1, phase2_quorum=2)
    # stricter than safety, so asked for (every Multi-Paxos world of the portfolio does)
    assert LEADER_TRACKS_SLOTS not in {p.name for p in build_model(config).properties()}
    assert all(
        dict(w.config.extra).get("leader_tracks_slots") for w in DEFAULT_PORTFOLIO if w.config.model == "multipaxos"
    )
    model = build_model(with_extra(config, leader_tracks_slots=True))
    (prop,) = [p for p in model.properties() if p.name == LEADER_TRACKS_SLOTS]
    start = model.init_states()[0]
    cmd = Command(2, 1, ("put", "x", 1))
    durable = MultiDurable(promised=(2, 1), round_used=2, accepted=((0, (1, 0), cmd), (1, (1, 0), cmd)),
                           decided=((0, cmd),))
    tracked = MultiState(durable, MultiVolatile(role=LEADER, inflight=((1, cmd, (1,)),)))
    skipped = MultiState(durable, MultiVolatile(role=LEADER))
    follower = MultiState(durable, MultiVolatile())
    assert prop.condition(start._replace(actors=(start.actors[0], tracked, *start.actors[2:])))
    assert not prop.condition(start._replace(actors=(start.actors[0], skipped, *start.actors[2:])))
    assert prop.condition(start._replace(actors=(start.actors[0], follower, *start.actors[2:])))

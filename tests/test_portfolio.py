"""The default check: a portfolio of small worlds (explorer/models/portfolio.py, cli/portfolio.py).

The whole portfolio takes about a minute of CPU (bench/bench_portfolio.py); here every
world runs at a small depth, and the CLI on its smallest world.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from explorer.cli.main import main
from explorer.models.config import CheckConfig, ConfigError, Faults
from explorer.models.portfolio import (
    DEFAULT_PORTFOLIO,
    PortfolioWorld,
    load_portfolio,
    select_world,
    with_variant,
)
from explorer.models.portfolio_run import overall_verdict, run_portfolio, run_world

REPO = Path(__file__).resolve().parent.parent
SMALLEST = "catch-up"  # ~8,000 states at depth 10


@pytest.fixture(autouse=True)
def _run_from_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


def check(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["check", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def shallow(world: PortfolioWorld) -> PortfolioWorld:
    if world.strategy == "swarm":
        return dataclasses.replace(world, walks=40)
    return dataclasses.replace(world, depth=min(world.depth or 5, 5), max_states=None)


def test_the_portfolio_has_a_world_for_every_bug_class() -> None:
    configs = {w.name: w.config for w in DEFAULT_PORTFOLIO}
    assert any(c.model == "basic" and c.clients >= 2 and c.ballots >= 2 for c in configs.values())
    assert any(c.model == "multipaxos" and c.nodes == 2 and (c.phase1_quorum, c.phase2_quorum) == (2, 1) for c in configs.values())
    assert any(c.model == "multipaxos" and c.nodes == 3 and c.phase1_quorum is None for c in configs.values())
    assert any(c.faults.crash and c.clients for c in configs.values())
    assert any(c.ops >= 2 and c.faults.dup for c in configs.values())
    assert any(c.faults.dup and c.phase2_quorum == c.nodes for c in configs.values())
    assert any(w.strategy == "swarm" for w in DEFAULT_PORTFOLIO)
    assert len({w.name for w in DEFAULT_PORTFOLIO}) == len(DEFAULT_PORTFOLIO)


@pytest.mark.parametrize("world", DEFAULT_PORTFOLIO, ids=lambda w: w.name)
def test_every_world_holds_on_the_correct_protocol(world: PortfolioWorld) -> None:
    outcome = run_world(shallow(world))
    assert outcome.result.verdict == "holds", outcome.violations
    assert outcome.verdict == ("incomplete" if world.strategy == "swarm" else "holds")
    assert world.is_sample == (world.strategy == "swarm" or world.max_states is not None)


def test_worst_verdict_wins_and_a_violation_stops_early() -> None:
    worlds = with_variant([select_world(DEFAULT_PORTFOLIO, "crash-durability"), select_world(DEFAULT_PORTFOLIO, SMALLEST)],
                          "forget-promise-on-restart")
    outcomes = run_portfolio(worlds, stop_on_violation=True)
    assert [o.world.name for o in outcomes] == ["crash-durability"]  # the second never ran
    assert outcomes[0].violations[0].property_name == "promise monotonicity"
    assert overall_verdict(outcomes) == "violated"


def test_list_worlds_prints_every_world(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = check(capsys, "--list-worlds")
    assert code == 0
    for world in DEFAULT_PORTFOLIO:
        assert f"{world.name}:" in out
    code, out, _ = check(capsys, "--list-worlds", "--json")
    assert [w["name"] for w in json.loads(out)["worlds"]] == [w.name for w in DEFAULT_PORTFOLIO]


def test_one_world_json_has_one_entry_with_every_property(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = check(capsys, "--world", SMALLEST, "--json", "--traces", str(tmp_path / "t"))
    data = json.loads(out)
    assert code == 0 and data["verdict"] == "holds" and data["complete"]
    (world,) = data["worlds"]
    assert world["name"] == SMALLEST and world["complete"] and world["depth"] == 10  # actions on the longest path (levels: 11)
    assert world["properties"]["quiescence"] == "holds"
    assert world["properties"]["agreement"] == "holds"
    assert world["properties"]["operation completed"] == "witnessed"
    assert not (tmp_path / "t").exists()


def test_a_variant_on_a_world_is_caught_with_a_trace(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = check(capsys, "--world", "crash-durability", "--variant", "forget-promise-on-restart",
                         "--json", "--traces", str(tmp_path))
    data = json.loads(out)
    assert code == 1 and data["verdict"] == "violated"
    (violation,) = data["worlds"][0]["violations"]
    assert violation["property"] == "promise monotonicity" and Path(violation["trace"]).is_file()
    assert main(["replay", violation["trace"]]) == 1  # reproduced
    capsys.readouterr()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--world", "nope"], "unknown --world 'nope'"),
        (["--world", SMALLEST, "--nodes", "3"], "--nodes describe(s) one world"),
        (["--portfolio", "nope.toml"], "--portfolio nope.toml"),
        (["--portfolio", "not-a-spec"], "neither a .toml file"),
        (["--portfolio", "examples:NOPE"], "must be a list"),
    ],
)
def test_bad_portfolio_input_is_one_line_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    code, out, err = check(capsys, *argv)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and message in err and "Traceback" not in err


def test_single_world_options_still_check_one_world(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = check(capsys, "--depth", "2", "--json", "--traces", str(tmp_path))
    data = json.loads(out)
    assert code == 0 and "worlds" not in data and data["config"]["nodes"] == 3


def _toml(path: Path, body: str) -> Path:
    path.write_text(body, encoding="utf-8")
    return path


def test_a_toml_portfolio_of_a_users_model(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    spec = _toml(tmp_path / "p.toml", """
[[world]]
name = "tpc-fixed"
purpose = "two-phase commit, two participants"
depth = 6
config = { model = "examples.two_phase_commit:Model", variant = "fixed", nodes = 2, faults = {} }

[[world]]
name = "tpc-buggy"
depth = 8
config = { model = "examples.two_phase_commit:Model", variant = "buggy", nodes = 3, faults = {} }
""")
    code, out, _ = check(capsys, "--portfolio", str(spec), "--json", "--traces", str(tmp_path / "t"))
    data = json.loads(out)
    assert [w["name"] for w in data["worlds"]] == ["tpc-fixed", "tpc-buggy"]
    assert [w["verdict"] for w in data["worlds"]] == ["holds", "violated"]
    assert code == 1 and data["verdict"] == "violated"


def test_the_example_portfolio_loads() -> None:
    worlds = load_portfolio(str(REPO / "examples" / "portfolio.toml"))
    assert worlds and all(w.config.model.startswith("examples.") or w.config.model in ("multipaxos", "basic") for w in worlds)


@pytest.mark.parametrize(
    "body, message",
    [
        ("[[world]]\nname = 1\n", "needs a name"),
        ("[[world]]\nname = 'a'\ncolour = 1\n", "unknown world keys colour"),
        ("[[world]]\nname = 'a'\ndepth = 3\nconfig = { nodes = 0 }\n", "--nodes must be at least 1"),
        ("[[world]]\nname = 'a'\nconfig = {}\n", "needs a depth or max_states"),
        ("[[world]]\nname = 'a'\ndepth = 1\n[[world]]\nname = 'a'\ndepth = 1\n", "given twice"),
        ("world = [", "not valid TOML"),
    ],
)
def test_bad_toml_portfolio_is_a_config_error(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        load_portfolio(str(_toml(tmp_path / "p.toml", body)))


def test_a_python_list_portfolio(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "myworlds.py").write_text(
        "from explorer.models.portfolio import PortfolioWorld\n"
        "from explorer.models.config import CheckConfig, Faults\n"
        "WORLDS = [PortfolioWorld('w', '', CheckConfig(model='multipaxos', nodes=2, clients=1, faults=Faults(),"
        " phase1_quorum=2, phase2_quorum=1), depth=4)]\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    (world,) = load_portfolio("myworlds:WORLDS")
    assert world.config == CheckConfig(model="multipaxos", nodes=2, clients=1, faults=Faults(), phase1_quorum=2, phase2_quorum=1)


def test_a_model_that_raises_is_exit_2_never_a_verdict(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "raising.py").write_text(
        "from explorer.engine.model import Model\n"
        "class Broken(Model):\n"
        "    def init_states(self):\n        return [0]\n"
        "    def actions(self, s):\n        raise KeyError('oops')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    spec = _toml(tmp_path / "p.toml", "[[world]]\nname = 'b'\ndepth = 2\nconfig = { model = 'raising:Broken', faults = {} }\n")
    code, out, err = check(capsys, "--portfolio", str(spec), "--traces", str(tmp_path / "t"))
    assert code == 2 and "the model raised KeyError" in err and "Traceback" not in err


def test_the_catalogue_column_says_the_default_check_catches_a_mistake(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["mutants", "--only", "forward-as-own", "--skip-correct", "--default-check", "--json"])
    (row,) = json.loads(capsys.readouterr().out)["mutants"]
    assert code == 0
    assert row["default_check"]["caught"] and row["default_check"]["world"] == "multi-flex-recovery"
    assert row["default_check"]["property"] == "validity"

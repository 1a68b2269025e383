"""Coverage (``synod check --coverage``): counts on toy models whose numbers are known by hand.

``Grid``: a state ``Pair(x, y)``, x counts to 2 and y to 1 (actions "x" and "y"). BFS
from (0,0), successors in the order x, y:

    level 0: (0,0)
    level 1: (1,0) by x, (0,1) by y
    level 2: from (1,0): (2,0) by x, (1,1) by y; from (0,1): (1,1) by x, known
    level 3: from (2,0): (2,1) by y; from (1,1): (2,1) by x, known

so x takes 4 transitions (from (0,0), (1,0), (0,1), (1,1)) and makes 2 new states,
y takes 3 and makes 3; x has 3 distinct values, y 2; 6 states in levels of 1, 2, 2, 1.

``Log``: a state ``Logged(n, log)``: actions "a" and "b" while n < 2, each appends its
name to the log. Level d has 2**d states that differ only in the log: forgetting the log
leaves 1 state per level (multiplier 2**d), forgetting n leaves all of them (1.0).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from explorer.actors import ActorModel, Faults
from explorer.actors.components import components_for
from explorer.cli import main
from explorer.engine.coverage import CoverageModel
from explorer.engine.coverage_report import CoverageReport
from explorer.engine.model import Model, Property
from explorer.engine.results import SearchSettings
from explorer.engine.search import search
from paxos_core.events import Send

ROOT = Path(__file__).resolve().parent.parent


class Pair(NamedTuple):
    x: int
    y: int


class Grid(Model[Pair, str]):
    name = "grid"

    def init_states(self) -> Sequence[Pair]:
        return [Pair(0, 0)]

    def actions(self, state: Pair) -> list[str]:
        return [a for a, ok in (("x", state.x < 2), ("y", state.y < 1)) if ok]

    def next_state(self, state: Pair, action: str) -> Pair:
        return state._replace(x=state.x + 1) if action == "x" else state._replace(y=state.y + 1)

    def action_kind(self, action: str) -> str:
        return action

    def properties(self) -> Sequence[Property[Pair]]:
        return [Property.always("bounded", lambda s: s.x <= 2)]


class Logged(NamedTuple):
    n: int
    log: tuple[str, ...]


class Log(Model[Logged, str]):
    name = "log"

    def init_states(self) -> Sequence[Logged]:
        return [Logged(0, ())]

    def actions(self, state: Logged) -> list[str]:
        return ["a", "b"] if state.n < 2 else []

    def next_state(self, state: Logged, action: str) -> Logged:
        return Logged(state.n + 1, (*state.log, action))

    def format_action(self, action: str) -> str:
        return action

    def action_kind(self, action: str) -> str:
        return action


@pytest.fixture
def repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def covered(model: Model[Any, Any], strategy: str = "bfs") -> tuple[CoverageReport, Any]:
    wrapper = CoverageModel(model, components_for(model), level_order=strategy == "bfs")
    result = search(wrapper, SearchSettings(strategy=strategy))  # type: ignore[arg-type]
    return CoverageReport.of(wrapper), result


def test_grid_counts_by_hand() -> None:
    report, result = covered(Grid())
    assert result.distinct_states == report.total_new_states == 6
    assert {k: (t.transitions, t.new_states) for k, t in report.by_kind.items()} == {
        "x": (4, 2),
        "y": (3, 3),
    }
    assert sum(t.transitions for t in report.by_kind.values()) == result.generated == 7
    assert report.field_values == {"x": 3, "y": 2}
    assert [lv.new_states for lv in report.levels] == [1, 2, 2, 1] == result.level_sizes
    assert report.by_node == {}  # a plain model's actions have no node


def test_grid_counts_under_dfs_too() -> None:
    report, result = covered(Grid(), "dfs")
    assert report.total_new_states == result.distinct_states == 6
    assert report.field_values == {"x": 3, "y": 2}
    assert sum(t.new_states for t in report.by_kind.values()) == 5


def test_dfs_peeking_at_the_depth_bound_counts_nothing(
    repo_root: None, capsys: pytest.CaptureFixture[str]
) -> None:
    # DFS asks a state on the bound whether it has successors; that is no transition
    for strategy in ("bfs", "dfs"):
        argv = ["check", "--model", "basic", "--depth", "4", "--strategy", strategy, "--coverage", "--json"]
        assert main(argv) == 0
        data = json.loads(capsys.readouterr().out)
        assert data["coverage"]["new_states"] == data["distinct_states"] == 289
        assert max(level["depth"] for level in data["coverage"]["levels"]) == 4


def test_log_multiplies_states_and_the_summary_says_so() -> None:
    report, _ = covered(Log())
    level2 = report.levels[2]
    assert level2.new_states == 4
    assert level2.groups["log"].multiplier(4) == 4.0
    assert level2.groups["n"].multiplier(4) == 1.0
    assert report.levels[1].groups["log"].multiplier(2) == 2.0
    assert report.field_values == {"n": 3, "log": 7}
    assert report.growth(2) == 2.0
    summary = report.summary()
    assert any(line.startswith("Log multiplies states by 4.0 at depth 2") for line in summary)
    assert not any(line.startswith("N multiplies") for line in summary)


class Echo:
    """Node 0 sends node 1 "ping" at start; node 1 counts what it hears."""

    def on_start(self, me: int) -> tuple[Any, tuple[Any, ...]]:
        return 0, ((Send(1, "ping"),) if me == 0 else ())

    def on_message(self, me: int, state: Any, src: int, msg: Any) -> tuple[Any, tuple[Any, ...]]:
        return state + 1, ()

    def on_timer(self, me: int, state: Any, timer: str) -> tuple[Any, tuple[Any, ...]]:
        return state, ()

    def on_crash(self, me: int, state: Any) -> Any:
        return state

    def on_restart(self, me: int, state: Any) -> tuple[Any, tuple[Any, ...]]:
        return state, ()


def test_actor_world_parts_and_nodes_by_hand() -> None:
    # init: ping in flight; deliver it (node 1 counts 1) or drop it (budget spent): 3 states
    model = ActorModel({0: Echo(), 1: Echo()}, servers=(0, 1), faults=Faults(drop=1))
    report, result = covered(model)
    assert result.distinct_states == report.total_new_states == 3
    assert {k: (t.transitions, t.new_states) for k, t in report.by_class.items()} == {
        "deliver ping": (1, 1),
        "drop ping": (1, 1),
    }
    assert {k: (t.transitions, t.new_states) for k, t in report.by_node.items()} == {"1": (2, 2)}
    assert report.field_values["node 1"] == 2 and report.field_values["node 0"] == 1
    assert report.field_values["network"] == 2 and report.field_values["budgets"] == 2
    assert set(report.group_values) >= {"node 0", "node 1", "network", "timers", "history", "budgets"}


def test_coverage_counts_what_the_search_counts_on_multipaxos() -> None:
    from explorer.models import build_model
    from explorer.models.config import CheckConfig

    model = build_model(CheckConfig())
    wrapper = CoverageModel(model, components_for(model))
    result = search(wrapper, SearchSettings(max_depth=4))
    report = CoverageReport.of(wrapper)
    plain = search(model, SearchSettings(max_depth=4))
    assert report.total_new_states == result.distinct_states == plain.distinct_states
    assert sum(t.transitions for t in report.by_kind.values()) == plain.generated
    assert [lv.new_states for lv in report.levels] == plain.level_sizes
    assert report.field_values["history"] >= 2


def test_cli_coverage_json_and_text(repo_root: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--model", "tests.test_coverage:Log", "--coverage", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    coverage = data["coverage"]
    assert coverage["new_states"] == data["distinct_states"] == 7
    assert coverage["actions"]["by_kind"] == {
        "a": {"transitions": 3, "new_states": 3},
        "b": {"transitions": 3, "new_states": 3},
    }
    assert coverage["levels"][2]["groups"]["log"] == {"values": 4, "multiplier": 4.0}
    assert coverage["distinct_values"]["fields"] == {"n": 3, "log": 7}
    assert main(["check", "--model", "tests.test_coverage:Log", "--coverage"]) == 0
    out = capsys.readouterr().out
    assert "coverage: actions by class" in out and "Log multiplies states by 4.0 at depth 2" in out


def test_cli_coverage_refuses_strategies_it_cannot_count(
    repo_root: None, capsys: pytest.CaptureFixture[str]
) -> None:
    for extra in (["--strategy", "random"], ["--workers", "2"]):
        assert main(["check", "--model", "tests.test_coverage:Log", "--coverage", *extra]) == 2
        out, err = capsys.readouterr()
        assert err.count("\n") == 1 and "--coverage applies to" in err and "Traceback" not in err


def test_coverage_is_the_same_under_any_hash_seed() -> None:
    import os
    import subprocess
    import sys

    def run(seed: str) -> Any:
        proc = subprocess.run(
            [sys.executable, "-m", "explorer", "check", "--depth", "3", "--coverage", "--json"],
            cwd=ROOT, capture_output=True, text=True, check=False,
            env={**os.environ, "PYTHONHASHSEED": seed},
        )
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)["coverage"]

    first, second = run("1"), run("2")
    assert first == second and first["new_states"] > 100

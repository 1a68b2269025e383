"""explorer.testing: the Hypothesis strategy, saved runs that replay, and assert_holds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, find, given, settings

from explorer.cli import main
from explorer.models import build_model
from explorer.models.config import CheckConfig, Faults
from explorer.replay.reproduce import replay_trace
from explorer.replay.trace import load_trace
from explorer.testing import Run, assert_holds, runs, save_run
from tests import sanitize_toys

ROOT = Path(__file__).resolve().parent.parent
TPC = "examples.two_phase_commit:Model"
BUGGY = CheckConfig(model=TPC, variant="buggy")
buggy = build_model(BUGGY)
DERANDOMIZED = settings(derandomize=True, database=None, max_examples=300)


@pytest.fixture(autouse=True)
def _run_from_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def _replays(run: Run) -> bool:
    state = run.states[0]
    for action, nxt in zip(run.actions, run.states[1:], strict=True):
        if action not in list(buggy.actions(state)) or buggy.next_state(state, action) != nxt:
            return False
        state = nxt
    return True


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(runs(buggy, max_steps=12, min_steps=2, budgets={"crash": 1, "drop": 0}))
def test_drawn_runs_are_real_runs_within_their_budgets(run: Run) -> None:
    assert _replays(run)
    assert run.steps == len(run.actions) <= 12
    kinds = [buggy.action_kind(a) for a in run.actions]
    assert kinds.count("crash") <= 1 and "drop" not in kinds
    assert repr(run).startswith("Run(two-phase-commit, init 0, ")


@settings(max_examples=40, deadline=None)
@given(runs(buggy, max_steps=8, weights={"deliver": 1, "timer": 0, "drop": 0, "crash": 0}))
def test_weight_zero_leaves_a_kind_out(run: Run) -> None:
    assert {buggy.action_kind(a) for a in run.actions} <= {"deliver"}


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(ValueError, match="min_steps"):
        runs(buggy, max_steps=2, min_steps=3)
    with pytest.raises(ValueError, match="budgets"):
        runs(buggy, budgets={"crash": -1})


def test_hypothesis_finds_the_bug_shrinks_it_and_the_trace_replays(tmp_path: Path) -> None:
    run = find(runs(buggy, max_steps=20), lambda r: r.violation() is not None, settings=DERANDOMIZED)
    violation = run.violation()
    assert violation is not None and violation.property_name == "atomicity"
    assert 6 <= violation.step <= 9  # BFS's shortest is 6; Hypothesis gets close
    path = save_run(run, tmp_path)  # cut at the violation, named as synod check names traces
    trace = load_trace(path)
    assert trace.step == violation.step and trace.config == BUGGY
    outcome = replay_trace(build_model(trace.config), trace)
    assert outcome.status == "reproduced"
    assert main(["replay", str(path)]) == 1  # what `synod replay` says: reproduced


def test_assert_properties_raises_with_the_diagram_and_a_stable_trace(tmp_path: Path) -> None:
    run = find(runs(buggy, max_steps=20), lambda r: r.violation() is not None, settings=DERANDOMIZED)
    with pytest.raises(AssertionError) as failure:
        run.assert_properties(traces=tmp_path)
    message = str(failure.value)
    assert message.startswith("always property 'atomicity' violated after 6 steps")  # ddmin-ed
    assert "Replicas" in message and "^^ property 'atomicity' violated" in message
    (saved,) = tmp_path.iterdir()
    assert saved.name == "examples.two_phase_commit-Model-buggy-atomicity-run.json"
    assert f"synod replay {saved}" in message
    assert replay_trace(buggy, load_trace(saved)).status == "reproduced"


def test_a_run_that_breaks_nothing_passes_and_cannot_be_saved_without_a_property(tmp_path: Path) -> None:
    run = Run(buggy, 0, (buggy.init_states()[0],), ())
    run.assert_properties(traces=tmp_path)
    with pytest.raises(ValueError, match="breaks no property"):
        save_run(run, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_assert_holds_fails_with_diagram_and_replayable_trace(tmp_path: Path) -> None:
    with pytest.raises(AssertionError) as failure:
        assert_holds(TPC, variant="buggy", traces=tmp_path)
    message = str(failure.value)
    assert "always property 'atomicity' violated after 6 steps" in message
    assert "#-->|" in message  # the sequence diagram
    (saved,) = tmp_path.iterdir()
    assert f"trace saved to {saved}" in message
    assert main(["replay", str(saved)]) == 1


def test_assert_holds_returns_the_result_when_it_holds() -> None:
    result = assert_holds(TPC, variant="fixed", faults=Faults(drop=1, crash=1))
    assert result.complete and result.distinct_states == 19_770


def test_assert_holds_refuses_an_unfinished_or_vacuous_check() -> None:
    with pytest.raises(AssertionError, match="stopped by states"):
        assert_holds(TPC, variant="fixed", max_states=100)
    with pytest.raises(AssertionError, match="never witnessed.*commits"):
        assert_holds(TPC, variant="fixed", depth=2)
    assert assert_holds(TPC, variant="fixed", depth=2, require_witnessed=False).complete


def test_assert_holds_with_sanitize_refuses_a_nondeterministic_model() -> None:
    with pytest.raises(AssertionError, match="NOT DETERMINISTIC"):
        assert_holds(sanitize_toys.SetOrder(), sanitize=True)


def test_assert_holds_on_an_instance_without_config_still_draws_the_diagram(tmp_path: Path) -> None:
    class Unnamed(sanitize_toys.Clean):
        def properties(self) -> Any:
            from explorer.engine.model import Property

            return [Property.always("below 2", lambda s: s[0] < 2)]

        def config(self) -> dict[str, Any]:
            return {"model": "unnamed"}

    with pytest.raises(AssertionError) as failure:
        assert_holds(Unnamed(), traces=tmp_path)
    message = str(failure.value)
    assert "after 2 steps" in message and "no trace saved" in message and "config=" in message
    assert list(tmp_path.iterdir()) == []


def test_the_example_hypothesis_test_passes() -> None:
    # (its assert_holds twin is the call of test_assert_holds_returns_the_result_when_it_holds)
    from examples import test_two_phase_commit as example

    example.test_fixed_protocol_never_mixes_commit_and_abort()


def test_the_example_database_replays_a_failing_run_first(tmp_path: Path) -> None:
    from hypothesis.database import DirectoryBasedExampleDatabase

    first_tried: list[list[str]] = []

    def make_test() -> Any:
        calls: list[list[str]] = []

        @settings(database=DirectoryBasedExampleDatabase(str(tmp_path / "db")), max_examples=300,
                  deadline=None)
        @given(runs(buggy, max_steps=20))
        def failing(run: Run) -> None:
            calls.append(run.labels)
            if len(calls) == 1:
                first_tried.append(run.labels)
            run.assert_properties(traces=None, shrink=False)

        return failing

    with pytest.raises(AssertionError) as first:
        make_test()()
    with pytest.raises(AssertionError) as second:
        make_test()()
    assert str(first.value) == str(second.value)
    shrunk = str(first.value)
    # the second run starts from the saved failing run: its first example already fails
    assert Run(buggy, 0, *_states_of(first_tried[1])).violation() is not None
    assert "atomicity" in shrunk


def _states_of(labels: list[str]) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    from explorer.engine.shrink import replay_actions

    states, actions, bad = replay_actions(buggy, labels)
    assert bad is None
    return tuple(states), tuple(actions)

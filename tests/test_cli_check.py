"""``synod check``: exit codes, configuration errors, --json, --junit, --strict, traces."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from explorer.cli import main
from explorer.replay.trace import load_trace

ROOT = Path(__file__).resolve().parent.parent
TOY = "tests.test_cli_toy_models:Counter"
EXAMPLE = "examples.two_phase_commit:Model"


@pytest.fixture(autouse=True)
def _run_from_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    # package.module:Name is imported with the current directory on sys.path.
    monkeypatch.chdir(ROOT)


def check(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["check", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def check_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code, out, _err = check(capsys, *argv, "--json")
    assert out.count("\n") == 1, out  # one JSON object, one line
    return code, json.loads(out)


# -- verdicts and exit codes -----------------------------------------------------------


def test_holds_exits_0_with_complete_verdict(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, data = check_json(capsys, "--model", TOY, "--traces", str(tmp_path / "t"))
    assert code == 0
    assert data["verdict"] == "holds"
    assert data["complete"] is True
    assert data["distinct_states"] == 16  # (x, y) in 0..3 x 0..3
    assert data["depth"] == 6 and data["levels"] == 7  # x+y = 0..6: 6 actions, 7 levels
    assert data["property"] is None and data["trace"] is None
    assert data["sometimes"] == {"y_reaches_bound": True}
    assert not (tmp_path / "t").exists()  # no trace, no directory


def test_violation_exits_1_and_saves_a_trace(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    traces = tmp_path / "deep" / "traces"
    code, data = check_json(capsys, "--model", TOY, "--variant", "bug", "--traces", str(traces))
    assert code == 1
    assert data["verdict"] == "violated"
    assert data["property"] == "x_small"
    assert data["step"] == 2
    assert data["violations"][0]["actions"] == ["inc x", "inc x"]
    path = Path(data["trace"])
    assert path.parent == traces and path.exists()
    assert path.name.startswith("tests.test_cli_toy_models-Counter-bug-x_small-")
    assert [p.name for p in traces.iterdir()] == [path.name]  # no temporary files left
    trace = load_trace(path)
    assert trace.actions == ["inc x", "inc x"]
    assert trace.history == [{"x": 2, "y": 0}]
    assert trace.config.variant == "bug"


def test_json_has_every_documented_field(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    _code, data = check_json(capsys, "--model", TOY, "--traces", str(tmp_path), "--seed", "7")
    for key, kind in {
        "verdict": str, "complete": bool, "distinct_states": int, "depth": int,
        "elapsed_s": float, "states_per_s": float, "sometimes": dict, "config": dict,
        "strategy": str, "search": dict, "violations": list, "unwitnessed": list,
    }.items():
        assert isinstance(data[key], kind), key
    for key in ("property", "trace", "stopped_by"):
        assert key in data
    assert data["config"]["model"] == TOY
    assert data["search"]["seed"] == 7
    assert data["strategy"] == "bfs"


def test_table_output_states_the_verdict(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _err = check(capsys, "--model", TOY, "--variant", "bug", "--traces", str(tmp_path))
    assert code == 1
    assert "VIOLATED" in out and "x_small" in out
    assert "synod replay" in out
    code, out, _err = check(capsys, "--model", TOY, "--traces", str(tmp_path))
    assert code == 0
    assert "holds within bounds" in out and "complete" in out


def test_final_property_violation(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, data = check_json(capsys, "--model", TOY, "--variant", "final-bug", "--traces", str(tmp_path))
    assert code == 1
    assert data["property"] == "unbalanced_end"
    assert data["violations"][0]["kind"] == "final"


@pytest.mark.parametrize("strategy", ["bfs", "dfs", "random", "swarm"])
def test_every_strategy_finds_the_bug(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, strategy: str
) -> None:
    code, data = check_json(
        capsys, "--model", TOY, "--variant", "bug", "--strategy", strategy, "--traces", str(tmp_path)
    )
    assert code == 1
    assert data["strategy"] == strategy
    assert load_trace(data["trace"]).settings.strategy == strategy


@pytest.mark.parametrize("strategy", ["bfs", "dfs"])
def test_depth_means_actions_on_the_longest_path_for_every_strategy(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, strategy: str
) -> None:
    # One meaning of depth: BFS reported levels (7, the initial state included), DFS the
    # longest path's actions (6). Both now say 6 actions; the JSON keeps levels apart.
    code, out, _err = check(capsys, "--model", TOY, "--strategy", strategy, "--traces", str(tmp_path))
    assert code == 0
    verdict = out.strip().splitlines()[-1]
    assert "depth 6 actions;" in verdict and "BFS depth" not in out
    code, data = check_json(capsys, "--model", TOY, "--strategy", strategy, "--traces", str(tmp_path))
    assert (data["depth"], data["levels"]) == (6, 7)


def test_example_finds_its_bug_and_the_fix_holds(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, data = check_json(capsys, "--model", EXAMPLE, "--traces", str(tmp_path))
    assert code == 1
    assert data["property"] == "atomicity"
    assert data["config"]["variant"] == "buggy"  # the example's first variant is the default
    code, data = check_json(
        capsys, "--model", EXAMPLE, "--variant", "fixed", "--faults", "none", "--traces", str(tmp_path)
    )
    assert code == 0
    assert data["complete"] is True
    assert data["sometimes"] == {"commits": True}


# -- --strict and sometimes ------------------------------------------------------------


def test_unwitnessed_sometimes_is_loud_and_fails_under_strict(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = check(capsys, "--model", TOY, "--variant", "vacuous", "--traces", str(tmp_path))
    assert code == 0
    assert "never witnessed" in out
    code, out, err = check(
        capsys, "--model", TOY, "--variant", "vacuous", "--strict", "--json", "--traces", str(tmp_path)
    )
    assert code == 1
    assert json.loads(out)["unwitnessed"] == ["never"]
    assert "never witnessed" in err


# -- JUnit -----------------------------------------------------------------------------


def _junit(path: Path) -> ET.Element:
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    suite = root.find("testsuite")
    assert suite is not None
    return suite


def test_junit_violation_is_a_failure(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    report = tmp_path / "report.xml"
    code, _out, _err = check(
        capsys, "--model", TOY, "--variant", "bug", "--junit", str(report), "--traces", str(tmp_path)
    )
    assert code == 1
    suite = _junit(report)
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert set(cases) == {"always x_small", "sometimes y_reaches_bound"}
    failure = cases["always x_small"].find("failure")
    assert failure is not None and "trace" in (failure.get("message") or "")
    assert suite.get("failures") == "1" and suite.get("tests") == "2"


@pytest.mark.parametrize(("strict", "tag"), [(False, "skipped"), (True, "failure")])
def test_junit_unwitnessed_sometimes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, strict: bool, tag: str
) -> None:
    report = tmp_path / "report.xml"
    argv = ["--model", TOY, "--variant", "vacuous", "--junit", str(report), "--traces", str(tmp_path)]
    code, _out, _err = check(capsys, *argv, *(["--strict"] if strict else []))
    assert code == (1 if strict else 0)
    suite = _junit(report)
    never = next(c for c in suite.findall("testcase") if c.get("name") == "sometimes never")
    assert never.find(tag) is not None
    holds = next(c for c in suite.findall("testcase") if c.get("name") == "always x_small")
    assert list(holds.iter("failure")) == []


# -- Ctrl-C ----------------------------------------------------------------------------


def test_interrupt_prints_summary_and_exits_130(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _err = check(
        capsys, "--model", "tests.test_cli_toy_models:Interrupting", "--json", "--traces", str(tmp_path)
    )
    assert code == 130
    data = json.loads(out)
    assert data["stopped_by"] == "interrupted" and data["interrupted"] is True
    assert data["complete"] is False


# -- bad configurations ----------------------------------------------------------------

BAD_CONFIGS: list[list[str]] = [
    ["--nodes", "0"],
    ["--nodes", "abc"],
    ["--clients", "-1"],
    ["--ops", "-2"],
    ["--ballots", "-1"],
    ["--phase1-quorum", "4"],
    ["--phase2-quorum", "0"],
    ["--model", "nosuch"],
    ["--model", "bad name:X"],
    ["--model", "no_such_package_xyz.mod:Model"],
    ["--model", "tests.test_cli_toy_models:Missing"],
    ["--model", "tests.test_cli_toy_models:NOT_CALLABLE"],
    ["--model", "tests.test_cli_toy_models:not_a_model"],
    ["--model", TOY, "--variant", "nosuch"],
    ["--model", "basic", "--variant", "quorum-one+nosuch"],
    ["--model", "basic", "--variant", "quorum-one+quorum-one"],
    ["--model", "basic", "--extra", "retries"],
    ["--model", "basic", "--extra", "=1"],
    ["--model", "basic", "--extra", "bogus=1"],
    ["--model", "basic", "--extra", "retries=-1"],
    ["--model", "basic", "--extra", "retries=0", "--extra", "retries=1"],
    ["--model", "basic", "--extra", "client_targets=[0,9]"],
    ["--model", "tla-paxos", "--extra", "retries=0"],
    ["--model", "tests.test_cli_toy_models:zero_argument_factory", "--variant", "bug"],
    ["--model", "tla-paxos", "--nodes", "5"],
    ["--model", "tla-paxos", "--faults", "drop=1"],
    ["--strategy", "nosuch"],
    ["--network", "carrier-pigeon"],
    ["--faults", "drop=-1"],
    ["--faults", "explode=1"],
    ["--faults", "drop"],
    ["--depth", "-1"],
    ["--max-states", "0"],
    ["--time-limit", "0"],
    ["--max-memory", "0"],
    ["--seed", "-3"],
    ["--workers", "0"],
    ["--workers", "2", "--strategy", "dfs"],
    ["--walks", "0", "--strategy", "random"],
    ["--walks", "5"],
]


@pytest.mark.parametrize("argv", BAD_CONFIGS, ids=[" ".join(a) for a in BAD_CONFIGS])
def test_bad_configuration_is_one_line_exit_2_nothing_written(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str]
) -> None:
    traces = tmp_path / "traces"
    report = tmp_path / "report.xml"
    if "--model" not in argv:
        argv = ["--model", TOY, *argv]
    with pytest.raises(SystemExit) as exited:
        raise SystemExit(main(["check", *argv, "--traces", str(traces), "--junit", str(report)]))
    out, err = capsys.readouterr()
    assert exited.value.code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.strip(), err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_traces_dir_that_is_a_file_is_rejected(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, out, err = check(capsys, "--model", TOY, "--variant", "bug", "--traces", str(blocker / "sub"))
    assert code == 2 and out == "" and err.count("\n") == 1
    code, out, err = check(capsys, "--model", TOY, "--traces", str(blocker))
    assert code == 2 and "not a directory" in err


def test_junit_into_missing_directory_is_rejected(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = check(capsys, "--model", TOY, "--junit", str(tmp_path / "no" / "r.xml"))
    assert code == 2 and out == "" and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_collect_saves_one_trace_per_violated_property(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, data = check_json(capsys, "--model", TOY, "--variant", "two-bugs", "--traces", str(tmp_path))
    assert code == 1 and len(data["violations"]) == 1  # stops at the first
    code, data = check_json(
        capsys, "--model", TOY, "--variant", "two-bugs", "--collect", "--traces", str(tmp_path / "all")
    )
    assert code == 1
    assert sorted(v["property"] for v in data["violations"]) == ["unbalanced_end", "x_small"]
    assert len(list((tmp_path / "all").iterdir())) == 2
    for v in data["violations"]:
        assert load_trace(v["trace"]).property_name == v["property"]


def test_zero_argument_factory_is_called_without_the_config(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, data = check_json(
        capsys, "--model", "tests.test_cli_toy_models:zero_argument_factory", "--traces", str(tmp_path)
    )
    assert code == 0
    assert data["distinct_states"] == 16  # the factory's own CheckConfig: 3 nodes
    assert data["config"]["model"] == "tests.test_cli_toy_models:zero_argument_factory"


def test_no_vacuity_warning_when_the_search_stopped_at_a_violation(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from explorer.cli import main

    code = main(["check", "--variant", "quorum-one", "--traces", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 1
    assert "VIOLATED" in out
    assert "NOT witnessed" in out  # the table still says what was not reached
    assert "may be vacuous" not in out + err


def test_combined_variant_is_caught_saved_and_replayed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Mistakes combine with "+"; the trace's name keeps the "+" and replay rebuilds both.
    argv = ["--model", "basic", "--nodes", "3", "--clients", "1", "--ballots", "2", "--faults", "none",
            "--phase1-quorum", "1", "--phase2-quorum", "3", "--variant",
            "count-stale-accepted+ignore-promise-values", "--traces", str(tmp_path)]
    code, data = check_json(capsys, *argv)
    assert code == 1 and data["property"] == "learned is chosen" and data["step"] == 7
    (path,) = tmp_path.iterdir()
    assert path.name.startswith("basic-count-stale-accepted+ignore-promise-values-learned-is-chosen-")
    assert load_trace(path).config.variant == "count-stale-accepted+ignore-promise-values"
    assert main(["replay", str(path)]) == 1  # reproduced
    capsys.readouterr()


def test_extra_values_are_json_or_plain_strings() -> None:
    from explorer.models.config import parse_extra

    assert parse_extra(["retries=0", "client_targets=[0, 1]", "forward=false", "name=x y"]) == (
        ("client_targets", (0, 1)), ("forward", False), ("name", "x y"), ("retries", 0),
    )
    assert parse_extra([]) == ()

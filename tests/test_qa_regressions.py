"""Regressions found by a hands-on QA pass of the ``synod`` command line: each test is
one bad input (or one output property) that once misbehaved."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from explorer.cli import main

ROOT = Path(__file__).resolve().parent.parent
TOY = "tests.test_cli_toy_models:Counter"


@pytest.fixture(autouse=True)
def _run_from_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    # package.module:Name is imported with the current directory on sys.path.
    monkeypatch.chdir(ROOT)


def synod(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _one_line_exit_2(code: int, out: str, err: str, needle: str) -> None:
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and needle in err, err


# -- absurd world sizes: --nodes 10000 used to build for minutes before the first state


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--nodes", "10000"], "--nodes must be at most 64"),
        (["--clients", "100000"], "--clients must be at most 64"),
    ],
)
def test_absurd_world_sizes_exit_2_at_once(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str], needle: str
) -> None:
    code, out, err = synod(capsys, "check", *argv, "--depth", "1", "--traces", str(tmp_path / "t"))
    _one_line_exit_2(code, out, err, needle)
    assert not (tmp_path / "t").exists()


def test_trace_with_absurd_node_count_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    traces = tmp_path / "t"
    code, _out, _err = synod(capsys, "check", "--model", TOY, "--variant", "bug", "--traces", str(traces))
    assert code == 1
    trace = next(traces.iterdir())
    data = json.loads(trace.read_text())
    data["config"]["nodes"] = 100_000
    trace.write_text(json.dumps(data))
    code, out, err = synod(capsys, "replay", str(trace))
    _one_line_exit_2(code, out, err, "--nodes must be at most 64")


# -- --faults: a repeated kind silently kept the last count; non-ASCII digits parsed


@pytest.mark.parametrize(
    ("spec", "needle"),
    [
        ("drop=1,drop=2", "'drop' twice"),
        ("drop=\u0661", "NAME=COUNT"),  # ARABIC-INDIC DIGIT ONE: str.isdigit() is true
        ("drop=\u00b2", "NAME=COUNT"),  # SUPERSCRIPT TWO: isdigit() true, int() fails
    ],
)
def test_bad_fault_specs_exit_2(capsys: pytest.CaptureFixture[str], spec: str, needle: str) -> None:
    code, out, err = synod(capsys, "check", "--faults", spec, "--depth", "0")
    _one_line_exit_2(code, out, err, needle)


# -- files written through mkstemp kept its 0600 mode: traces, JUnit and HTML unreadable
# by anyone else (a CI artifact server, a colleague on a shared box)


def test_trace_junit_and_html_are_readable_by_others(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    traces = tmp_path / "t"
    junit = tmp_path / "r.xml"
    code, _out, _err = synod(
        capsys, "check", "--model", TOY, "--variant", "bug", "--traces", str(traces), "--junit", str(junit)
    )
    assert code == 1
    trace = next(traces.iterdir())
    page = tmp_path / "r.html"
    assert synod(capsys, "replay", str(trace), "--html", str(page))[0] == 1
    for path in (trace, junit, page):
        assert path.stat().st_mode & 0o777 == 0o644, path


# -- a hand-edited trace whose history is not a list (or null) replayed as if fine


@pytest.mark.parametrize("history", ["x", 7, {"events": []}])
def test_trace_history_of_the_wrong_type_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, history: object
) -> None:
    traces = tmp_path / "t"
    assert synod(capsys, "check", "--model", TOY, "--variant", "bug", "--traces", str(traces))[0] == 1
    trace = next(traces.iterdir())
    data = json.loads(trace.read_text())
    data["history"] = history
    trace.write_text(json.dumps(data))
    code, out, err = synod(capsys, "replay", str(trace))
    _one_line_exit_2(code, out, err, "'history' must be a list of events or null")


# -- `--strategy random` with no bound ran forever: the default state bound switched off
# the engine's default walk count, and walks never reach that many distinct states


@pytest.mark.parametrize("strategy", ["random", "swarm"])
def test_random_walks_with_default_bounds_stop(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, strategy: str
) -> None:
    code, out, _err = synod(
        capsys, "check", "--model", TOY, "--strategy", strategy, "--json", "--traces", str(tmp_path / "t")
    )
    assert code == 0
    data = json.loads(out)
    assert data["stopped_by"] == "walks"
    assert data["walks"] == 1000
    assert data["distinct_states"] == 16


def test_absurd_worker_count_exits_2_before_forking(capsys: pytest.CaptureFixture[str]) -> None:
    # --workers 10000 ran out of file descriptors: a traceback, exit 1
    code, out, err = synod(capsys, "check", "--workers", "10000", "--depth", "1")
    _one_line_exit_2(code, out, err, "--workers must be at most 64")


# -- empty output paths: Path("") is ".", so --traces "" wrote into the current
# directory and --junit "" / --html "" were silently skipped


@pytest.mark.parametrize("option", ["--traces", "--junit"])
def test_check_empty_output_path_exits_2(capsys: pytest.CaptureFixture[str], option: str) -> None:
    code, out, err = synod(capsys, "check", "--model", TOY, "--variant", "bug", option, "")
    _one_line_exit_2(code, out, err, f"{option} must not be empty")


def test_replay_empty_paths_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    traces = tmp_path / "t"
    assert synod(capsys, "check", "--model", TOY, "--variant", "bug", "--traces", str(traces))[0] == 1
    trace = str(next(traces.iterdir()))
    _one_line_exit_2(*synod(capsys, "replay", trace, "--html", ""), "--html must not be empty")
    _one_line_exit_2(*synod(capsys, "replay", ""), "TRACE must not be empty")


_HISTORY = '{"events": [{"process": 1, "type": "invoke", "f": "put", "key": "x", "value": 1}, {"process": 1, "type": "ok", "result": "ok"}]}'


def test_lin_html_empty_or_a_directory_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    history = tmp_path / "h.json"
    history.write_text(_HISTORY)
    _one_line_exit_2(*synod(capsys, "lin", str(history), "--html", ""), "--html must not be empty")
    _one_line_exit_2(*synod(capsys, "lin", str(history), "--html", str(tmp_path)), "Is a directory")


def test_lin_boolean_version_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    history = tmp_path / "h.json"
    history.write_text(_HISTORY[:-1] + ', "version": true}')
    _one_line_exit_2(*synod(capsys, "lin", str(history)), "unsupported version True")


# -- `synod check | head`: rich's broken-pipe handler exits 1, which reads as "violated"
# (a CI job with pipefail would fail on a check that holds)


def _run_into_closed_pipe(*argv: str) -> subprocess.CompletedProcess[bytes]:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader has already left: every write is EPIPE
    try:
        return subprocess.run(
            [sys.executable, "-m", "explorer", *argv],
            cwd=ROOT, stdout=write_end, stderr=subprocess.PIPE, timeout=120,
        )
    finally:
        os.close(write_end)


def test_check_and_replay_into_a_closed_pipe_exit_141(tmp_path: Path) -> None:
    holds = _run_into_closed_pipe("check", "--model", TOY, "--traces", str(tmp_path / "t"))
    assert holds.returncode == 141, holds.stderr
    assert b"Traceback" not in holds.stderr
    violated = _run_into_closed_pipe("check", "--model", TOY, "--variant", "bug", "--traces", str(tmp_path / "t"))
    assert violated.returncode == 141, violated.stderr
    trace = next((tmp_path / "t").iterdir())  # the verdict and its trace stand
    replayed = _run_into_closed_pipe("replay", str(trace))
    assert replayed.returncode == 141, replayed.stderr
    assert b"Traceback" not in replayed.stderr


# -- --traces on a read-only mount (or /proc) as root: os.access said writable, the
# search ran, and the trace was lost after it (exit 1, "could not save the trace")


@pytest.mark.parametrize("tmpfile", [True, False], ids=["o_tmpfile", "mkdtemp"])
@pytest.mark.parametrize("exists", [True, False])
def test_traces_dir_that_refuses_writes_exits_2_before_searching(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exists: bool,
    tmpfile: bool,
) -> None:
    import explorer.cli.check

    def read_only(*_args: object, **_kwargs: object) -> str:
        raise OSError(30, "Read-only file system")

    # the probe: an unnamed O_TMPFILE file, or (filesystems without it) an empty directory
    if tmpfile:
        monkeypatch.setattr(explorer.cli.check, "_probe_with_tmpfile", read_only)
    else:
        monkeypatch.setattr(explorer.cli.check, "_probe_with_tmpfile", lambda _d: False)
        monkeypatch.setattr(explorer.cli.check.tempfile, "mkdtemp", read_only)
    traces = tmp_path if exists else tmp_path / "new"
    code, out, err = synod(capsys, "check", "--model", TOY, "--variant", "bug", "--traces", str(traces))
    _one_line_exit_2(code, out, err, "Read-only file system")
    assert list(tmp_path.iterdir()) == []


def test_check_help_states_the_default_bounds_and_ranges(capsys: pytest.CaptureFixture[str]) -> None:
    # --depth/--max-states said nothing of the defaults the summary then reported
    with pytest.raises(SystemExit):
        main(["check", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "8 for multipaxos and basic" in text
    assert "250,000 for multipaxos and basic" in text
    assert "replicas, 1..64" in text and "processes, 1..64" in text


def test_mutants_into_a_closed_pipe_exits_141() -> None:
    result = _run_into_closed_pipe("mutants", "--only", "quorum-one", "--skip-correct")
    assert result.returncode == 141, result.stderr
    assert b"Traceback" not in result.stderr

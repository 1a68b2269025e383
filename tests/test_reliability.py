"""Issue 12: no traceback on any input or signal, and "holds" only when it does.

Each test names the defect it pins down. Signals are sent at moments the test observes
(a progress line, a hook inside the run), never after a sleep.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from explorer.cli import main
from explorer.replay.trace import load_trace

ROOT = Path(__file__).resolve().parent.parent
TOY = "tests.test_cli_toy_models:Counter"


def synod_proc(*argv: str, cwd: Path = ROOT) -> subprocess.Popen[str]:
    env = dict(os.environ, COLUMNS="200", PYTHONPATH=str(ROOT))
    return subprocess.Popen(
        [sys.executable, "-m", "explorer", *argv],
        cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        # a shell may start children with SIGINT ignored; Ctrl-C must reach this one
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def run_synod(*argv: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, COLUMNS="200", PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "explorer", *argv], cwd=cwd, env=env,
        capture_output=True, text=True, timeout=300,
    )


@pytest.fixture
def own_signal_handlers() -> Iterator[None]:
    """main() installs Synod's handlers in this (pytest's) process: put pytest's back."""
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    yield
    for s, handler in saved.items():
        signal.signal(s, handler)


# -- defect 1: a deeply nested trace was a RecursionError traceback and exit 1 ------------


@pytest.mark.parametrize("where", ["top level", "inside actions"])
def test_deeply_nested_trace_is_bad_input_not_reproduced(tmp_path: Path, where: str) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    text = deep if where == "top level" else '{"format": "synod-trace", "actions": ' + deep + "}"
    trace = tmp_path / "deep.json"
    trace.write_text(text)
    proc = run_synod("replay", str(trace), cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr[-500:]
    assert proc.stdout == "" and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert "nested too deeply" in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deep.json"]


# -- defect 2: a signal during start-up printed a KeyboardInterrupt traceback -------------


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_while_importing_the_subcommand_exits_cleanly(signum: int, code: int) -> None:
    # The signal arrives while `synod` imports the subcommand's module: the slowest part
    # of start-up (it used to import every subcommand, z3 included, before any handler).
    hook = (
        "import importlib, os, sys\n"
        "real = importlib.import_module\n"
        "def hooked(name, *a):\n"
        "    if name.startswith('explorer.cli.'):\n"
        f"        os.kill(os.getpid(), {int(signum)})\n"
        "    return real(name, *a)\n"
        "importlib.import_module = hooked\n"
        "from explorer.cli.main import main\n"
        "sys.exit(main(['check', '--help']))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", hook], cwd=ROOT, capture_output=True, text=True, timeout=120,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1
    assert "interrupted" in proc.stderr


# -- defect 3: SIGTERM killed the process with no summary --------------------------------


@pytest.mark.parametrize("workers", ["1", "2"])
def test_sigterm_prints_the_summary_so_far_and_exits_143(workers: str, tmp_path: Path) -> None:
    proc = synod_proc(
        "check", "--depth", "30", "--time-limit", "300", "--workers", workers, "--traces", str(tmp_path)
    )
    assert proc.stderr is not None
    first = proc.stderr.readline()  # the first progress line: the search is running
    assert first.startswith("synod:"), first
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err
    assert "INTERRUPTED" in out and "stopped by SIGTERM" in out
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_sigterm_inside_the_search_returns_the_partial_result(own_signal_handlers: None) -> None:
    from explorer.cli import signals
    from explorer.engine.results import SearchSettings
    from explorer.engine.search import search
    from tests.search_toys import SignalsOnce

    signals.install()
    for workers in (1, 2):
        r = search(SignalsOnce(signal.SIGTERM, after=60), SearchSettings(workers=workers))
        assert r.stopped_by == "interrupted" and not r.complete and r.distinct_states > 0
        assert signals.exit_code() == 143


# -- defect 4: a signal while probing --traces left a .synod-probe-* directory -----------


def test_a_signal_while_probing_the_traces_directory_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    own_signal_handlers: None,
) -> None:
    import explorer.cli.check

    real_mkdtemp = explorer.cli.check.tempfile.mkdtemp

    def mkdtemp_then_sigterm(*args: object, **kwargs: object) -> str:
        made = real_mkdtemp(*args, **kwargs)  # type: ignore[call-overload]
        os.kill(os.getpid(), signal.SIGTERM)  # the signal lands right after the probe's mkdir
        return str(made)

    # the fallback probe (filesystems without O_TMPFILE) is the one that creates a name
    monkeypatch.setattr(explorer.cli.check, "_probe_with_tmpfile", lambda _d: False, raising=False)
    monkeypatch.setattr(explorer.cli.check.tempfile, "mkdtemp", mkdtemp_then_sigterm)
    traces = tmp_path / "traces"
    traces.mkdir()
    code = main(["check", "--model", TOY, "--traces", str(traces)])
    assert code == 143
    assert list(tmp_path.rglob("*")) == [traces]
    assert "Traceback" not in capsys.readouterr().err


def test_the_o_tmpfile_probe_leaves_nothing(tmp_path: Path) -> None:
    from explorer.cli.check import _check_dir_writable

    _check_dir_writable(tmp_path, "--traces")
    assert list(tmp_path.iterdir()) == []


def test_a_signal_while_a_trace_is_written_leaves_it_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    own_signal_handlers: None,
) -> None:
    import explorer.replay.trace

    real_fsync = explorer.replay.trace.os.fsync

    def fsync_then_sigint(fd: int) -> None:
        os.kill(os.getpid(), signal.SIGINT)  # mid-write: held back until the rename
        real_fsync(fd)

    monkeypatch.setattr(explorer.replay.trace.os, "fsync", fsync_then_sigint)
    monkeypatch.chdir(ROOT)
    code = main(["check", "--model", TOY, "--variant", "bug", "--traces", str(tmp_path)])
    assert code == 130
    files = list(tmp_path.iterdir())
    assert len(files) == 1 and files[0].suffix == ".json"  # no .tmp beside it
    assert load_trace(files[0]).property_name == "x_small"


# -- defect 5: an incomplete search printed a green "holds" and exited 0 -----------------


def _check(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, dict[str, object]]:
    code = main(["check", "--model", TOY, *argv])
    out = capsys.readouterr().out
    code_json = main(["check", "--model", TOY, "--json", *argv])
    data = json.loads(capsys.readouterr().out)
    assert code_json == code and data["exit_code"] == code
    verdict = next(line for line in out.splitlines() if line.startswith(("holds", "NOT EXHAUSTED")))
    return code, verdict, data


@pytest.mark.parametrize(
    "argv",
    [["--max-states", "5"], ["--strategy", "random", "--walks", "3"], ["--strategy", "swarm", "--walks", "3"]],
)
def test_an_incomplete_search_says_so_and_strict_exits_3(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str]
) -> None:
    monkeypatch_cwd = pytest.MonkeyPatch()
    monkeypatch_cwd.chdir(ROOT)
    try:
        code, verdict, data = _check(capsys, *argv, "--traces", str(tmp_path))
        assert code == 0 and data["complete"] is False and data["exhausted"] is False
        assert verdict.startswith("NOT EXHAUSTED") and "not exhausted" in verdict
        assert "distinct states" in verdict  # how much was seen
        code, verdict, data = _check(capsys, *argv, "--strict", "--traces", str(tmp_path))
        assert code == 3 and "exit 3" in verdict
    finally:
        monkeypatch_cwd.undo()


def test_an_exhausted_search_holds_and_strict_exits_0(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    code, verdict, data = _check(capsys, "--strict", "--traces", str(tmp_path))
    assert code == 0 and data["exhausted"] is True
    assert verdict.startswith("holds within bounds")


# -- defect 6: any bound dropped the default depth bound --------------------------------


def _settings(*argv: str) -> object:
    from explorer.cli.check import config_from_args, settings_from_args
    from explorer.cli.main import build_parser

    args = build_parser("check").parse_args(["check", *argv])
    config, _ = config_from_args(args)
    return settings_from_args(args, config)


def test_bounds_combine_and_none_lifts_one() -> None:
    from explorer.models.paxos import DEFAULT_DEPTH, DEFAULT_MAX_STATES

    s = _settings("--time-limit", "1e9")
    assert (s.max_depth, s.max_states, s.time_limit) == (DEFAULT_DEPTH, DEFAULT_MAX_STATES, 1e9)  # type: ignore[attr-defined]
    s = _settings("--max-states", "10")
    assert (s.max_depth, s.max_states) == (DEFAULT_DEPTH, 10)  # type: ignore[attr-defined]
    s = _settings("--depth", "none", "--time-limit", "5")
    assert (s.max_depth, s.max_states) == (None, DEFAULT_MAX_STATES)  # type: ignore[attr-defined]
    s = _settings("--depth", "0", "--max-states", "none")
    assert (s.max_depth, s.max_states) == (0, None)  # type: ignore[attr-defined]
    s = _settings("--strategy", "random", "--time-limit", "5")
    assert s.walks == 1000  # type: ignore[attr-defined]


def test_the_help_states_the_models_own_defaults() -> None:
    # check.py states them without importing the models (start-up cost): keep them equal
    from explorer.cli import check
    from explorer.models.paxos import DEFAULT_DEPTH, DEFAULT_MAX_STATES

    assert (check.PAXOS_DEFAULT_DEPTH, check.PAXOS_DEFAULT_MAX_STATES) == (DEFAULT_DEPTH, DEFAULT_MAX_STATES)


def test_a_bad_bound_is_one_line_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["check", "--depth", "deep"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--depth" in err and "none" in err


# -- defect 10: --symmetry on a model without symmetry said nothing -----------------------


def test_symmetry_without_symmetry_says_so(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["check", "--symmetry", "--depth", "1", "--traces", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert "--symmetry changes nothing" in err and "multipaxos" in err
    assert main(["check", "--model", "basic", "--symmetry", "--depth", "1", "--traces", str(tmp_path)]) == 0
    assert "--symmetry" not in capsys.readouterr().err


def test_symmetry_reports_the_reduction_where_there_is_one(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "250")  # the summary table's row on one line
    # --no-por: the comparison is with the plain search (the default would reduce the
    # one without --symmetry, and not the one with it)
    base = ["check", "--model", "basic", "--depth", "4", "--traces", str(tmp_path), "--json", "--no-por"]
    assert main([*base, "--symmetry"]) == 0
    reduced = json.loads(capsys.readouterr().out)
    assert main(base) == 0
    full = json.loads(capsys.readouterr().out)
    figures = reduced["symmetry"]
    assert full["symmetry"] is None  # no --symmetry: no figure
    assert 0 < figures["folded"] <= figures["renamed"] <= reduced["generated"]
    assert reduced["distinct_states"] < full["distinct_states"]
    assert main(["check", "--model", "basic", "--depth", "4", "--traces", str(tmp_path), "--symmetry"]) == 0
    text = capsys.readouterr().out
    assert f"{figures['renamed']:,} of {reduced['generated']:,} successors renamed" in text
    assert f"{figures['folded']:,} of them folded onto a state already seen" in text
    # Multi-Paxos has no symmetry: the note, and no figure (its zeros would mean nothing)
    assert main(["check", "--symmetry", "--depth", "1", "--traces", str(tmp_path), "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["symmetry"] is None and "changes nothing" in captured.err


@pytest.mark.parametrize(
    "argv",
    [["--ops", "9" * 30], ["--model", "tla-paxos", "--ballots", "9" * 30], ["--ops", "-1"], ["--ballots", "1001"]],
)
def test_a_size_that_would_never_build_is_one_line_exit_2(
    argv: list[str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # found by bench/fuzz_cli.py: --ops 10^30 built a client schedule forever, and
    # tla-paxos --ballots 10^30 its messages, both before --time-limit could stop them
    assert main(["check", *argv, "--depth", "1", "--traces", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and ("--ops must be 0..1000" in err or "--ballots must be 0..1000" in err), err


# -- conventions -------------------------------------------------------------------------


@pytest.mark.parametrize("argv", [["check", "--depth", "1"], ["replay", "TRACE"]])
def test_check_and_replay_do_not_import_z3(argv: list[str], tmp_path: Path) -> None:
    trace = next((ROOT / "traces").glob("*.json"))
    argv = [str(trace) if a == "TRACE" else a for a in argv]
    probe = (
        "import sys\nfrom explorer.cli.main import main\n"
        f"code = main({argv!r} + (['--traces', {str(tmp_path)!r}] if {argv[0]!r} == 'check' else []))\n"
        "loaded = sorted(m for m in sys.modules if m == 'z3' or m.startswith('z3.'))\n"
        "print('Z3', loaded, file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert "Z3 []" in proc.stderr, proc.stderr[-2000:]


def test_version() -> None:
    proc = run_synod("--version")
    assert proc.returncode == 0 and proc.stdout.startswith("synod ") and proc.stderr == ""


def test_depth_8_reads_depth_8(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["check", "--model", "tla-paxos", "--ballots", "1", "--depth", "8", "--json",
                 "--traces", str(tmp_path)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["depth"] == 8 and data["levels"] == 9 and len(data["level_sizes"]) == 9


def test_replay_piped_draws_at_natural_width(tmp_path: Path) -> None:
    trace = next((ROOT / "traces").glob("multipaxos-local-reads-*.json"))
    env = dict(os.environ, COLUMNS="40")
    proc = subprocess.run(
        [sys.executable, "-m", "explorer", "replay", str(trace)], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 1
    steps = load_trace(trace).step
    rows = [line for line in proc.stdout.splitlines() if re.match(r"(!!)?\s*\d+\s+[|#*]", line)]
    assert [int(re.findall(r"\d+", row)[0]) for row in rows] == list(range(1, steps + 1))  # unwrapped
    assert max(len(line) for line in rows) > 40


def test_replay_html_names_the_model_variant_and_configuration(tmp_path: Path) -> None:
    trace = next((ROOT / "traces").glob("multipaxos-local-reads-*.json"))
    page = tmp_path / "run.html"
    proc = run_synod("replay", str(trace), "--html", str(page))
    assert proc.returncode == 1, proc.stderr
    text = page.read_text()
    for needle in ("<th>model</th><td>multipaxos</td>", "<th>variant</th><td>local-reads</td>",
                   "<th>configuration</th><td>2 nodes, 3 clients", "synod check --model multipaxos"):
        assert needle in text


def test_mutants_spell_workers_and_traces_like_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    traces = tmp_path / "t"
    assert main(["mutants", "--only", "quorum-one", "--workers", "1", "--traces", str(traces), "--skip-correct"]) == 0
    assert len(list(traces.glob("*.json"))) == 1
    with pytest.raises(SystemExit):
        main(["mutants", "--help"])
    help_text = capsys.readouterr().out
    assert "--workers" in help_text and "--jobs" not in help_text and "--save-traces" not in help_text

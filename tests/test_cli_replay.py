"""``synod replay`` of saved traces, in subprocesses (a trace must stand alone), and
determinism of ``synod check --json`` across PYTHONHASHSEED values."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOY = "tests.test_cli_toy_models:Counter"
EXAMPLE = "examples.two_phase_commit:Model"


def synod(*argv: str, hash_seed: str = "0") -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONHASHSEED=hash_seed, COLUMNS="200")
    return subprocess.run(
        [sys.executable, "-m", "explorer", *argv],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )


@pytest.fixture(scope="module")
def bug_trace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    traces = tmp_path_factory.mktemp("traces")
    proc = synod("check", "--model", TOY, "--variant", "bug", "--json", "--traces", str(traces))
    assert proc.returncode == 1, proc.stderr
    return Path(json.loads(proc.stdout)["trace"])


def _edited(trace: Path, tmp_path: Path, edit: Any) -> Path:
    data = json.loads(trace.read_text())
    edit(data)
    out = tmp_path / "edited.json"
    out.write_text(json.dumps(data))
    return out


def test_replay_reproduces(bug_trace: Path, tmp_path: Path) -> None:
    page = tmp_path / "run.html"
    proc = synod("replay", str(bug_trace), "--html", str(page))
    assert proc.returncode == 1, proc.stderr
    assert "reproduced" in proc.stdout
    assert "inc x" in proc.stdout
    assert page.read_text().lstrip().lower().startswith("<!doctype html")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.html"]


def test_replay_now_passes_when_the_variant_is_fixed(bug_trace: Path, tmp_path: Path) -> None:
    edited = _edited(bug_trace, tmp_path, lambda d: d["config"].update(variant="correct"))
    proc = synod("replay", str(edited))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "now passes" in proc.stdout


def test_replay_diverged_says_what_differed(bug_trace: Path, tmp_path: Path) -> None:
    def edit(d: dict[str, Any]) -> None:
        d["actions"][1] = "inc z"
    proc = synod("replay", str(_edited(bug_trace, tmp_path, edit)))
    assert proc.returncode == 4  # diverged: its own code, not "reproduced" (1)
    assert "diverged at step 2" in proc.stdout
    assert "wanted:  inc z" in proc.stdout
    assert "enabled: inc x, inc y" in proc.stdout


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: d.update(schema=2),
        lambda d: d.pop("actions"),
        lambda d: d["config"].update(model="no-such-model"),
        lambda d: d["config"].update(variant="no-such-variant"),
        lambda d: d["property"].update(name="no-such-property"),
        lambda d: d["property"].update(kind="final"),
        lambda d: d.update(init=7),
        lambda d: d.update(init=2**70),  # found by bench/fuzz_cli.py: a ValueError traceback
    ],
    ids=["schema", "missing-key", "unknown-model", "unknown-variant", "unknown-property",
         "property-kind", "initial-state", "initial-state-past-maxsize"],
)
def test_broken_trace_exits_2_with_one_line(bug_trace: Path, tmp_path: Path, edit: Any) -> None:
    page = tmp_path / "run.html"
    proc = synod("replay", str(_edited(bug_trace, tmp_path, edit)), "--html", str(page))
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert not page.exists()


def test_replay_of_a_non_json_file_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{ not json")
    proc = synod("replay", str(bad))
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1


def test_replay_of_the_example_trace_reproduces(tmp_path: Path) -> None:
    proc = synod("check", "--model", EXAMPLE, "--json", "--traces", str(tmp_path))
    assert proc.returncode == 1, proc.stderr
    trace = json.loads(proc.stdout)["trace"]
    replay = synod("replay", trace)
    assert replay.returncode == 1
    assert "reproduced" in replay.stdout


def _fingerprint_of_run(hash_seed: str, out: Path, strategy: str) -> dict[str, Any]:
    proc = synod(
        "check", "--model", EXAMPLE, "--strategy", strategy, "--seed", "3",
        "--json", "--traces", str(out), hash_seed=hash_seed,
    )
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    trace = json.loads(Path(data["trace"]).read_text())
    return {
        "distinct_states": data["distinct_states"],
        "depth": data["depth"],
        "actions": data["violations"][0]["actions"],
        "trace_actions": trace["actions"],
        "fingerprint": trace["final_fingerprint"],
        "history": trace["history"],
    }


@pytest.mark.parametrize("strategy", ["bfs", "random"])
def test_check_json_is_deterministic_across_hash_seeds(tmp_path: Path, strategy: str) -> None:
    runs = [_fingerprint_of_run(seed, tmp_path / seed, strategy) for seed in ("0", "1", "12345")]
    assert runs[0] == runs[1] == runs[2]
    assert runs[0]["actions"]  # a real counterexample, not two empty ones


def test_tla_paxos_counts_through_the_cli_match_tlc_under_any_hash_seed() -> None:
    for hash_seed in ("0", "99"):
        proc = synod("check", "--model", "tla-paxos", "--ballots", "1", "--json", hash_seed=hash_seed)
        assert proc.returncode == 0, proc.stderr
        data = json.loads(proc.stdout)
        # TLC's figures: 3,921 states, 17 levels (depth 16 actions)
        assert (data["distinct_states"], data["levels"], data["depth"], data["complete"]) == (3921, 17, 16, True)
        assert data["level_sizes"] == [1, 2, 7, 12, 29, 72, 139, 234, 341, 464, 646, 780, 670, 372, 126, 24, 2]


def test_two_workers_find_the_same_states_as_one() -> None:
    proc = synod("check", "--model", "tla-paxos", "--ballots", "1", "--workers", "2", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert (data["distinct_states"], data["levels"]) == (3921, 17)
    assert data["search"]["workers"] == 2


def test_multipaxos_small_bounded_check_through_the_cli(tmp_path: Path) -> None:
    proc = synod("check", "--depth", "3", "--json", "--traces", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["verdict"] == "holds" and data["complete"] is True
    assert data["config"]["model"] == "multipaxos" and data["config"]["nodes"] == 3
    assert data["depth"] == 3 and data["levels"] == 4  # --depth 3 reads depth 3
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_prints_the_summary_so_far_and_exits_130() -> None:
    env = dict(os.environ, COLUMNS="200")
    proc = subprocess.Popen(
        [sys.executable, "-m", "explorer", "check", "--depth", "30", "--time-limit", "100"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        # a shell may start children with SIGINT ignored; Ctrl-C must reach this one
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert proc.stderr is not None
    first = proc.stderr.readline()  # the first progress line: the search is running
    assert first.startswith("synod:"), first
    proc.send_signal(signal.SIGINT)
    out, _err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "INTERRUPTED" in out and "stopped by Ctrl-C" in out


def test_replay_html_into_a_missing_directory_exits_2(bug_trace: Path, tmp_path: Path) -> None:
    proc = synod("replay", str(bug_trace), "--html", str(tmp_path / "no" / "run.html"))
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "--html" in proc.stderr
    assert list(tmp_path.iterdir()) == []

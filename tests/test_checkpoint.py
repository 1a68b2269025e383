"""Checkpoint and resume (issue 16): a search stopped at any point and resumed from its
checkpoint ends exactly as the uninterrupted search (counts, level sizes, generated
successors, the counterexample); a checkpoint of another check, of another code
version, corrupt or truncated, is refused (exit 2, one line); ``--max-memory`` spills
the BFS frontier to disk with the counts unchanged.

The interrupts are real signals raised on a chosen expansion (tests/checkpoint_toys.py),
and the subprocess test waits on the checkpoint file, never on a clock.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from explorer.cli import main
from explorer.engine import SearchResult, SearchSettings, search
from explorer.engine.checkpoint import FILE_NAME, CheckpointError, CheckpointPlan, read_checkpoint
from explorer.engine.visited import Visited
from tests.checkpoint_toys import Cube, KeepingPlan

ROOT = Path(__file__).resolve().parent.parent
IDENTITY = {"test": "cube"}

# (strategy, model knobs, settings knobs): a violation deep down; a depth bound with a
# final property failing on the cut level, collecting every violation (BFS: the
# properties pending on the last level; DFS: states re-expanded higher up)
CASES: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
    "bfs-violation": ("bfs", {"bad": (1, 9, 8, 2)}, {}),
    "bfs-depth-final": ("bfs", {"final_ok": lambda s: s[1] != 4}, {"max_depth": 12, "collect": True}),
    "dfs-violation": ("dfs", {"bad": (1, 9, 8, 2)}, {}),
    "dfs-depth-final": ("dfs", {"final_ok": lambda s: s[1] != 4}, {"max_depth": 12, "collect": True}),
}


def summary(r: SearchResult) -> tuple[Any, ...]:
    return (
        r.verdict, r.complete, r.distinct_states, r.generated, r.levels, r.level_sizes, r.stopped_by,
        r.sometimes, [(v.property_name, v.actions, v.init_index) for v in r.violations],
    )


def settings_of(case: str) -> SearchSettings:
    strategy, _, knobs = CASES[case]
    return SearchSettings(strategy=strategy, **knobs)  # type: ignore[arg-type]


def cube(case: str, signal_at: int | None = None) -> Cube:
    return Cube(n=10, signal_at=signal_at, **CASES[case][1])


def resume_plan(directory: Path, **kw: Any) -> CheckpointPlan:
    return CheckpointPlan(directory, IDENTITY, snapshot=read_checkpoint(directory, IDENTITY), **kw)


@pytest.mark.parametrize("case", sorted(CASES))
def test_interrupted_anywhere_and_resumed_ends_as_the_uninterrupted_search(tmp_path: Path, case: str) -> None:
    settings = settings_of(case)
    expected = summary(search(cube(case), settings))
    interrupted = 0
    for at in (1, 2, 77, 256, 600, 1500):  # expansions: before, at and between safe points
        directory = tmp_path / f"at-{at}"
        plan = CheckpointPlan(directory, IDENTITY, every_s=None)
        first = search(cube(case, signal_at=at), settings, checkpoint=plan)
        if first.stopped_by != "interrupted":  # it ended before the n-th expansion
            assert summary(first) == expected
            continue
        interrupted += 1
        assert plan.written == 1 and not first.complete
        resumed = search(cube(case), settings, checkpoint=resume_plan(directory, every_s=None))
        assert summary(resumed) == expected, at
    assert interrupted >= 3


@pytest.mark.parametrize("case", ["bfs-violation", "dfs-depth-final"])
def test_interrupted_again_and_again_ends_as_the_uninterrupted_search(tmp_path: Path, case: str) -> None:
    settings = settings_of(case)
    expected = summary(search(cube(case), settings))
    plan = CheckpointPlan(tmp_path, IDENTITY, every_s=None)
    sessions = 1
    result = search(cube(case, signal_at=300), settings, checkpoint=plan)
    while result.stopped_by == "interrupted":
        sessions += 1
        result = search(cube(case, signal_at=300), settings, checkpoint=resume_plan(tmp_path, every_s=None))
    assert sessions >= 4
    assert summary(result) == expected


@pytest.mark.parametrize("case", ["bfs-violation", "bfs-depth-final", "dfs-violation", "dfs-depth-final"])
def test_every_periodic_checkpoint_resumes_to_the_same_end_and_is_canonical(tmp_path: Path, case: str) -> None:
    """BFS: one checkpoint per level; DFS: one at every safe point. Each resumes to the
    uninterrupted end, and a resumed search writes byte for byte the checkpoints the
    uninterrupted one wrote after that point (the serialisation is canonical)."""
    settings = settings_of(case)
    every: dict[str, Any] = {"every_levels": 1, "every_s": None} if settings.strategy == "bfs" else {"every_s": 0.0}
    plan = KeepingPlan(tmp_path / "all", IDENTITY, **every)
    expected = summary(search(cube(case), settings, checkpoint=plan))
    assert expected == summary(search(cube(case), settings))  # checkpointing changes nothing
    assert len(plan.kept) >= 3
    for k, blob in enumerate(plan.kept):
        directory = tmp_path / f"from-{k}"
        directory.mkdir()
        (directory / FILE_NAME).write_bytes(blob)
        again = KeepingPlan(directory, IDENTITY, snapshot=read_checkpoint(directory, IDENTITY), **every)
        assert summary(search(cube(case), settings, checkpoint=again)) == expected, k
        assert getattr(again, "kept", []) == plan.kept[k + 1 :], k


def test_a_checkpoint_that_cannot_be_written_is_noted_and_the_search_goes_on(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    plan = CheckpointPlan(tmp_path / "file" / "ckpt", IDENTITY, every_s=None, every_levels=1)
    settings = settings_of("bfs-violation")
    assert summary(search(cube("bfs-violation"), settings, checkpoint=plan)) == summary(
        search(cube("bfs-violation"), settings)
    )
    assert plan.written == 0 and len(plan.errors) >= 5 and "ckpt/checkpoint.synod" in plan.errors[0]


def test_visited_round_trips_through_bytes() -> None:
    visited = Visited()
    for fp in (5, 2**64 - 1, 3, 17):
        visited.add(fp, len(visited) - 1, 2)
    visited.add_keyed(99, -1, 7)
    back = Visited.from_bytes(visited.to_bytes())
    assert all(fp in back for fp in (5, 2**64 - 1, 3, 17, 99)) and 4 not in back and len(back) == 5
    assert (list(back.parent), list(back.step), list(back.fps)) == (
        list(visited.parent), list(visited.step), list(visited.fps),
    )
    assert back.to_bytes() == visited.to_bytes()
    with pytest.raises(ValueError):
        Visited.from_bytes(visited.to_bytes()[:-3])


def test_a_checkpoint_of_another_identity_or_damaged_is_refused(tmp_path: Path) -> None:
    plan = CheckpointPlan(tmp_path, IDENTITY, every_s=None)
    search(Cube(n=10, signal_at=100), SearchSettings(), checkpoint=plan)
    with pytest.raises(CheckpointError, match="another check: test is \"cube\" there, \"other\" here"):
        read_checkpoint(tmp_path, {"test": "other"})
    data = (tmp_path / FILE_NAME).read_bytes()
    for damaged in (data[: len(data) // 2], data[:-1], data[:100] + bytes([data[100] ^ 1]) + data[101:]):
        (tmp_path / FILE_NAME).write_bytes(damaged)
        with pytest.raises(CheckpointError, match="corrupt or truncated"):
            read_checkpoint(tmp_path, IDENTITY)


# -- spilling ---------------------------------------------------------------------------


@pytest.mark.parametrize("case", ["bfs-violation", "bfs-depth-final"])
def test_a_tiny_memory_bound_spills_the_frontier_and_changes_no_count(case: str) -> None:
    settings = settings_of(case)
    expected = summary(search(cube(case), settings))
    import dataclasses

    spilled = search(cube(case), dataclasses.replace(settings, max_memory_mb=1))
    assert summary(spilled) == expected
    assert spilled.extra["spill"]["spilled_states"] >= spilled.distinct_states // 3  # most of it


def test_spilling_and_checkpoints_combine(tmp_path: Path) -> None:
    import dataclasses

    settings = dataclasses.replace(settings_of("bfs-violation"), max_memory_mb=1)
    expected = summary(search(cube("bfs-violation"), settings_of("bfs-violation")))
    plan = CheckpointPlan(tmp_path, IDENTITY, every_s=None)
    first = search(cube("bfs-violation", signal_at=900), settings, checkpoint=plan)
    assert first.stopped_by == "interrupted"
    resumed = search(cube("bfs-violation"), settings, checkpoint=resume_plan(tmp_path, every_s=None))
    assert summary(resumed) == expected


# -- the command line ---------------------------------------------------------------------

GATED = ["check", "--model", "tests.checkpoint_toys:Gated", "--nodes", "10", "--json"]


def run_main(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def reference(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> dict[str, Any]:
    code, out, _ = run_main(capsys, [*GATED, "--traces", str(tmp_path / "ref-traces")])
    assert code == 1
    return json.loads(out)


def same_end(data: dict[str, Any], ref: dict[str, Any]) -> None:
    keys = ("verdict", "complete", "distinct_states", "generated", "depth", "levels", "level_sizes", "property", "step")
    assert {k: data[k] for k in keys} == {k: ref[k] for k in keys}
    assert json.loads(Path(data["trace"]).read_text())["actions"] == json.loads(Path(ref["trace"]).read_text())["actions"]


@pytest.mark.parametrize(("signame", "exit_code"), [("SIGINT", 130), ("SIGTERM", 143)])
def test_a_signal_after_the_first_checkpoint_then_resume_ends_as_the_uninterrupted_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], signame: str, exit_code: int
) -> None:
    ref = reference(capsys, tmp_path)
    directory = tmp_path / "ckpt"
    gate = tmp_path / "gate"
    env = dict(os.environ, SYNOD_TEST_GATE=str(gate), SYNOD_TEST_GATE_AT="700")
    proc = subprocess.Popen(
        [sys.executable, "-m", "explorer", *GATED, "--checkpoint", str(directory), "--checkpoint-every", "1level",
         "--traces", str(tmp_path / "traces")],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        # the event: the first checkpoint is in place (a level ended); the search waits
        # at its 700th expansion for the gate, opened only once the signal is sent
        deadline = time.monotonic() + 900  # a hang guard, not a synchronisation
        while not (directory / FILE_NAME).exists():
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.stderr else ""
            time.sleep(0.02)
        proc.send_signal(getattr(signal, signame))
        gate.touch()
        out, err = proc.communicate(timeout=900)
    finally:
        proc.kill()
    assert proc.returncode == exit_code, err
    assert "Traceback" not in err and f"--resume {directory}" in err
    interrupted = json.loads(out)
    assert interrupted["interrupted"] and interrupted["distinct_states"] < ref["distinct_states"]
    assert sorted(p.name for p in directory.iterdir()) == [FILE_NAME]  # no temporary file left
    code, out, err = run_main(capsys, [*GATED, "--resume", str(directory), "--traces", str(tmp_path / "traces2")])
    assert code == 1, err
    same_end(json.loads(out), ref)


def test_refusals_exit_2_with_one_line_and_leave_the_checkpoint_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = tmp_path / "ckpt"
    argv = [*GATED, "--depth", "9", "--traces", str(tmp_path / "t")]
    code, out, _ = run_main(capsys, [*argv, "--checkpoint", str(directory), "--checkpoint-every", "2levels"])
    assert code == 0 and json.loads(out)["engine"]["checkpoint"]["written"] >= 3
    data = (directory / FILE_NAME).read_bytes()

    def refused(extra: list[str], message: str, base: list[str] = argv) -> None:
        code, out, err = run_main(capsys, [*base, *extra])
        assert code == 2 and out == "", err
        assert err.count("\n") == 1 and message in err and "Traceback" not in err, err
        assert (directory / FILE_NAME).read_bytes() == data

    resume = ["--resume", str(directory)]
    refused(["--checkpoint", str(directory)], "holds a checkpoint already")
    eleven = [a if a != "10" else "11" for a in argv]
    refused(resume, "--nodes is 10 there, 11 here", eleven)
    refused(resume, "--depth is 9 there, 8 here", [*GATED, "--depth", "8"])
    refused(resume, "--strategy is \"bfs\" there, \"dfs\" here", [*argv, "--strategy", "dfs"])
    refused(resume + ["--workers", "2"], "BFS in one process: resume it without --workers")
    refused(resume + ["--checkpoint-every", "soon"], "--checkpoint-every wants")
    refused(["--resume", str(tmp_path / "nowhere")], "no checkpoint there")
    refused(["--strategy", "random", "--checkpoint-every", "1level", "--checkpoint", str(tmp_path / "r")],
            "random has no levels", GATED)
    # (the Gated toy declares no reduction: --por on it is refused for that)
    refused(["--por", "--workers", "2", "--checkpoint", str(tmp_path / "p")], "--por: model 'cube' declares no independence", GATED)
    refused(["--world", "basic-duel", "--checkpoint", str(tmp_path / "w")], "not the portfolio", ["check"])
    monkeypatch.setattr("explorer.engine.checkpoint.source_digest", lambda *a, **k: "0123456789abcdef")
    refused(resume, "written by another version of the code")
    monkeypatch.undo()
    for damaged in (data[: len(data) // 3], data[:-5] + b"\x00" * 5):
        (directory / FILE_NAME).write_bytes(damaged)
        data = damaged
        refused(resume, "corrupt or truncated")


def test_max_memory_spills_on_the_command_line_and_still_exhausts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ref = reference(capsys, tmp_path)
    code, out, _ = run_main(capsys, [*GATED, "--max-memory", "1", "--traces", str(tmp_path / "t")])
    assert code == 1
    data = json.loads(out)
    same_end(data, ref)
    assert data["engine"]["spill"]["spilled_states"] > 0


def test_the_multipaxos_checkpoint_is_the_same_bytes_under_any_hash_seed(tmp_path: Path) -> None:
    """Frontier states are pickled: equal worlds give equal bytes in any process (sets
    of strs iterate in a per-process order; the worlds hold none in an order that shows)."""
    blobs = []
    for seed in ("0", "1"):
        directory = tmp_path / seed
        subprocess.run(
            [sys.executable, "-m", "explorer", "check", "--depth", "4", "--checkpoint", str(directory),
             "--checkpoint-every", "1level", "--json"],
            cwd=ROOT, env=dict(os.environ, PYTHONHASHSEED=seed), check=True, capture_output=True,
        )
        blobs.append((directory / FILE_NAME).read_bytes())
    assert blobs[0] == blobs[1] and len(blobs[0]) > 10_000

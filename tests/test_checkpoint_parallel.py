"""Checkpoint and resume of the BFS over local worker processes (issue 16): stopped by a
real SIGINT in the middle of a level (the checkpoint is of the boundary before it) or
resumed from any level boundary's checkpoint, it ends as the uninterrupted search with
the same number of workers (counts, level sizes, generated successors, the
counterexample) and, with another number of workers, with the same counts, level sizes
and verdict and a counterexample of the same property and length.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from explorer.cli import main
from explorer.engine import SearchResult, SearchSettings, search
from explorer.engine.checkpoint import FILE_NAME, CheckpointError, CheckpointPlan, read_checkpoint
from tests.checkpoint_toys import Cube, KeepingPlan

IDENTITY = {"test": "cube-workers"}

# a violation deep down (one bad state: the same counterexample whatever the timing);
# a depth bound whose last level fails a final property under --collect
CASES: dict[str, tuple[dict[str, Any], SearchSettings]] = {
    "violation": ({"bad": (1, 12, 11, 2)}, SearchSettings(workers=2)),
    "depth-final": ({"final_ok": lambda s: s[1] != 4}, SearchSettings(workers=2, max_depth=14, collect=True)),
}


def summary(r: SearchResult) -> tuple[Any, ...]:
    return (
        r.verdict, r.complete, r.distinct_states, r.generated, r.levels, r.level_sizes, r.stopped_by,
        r.sometimes, [(v.property_name, v.actions, v.init_index) for v in r.violations],
    )


def outline(r: SearchResult) -> tuple[Any, ...]:
    """What any worker count gives: all but the paths themselves (their lengths stay)."""
    return (*summary(r)[:-1], [(v.property_name, len(v.actions)) for v in r.violations])


def cube(case: str) -> Cube:
    return Cube(n=12, **CASES[case][0])


def test_a_level_cut_in_its_middle_is_redone_on_resume(tmp_path: Path, cut_level: list[int]) -> None:
    """A wide level (about 435 states a worker): the workers stop after 256 expansions,
    with successors half exchanged; the resumed search redoes the level whole."""
    settings = SearchSettings(workers=2, max_depth=32)
    expected = summary(search(Cube(n=30), settings))
    cut_level[:] = [28]
    plan = CheckpointPlan(tmp_path, IDENTITY, every_s=None)
    first = search(Cube(n=30), settings, checkpoint=plan)
    cut_level.clear()
    assert first.stopped_by == "interrupted" and plan.written == 1
    assert first.distinct_states < sum(expected[5][:29])  # level 28's successors only partly admitted
    assert summary(search(Cube(n=30), settings, checkpoint=resume_plan(tmp_path, every_s=None))) == expected


def resume_plan(directory: Path, **kw: Any) -> CheckpointPlan:
    return CheckpointPlan(directory, IDENTITY, snapshot=read_checkpoint(directory, IDENTITY), **kw)


@pytest.fixture
def cut_level(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Set ``[k]`` and each worker, on its k-th level, raises the search's stop flag before
    expanding, and worker 0 sends SIGINT to the test process: the level is cut, as when the
    coordinator stops the workers on Ctrl-C. One signal by construction: a second one, from
    another worker, could reach this process after the search had put the default handler
    back and interrupt the test itself. (The workers are forked: they inherit the patch.)"""
    from explorer.engine import parallel

    at: list[int] = []
    original = parallel._Partition.expand
    creator = os.getpid()
    levels_seen = [0]

    def expand(self: Any, level: Any, sources: Any) -> Any:
        levels_seen[0] += 1
        if at and levels_seen[0] == at[0]:
            self.stop_flag.value = 1
            if self.me == 0:
                os.kill(creator, signal.SIGINT)
        return original(self, level, sources)

    monkeypatch.setattr(parallel._Partition, "expand", expand)
    yield at


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_cut_level_is_redone_on_resume_with_any_number_of_workers(
    tmp_path: Path, case: str, cut_level: list[int]
) -> None:
    settings = CASES[case][1]
    expected = summary(search(cube(case), settings))
    three = outline(search(cube(case), dataclasses.replace(settings, workers=3)))
    for at in (1, 4, 11):
        directory = tmp_path / f"at-{at}"
        cut_level[:] = [at]
        plan = CheckpointPlan(directory, IDENTITY, every_s=None)
        first = search(cube(case), settings, checkpoint=plan)
        cut_level.clear()
        assert first.stopped_by == "interrupted" and plan.written == 1, at
        assert read_checkpoint(directory, IDENTITY).counters["level_sizes"] == expected[5][:at], at
        assert summary(search(cube(case), settings, checkpoint=resume_plan(directory, every_s=None))) == expected
        again = search(cube(case), dataclasses.replace(settings, workers=3), checkpoint=resume_plan(directory))
        assert outline(again) == three, at


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_level_boundary_checkpoint_resumes_to_the_same_end_and_is_canonical(tmp_path: Path, case: str) -> None:
    settings = CASES[case][1]

    plan = KeepingPlan(tmp_path / "all", IDENTITY, every_s=None, every_levels=1)
    expected = summary(search(cube(case), settings, checkpoint=plan))
    assert expected == summary(search(cube(case), settings))  # checkpointing changes nothing
    assert len(plan.kept) >= 10
    for k in (0, 3, len(plan.kept) - 1):
        directory = tmp_path / f"from-{k}"
        directory.mkdir()
        (directory / FILE_NAME).write_bytes(plan.kept[k])
        again = KeepingPlan(directory, IDENTITY, every_s=None, every_levels=1, snapshot=read_checkpoint(directory, IDENTITY))
        assert summary(search(cube(case), settings, checkpoint=again)) == expected, k
        assert getattr(again, "kept", []) == plan.kept[k + 1 :], k  # byte for byte


def test_one_process_and_worker_checkpoints_do_not_mix(tmp_path: Path) -> None:
    settings = CASES["violation"][1]
    search(cube("violation"), settings, checkpoint=CheckpointPlan(tmp_path / "w", IDENTITY, every_levels=1))
    with pytest.raises(CheckpointError, match="resume it with --workers 2 or more"):
        search(cube("violation"), SearchSettings(), checkpoint=resume_plan(tmp_path / "w"))
    search(cube("violation"), SearchSettings(), checkpoint=CheckpointPlan(tmp_path / "one", IDENTITY, every_levels=1))
    with pytest.raises(CheckpointError, match="resume it without --workers"):
        search(cube("violation"), settings, checkpoint=resume_plan(tmp_path / "one"))


GATED = ["check", "--model", "tests.checkpoint_toys:Gated", "--nodes", "12", "--json", "--workers", "2"]


def test_the_command_line_resumes_workers_with_another_number_of_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def run(argv: list[str]) -> tuple[int, dict[str, Any], str]:
        code = main(argv)
        out, err = capsys.readouterr()
        return code, json.loads(out) if out else {}, err

    code, ref, _ = run([*GATED, "--traces", str(tmp_path / "ref")])
    assert code == 1
    directory = tmp_path / "ckpt"
    monkeypatch.setenv("SYNOD_TEST_SIGNAL_ON", "1,6,5,2")  # expanded at level 13 of 25
    code, first, err = run([*GATED, "--checkpoint", str(directory), "--traces", str(tmp_path / "t1")])
    assert code == 130 and f"--resume {directory}" in err, err
    assert first["interrupted"] and first["engine"]["checkpoint"]["written"] == 1
    monkeypatch.delenv("SYNOD_TEST_SIGNAL_ON")
    code, data, err = run([*GATED[:-2], "--resume", str(directory)])
    assert code == 2 and data == {} and err.count("\n") == 1 and "resume it with --workers" in err, err
    code, data, err = run([*GATED[:-1], "3", "--resume", str(directory), "--traces", str(tmp_path / "t2")])
    assert code == 1, err
    keys = ("verdict", "complete", "distinct_states", "generated", "level_sizes", "property", "step")
    assert {k: data[k] for k in keys} == {k: ref[k] for k in keys}

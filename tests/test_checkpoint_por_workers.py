"""Checkpoint and resume of a reduced BFS over local workers (``--por --workers N``,
docs/checkpoint.md): cut by a real SIGINT in any round of a level (free steps run a level
in rounds: explorer/engine/parallel_free.py), or resumed from any level boundary's
checkpoint, it ends as the uninterrupted search with the same number of workers (counts,
level sizes, generated successors, counterexamples, the reduction's counters and the
further rounds) and, with another number of workers, with the same counts, level sizes,
counters and verdicts.

The toys are tests/por_toys.py's random systems with free sets (tests/test_checkpoint_por.py
uses the same for one process: seed 10 joins states to levels by free steps, seed 78
also pulls states forward out of the next level), and seed 10 with closures that prune
under the cycle proviso, whose depth bound leaves the search incomplete.
"""

from __future__ import annotations

import dataclasses
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from explorer.cli import main
from explorer.engine import SearchResult, SearchSettings, search
from explorer.engine.checkpoint import FILE_NAME, CheckpointPlan, read_checkpoint
from tests.checkpoint_toys import KeepingPlan
from tests.por_toys import random_system
from tests.test_checkpoint_por import IDENTITY, contents

#: case -> (random system seed, free sets only, settings)
CASES: dict[str, tuple[int, bool, SearchSettings]] = {
    "free": (10, True, SearchSettings(por=True, collect=True, workers=2)),
    "free-pulled": (78, True, SearchSettings(por=True, collect=True, workers=2)),
    "free-depth": (10, True, SearchSettings(por=True, collect=True, workers=2, max_depth=6)),
    "closures-depth": (10, False, SearchSettings(por=True, collect=True, workers=2, max_depth=6)),
}


def system(case: str) -> Any:
    seed, free, _ = CASES[case]
    return random_system(seed, free_sets=free)


def summary(r: SearchResult) -> tuple[Any, ...]:
    return (
        r.verdict, r.complete, r.distinct_states, r.generated, r.levels, r.level_sizes, r.stopped_by,
        r.sometimes, sorted((v.property_name, v.actions, v.init_index) for v in r.violations),
        r.extra["por"], r.extra.get("free_rounds"),
    )


def outline(r: SearchResult) -> tuple[Any, ...]:
    """What any worker count gives: all but the paths and the rounds' count (a worker
    count that splits no level differently still gives the same rounds, but the paths'
    parents are the first discoverers: only their properties are kept)."""
    return (*summary(r)[:8], sorted(v.property_name for v in r.violations), r.extra["por"])


def resume_plan(directory: Path, **kw: Any) -> CheckpointPlan:
    return CheckpointPlan(directory, IDENTITY, snapshot=read_checkpoint(directory, IDENTITY), **kw)


@pytest.fixture
def cut_round(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Set ``[k]`` and worker 0, at its k-th round (the first round of a level or a
    further one; ``[k, 1]``: at its k-th further round), raises the search's stop flag
    and sends one SIGINT to the test process before expanding: the level is cut, as when
    the coordinator stops the workers on Ctrl-C. One worker sends, once, while the
    coordinator waits for that worker's report of the round, so the signal arrives while
    the search's handler is installed. (The workers are forked: they inherit the patch.)"""
    from explorer.engine import parallel

    at: list[int] = []
    original = parallel._Partition.expand
    creator = os.getpid()
    rounds_seen = [0, 0]  # rounds, further rounds

    def expand(self: Any, level: Any, sources: Any) -> Any:
        further = sources[0] is not self.fps  # a further round expands what joined the level
        rounds_seen[0] += 1
        rounds_seen[1] += further
        if at and self.me == 0 and rounds_seen[1 if len(at) > 1 else 0] == at[0] and (further or len(at) == 1):
            self.stop_flag.value = 1
            os.kill(creator, signal.SIGINT)
        return original(self, level, sources)

    monkeypatch.setattr(parallel._Partition, "expand", expand)
    yield at


def test_the_cases_take_further_rounds_and_prune() -> None:
    """What the cases are for: free steps add rounds to levels (and pull states forward
    in seed 78), the closures prune without free sets and stay incomplete under the bound."""
    results = {case: search(system(case), CASES[case][2]) for case in CASES}
    assert all(r.extra["por"]["pruned"] > 0 and "counted" not in r.extra["por"] for r in results.values())
    assert results["free"].extra["free_rounds"] >= 3 and results["free-depth"].extra["free_rounds"] >= 3
    assert results["closures-depth"].extra["por"]["pruned_free"] == 0 and not results["closures-depth"].complete
    assert results["free"].complete


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_round_cut_anywhere_is_redone_on_resume_with_any_number_of_workers(
    tmp_path: Path, case: str, cut_round: list[int]
) -> None:
    settings = CASES[case][2]
    expected = search(system(case), settings)
    interrupted: list[list[int]] = []
    for at in ([1], [3], [5], [8], [1, 1], [2, 1]):
        directory = tmp_path / f"at-{'-'.join(map(str, at))}"
        cut_round[:] = at
        plan = CheckpointPlan(directory, IDENTITY, every_s=None)
        first = search(system(case), settings, checkpoint=plan)
        cut_round.clear()
        if first.stopped_by != "interrupted":  # it ended before worker 0's at-th round
            assert summary(first) == summary(expected)
            continue
        interrupted.append(at)
        assert plan.written == 1 and not first.complete, at
        assert "counted" in first.extra["por"]  # a stopped search's workers send nothing back
        resumed = search(system(case), settings, checkpoint=resume_plan(directory, every_s=None))
        assert summary(resumed) == summary(expected), at
        three = search(system(case), dataclasses.replace(settings, workers=3), checkpoint=resume_plan(directory))
        assert outline(three) == outline(expected), at
    assert len([at for at in interrupted if len(at) == 1]) >= 3
    assert [1, 1] in interrupted or not CASES[case][1]  # with free sets, a further round was cut


@pytest.mark.parametrize("case", ["free-pulled", "free-depth"])
def test_every_level_boundary_checkpoint_resumes_to_the_same_end_and_checkpoints(tmp_path: Path, case: str) -> None:
    """Resumed from any of the uninterrupted search's checkpoints, it ends the same and
    writes the checkpoints the uninterrupted one wrote after that point (their contents:
    tests/test_checkpoint_por.py ``contents``)."""
    settings = CASES[case][2]

    plan = KeepingPlan(tmp_path / "all", IDENTITY, every_s=None, every_levels=1)
    expected = summary(search(system(case), settings, checkpoint=plan))
    assert expected == summary(search(system(case), settings))  # checkpointing changes nothing
    assert len(plan.kept) >= 3
    for k in range(len(plan.kept)):
        directory = tmp_path / f"from-{k}"
        directory.mkdir()
        (directory / FILE_NAME).write_bytes(plan.kept[k])
        again = KeepingPlan(directory, IDENTITY, every_s=None, every_levels=1, snapshot=read_checkpoint(directory, IDENTITY))
        assert summary(search(system(case), settings, checkpoint=again)) == expected, k
        written, later = getattr(again, "kept", []), plan.kept[k + 1 :]
        assert len(written) == len(later), k
        for n, (mine, theirs) in enumerate(zip(written, later, strict=True)):
            assert contents(mine, tmp_path / f"{k}-{n}-a") == contents(theirs, tmp_path / f"{k}-{n}-b"), (k, n)


def test_synod_check_por_over_workers_checkpoints_and_resumes_with_another_worker_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The default world to depth 5 under --por over two workers, checkpointed at every
    level: it ends as without checkpoints; resumed with three workers, the same counts
    and counters."""
    import json

    argv = ["check", "--por", "--depth", "5", "--workers", "2", "--json", "--traces", str(tmp_path / "t")]
    assert main(argv) == 0
    plain = json.loads(capsys.readouterr().out)
    assert main([*argv, "--checkpoint", str(tmp_path / "c"), "--checkpoint-every", "1level"]) == 0
    whole = json.loads(capsys.readouterr().out)
    keys = ("verdict", "complete", "distinct_states", "generated", "levels", "level_sizes")
    assert {k: whole[k] for k in keys} == {k: plain[k] for k in keys}
    assert whole["engine"]["por"] == plain["engine"]["por"] and whole["engine"]["por"]["pruned_free"] > 0
    assert whole["engine"]["checkpoint"]["written"] >= 3
    three = [a if a != "2" else "3" for a in argv]
    assert main([*three, "--resume", str(tmp_path / "c")]) == 0
    resumed = json.loads(capsys.readouterr().out)
    assert {k: resumed[k] for k in keys} == {k: plain[k] for k in keys}
    assert resumed["engine"]["por"] == plain["engine"]["por"] and resumed["engine"]["checkpoint"]["resumed"]

"""Checkpoint and resume under partial-order reduction (docs/checkpoint.md): a reduced
BFS or DFS in one process, stopped by a real SIGINT anywhere and resumed, ends as the
uninterrupted reduced search: the same counts, level sizes, verdict, counterexamples
and reduction counters (``extra["por"]``, which decide whether a depth-bounded search
is complete). The BFS's free steps (a 0-1 BFS: explorer/engine/free_steps.py) are cut
in the middle of a level too: the states a free step pulled forward out of the next
level, and the ones that joined the level being expanded, are saved with it.

The toys are tests/por_toys.py's random systems: with free sets only (seeds 10, 78: 56
states join a level by a free step in the first, two are pulled forward out of the
next level in the second) and with closures that prune under the cycle proviso (seed
10 without free sets, where a depth bound then leaves the search incomplete).
"""

from __future__ import annotations

import dataclasses
import json
import pickle
import signal
from pathlib import Path
from typing import Any

import pytest

from explorer.actors import ActorModel
from explorer.cli import main
from explorer.engine import SearchResult, SearchSettings, search
from explorer.engine.checkpoint import FILE_NAME, CheckpointError, CheckpointPlan, read_checkpoint
from tests.checkpoint_toys import KeepingPlan
from tests.por_toys import random_system

IDENTITY = {"test": "por"}

#: case -> (random system seed, free sets only, settings)
CASES: dict[str, tuple[int, bool, SearchSettings]] = {
    "bfs-free": (10, True, SearchSettings(por=True, collect=True)),
    "bfs-free-pulled": (78, True, SearchSettings(por=True, collect=True)),
    "bfs-free-depth": (10, True, SearchSettings(por=True, collect=True, max_depth=6)),
    "bfs-closures-depth": (10, False, SearchSettings(por=True, collect=True, max_depth=6)),
    "dfs-free": (10, True, SearchSettings(strategy="dfs", por=True, collect=True)),
    "dfs-closures-depth": (10, False, SearchSettings(strategy="dfs", por=True, collect=True, max_depth=6)),
}


def system(case: str, signal_at: int | None = None) -> ActorModel:
    """The case's system; ``signal_at``: a real SIGINT on the n-th expansion (the reduction
    asks for a state's actions once per expansion, whatever it keeps of them)."""
    seed, free, _ = CASES[case]
    model = random_system(seed, free_sets=free)
    if signal_at is not None:
        actions, calls = model.actions, [0]

        def counting(state: Any) -> Any:
            calls[0] += 1
            if calls[0] == signal_at:
                signal.raise_signal(signal.SIGINT)
            return actions(state)

        vars(model)["actions"] = counting
    return model


def summary(r: SearchResult) -> tuple[Any, ...]:
    return (
        r.verdict, r.complete, r.distinct_states, r.generated, r.levels, r.level_sizes, r.stopped_by,
        r.sometimes, [(v.property_name, v.actions, v.init_index) for v in r.violations], r.extra["por"],
    )


def resume_plan(directory: Path, **kw: Any) -> CheckpointPlan:
    return CheckpointPlan(directory, IDENTITY, snapshot=read_checkpoint(directory, IDENTITY), **kw)


def test_the_cases_reduce_and_exercise_free_steps() -> None:
    """What the cases are for: each prunes, at free sets only or at closures only; free
    steps join levels; the closures' depth bound leaves the search incomplete."""
    results = {case: search(system(case), CASES[case][2]) for case in CASES}
    assert all(r.extra["por"]["pruned"] > 0 for r in results.values())
    assert results["bfs-closures-depth"].extra["por"]["pruned_free"] == 0
    assert results["bfs-free"].extra["por"]["pruned_free"] == results["bfs-free"].extra["por"]["pruned"]
    assert not results["bfs-closures-depth"].complete and results["bfs-free"].complete
    # free steps joined levels: the reduced BFS has fewer levels than its DFS's depth
    assert results["bfs-free"].levels < results["dfs-free"].levels


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_reduced_search_interrupted_anywhere_resumes_to_the_same_end(tmp_path: Path, case: str) -> None:
    settings = CASES[case][2]
    expected = summary(search(system(case), settings))
    interrupted = 0
    for at in (1, 2, 40, 77, 120, 256, 450):
        directory = tmp_path / f"at-{at}"
        plan = CheckpointPlan(directory, IDENTITY, every_s=None)
        first = search(system(case, signal_at=at), settings, checkpoint=plan)
        if first.stopped_by != "interrupted":  # it ended before the n-th expansion
            assert summary(first) == expected
            continue
        interrupted += 1
        assert plan.written == 1 and not first.complete
        resumed = search(system(case), settings, checkpoint=resume_plan(directory, every_s=None))
        assert summary(resumed) == expected, at
    assert interrupted >= 4


@pytest.mark.parametrize("case", ["bfs-free", "bfs-free-pulled", "dfs-closures-depth"])
def test_a_reduced_search_interrupted_again_and_again_ends_as_the_uninterrupted_one(
    tmp_path: Path, case: str
) -> None:
    """A BFS session of 7 expansions each: every level is cut somewhere, the levels where
    free steps pull states forward included. (A resumed DFS rebuilds its stack's
    successors first, which asks for actions too: its sessions are longer.)"""
    settings = CASES[case][2]
    expected = summary(search(system(case), settings))
    plan = CheckpointPlan(tmp_path, IDENTITY, every_s=None)
    every = 7 if settings.strategy == "bfs" else 60
    sessions = 1
    result = search(system(case, signal_at=every), settings, checkpoint=plan)
    while result.stopped_by == "interrupted":
        sessions += 1
        result = search(system(case, signal_at=every), settings, checkpoint=resume_plan(tmp_path, every_s=None))
    assert sessions >= 15
    assert summary(result) == expected


def contents(blob: bytes, where: Path) -> tuple[Any, ...]:
    """A checkpoint's contents: its counters and sections, the ones holding worlds (the
    frontiers' chunks, the violations kept) unpickled: a pickle writes a world's shared
    parts once, and which parts are shared by identity differs between a resumed process
    and the uninterrupted one, equal worlds all the same."""
    where.mkdir()
    (where / FILE_NAME).write_bytes(blob)
    snapshot = read_checkpoint(where, IDENTITY)
    sections = {
        name: [pickle.loads(p) for p in pieces] if name in ("frontier", "next", "run") else pieces
        for name, pieces in snapshot.sections.items()
    }
    return snapshot.strategy, snapshot.counters, sections


@pytest.mark.parametrize("case", ["bfs-free-pulled", "bfs-closures-depth", "dfs-free"])
def test_every_checkpoint_of_a_reduced_search_resumes_to_the_same_end_and_checkpoints(
    tmp_path: Path, case: str
) -> None:
    """Resumed from any of the uninterrupted search's checkpoints, a reduced search ends
    the same and writes the checkpoints the uninterrupted one wrote after that point."""
    settings = CASES[case][2]
    every: dict[str, Any] = {"every_levels": 1, "every_s": None} if settings.strategy == "bfs" else {"every_s": 0.0}
    plan = KeepingPlan(tmp_path / "all", IDENTITY, **every)
    expected = summary(search(system(case), settings, checkpoint=plan))
    assert expected == summary(search(system(case), settings))
    # BFS: one a level; DFS: one at every safe point (every 256 expansions), mid-stack
    assert len(plan.kept) >= (3 if settings.strategy == "bfs" else 2)
    for k, blob in enumerate(plan.kept):
        directory = tmp_path / f"from-{k}"
        directory.mkdir()
        (directory / FILE_NAME).write_bytes(blob)
        again = KeepingPlan(directory, IDENTITY, snapshot=read_checkpoint(directory, IDENTITY), **every)
        assert summary(search(system(case), settings, checkpoint=again)) == expected, k
        later = plan.kept[plan.kept.index(blob) + 1 :]
        written = getattr(again, "kept", [])
        assert len(written) == len(later), k
        for n, (mine, theirs) in enumerate(zip(written, later, strict=True)):
            assert contents(mine, tmp_path / f"{k}-{n}-a") == contents(theirs, tmp_path / f"{k}-{n}-b"), (k, n)


def test_a_free_steps_checkpoint_is_refused_under_max_memory_and_the_other_way_round(tmp_path: Path) -> None:
    """Free steps need the frontier in memory, so --max-memory turns them off under --por:
    the two searches are different ones, and a checkpoint of one does not resume the other."""
    settings = CASES["bfs-free"][2]
    plan = CheckpointPlan(tmp_path / "free", IDENTITY, every_s=None)
    assert search(system("bfs-free", signal_at=100), settings, checkpoint=plan).stopped_by == "interrupted"
    with pytest.raises(CheckpointError, match="of a --por BFS without --max-memory: resume it without --max-memory"):
        search(system("bfs-free"), dataclasses.replace(settings, max_memory_mb=100_000),
               checkpoint=resume_plan(tmp_path / "free", every_s=None))
    bounded = dataclasses.replace(settings, max_memory_mb=100_000)
    plan = CheckpointPlan(tmp_path / "bounded", IDENTITY, every_s=None)
    assert search(system("bfs-free", signal_at=100), bounded, checkpoint=plan).stopped_by == "interrupted"
    with pytest.raises(CheckpointError, match="of a --por BFS with --max-memory: resume it with --max-memory"):
        search(system("bfs-free"), settings, checkpoint=resume_plan(tmp_path / "bounded", every_s=None))
    resumed = search(system("bfs-free"), bounded, checkpoint=resume_plan(tmp_path / "bounded", every_s=None))
    assert summary(resumed) == summary(search(system("bfs-free"), bounded))


def test_synod_check_por_resumed_from_a_middle_level_ends_as_the_uninterrupted_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The default Multi-Paxos world to depth 6 under --por (its stale messages are free
    sets), through the command line: resumed from the checkpoint after level 3, the
    check ends with the same counts, level sizes, reduction counters and verdict."""
    kept: list[bytes] = []
    write = CheckpointPlan.write

    def keeping(self: CheckpointPlan, *args: Any, **kwargs: Any) -> None:
        write(self, *args, **kwargs)
        kept.append(self.path.read_bytes())

    monkeypatch.setattr(CheckpointPlan, "write", keeping)
    argv = ["check", "--por", "--depth", "6", "--json", "--traces", str(tmp_path / "t")]
    assert main([*argv, "--checkpoint", str(tmp_path / "all"), "--checkpoint-every", "1level"]) == 0
    whole = json.loads(capsys.readouterr().out)
    assert len(kept) >= 4 and whole["engine"]["por"]["pruned_free"] > 0
    (tmp_path / "mid").mkdir()
    (tmp_path / "mid" / FILE_NAME).write_bytes(kept[2])
    assert main([*argv, "--resume", str(tmp_path / "mid")]) == 0
    resumed = json.loads(capsys.readouterr().out)
    keys = ("verdict", "complete", "distinct_states", "generated", "levels", "level_sizes")
    assert {k: resumed[k] for k in keys} == {k: whole[k] for k in keys}
    assert resumed["engine"]["por"] == whole["engine"]["por"]
    assert resumed["engine"]["checkpoint"]["resumed"]

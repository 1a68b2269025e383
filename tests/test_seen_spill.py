"""The DFS's seen map on disk past ``--max-memory`` (explorer/engine/seen_spill.py):
lookups stay exact across spills, depths lowered after a spill override the disk, so a
DFS that spills takes the same steps: the same counts and counterexample; and it
checkpoints and resumes as one that does not."""

from __future__ import annotations

import dataclasses
import random
import signal
from pathlib import Path
from typing import Any

import pytest

from explorer.engine import SearchResult, SearchSettings, search
from explorer.engine.checkpoint import CheckpointPlan, read_checkpoint
from explorer.engine.seen_spill import SpillingSeen
from explorer.engine.spill import SpillArea
from tests.checkpoint_toys import Cube


@pytest.fixture
def small_spills(monkeypatch: pytest.MonkeyPatch) -> None:
    """Spill from 100 entries on (the default waits for 65,536), in blocks of 64."""
    monkeypatch.setattr("explorer.engine.seen_spill.MIN_SPILL", 100)
    monkeypatch.setattr("explorer.engine.seen_spill._BLOCK", 64)


def test_depths_survive_spills_and_lowered_depths_override_the_disk(small_spills: None) -> None:
    area = SpillArea()
    rng = random.Random(11)
    spilling, plain = SpillingSeen(area), {}
    keys = [0, 2**64 - 1] + [rng.getrandbits(64) for _ in range(3000)]
    try:
        spills = 0
        for k, fp in enumerate(keys):
            depth = rng.randrange(1, 40)
            spilling[fp] = plain[fp] = depth
            if k > 10 and rng.random() < 0.3:  # a state met again higher up
                old = keys[rng.randrange(k)]
                lower = max(0, plain[old] - rng.randrange(1, 5))
                assert spilling.get(old) == plain[old]
                spilling[old] = plain[old] = lower
            if k % 250 == 249:
                spills += spilling.spill()
        assert spills >= 4 and spilling.disk_count > 1000 and spilling.shadowed > 0
        assert len(spilling) == len(plain)
        assert all(spilling.get(fp) == d for fp, d in plain.items())
        assert not any(rng.getrandbits(64) in spilling for _ in range(2000))
        assert list(spilling.sorted_items()) == sorted(plain.items())
    finally:
        spilling.close()
        area.close()


def summary(r: SearchResult) -> tuple[Any, ...]:
    return (
        r.verdict, r.complete, r.distinct_states, r.generated, r.levels, r.stopped_by, r.sometimes,
        [(v.property_name, v.actions, v.init_index) for v in r.violations],
    )


# a violation deep down; a depth bound (states re-expanded higher up: depths lowered)
# with a final property failing where the bound cuts, collecting every violation
CASES: dict[str, tuple[dict[str, Any], SearchSettings]] = {
    "violation": ({"bad": (1, 9, 8, 2)}, SearchSettings(strategy="dfs")),
    "depth-final": ({"final_ok": lambda s: s[1] != 4}, SearchSettings(strategy="dfs", max_depth=12, collect=True)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_dfs_past_a_tiny_memory_bound_spills_its_seen_map_and_changes_nothing(small_spills: None, case: str) -> None:
    knobs, settings = CASES[case]
    expected = summary(search(Cube(n=10, **knobs), settings))
    spilled = search(Cube(n=10, **knobs), dataclasses.replace(settings, max_memory_mb=1))
    assert summary(spilled) == expected
    assert spilled.extra["spill"]["spilled_visited"] >= 100


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_spilling_dfs_interrupted_and_resumed_ends_as_the_search_in_memory(
    small_spills: None, tmp_path: Path, case: str
) -> None:
    knobs, settings = CASES[case]
    expected = summary(search(Cube(n=10, **knobs), settings))
    bounded = dataclasses.replace(settings, max_memory_mb=1)
    identity = {"test": "seen-spill"}
    interrupted = 0
    for at in (60, 300, 900):
        for k, resumed_settings in enumerate((bounded, settings)):  # resumed spilling again, or in memory
            directory = tmp_path / f"at-{at}-{k}"
            plan = CheckpointPlan(directory, identity, every_s=None)
            first = search(Cube(n=10, signal_at=at, **knobs), bounded, checkpoint=plan)
            if first.stopped_by != "interrupted":  # it ended before the n-th expansion
                assert summary(first) == expected
                continue
            interrupted += 1
            assert first.extra["spill"]["spilled_visited"] > 0 or at == 60
            again = CheckpointPlan(directory, identity, snapshot=read_checkpoint(directory, identity), every_s=None)
            assert summary(search(Cube(n=10, **knobs), resumed_settings, checkpoint=again)) == expected, (at, k)
    assert interrupted >= 4


def test_a_dfs_whose_depths_are_lowered_after_a_spill_changes_nothing(
    small_spills: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A random toy system to depth 8, where the DFS meets again, higher up, states whose
    depth went to disk (170 of them): the dict's lower depth overrides the disk's, and a
    checkpoint taken there (a real SIGINT) resumes to the same end."""
    from tests.por_toys import random_system

    settings = SearchSettings(strategy="dfs", max_depth=8, collect=True)
    expected = summary(search(random_system(7), settings))
    bounded = dataclasses.replace(settings, max_memory_mb=1)
    shadowed: list[int] = []
    spill = SpillingSeen.spill

    def noting(self: SpillingSeen) -> bool:
        shadowed.append(self.shadowed)
        return spill(self)

    monkeypatch.setattr(SpillingSeen, "spill", noting)
    assert summary(search(random_system(7), bounded)) == expected
    assert max(shadowed) > 0
    model = random_system(7)
    successors, calls = model.successors, [0]

    def counting(state: Any) -> Any:
        calls[0] += 1
        if calls[0] == 400:
            signal.raise_signal(signal.SIGINT)
        return successors(state)

    vars(model)["successors"] = counting
    identity = {"test": "seen-spill-random"}
    plan = CheckpointPlan(tmp_path, identity, every_s=None)
    assert search(model, bounded, checkpoint=plan).stopped_by == "interrupted"
    again = CheckpointPlan(tmp_path, identity, snapshot=read_checkpoint(tmp_path, identity), every_s=None)
    assert summary(search(random_system(7), bounded, checkpoint=again)) == expected

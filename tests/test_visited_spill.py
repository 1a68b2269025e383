"""The visited set on disk past ``--max-memory`` (issue 16): membership stays exact and
ordinals and parent records keep their meaning across spills, so a BFS that spills its
visited set (and its frontier) admits the same states in the same order: the same
counts, level sizes and counterexample; and it checkpoints and resumes as one that does not.
"""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path
from typing import Any

import pytest

from explorer.engine import SearchResult, SearchSettings, search
from explorer.engine.checkpoint import CheckpointPlan, read_checkpoint
from explorer.engine.spill import SpillArea
from explorer.engine.visited import Visited
from explorer.engine.visited_spill import SpillingVisited
from tests.checkpoint_toys import Cube


@pytest.fixture
def small_spills(monkeypatch: pytest.MonkeyPatch) -> None:
    """Spill from 100 fingerprints on (the default waits for 65,536), sorting and merging
    in blocks of 64 (many sorted runs, many blocks written and read back)."""
    monkeypatch.setattr("explorer.engine.visited_spill.MIN_SPILL", 100)
    monkeypatch.setattr("explorer.engine.visited_spill._MERGE_BLOCK", 64)


def test_membership_ordinals_and_records_survive_spills(small_spills: None) -> None:
    area = SpillArea()
    rng = random.Random(7)
    spilling, plain = SpillingVisited(area), Visited()
    fps = [0, 2**64 - 1] + [rng.getrandbits(64) for _ in range(3000)]
    try:
        spills = 0
        for k, fp in enumerate(fps):
            parent = k // 3 - 1
            assert spilling.admit(fp, parent, k % 7) == plain.admit(fp, parent, k % 7)
            assert spilling.admit(fp, 0, 0) == -1  # now seen, wherever it lives
            if k % 250 == 249:
                spills += spilling.spill()
        assert spills >= 4 and spilling.records_on_disk > 1000 and area.spilled_visited == spilling.disk_count
        assert len(spilling) == len(plain) == len(fps)
        assert all(fp in spilling for fp in fps)
        assert not any(rng.getrandbits(64) in spilling for _ in range(2000))
        assert all(spilling.record(o) == plain.record(o) for o in range(len(fps)))
        again = Visited.from_bytes(spilling.to_bytes())
        assert all(fp in again for fp in fps) and len(again) == len(fps)
        assert (list(again.parent), list(again.step)) == (list(plain.parent), list(plain.step))
    finally:
        spilling.close()
        area.close()


def summary(r: SearchResult) -> tuple[Any, ...]:
    return (
        r.verdict, r.complete, r.distinct_states, r.generated, r.levels, r.level_sizes, r.stopped_by,
        [(v.property_name, v.actions, v.init_index) for v in r.violations],
    )


CASES = {
    "violation": ({"bad": (1, 9, 8, 2)}, SearchSettings()),
    "depth-final": ({"final_ok": lambda s: s[1] != 4}, SearchSettings(max_depth=12, collect=True)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_bfs_spilling_its_visited_set_finds_what_it_finds_in_memory(case: str, small_spills: None) -> None:
    knobs, settings = CASES[case]
    expected = summary(search(Cube(n=10, **knobs), settings))
    spilled = search(Cube(n=10, **knobs), dataclasses.replace(settings, max_memory_mb=1))
    assert summary(spilled) == expected
    assert spilled.extra["spill"]["spilled_visited"] >= spilled.distinct_states // 2


def test_a_spilled_visited_set_checkpoints_and_resumes(tmp_path: Path, small_spills: None) -> None:
    knobs, settings = CASES["violation"]
    expected = summary(search(Cube(n=10, **knobs), settings))
    bounded = dataclasses.replace(settings, max_memory_mb=1)
    identity = {"test": "visited-spill"}
    plan = CheckpointPlan(tmp_path, identity, every_s=None)
    first = search(Cube(n=10, signal_at=1200, **knobs), bounded, checkpoint=plan)
    assert first.stopped_by == "interrupted" and first.extra["spill"]["spilled_visited"] > 0
    for again in (bounded, settings):  # resumed spilling, and in memory
        resumed = search(
            Cube(n=10, **knobs), again,
            checkpoint=CheckpointPlan(tmp_path, identity, every_s=None, snapshot=read_checkpoint(tmp_path, identity)),
        )
        assert summary(resumed) == expected

"""The BFS visited set (explorer/engine/visited.py): an open-addressing table of
fingerprints that answers exactly as a set does, grows, and saves to bytes."""

from __future__ import annotations

import random

import pytest

from explorer.engine.visited import Visited


def _fingerprints(n: int, seed: int) -> list[int]:
    rng = random.Random(seed)
    fps = [rng.getrandbits(64) for _ in range(n)]
    # the edge cases: the empty-slot marker, the largest value, and fingerprints that
    # share their home slot (equal top bits) so probing has to walk on
    fps += [0, 2**64 - 1, 5 << 54, (5 << 54) + 1, (5 << 54) + 2]
    return fps


def test_membership_is_that_of_a_set_through_growth() -> None:
    fps = _fingerprints(5000, seed=1)
    visited = Visited()
    reference: set[int] = set()
    for i, fp in enumerate(fps + fps[:300]):  # repeats: admitted once
        ordinal = visited.admit(fp, i - 1, i)
        assert (ordinal >= 0) == (fp not in reference)
        reference.add(fp)
        assert len(visited) == len(reference)
    assert len(visited.table) >= 4 * len(visited) // 3  # grew, and stays at most 3/4 full
    for fp in fps:
        assert fp in visited
    absent = [fp for fp in _fingerprints(2000, seed=2) if fp not in reference]
    assert absent and not any(fp in visited for fp in absent)


def test_records_follow_admission_order() -> None:
    visited = Visited()
    assert visited.admit(0, -1, 0) == 0  # the fingerprint 0 is a state like any other
    assert visited.admit(0, 5, 5) == -1
    assert visited.admit(42, 0, 3) == 1
    assert visited.record(1) == (0, 3) and visited.record(0) == (-1, 0)


def test_saved_and_restored_sets_are_equal() -> None:
    fps = _fingerprints(3000, seed=3)
    visited = Visited()
    for i, fp in enumerate(fps):
        visited.admit(fp, i // 2 - 1, i % 7)
    keyed = Visited()
    assert keyed.add_keyed(7, -1, 0) and keyed.add_keyed(9, 7, 2) and keyed.add_keyed(0, 9, 1)
    assert not keyed.add_keyed(9, 0, 5) and not keyed.add_keyed(0, 7, 3)  # seen: not recorded again
    assert keyed.keyed_record(9) == (7, 2) and keyed.keyed_record(0) == (9, 1) and len(keyed.step) == 3
    for original in (visited, keyed):
        copy = Visited.from_bytes(original.to_bytes())
        assert len(copy) == len(original)
        assert copy.parent == original.parent and copy.step == original.step and copy.fps == original.fps
        assert all(fp in copy for fp in fps) == all(fp in original for fp in fps)
    copy = Visited.from_bytes(visited.to_bytes())
    assert copy.admit(fps[10], 0, 0) == -1 and copy.admit(123456789, 0, 0) == len(fps)
    assert Visited.from_bytes(keyed.to_bytes()).keyed_record(9) == (7, 2)


def test_step_indices_take_16_bits_until_one_needs_more() -> None:
    visited = Visited()
    for i in range(100):
        visited.admit(i + 1, i - 1, 65_535 - i)
    assert visited.step.itemsize == 2  # two bytes a state while every index fits
    narrow = Visited.from_bytes(visited.to_bytes())
    assert narrow.step.itemsize == 2 and narrow.step == visited.step
    assert visited.admit(1000, 5, 70_000) == 100 and visited.add(1001, 6, 2**32 - 1) == 101
    keyed = Visited()
    assert keyed.add_keyed(7, -1, 65_536) and keyed.keyed_record(7) == (-1, 65_536)
    for wide in (visited, Visited.from_bytes(visited.to_bytes())):
        assert wide.step.itemsize == 4
        assert wide.record(100) == (5, 70_000) and wide.record(101) == (6, 2**32 - 1)
        assert [wide.record(i)[1] for i in range(100)] == [65_535 - i for i in range(100)]


@pytest.mark.parametrize("data", [b"", b"SVIS", b"XXXX" + bytes(40), Visited().to_bytes()[:-3]])
def test_bad_saved_data_is_refused(data: bytes) -> None:
    with pytest.raises(ValueError, match="not a saved visited set"):
        Visited.from_bytes(data)

"""The distributed BFS's partitions without Ray, and the Ray backend's CLI errors when
Ray is not installed (these run whether Ray is importable or not)."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from explorer.cli import main
from explorer.cli.progress import describe_progress, progress_table
from explorer.engine import Progress, SearchSettings, search
from explorer.engine.fingerprint import fingerprint
from explorer.engine.ray_backend.partition import Partition, decode_batch, encode_batch
from explorer.models import build_model
from explorer.models.config import CheckConfig
from explorer.mutants import catalogue_by_name


def drive(model: Any, workers: int, settings: SearchSettings) -> tuple[list[int], list[Partition]]:
    """What the Ray driver does, in one process: initial level, then expand/absorb level
    after level; returns (level sizes, partitions)."""
    parts = [Partition(i, workers, model, settings) for i in range(workers)]
    entries: list[list[tuple[int, int, int, Any]]] = [[] for _ in range(workers)]
    for i, state in enumerate(model.init_states()):
        fp = fingerprint(state)
        entries[fp % workers].append((fp, -1, i, state))
    sizes = [sum(p.initial(e).new for p, e in zip(parts, entries, strict=True))]
    while any(p.frontier for p in parts):
        if settings.max_depth is not None and len(sizes) - 1 >= settings.max_depth:
            break
        outgoing = [p.expand() for p in parts]
        new = sum(p.absorb([out[j] for out in outgoing]).new for j, p in enumerate(parts))
        if new:
            sizes.append(new)
    return sizes, parts


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_partitions_count_what_one_process_counts(workers: int) -> None:
    model = build_model(CheckConfig(model="tla-paxos", ballots=1))
    local = search(model, SearchSettings())
    sizes, parts = drive(model, workers, SearchSettings())
    assert sizes == local.level_sizes
    assert sum(len(p.parents) for p in parts) == local.distinct_states == 3921
    assert sum(p.generated for p in parts) == local.generated
    for p in parts:  # each owns exactly its residue class
        assert all(fp % workers == p.me for fp in p.parents)
    if workers > 1:
        assert all(p.sent_states > 0 and p.sent_bytes > 0 for p in parts)


def test_parent_records_do_not_depend_on_the_worker_count() -> None:
    """A state's parent is the least (parent, index) reaching it on its level: the
    same record whichever partition expanded the parents, and in whatever order."""
    model = build_model(CheckConfig(model="tla-paxos", ballots=1))
    records = []
    for workers in (1, 2, 4):
        _sizes, parts = drive(model, workers, SearchSettings())
        merged: dict[int, tuple[int, int]] = {}
        for p in parts:
            merged.update(p.parents)
        records.append(merged)
    assert records[0] == records[1] == records[2]


def test_violations_are_found_whole_levels_at_a_time() -> None:
    case = catalogue_by_name()["phase2-off-by-one"]
    model = build_model(case.config)
    settings = SearchSettings(max_depth=case.max_depth)
    found = []
    for workers in (1, 3):
        sizes, parts = drive(model, workers, settings)
        found.append(sorted(f for p in parts for f in p.found))
    assert found[0] == found[1] and found[0]
    assert {name for _, _, name, _ in found[0]} >= {case.expected_property}


def test_batches_round_trip() -> None:
    model = build_model(CheckConfig(model="tla-paxos", ballots=1))
    init = model.init_states()[0]
    batch = {fingerprint(s): (2**64 - 5, i, s) for i, (_a, s) in enumerate(model.successors(init))}
    assert batch
    decoded = decode_batch(encode_batch(batch))
    assert [(fp, p, i) for fp, p, i, _ in decoded] == [(fp, p, i) for fp, (p, i, _) in batch.items()]
    assert [s for *_, s in decoded] == [s for _, _, s in batch.values()]


# -- the CLI without Ray ----------------------------------------------------------------


def test_backend_ray_without_ray_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now raises ImportError
    traces = tmp_path / "traces"
    code = main(["check", "--model", "tla-paxos", "--backend", "ray", "--traces", str(traces)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "pip install 'synod-check[ray]'" in err
    assert "Traceback" not in err and not traces.exists()
    code = main(["mutants", "--only", "quorum-one", "--backend", "ray"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "synod-check[ray]" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--address", "auto"], "--address joins a Ray cluster"),
        (["--backend", "ray", "--strategy", "dfs"], "dfs runs in one process"),
        (["--strategy", "random", "--workers", "2"], "--workers applies to --strategy bfs only"),
    ],
)
def test_backend_option_errors(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # the checks come before Ray is needed
    code = main(["check", "--model", "tla-paxos", *argv])
    err = capsys.readouterr().err
    assert code == 2 and message in err and err.count("\n") == 1


def test_progress_shows_each_workers_states() -> None:
    p = Progress(
        distinct_states=3000, generated=9000, depth=4, queue=10, elapsed_s=1.0,
        states_per_s=3000.0, memory_mb=100.0, worker_states=(1_200, 1_800),
    )
    line = describe_progress(p)
    assert "3,000 distinct states (1,200 / 1,800 per worker)" in line
    rows = [" ".join(str(c._cells[i]) for c in progress_table(p).columns) for i in range(3)]
    assert any("2 workers" in r and "1,200 / 1,800" in r for r in rows)
    plain = describe_progress(Progress(1, 1, 1, 0, 1.0, 1.0, 1.0))
    assert "per worker" not in plain

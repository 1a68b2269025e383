"""The Ray backend on one local Ray instance with 2 CPUs, shared by every test here.

The counts, level sizes and counterexamples must not depend on the backend or on the
worker count (3 workers on 2 CPUs oversubscribe: fine for counts).
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

ray = pytest.importorskip("ray", reason="Ray is not installed: pip install 'synod-check[ray]'")

from explorer.cli import main  # noqa: E402
from explorer.engine import SearchResult, SearchSettings, search  # noqa: E402
from explorer.engine.backends import map_on  # noqa: E402
from explorer.engine.ray_backend.cluster import connected  # noqa: E402
from explorer.models import build_model  # noqa: E402
from explorer.models.config import CheckConfig  # noqa: E402
from explorer.mutants import catalogue_by_name  # noqa: E402
from explorer.replay.trace import load_trace  # noqa: E402

pytestmark = pytest.mark.xdist_group("ray")


@pytest.fixture(scope="module", autouse=True)
def ray_instance() -> Iterator[None]:
    with connected(None, 2):
        yield


TLA1 = CheckConfig(model="tla-paxos", ballots=1)


def on_ray(model: Any, settings: SearchSettings, workers: int) -> SearchResult:
    return search(model, dataclasses.replace(settings, backend="ray", workers=workers))


def path_of(result: SearchResult) -> list[tuple[str, list[Any]]]:
    return [(v.property_name, v.actions) for v in result.violations]


# -- BFS ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("symmetry", "worker_counts"), [(False, (1, 3)), (True, (2,))])
def test_bfs_counts_equal_one_process_for_any_worker_count(symmetry: bool, worker_counts: tuple[int, ...]) -> None:
    model = build_model(dataclasses.replace(TLA1, symmetry=symmetry))
    settings = SearchSettings(symmetry=symmetry)
    local = search(model, settings)
    for workers in worker_counts:
        result = on_ray(model, settings, workers)
        assert result.complete and result.verdict == "holds"
        assert result.distinct_states == local.distinct_states
        assert result.level_sizes == local.level_sizes
        assert result.generated == local.generated
        assert result.sometimes == local.sometimes
        assert len(result.extra["worker_states"]) == workers
        assert sum(result.extra["worker_states"]) == local.distinct_states
    assert result.extra["sent_states"] > 0 and result.extra["sent_bytes_per_distinct_state"] > 0


def test_bfs_depth_bound_counts_equal_one_process() -> None:
    model = build_model(CheckConfig())  # the default Multi-Paxos world
    settings = SearchSettings(max_depth=4)
    local = search(model, settings)
    result = on_ray(model, settings, 2)
    assert result.complete and result.stopped_by == "depth"
    assert (result.distinct_states, result.level_sizes) == (local.distinct_states, local.level_sizes)


@pytest.mark.parametrize(("seed", "depth", "finals"), [(2, 3, False), (5, 4, True)])
def test_bfs_por_on_ray_counts_free_steps_as_one_process_does(seed: int, depth: int, finals: bool) -> None:
    # Free steps count as no step of the depth bound on Ray too (its levels run in
    # rounds: docs/por.md, "Depth bounds"): the level sizes, counts, the counters the
    # actors send back, the verdicts and completeness are the one process's.
    from tests.por_toys import por_figures, random_system

    model = random_system(seed, free_sets=True, finals=finals)
    bounded = SearchSettings(por=True, collect=True, max_depth=depth)
    local = search(model, bounded)
    assert local.extra["por"]["pruned_free"] > 0
    for workers in (2, 3):
        result = on_ray(model, bounded, workers)
        assert por_figures(result) == por_figures(local), workers
        assert result.extra["free_rounds"] > 0 and "counted" not in result.extra["por"]
    assert not finals or local.violations  # seed 5: violations, judged alike
    assert finals or local.complete  # seed 2: pruned only at free sets, no final: complete


def test_bfs_por_on_ray_counts_the_default_world_as_one_process_does() -> None:
    # (the quotient's fingerprints too: the actors identify states as the reduced model does)
    model = build_model(CheckConfig())
    settings = SearchSettings(por=True, collect=True, max_depth=5)
    from tests.por_toys import por_figures

    local, result = search(model, settings), on_ray(build_model(CheckConfig()), settings, 2)
    assert local.extra["por"]["pruned_free"] > 0 and local.complete
    assert por_figures(result) == por_figures(local)


def test_bfs_por_counterexample_on_ray_replays_and_is_the_same_for_any_worker_count() -> None:
    from explorer.engine.shrink import replay_actions
    from explorer.mutants import PAIRS

    pair = PAIRS[0]  # found at depth 6 only because a free step counts as no step
    config = pair.config_for(pair.variant)
    settings = SearchSettings(max_depth=pair.max_depth, por=True)
    results = [on_ray(build_model(config), settings, workers) for workers in (2, 3)]
    assert path_of(results[0]) == path_of(results[1])
    (violation,) = results[0].violations
    assert violation.property_name == pair.expected_property and results[0].extra["por"]["pruned_free"] > 0
    plain = build_model(config)
    labels = [plain.format_action(a) for a in violation.actions]
    states, _, bad = replay_actions(plain, labels, violation.init_index)
    assert bad is None and states[-1] == violation.states[-1]


def test_bfs_counterexample_is_shortest_and_the_same_for_any_worker_count() -> None:
    case = catalogue_by_name()["forget-learned-on-restart"]
    model = build_model(case.config)
    settings = case.settings("bfs")
    local = search(model, settings)
    results = [on_ray(model, settings, workers) for workers in (2, 3)]
    assert path_of(results[0]) == path_of(results[1])
    (violation,) = results[0].violations
    assert violation.property_name == local.violations[0].property_name == case.expected_property
    assert violation.step == local.violations[0].step  # BFS: no shorter one exists
    assert not results[0].complete


def test_bfs_collect_keeps_the_shortest_violation_of_each_property() -> None:
    model = build_model(catalogue_by_name()["quorum-one"].config)
    settings = SearchSettings(max_depth=6, collect=True)
    local = search(model, settings)
    three = on_ray(model, settings, 3)  # the previous test's actors: no new ones to start
    steps = {v.property_name: v.step for v in three.violations}
    assert steps == {v.property_name: v.step for v in local.violations}
    assert set(steps) == {"learned is chosen", "agreement", "log consistency"}
    assert three.distinct_states == local.distinct_states and three.complete


# -- walks and swarm ------------------------------------------------------------------------


@pytest.mark.parametrize("strategy", ["random", "swarm"])
def test_walks_equal_the_local_walks(strategy: str) -> None:
    model = build_model(TLA1)
    settings = SearchSettings(strategy=strategy, walks=40, max_depth=20, seed=7)  # type: ignore[arg-type]
    local = search(model, settings)
    for workers in (1, 2):
        result = on_ray(model, settings, workers)
        assert (result.walks, result.distinct_states, result.generated, result.depth) == (
            local.walks, local.distinct_states, local.generated, local.depth,
        )
        assert result.sometimes == local.sometimes and result.stopped_by == local.stopped_by == "walks"


def test_walks_first_violation_by_walk_index_wins_and_is_shrunk() -> None:
    case = catalogue_by_name()["quorum-one"]
    model = build_model(case.config)
    settings = SearchSettings(strategy="swarm", walks=200, max_depth=12, seed=3)
    local = search(model, settings)
    assert local.violations
    for workers in (1, 2):
        result = on_ray(model, settings, workers)
        assert path_of(result) == path_of(local)
        assert (result.walks, result.distinct_states) == (local.walks, local.distinct_states)


def test_walks_state_bound_cuts_where_the_local_run_does() -> None:
    model = build_model(TLA1)
    settings = SearchSettings(strategy="random", max_states=700, max_depth=30, seed=1)
    local = search(model, settings)
    result = on_ray(model, settings, 2)
    assert result.distinct_states == local.distinct_states == 700
    assert result.walks == local.walks and result.stopped_by == local.stopped_by == "states"


def test_a_campaign_stopped_early_lets_its_chunks_in_flight_finish_and_cancels_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A campaign that stops at a violation with chunks in flight waits for them and drops
    them: it never calls ray.cancel, since cancelling a task that is finishing at that
    moment aborts the driver on a check in Ray's task manager (it killed a CI run's
    pytest worker: "Tried to complete task that was not pending"). Same answer as the
    local run; nothing is left running."""
    from explorer.engine.ray_backend import walks
    from tests.checkpoint_toys import Cube

    cancelled: list[Any] = []
    monkeypatch.setattr(ray, "cancel", lambda ref, **kw: cancelled.append(ref))
    left: list[Any] = []
    let_finish = getattr(walks, "_let_finish", None)

    def recording(ray_module: Any, refs: list[Any]) -> None:
        left.extend(refs)
        assert let_finish is not None
        let_finish(ray_module, refs)

    monkeypatch.setattr(walks, "_let_finish", recording, raising=False)
    settings = SearchSettings(strategy="random", walks=4000, max_depth=30, seed=3)
    local = search(Cube(n=10, bad=(1, 4, 4, 2)), settings)
    result = on_ray(Cube(n=10, bad=(1, 4, 4, 2)), settings, 2)
    assert local.violations and local.walks < 4000 - 4 * walks.CHUNK  # stopped with chunks to spare
    assert path_of(result) == path_of(local) and result.walks == local.walks
    assert cancelled == []
    assert len(left) == 3  # two chunks a worker in flight, less the one that came back last
    assert ray.wait(left, num_returns=len(left), timeout=0)[1] == []  # all of them finished


# -- the command line and the seam for mutants ----------------------------------------------


def test_check_on_ray_from_the_command_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code = main(["check", "--model", "tla-paxos", "--ballots", "1", "--backend", "ray", "--workers", "2", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["distinct_states"] == 3921 and out["complete"]
    assert out["backend"] == "ray" and out["search"]["backend"] == "ray"
    assert out["engine"]["workers"] == 2 and len(out["engine"]["worker_peak_memory_mb"]) == 2

    traces = tmp_path / "traces"
    code = main([
        "check", "--model", "basic", "--nodes", "3", "--clients", "1", "--ops", "1", "--faults", "none",
        "--ballots", "1", "--variant", "phase2-off-by-one", "--depth", "4", "--backend", "ray",
        "--workers", "2", "--traces", str(traces), "--json",
    ])
    out = json.loads(capsys.readouterr().out)
    assert code == 1 and out["property"] == "learned is chosen" and out["step"] == 4
    trace = load_trace(Path(out["trace"]))
    assert trace.settings.backend == "ray" and trace.settings.workers == 2
    assert main(["replay", out["trace"]]) == 1  # reproduced
    capsys.readouterr()


def test_mutants_fan_out_on_ray(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["mutants", "--only", "quorum-one,phase2-off-by-one", "--json", "--skip-correct"]
    assert main(argv) == 0
    local = json.loads(capsys.readouterr().out)["mutants"]
    assert main([*argv, "--backend", "ray", "--jobs", "2"]) == 0
    remote = json.loads(capsys.readouterr().out)["mutants"]
    strip = [{k: v for k, v in row.items() if k != "seconds"} for row in local]
    assert strip == [{k: v for k, v in row.items() if k != "seconds"} for row in remote]


def test_map_on_ray_keeps_the_order_and_takes_closures() -> None:
    offset = 100
    assert map_on(lambda x: x * x + offset, list(range(7)), "ray", 2) == [x * x + offset for x in range(7)]


# -- checkpoints --------------------------------------------------------------------------


def _summary(r: SearchResult) -> tuple[Any, ...]:
    return (
        r.verdict, r.complete, r.distinct_states, r.generated, r.levels, r.level_sizes, r.stopped_by,
        r.sometimes, [(v.property_name, v.actions, v.init_index) for v in r.violations],
    )


def test_bfs_checkpoint_of_a_cut_level_resumes_with_any_worker_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real SIGINT in the middle of level 6: the actor that expands (1, 3, 2, 1) sends
    it and waits until the driver has told the actors to stop (the patched stop_all
    opens its gate), so the level is cut; the checkpoint is of level 6's start, and it
    resumes with 1 actor to exactly the uninterrupted end of 2 (the least parent is kept:
    paths do not depend on the worker count)."""
    from explorer.engine.checkpoint import CheckpointPlan, read_checkpoint
    from explorer.engine.ray_backend.checkpoint import RayCheckpointingCoordinator
    from tests.checkpoint_toys import Cube

    identity = {"test": "ray-cube"}
    gate = tmp_path / "gate"
    settings = SearchSettings(backend="ray", workers=2, collect=True, max_depth=13)
    knobs: dict[str, Any] = {"n": 8, "bad": (1, 4, 4, 2), "final_ok": lambda s: s[2] != 5}
    expected = _summary(search(Cube(**knobs), settings))
    assert expected[0] == "violated" and len(expected[-1]) == 2
    original = RayCheckpointingCoordinator.stop_all

    def stop_all(self: RayCheckpointingCoordinator, reason: str) -> None:
        original(self, reason)
        gate.touch()

    monkeypatch.setattr(RayCheckpointingCoordinator, "stop_all", stop_all)
    plan = CheckpointPlan(tmp_path / "ckpt", identity, every_s=None)
    first = search(Cube(signal_on=(1, 3, 2, 1), wait_for=gate, **knobs), settings, checkpoint=plan)
    assert first.stopped_by == "interrupted" and plan.written == 1 and gate.exists()
    assert read_checkpoint(plan.directory, identity).counters["level_sizes"] == expected[5][:7]
    for workers in (1,):  # (each other count starts a pool of actors: seconds)
        again = CheckpointPlan(plan.directory, identity, every_s=None, snapshot=read_checkpoint(plan.directory, identity))
        resumed = search(Cube(**knobs), dataclasses.replace(settings, workers=workers), checkpoint=again)
        assert _summary(resumed) == expected, workers


def test_bfs_por_checkpoints_on_ray_resume_to_the_same_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Under --por (free steps: a level in rounds) every level's checkpoint of a Ray run
    resumes to the uninterrupted end, reduction counters and further rounds included;
    so does one cut in a further round of a level (the driver sends itself one SIGINT
    there, while its handler is latched, and stops the actors as on Ctrl-C), rolled back
    to that level's start."""
    from explorer.engine.checkpoint import FILE_NAME, CheckpointPlan, read_checkpoint
    from explorer.engine.ray_backend.checkpoint import RayCheckpointingCoordinator
    from tests.por_toys import random_system

    identity = {"test": "ray-por"}
    settings = SearchSettings(backend="ray", workers=2, collect=True, por=True, max_depth=6)

    def summary(r: SearchResult) -> tuple[Any, ...]:
        return (*_summary(r), r.extra["por"], r.extra.get("free_rounds"))

    kept: list[bytes] = []

    class Keeping(CheckpointPlan):
        def write(self, *args: Any, **kwargs: Any) -> None:
            super().write(*args, **kwargs)
            kept.append(self.path.read_bytes())

    plan = Keeping(tmp_path / "all", identity, every_s=None, every_levels=1)
    expected = summary(search(random_system(78, free_sets=True), settings, checkpoint=plan))
    assert expected[-2]["pruned_free"] > 0 and expected[-1] >= 2 and len(kept) >= 4
    for k in (1, len(kept) - 2):
        directory = tmp_path / f"from-{k}"
        directory.mkdir()
        (directory / FILE_NAME).write_bytes(kept[k])
        again = CheckpointPlan(directory, identity, every_s=None, snapshot=read_checkpoint(directory, identity))
        assert summary(search(random_system(78, free_sets=True), settings, checkpoint=again)) == expected, k
    original = RayCheckpointingCoordinator.free_round
    rounds = [0]

    def free_round(self: RayCheckpointingCoordinator) -> tuple[int, int]:
        rounds[0] += 1
        if rounds[0] == 2:  # the second further round of the search
            os.kill(os.getpid(), signal.SIGINT)  # latched: noted, not raised
            self.tick()  # what the driver does while it waits: it stops the actors
        return original(self)

    monkeypatch.setattr(RayCheckpointingCoordinator, "free_round", free_round)
    cut = CheckpointPlan(tmp_path / "cut", identity, every_s=None)
    first = search(random_system(78, free_sets=True), settings, checkpoint=cut)
    monkeypatch.undo()
    assert first.stopped_by == "interrupted" and cut.written == 1 and rounds[0] == 2
    again = CheckpointPlan(cut.directory, identity, every_s=None, snapshot=read_checkpoint(cut.directory, identity))
    assert summary(search(random_system(78, free_sets=True), settings, checkpoint=again)) == expected


def test_bfs_checkpoints_on_ray_from_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every level's checkpoint of a Ray run; the one after level 5, resumed, ends as
    the run did; a Ray checkpoint is refused by the local backend."""
    from explorer.engine.checkpoint import FILE_NAME

    argv = ["check", "--model", "tests.checkpoint_toys:Gated", "--nodes", "5", "--json", "--backend", "ray",
            "--workers", "2", "--traces", str(tmp_path / "t")]

    class Keeping:
        kept: list[bytes] = []

    from explorer.engine.checkpoint import CheckpointPlan

    original = CheckpointPlan.write

    def keeping(self: CheckpointPlan, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        Keeping.kept.append(self.path.read_bytes())

    directory = tmp_path / "ckpt"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(CheckpointPlan, "write", keeping)
        code = main([*argv, "--checkpoint", str(directory), "--checkpoint-every", "1level"])
    ref = json.loads(capsys.readouterr().out)
    assert code == 1 and ref["engine"]["checkpoint"]["written"] == len(Keeping.kept) >= 8
    (directory / FILE_NAME).write_bytes(Keeping.kept[5])
    code = main([*argv[:-2], "--traces", str(tmp_path / "t2"), "--resume", str(directory)])
    data = json.loads(capsys.readouterr().out)
    keys = ("verdict", "distinct_states", "generated", "level_sizes", "property", "step")
    assert code == 1 and {k: data[k] for k in keys} == {k: ref[k] for k in keys}
    assert load_trace(Path(data["trace"])).actions == load_trace(Path(ref["trace"])).actions
    local = [a for a in argv if a not in ("--backend", "ray")]
    code = main([*local, "--resume", str(directory)])
    _, err = capsys.readouterr()
    assert code == 2 and err.count("\n") == 1 and "on Ray: resume it with --backend ray" in err, err


def test_walk_campaigns_checkpoint_on_ray_and_resume_to_the_same_end(tmp_path: Path) -> None:
    """A random campaign stopped by a real SIGINT (sent once, by the task whose walk first
    reaches (1, 4, 4, 4)) resumes to the uninterrupted end (the local one's); a swarm
    under --collect, checkpointed after every merged chunk, resumes from each to its end;
    a Ray campaign resumes on Ray only."""
    from explorer.engine.checkpoint import (
        FILE_NAME,
        CheckpointError,
        CheckpointPlan,
        read_checkpoint,
    )
    from tests.checkpoint_toys import Cube

    identity = {"test": "ray-walks"}

    def summary(r: SearchResult) -> tuple[Any, ...]:
        return (r.verdict, r.walks, r.distinct_states, r.generated, r.levels, r.stopped_by, path_of(r))

    def resumed(directory: Path, cube: Cube, settings: SearchSettings) -> SearchResult:
        snapshot = read_checkpoint(directory, identity)
        return search(cube, settings, checkpoint=CheckpointPlan(directory, identity, every_s=None, snapshot=snapshot))

    walks = SearchSettings(strategy="random", walks=400, max_depth=30, backend="ray", workers=2)
    expected = summary(search(Cube(n=10, bad=(1, 6, 6, 6)), walks))
    assert expected == summary(search(Cube(n=10, bad=(1, 6, 6, 6)), dataclasses.replace(walks, backend="local")))
    plan = CheckpointPlan(tmp_path / "random", identity, every_s=None)
    once = Cube(n=10, bad=(1, 6, 6, 6), signal_on=(1, 4, 4, 4), signal_once=tmp_path / "once")
    first = search(once, walks, checkpoint=plan)
    assert first.stopped_by == "interrupted" and plan.written == 1 and first.walks < expected[1]
    assert summary(resumed(plan.directory, Cube(n=10, bad=(1, 6, 6, 6)), walks)) == expected
    with pytest.raises(CheckpointError, match="campaign on Ray: resume it with --backend ray"):
        resumed(plan.directory, Cube(n=10, bad=(1, 6, 6, 6)), dataclasses.replace(walks, backend="local", workers=1))

    swarm = SearchSettings(strategy="swarm", walks=200, max_depth=20, seed=1, collect=True, backend="ray", workers=2)
    kept: list[bytes] = []

    class Keeping(CheckpointPlan):
        def write(self, *args: Any, **kwargs: Any) -> None:
            super().write(*args, **kwargs)
            kept.append(self.path.read_bytes())

    final_ok = {"final_ok": lambda s: s[1] != 4}
    expected = summary(search(Cube(n=10, **final_ok), swarm, checkpoint=Keeping(tmp_path / "all", identity, every_s=0.0)))
    assert expected[0] == "violated" and len(kept) >= 2, len(kept)
    for k, blob in enumerate(kept):
        directory = tmp_path / f"swarm-{k}"
        directory.mkdir()
        (directory / FILE_NAME).write_bytes(blob)
        assert summary(resumed(directory, Cube(n=10, **final_ok), swarm)) == expected, k

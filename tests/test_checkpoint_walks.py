"""Checkpoint and resume of random walks and swarm (issue 16): a walk campaign stopped
by a real SIGINT between any two steps and resumed from its checkpoint ends exactly as
the uninterrupted campaign with the same seed (walks, distinct states, generated
successors, the shrunk counterexample), and a checkpoint of another seed or walk count
is refused.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from explorer.cli import main
from explorer.engine import SearchResult, SearchSettings, search
from explorer.engine.checkpoint import CheckpointPlan, read_checkpoint
from tests.checkpoint_toys import Cube

IDENTITY = {"test": "cube-walks"}

# random: the first violation stops the campaign (at walk 47 of seed 0); swarm with
# --collect: a violation early on, kept (unshrunk) across sessions and shrunk at the end
CASES: dict[str, tuple[dict[str, Any], SearchSettings]] = {
    "random-violation": ({"bad": (1, 6, 6, 6)}, SearchSettings(strategy="random", walks=400, max_depth=30)),
    "swarm-collect": (
        {"final_ok": lambda s: s[1] != 4},
        SearchSettings(strategy="swarm", walks=60, max_depth=20, seed=1, collect=True),
    ),
}


def summary(r: SearchResult) -> tuple[Any, ...]:
    return (
        r.verdict, r.walks, r.distinct_states, r.generated, r.levels, r.stopped_by, r.sometimes,
        [(v.property_name, v.actions, v.init_index) for v in r.violations],
    )


def cube(case: str, signal_at_step: int | None = None) -> Cube:
    return Cube(n=10, signal_at_step=signal_at_step, **CASES[case][0])


def resume_plan(directory: Path) -> CheckpointPlan:
    return CheckpointPlan(directory, IDENTITY, every_s=None, snapshot=read_checkpoint(directory, IDENTITY))


@pytest.mark.parametrize("case", sorted(CASES))
def test_walks_interrupted_anywhere_and_resumed_end_as_the_uninterrupted_campaign(tmp_path: Path, case: str) -> None:
    settings = CASES[case][1]
    expected = summary(search(cube(case), settings))
    assert expected[0] == "violated"
    interrupted = 0
    for at in (1, 2, 77, 256, 600, 1000, 1400):  # walk steps: in the first walk, and later ones
        directory = tmp_path / f"at-{at}"
        plan = CheckpointPlan(directory, IDENTITY, every_s=None)
        first = search(cube(case, signal_at_step=at), settings, checkpoint=plan)
        if first.stopped_by != "interrupted":  # it ended before the n-th step
            assert summary(first) == expected
            continue
        interrupted += 1
        assert plan.written == 1 and first.walks < expected[1]
        resumed = search(cube(case), settings, checkpoint=resume_plan(directory))
        assert summary(resumed) == expected, at
    assert interrupted >= 4


def test_walks_interrupted_again_and_again_end_as_the_uninterrupted_campaign(tmp_path: Path) -> None:
    settings = CASES["swarm-collect"][1]
    expected = summary(search(cube("swarm-collect"), settings))
    plan = CheckpointPlan(tmp_path, IDENTITY, every_s=None)
    result = search(cube("swarm-collect", signal_at_step=150), settings, checkpoint=plan)
    sessions = 1
    while result.stopped_by == "interrupted":
        sessions += 1
        result = search(cube("swarm-collect", signal_at_step=150), settings, checkpoint=resume_plan(tmp_path))
    assert sessions >= 4
    # the last session's signal may come in the shrinking (which then keeps the
    # unshrunk path): everything but the path must agree, and the last checkpoint,
    # resumed undisturbed, gives the shrunk one as well
    assert summary(result)[:-1] == expected[:-1]
    assert summary(search(cube("swarm-collect"), settings, checkpoint=resume_plan(tmp_path))) == expected


def test_a_walk_checkpoint_of_another_kind_of_search_is_refused(tmp_path: Path) -> None:
    from explorer.engine.checkpoint import CheckpointError

    settings = CASES["random-violation"][1]
    search(cube("random-violation", signal_at_step=300), settings, checkpoint=CheckpointPlan(tmp_path, IDENTITY))
    swarm = SearchSettings(strategy="swarm", walks=400, max_depth=30)
    with pytest.raises(CheckpointError, match="of a random search, not swarm"):
        search(cube("random-violation"), swarm, checkpoint=resume_plan(tmp_path))


GATED = ["check", "--model", "tests.checkpoint_toys:Gated", "--nodes", "10", "--json", "--strategy", "random",
         "--depth", "30", "--walks", "400"]


def test_the_command_line_resumes_a_walk_campaign_and_refuses_another_seed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def run(argv: list[str]) -> tuple[int, str, str]:
        code = main(argv)
        out, err = capsys.readouterr()
        return code, out, err

    code, out, _ = run([*GATED, "--traces", str(tmp_path / "ref")])
    assert code == 1
    ref = json.loads(out)
    directory = tmp_path / "ckpt"
    monkeypatch.setenv("SYNOD_TEST_SIGNAL_STEP", "500")
    code, out, err = run([*GATED, "--checkpoint", str(directory), "--traces", str(tmp_path / "t1")])
    assert code == 130 and f"--resume {directory}" in err
    assert json.loads(out)["walks"] < ref["walks"]
    monkeypatch.delenv("SYNOD_TEST_SIGNAL_STEP")
    for extra, message in ((["--seed", "7"], "--seed is 0 there, 7 here"), (["--walks", "300"], "--walks is 400 there")):
        code, out, err = run([*GATED, *extra, "--resume", str(directory)])
        assert code == 2 and out == "" and err.count("\n") == 1 and message in err, err
    code, out, err = run([*GATED, "--resume", str(directory), "--traces", str(tmp_path / "t2")])
    assert code == 1, err
    data = json.loads(out)
    keys = ("verdict", "walks", "distinct_states", "generated", "property", "step")
    assert {k: data[k] for k in keys} == {k: ref[k] for k in keys}
    assert json.loads(Path(data["trace"]).read_text())["actions"] == json.loads(Path(ref["trace"]).read_text())["actions"]

"""Partial-order reduction over the portfolio (explorer/engine/por_policy.py, docs/por.md).

Each world is reduced only where the reduced search keeps its guarantee (the same
verdicts, witnesses and completeness within the bounds); the others run unreduced and
say why. The whole portfolio with and without reduction is compared by
``bench/bench_portfolio.py --compare``; here a few small worlds and the rules.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from explorer.cli.main import main
from explorer.engine import por_policy
from explorer.engine.model import Model, Property
from explorer.engine.por import reduce_model
from explorer.engine.por_policy import (
    WEAKER_NOTE,
    plan_reduction,
    reduction_lost,
    uses_free_steps,
    weaker_than_unreduced,
)
from explorer.engine.results import SearchSettings
from explorer.engine.search import search
from explorer.models.config import CheckConfig, Faults
from explorer.models.portfolio import DEFAULT_PORTFOLIO, PortfolioWorld, select_world
from explorer.models.portfolio_run import run_world
from explorer.models.registry import build_model
from explorer.replay.trace import load_trace

REPO = Path(__file__).resolve().parent.parent
SMALL = CheckConfig(model="multipaxos", nodes=2, clients=1, ops=1, faults=Faults(), phase1_quorum=1, phase2_quorum=2)


@pytest.fixture(autouse=True)
def _run_from_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


@pytest.fixture
def reduce_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """The default pinned on (por_policy.DEFAULT_POR, on today: docs/por.md "The
    default"), so these tests say what the default does when on whatever it is set to."""
    monkeypatch.setattr(por_policy, "DEFAULT_POR", True)


def user_model_portfolio(tmp_path: Path) -> Path:
    """A portfolio of one world of a user's model that declares no independence."""
    spec = tmp_path / "p.toml"
    spec.write_text("""
[[world]]
name = "tpc"
depth = 4
config = { model = "examples.two_phase_commit:Model", variant = "fixed", nodes = 2, faults = {} }
""", encoding="utf-8")
    return spec


def check_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, object], str]:
    code = main(["check", *argv, "--json"])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out else {}, err


def _judged(world: dict[str, object]) -> tuple[object, ...]:
    return world["verdict"], world["complete"], world["properties"]


def test_a_reduced_world_has_fewer_states_and_the_same_verdicts_witnesses_and_completeness(
    capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    traces = str(tmp_path / "t")
    code, plain, _ = check_json(capsys, "--world", "basic-duel", "--no-por", "--traces", traces)
    code_por, reduced, _ = check_json(capsys, "--world", "basic-duel", "--por", "--traces", traces)
    (a,), (b,) = plain["worlds"], reduced["worlds"]  # type: ignore[misc]
    assert code == code_por == 0
    assert a["por"] == "off: not asked for" and a["reduction"] is None
    assert b["por"] == "on" and b["reduction"]["status"] == "on" and b["search"]["por"] is True
    assert _judged(a) == _judged(b) and b["complete"] is True
    assert b["distinct_states"] < a["distinct_states"]  # 7,335 against 10,419 (docs/portfolio.md)


def test_the_dfs_sample_and_the_swarm_pass_run_unreduced_and_say_why() -> None:
    dfs = run_world(dataclasses.replace(select_world(DEFAULT_PORTFOLIO, "basic-duel-deep"), max_states=300), por=True)
    assert not dfs.settings.por and dfs.por.startswith("off: a dfs search counts every reduced step")
    swarm = run_world(dataclasses.replace(select_world(DEFAULT_PORTFOLIO, "swarm-deep"), walks=5), por=True)
    assert not swarm.settings.por and swarm.por == "off: swarm walks are not reduced"


def test_every_exhaustive_world_of_the_portfolio_is_reduced_with_its_guarantee() -> None:
    for world in DEFAULT_PORTFOLIO:
        settings, status = plan_reduction(build_model(world.config), world.settings(), True)
        assert settings.por == (world.strategy == "bfs"), (world.name, status)


def test_the_portfolio_table_names_the_worlds_it_did_not_reduce(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    spec = tmp_path / "p.toml"
    spec.write_text("""
[[world]]
name = "small-bfs"
depth = 4
config = { model = "multipaxos", nodes = 2, clients = 1, ops = 1, faults = {}, phase1_quorum = 1, phase2_quorum = 2 }

[[world]]
name = "small-dfs"
strategy = "dfs"
depth = 4
config = { model = "multipaxos", nodes = 2, clients = 1, ops = 1, faults = {}, phase1_quorum = 1, phase2_quorum = 2 }
""", encoding="utf-8")
    code = main(["check", "--portfolio", str(spec), "--por", "--traces", str(tmp_path / "t")])
    out = capsys.readouterr().out
    assert code == 0
    assert "not reduced: small-dfs: a dfs search counts every reduced step" in out
    assert "not reduced: small-bfs" not in out


def test_por_on_a_portfolio_of_a_model_without_declarations_is_one_line_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    spec = user_model_portfolio(tmp_path)
    code = main(["check", "--portfolio", str(spec), "--por", "--traces", str(tmp_path / "t")])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert "--por: world 'tpc': properties 'atomicity', 'commits' declare no reads" in err and "Traceback" not in err


def test_a_violation_in_a_reduced_scripted_world_records_por_and_replays(
    capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    code, data, _ = check_json(capsys, "--world", "retry-dup", "--variant", "double-apply-retry", "--por",
                               "--traces", str(tmp_path))
    (world,) = data["worlds"]  # type: ignore[misc]
    assert code == 1 and world["por"] == "on" and world["verdict"] == "violated"
    (violation,) = world["violations"]
    assert violation["property"] == "client-visible"
    trace = load_trace(Path(violation["trace"]))
    assert trace.settings.por is True and dict(trace.config.extra)["script"]
    assert main(["replay", violation["trace"]]) == 1  # the plain model reproduces it from the scripted start
    capsys.readouterr()


@pytest.mark.parametrize(
    "settings, reason",
    [
        (SearchSettings(strategy="swarm", max_depth=5, walks=3), "swarm walks are not reduced"),
        (SearchSettings(strategy="dfs", max_depth=5), "a dfs search counts every reduced step"),
        (SearchSettings(max_depth=5, symmetry=True), "bfs with symmetry counts every reduced step"),
        (SearchSettings(max_depth=5, max_memory_mb=100), "bfs with --max-memory in one process counts"),
        (SearchSettings(max_depth=5, backend="ray"), None),  # Ray's partitions take free steps too
        (SearchSettings(max_depth=5), None),
        (SearchSettings(max_depth=5, workers=2, max_memory_mb=100), None),  # local workers take free steps
        (SearchSettings(strategy="dfs"), None),  # no depth bound: the reduced search is exact
    ],
)
def test_reduction_lost_names_what_would_weaken_the_search(settings: SearchSettings, reason: str | None) -> None:
    model = build_model(SMALL)
    lost = reduction_lost(model, settings)
    assert (lost is None) if reason is None else (lost is not None and lost.startswith(reason)), lost


def test_a_final_property_that_is_not_extension_closed_keeps_a_bounded_search_unreduced() -> None:
    model = build_model(SMALL)
    assert reduction_lost(model, SearchSettings(max_depth=5)) is None  # linearizable is extension-closed
    cut = Property.final("ends well", lambda world: True, reads=next(p.reads for p in model.properties() if p.name == "linearizable"))
    model._properties = (*model.properties(), cut)  # type: ignore[attr-defined]
    lost = reduction_lost(model, SearchSettings(max_depth=5))
    assert lost == "final property 'ends well' is judged where the depth bound cuts a run and is not declared extension_closed"
    assert reduction_lost(model, SearchSettings()) is None  # exhaustive: no run is cut


@pytest.mark.parametrize(
    "settings",
    [
        SearchSettings(max_depth=3),
        SearchSettings(max_depth=3, workers=2),
        SearchSettings(max_depth=3, max_memory_mb=64),
        SearchSettings(max_depth=3, workers=2, max_memory_mb=64),
        SearchSettings(max_depth=3, symmetry=True),
        SearchSettings(strategy="dfs", max_depth=3),
        SearchSettings(max_depth=3, backend="ray"),
        SearchSettings(max_depth=3, backend="ray", max_memory_mb=64),
    ],
)
def test_uses_free_steps_is_the_condition_reduce_model_applies(settings: SearchSettings) -> None:
    reduced, _ = reduce_model(build_model(SMALL), dataclasses.replace(settings, por=True))
    assert reduced.free_steps == uses_free_steps(settings)  # type: ignore[attr-defined]


def test_a_world_run_unreduced_by_request_says_so() -> None:
    world = PortfolioWorld("small", "", SMALL, depth=3)
    assert run_world(world, por=False).por == "off: not asked for"
    assert run_world(world, por=True).por == "on"


# -- the default: reduced where the reduction keeps the guarantee -----------------------


def test_the_default_reduces_where_it_keeps_the_guarantee(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert por_policy.DEFAULT_POR is True  # docs/por.md "The default": no kill lost, two more
    code, data, _ = check_json(capsys, "--depth", "3", "--traces", str(tmp_path / "t"))
    assert code == 0 and data["search"]["por"] is True and data["por"]["status"] == "on"  # type: ignore[index]
    code, data, _ = check_json(capsys, "--world", "basic-duel", "--traces", str(tmp_path / "t"))
    (world,) = data["worlds"]  # type: ignore[misc]
    assert code == 0 and world["por"] == "on" and world["distinct_states"] == 7_335
    code, data, _ = check_json(capsys, "--world", "basic-duel", "--no-por", "--traces", str(tmp_path / "t"))
    (world,) = data["worlds"]  # type: ignore[misc]
    assert code == 0 and world["por"] == "off: not asked for" and world["distinct_states"] == 10_419


@pytest.mark.usefixtures("reduce_by_default")
def test_synod_check_reduces_by_default_with_the_same_verdicts_and_witnesses(
    capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    traces = str(tmp_path / "t")
    code, reduced, _ = check_json(capsys, "--depth", "4", "--traces", traces)
    code_plain, plain, _ = check_json(capsys, "--depth", "4", "--no-por", "--traces", traces)
    assert code == code_plain == 0
    assert reduced["search"]["por"] is True and reduced["por"]["status"] == "on"  # type: ignore[index]
    assert plain["search"]["por"] is False and plain["por"] is None  # type: ignore[index]
    for key in ("verdict", "complete", "sometimes", "unwitnessed"):
        assert reduced[key] == plain[key], key
    assert reduced["complete"] is True and reduced["distinct_states"] < plain["distinct_states"]  # type: ignore[operator]


@pytest.mark.parametrize(
    "argv, status",
    [
        (["--model", "tla-paxos", "--ballots", "1"], "off: model 'tla-paxos' declares no independence of actions"),
        (["--model", "examples.two_phase_commit:Model", "--variant", "fixed", "--nodes", "2"],
         "off: properties 'atomicity', 'commits' declare no reads"),
        (["--depth", "3", "--strategy", "dfs"], "off: a dfs search counts every reduced step"),
    ],
)
@pytest.mark.usefixtures("reduce_by_default")
def test_the_default_on_a_check_it_cannot_reduce_runs_unreduced_and_says_so(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str], status: str,
) -> None:
    code, data, _ = check_json(capsys, *argv, "--traces", str(tmp_path / "t"))
    assert code == 0 and data["search"]["por"] is False  # type: ignore[index]
    assert str(data["por"]["status"]).startswith(status)  # type: ignore[index]
    assert main(["check", *argv, "--traces", str(tmp_path / "t")]) == 0
    out = capsys.readouterr().out
    assert "partial-order reduction off:" in out and "unreduced" in out  # the report's reduction row (wrapped)


def test_explicit_por_on_a_model_it_cannot_reduce_is_one_line_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check", "--model", "tla-paxos", "--ballots", "1", "--por"])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "--por: model 'tla-paxos' declares no independence of actions" in err


@pytest.mark.usefixtures("reduce_by_default")
def test_the_default_portfolio_reduces_its_worlds_and_a_users_model_runs_unreduced(
    capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    code, data, _ = check_json(capsys, "--world", "basic-duel", "--traces", str(tmp_path / "t"))
    (world,) = data["worlds"]  # type: ignore[misc]
    assert code == 0 and world["por"] == "on" and world["distinct_states"] == 7_335  # 10,419 with --no-por
    spec = user_model_portfolio(tmp_path)
    code, data, _ = check_json(capsys, "--portfolio", str(spec), "--traces", str(tmp_path / "t"))
    (world,) = data["worlds"]  # type: ignore[misc]
    assert code == 0 and world["por"] == "off: properties 'atomicity', 'commits' declare no reads"
    assert main(["check", "--portfolio", str(spec), "--traces", str(tmp_path / "t")]) == 0
    assert "not reduced: tpc: properties 'atomicity', 'commits' declare no reads" in capsys.readouterr().out


@pytest.mark.usefixtures("reduce_by_default")
def test_a_default_reduced_violation_replays_with_the_plain_model(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, data, _ = check_json(capsys, "--variant", "quorum-one", "--depth", "4", "--traces", str(tmp_path))
    assert code == 1 and data["search"]["por"] is True  # type: ignore[index]
    trace = load_trace(Path(str(data["trace"])))
    assert trace.settings.por is True
    assert main(["replay", str(data["trace"])]) == 1
    capsys.readouterr()


def pairs_world() -> Model[Any, Any]:
    """A model whose closures count their key steps (tests/test_por.py's independent
    pairs): under a depth cut its reduced search is weaker than the plain one."""
    from tests.test_por import pairs_model

    return pairs_model(4)


@pytest.mark.usefixtures("reduce_by_default")
def test_a_default_reduction_that_the_depth_cut_weakened_is_searched_again_unreduced(
    capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    config = CheckConfig(model="tests.test_portfolio_por:pairs_world")
    model = build_model(config)
    reduced = search(model, SearchSettings(max_depth=2, por=True))
    assert weaker_than_unreduced(reduced) and not reduced.complete  # what the default must not report
    plain = search(build_model(config), SearchSettings(max_depth=2))
    outcome = run_world(PortfolioWorld("pairs", "", config, depth=2), por=True)
    assert outcome.por == WEAKER_NOTE and not outcome.settings.por
    assert outcome.result.complete and outcome.result.distinct_states == plain.distinct_states
    code, data, _ = check_json(capsys, "--model", config.model, "--depth", "2", "--traces", str(tmp_path / "t"))
    assert code == 0 and data["complete"] is True and data["search"]["por"] is False  # type: ignore[index]
    assert data["por"] == {"status": WEAKER_NOTE} and data["distinct_states"] == plain.distinct_states


def test_a_mutant_that_sends_an_ill_typed_reply_is_judged_under_reduction_not_broken(tmp_path: Path) -> None:
    # multi.py:406:swap:868ca7 swaps a Reply's arguments (its seq becomes the stored
    # reply): the clients' ignores_forever declaration once raised comparing it, so
    # `synod mutate --por` called the mutant broken where the plain search kills it
    from explorer.mutants.mutate import generate
    from explorer.mutants.mutate_run import MutationJob, run_mutant

    mutants, sources = generate("paxos_core", ["multi.py"])
    mutant = next(m for m in mutants if m.id == "multi.py:406:swap:868ca7")
    for por in (True, False):
        job = MutationJob(world="progress-lossy", budget_s=300, traces=str(tmp_path / str(por)), por=por)
        result = run_mutant(job, mutant, sources["multi.py"])
        assert (result.status, result.world, result.property) == ("killed", "progress-lossy", "progress"), (por, result.error)

"""Free steps over parallel workers (docs/por.md, "Depth bounds"): the local workers'
reduced BFS is the one process's 0-1 breadth-first search, level for level: the same
level sizes, distinct states, counters, verdicts and completeness, for any worker count
and hash seed; its counterexamples replay with the plain model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from explorer.cli import main
from explorer.engine.results import SearchSettings
from explorer.engine.search import search
from explorer.engine.shrink import replay_actions
from explorer.models.config import CheckConfig
from explorer.models.paxos import build
from explorer.mutants import PAIRS
from tests.por_toys import por_figures, random_system, stdout_under_hash_seeds

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(("seed", "depth"), [(2, 3), (2, None), (5, 4), (3, 5)])
def test_workers_count_free_steps_as_one_process_does(seed: int, depth: int | None) -> None:
    model = random_system(seed, free_sets=True)
    one = search(model, SearchSettings(por=True, collect=True, max_depth=depth))
    assert one.extra["por"]["pruned_free"] > 0  # free steps joined levels
    for workers in (2, 3):
        parallel = search(model, SearchSettings(por=True, collect=True, max_depth=depth, workers=workers))
        assert por_figures(parallel) == por_figures(one), workers


def test_workers_keep_a_bounded_search_complete_when_only_free_sets_pruned() -> None:
    # no final property, every pruned action at a free set: within the bound the reduced
    # search is as strong as the full one, with workers as in one process
    model = random_system(2, free_sets=True, finals=False)
    settings = SearchSettings(por=True, collect=True, max_depth=3)
    one = search(model, settings)
    two = search(model, SearchSettings(por=True, collect=True, max_depth=3, workers=2))
    assert one.stopped_by == "depth" and one.complete
    assert 0 < one.extra["por"]["pruned_free"] == one.extra["por"]["pruned"]
    assert por_figures(two) == por_figures(one)
    assert "counted" not in two.extra["por"]  # the workers' counters came back


def test_the_default_world_counts_alike_over_workers() -> None:
    model = build(CheckConfig())
    one = search(model, SearchSettings(por=True, collect=True, max_depth=5))
    two = search(model, SearchSettings(por=True, collect=True, max_depth=5, workers=2))
    assert one.extra["por"]["pruned_free"] > 0
    assert por_figures(two) == por_figures(one)
    # linearizable is extension-closed, so it is judged in every world: complete, as one process
    assert two.complete and one.complete


def test_a_counterexample_found_by_workers_replays_with_the_plain_model() -> None:
    # the pair is found at depth 6 only because a free step counts as no step
    pair = PAIRS[0]
    config = pair.config_for(pair.variant)
    result = search(build(config), SearchSettings(max_depth=pair.max_depth, por=True, workers=2))
    assert result.extra["por"]["pruned_free"] > 0
    assert [v.property_name for v in result.violations] == [pair.expected_property]
    violation = result.violations[0]
    plain = build(config)
    labels = [plain.format_action(a) for a in violation.actions]
    states, _, bad = replay_actions(plain, labels, violation.init_index)
    assert bad is None and states[-1] == violation.states[-1]
    prop = next(p for p in plain.properties() if p.name == pair.expected_property)
    assert not prop.condition(states[-1])


def test_a_trace_written_by_workers_replays(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main([
        "check", "--variant", "quorum-one", "--depth", "4", "--por", "--workers", "2", "--json",
        "--traces", str(tmp_path),
    ])
    report = json.loads(capsys.readouterr().out)
    assert code == 1 and report["por"]["status"] == "on" and "counted" not in report["por"]
    assert main(["replay", report["trace"]]) == 1  # reproduced, as recorded
    assert "reproduced" in capsys.readouterr().out


def test_parallel_counts_do_not_depend_on_the_hash_seed() -> None:
    script = (
        "from tests.por_toys import random_system\n"
        "from explorer.engine.results import SearchSettings\n"
        "from explorer.engine.search import search\n"
        "for w in (2, 3):\n"
        "    r = search(random_system(5, free_sets=True), SearchSettings(por=True, collect=True, max_depth=4, workers=w))\n"
        "    print(r.distinct_states, r.level_sizes, r.complete, r.extra['por'])\n"
    )
    outs = stdout_under_hash_seeds(script)
    assert len(outs) == 1, outs
    one = search(random_system(5, free_sets=True), SearchSettings(por=True, collect=True, max_depth=4))
    line = f"{one.distinct_states} {one.level_sizes} {one.complete} {one.extra['por']}\n"
    assert outs == {line * 2}


def test_workers_report_a_reduction_switched_off_as_one_process_does() -> None:
    model = random_system(34)  # no declaration: searched unreduced
    one = search(model, SearchSettings(por=True, collect=True, max_depth=4))
    two = search(model, SearchSettings(por=True, collect=True, max_depth=4, workers=2))
    assert one.extra["por"]["status"].startswith("off:")
    assert por_figures(two) == por_figures(one)

"""The search engine on small models: strategies, bounds, properties, symmetry, workers."""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Sequence
from dataclasses import replace

import pytest

from explorer.engine.model import Property
from explorer.engine.results import Progress, SearchSettings, Strategy
from explorer.engine.search import search
from explorer.engine.shrink import first_failure, replay_actions, shrink
from tests.search_toys import Grid, GridModel, Interrupting, LockModel, SignalsOnce, check_path

ALL: tuple[Strategy, ...] = ("bfs", "dfs", "random", "swarm")


def test_bfs_counts_levels_and_depth() -> None:
    r = search(GridModel(n=4), SearchSettings())
    assert r.verdict == "holds" and r.complete and r.stopped_by is None
    assert r.distinct_states == 25
    assert r.level_sizes == [1, 2, 3, 4, 5, 4, 3, 2, 1]
    assert r.levels == 9 and r.depth == 8  # 9 levels, 8 actions on the longest path
    assert r.generated == 2 * 4 * 5  # every enabled step from every state


def test_dfs_visits_the_same_states() -> None:
    r = search(GridModel(n=4), SearchSettings(strategy="dfs"))
    assert r.complete and r.distinct_states == 25 and (r.levels, r.depth) == (9, 8)


@pytest.mark.parametrize("strategy", ["bfs", "dfs"])
def test_depth_bound_is_complete_up_to_the_bound(strategy: Strategy) -> None:
    r = search(GridModel(n=10), SearchSettings(strategy=strategy, max_depth=3))
    assert r.distinct_states == 1 + 2 + 3 + 4
    assert r.complete and r.stopped_by == "depth"


def test_states_bound_stops_incomplete() -> None:
    r = search(GridModel(n=10), SearchSettings(max_states=7))
    assert r.distinct_states == 7 and not r.complete and r.stopped_by == "states"


def test_time_bound_stops_incomplete() -> None:
    r = search(GridModel(n=400), SearchSettings(time_limit=0.0))
    assert r.stopped_by == "time" and not r.complete
    assert r.distinct_states < 401 * 401


def test_memory_bound_stops_incomplete() -> None:
    # (random walks stop at the bound; the one-process BFS and DFS spill to disk instead)
    r = search(GridModel(n=400), SearchSettings(strategy="random", walks=100_000, max_memory_mb=1))
    assert r.stopped_by == "memory" and not r.complete


@pytest.mark.parametrize("strategy", ["bfs", "dfs", "random"])
def test_interrupt_returns_partial_result(strategy: Strategy) -> None:
    r = search(Interrupting(after=300), SearchSettings(strategy=strategy))
    assert r.stopped_by == "interrupted" and not r.complete
    assert r.distinct_states > 0


@pytest.mark.parametrize("strategy", ALL)
def test_always_violation_with_a_valid_path(strategy: Strategy) -> None:
    model = GridModel(n=3, bad=(2, 1))
    r = search(model, SearchSettings(strategy=strategy, walks=500, seed=3))
    assert r.verdict == "violated" and not r.complete
    (v,) = r.violations
    assert v.property_name == "not-bad" and v.kind == "always"
    assert v.states[-1] == (2, 1)
    check_path(model, v.states, v.actions)
    if strategy in ("bfs", "random", "swarm"):
        assert v.step == 3  # bfs: shortest; random/swarm: shrunk


def test_violation_in_an_initial_state() -> None:
    r = search(GridModel(bad=(0, 0)), SearchSettings())
    assert r.violations[0].states == [(0, 0)] and r.violations[0].actions == []


@pytest.mark.parametrize("strategy", ALL)
def test_final_property_checked_where_runs_end(strategy: Strategy) -> None:
    # runs end only in (n, n); the property fails there
    model = GridModel(n=2, final_ok=lambda s: s != (2, 2))
    r = search(model, SearchSettings(strategy=strategy, walks=50))
    (v,) = r.violations
    assert v.kind == "final" and v.states[-1] == (2, 2) and v.step == 4
    check_path(model, v.states, v.actions)


@pytest.mark.parametrize("strategy", ["bfs", "dfs"])
def test_final_property_checked_at_the_depth_bound(strategy: Strategy) -> None:
    model = GridModel(n=9, final_ok=lambda s: s != (1, 1))
    r = search(model, SearchSettings(strategy=strategy, max_depth=2))
    assert r.violations and r.violations[0].states[-1] == (1, 1)
    r = search(model, SearchSettings(strategy=strategy, max_depth=3))
    assert r.verdict == "holds" and r.complete


def test_final_property_holds_when_not_at_run_end() -> None:
    # (1, 1) is on every path's way but never where a run ends
    model = GridModel(n=2, final_ok=lambda s: s != (1, 1))
    for strategy in ALL:
        r = search(model, SearchSettings(strategy=strategy, walks=50))
        assert r.verdict == "holds", strategy


@pytest.mark.parametrize("strategy", ALL)
def test_sometimes_is_reported(strategy: Strategy) -> None:
    model = GridModel(n=3, sometimes=lambda s: s == (3, 3))
    r = search(model, SearchSettings(strategy=strategy, walks=200))
    assert r.sometimes == {"sometimes": True}
    never = GridModel(n=3, sometimes=lambda s: s == (9, 9))
    r = search(never, SearchSettings(strategy=strategy, walks=20))
    assert r.sometimes == {"sometimes": False} and r.verdict == "holds"


def test_collect_keeps_one_violation_per_property_and_goes_on() -> None:
    model = GridModel(n=3, bad=(1, 0), final_ok=lambda s: False)
    r = search(model, SearchSettings(collect=True))
    assert sorted(v.property_name for v in r.violations) == ["final-ok", "not-bad"]
    assert r.distinct_states == 16 and r.complete


class TwiceBroken(GridModel):
    """A grid whose one state ``bad`` breaks two always properties, and whose states
    ``end`` (where runs end, or the depth bound cuts) break two final ones."""

    def __init__(self, bad: Grid, end: Grid, n: int = 2) -> None:
        super().__init__(n=n)
        self.bad_state, self.end = bad, end

    def properties(self) -> Sequence[Property[Grid]]:
        bad, end = self.bad_state, self.end
        return [
            *(Property.always(f"not {bad} ({k})", lambda s: s != bad) for k in "ab"),
            *(Property.final(f"does not end at {end} ({k})", lambda s: s != end) for k in "ab"),
        ]


@pytest.mark.parametrize(("strategy", "workers"), [("bfs", 1), ("dfs", 1), ("bfs", 2), ("random", 1)])
@pytest.mark.parametrize("depth", [None, 2])
def test_collect_reports_every_property_a_state_breaks(strategy: Strategy, workers: int, depth: int | None) -> None:
    # One violation per property means each property a state breaks, not the first of
    # them only: a property broken only where another one is broken too was lost (and
    # a reduced search, visiting fewer states, lost it where the full one did not).
    for bad in ((0, 0), (1, 0)):
        end = (2, 2) if depth is None else (1, 1)
        model = TwiceBroken(bad, end)
        settings = SearchSettings(strategy=strategy, workers=workers, max_depth=depth, walks=200, seed=1)
        r = search(model, replace(settings, collect=True))
        found = sorted((v.property_name, v.states[-1]) for v in r.violations)
        assert found == [
            (f"does not end at {end} (a)", end), (f"does not end at {end} (b)", end),
            (f"not {bad} (a)", bad), (f"not {bad} (b)", bad),
        ], (bad, found)
        if depth is None:
            # and a run that stops at the first violation still reports one
            assert len(search(model, settings).violations) == 1


def test_boundary_states_are_counted_not_expanded() -> None:
    r = search(GridModel(n=10, boundary=2), SearchSettings())
    # states with x+y <= 2 are expanded; their successors at x+y == 3 are counted
    assert r.distinct_states == 1 + 2 + 3 + 4 and r.complete
    assert r.level_sizes == [1, 2, 3, 4]


@pytest.mark.parametrize("strategy", ["bfs", "dfs"])
def test_symmetry_reduces(strategy: Strategy) -> None:
    r = search(GridModel(n=4), SearchSettings(strategy=strategy, symmetry=True))
    assert r.distinct_states == 15  # pairs x <= y
    model = GridModel(n=4, bad=(1, 3), symmetric_bad=True)
    r = search(model, SearchSettings(strategy=strategy, symmetry=True))
    assert r.verdict == "violated"
    assert r.violations[0].states[-1] in ((1, 3), (3, 1))


@pytest.mark.parametrize("strategy", ["bfs", "dfs"])
def test_symmetry_counts_what_it_renamed_and_folded(strategy: Strategy) -> None:
    # GridModel(n=2), representative (min, max): the successors (1,0), (2,0) and (2,1)
    # (from (2,0)) are renamed onto new states; (2,1) again, from (1,1), is folded onto
    # (1,2), already seen: 4 renamed, 1 folded, in either order of search
    r = search(GridModel(n=2), SearchSettings(strategy=strategy, symmetry=True))
    assert r.distinct_states == 6
    assert r.extra["symmetry"] == {"renamed": 4, "folded": 1}
    assert "symmetry" not in search(GridModel(n=2), SearchSettings(strategy=strategy)).extra


@pytest.mark.parametrize("strategy", ["random", "swarm"])
def test_walks_are_seeded(strategy: Strategy) -> None:
    model = LockModel()
    a = search(
        model, SearchSettings(strategy=strategy, seed=7, walks=300, max_depth=40, shrink=False)
    )
    b = search(
        model, SearchSettings(strategy=strategy, seed=7, walks=300, max_depth=40, shrink=False)
    )
    assert a.walks == b.walks and a.distinct_states == b.distinct_states
    assert [v.actions for v in a.violations] == [v.actions for v in b.violations]
    assert a.violations, "the lock should be found"
    assert a.stopped_by is None and not a.complete


def test_walk_count_bound() -> None:
    r = search(GridModel(n=3), SearchSettings(strategy="random", walks=17))
    assert r.walks == 17 and r.stopped_by == "walks" and not r.complete
    assert r.distinct_states == 16


def test_shrink_random_counterexample_to_minimum() -> None:
    model = LockModel()
    raw = search(model, SearchSettings(strategy="random", seed=1, max_depth=200, shrink=False))
    (v,) = raw.violations
    assert v.step > 3
    small = shrink(model, v)
    assert [model.format_action(a) for a in small.actions] == ["set(1)", "set(2)", "set(3)"]  # type: ignore[arg-type]
    check_path(model, small.states, small.actions)
    done = search(model, SearchSettings(strategy="swarm", seed=1, max_depth=200))
    assert done.violations[0].step == 3


def test_replay_actions_by_label() -> None:
    model = LockModel()
    states, actions, bad = replay_actions(model, ["noise(1)", "set(1)", "set(2)"])
    assert bad is None and states[-1] == (2, 2) and len(actions) == 3
    states, actions, bad = replay_actions(model, ["set(1)", "set(3)", "set(2)"])
    assert bad == 1 and states == [(0, 0), (1, 0)] and len(actions) == 1
    states, _, _ = replay_actions(model, ["set(1)", "set(2)", "set(3)"])
    failure = first_failure(model, states)
    assert failure is not None and failure[0].name == "locked" and failure[1] == 3


def test_workers_match_one_process() -> None:
    one = search(GridModel(n=12), SearchSettings())
    two = search(GridModel(n=12), SearchSettings(workers=2))
    assert (two.distinct_states, two.level_sizes, two.generated) == (
        one.distinct_states,
        one.level_sizes,
        one.generated,
    )
    assert two.complete
    bad = search(GridModel(n=12, bad=(5, 2)), SearchSettings(workers=2))
    (v,) = bad.violations
    assert v.step == 7 and v.states[-1] == (5, 2)
    check_path(GridModel(n=12), v.states, v.actions)


class _SumModel(GridModel):
    """Fails wherever x + y is 2, 5, 7 or 9: states failing at several depths, owned
    by different workers."""

    def properties(self) -> Sequence[Property[Grid]]:
        return [Property.always("sum", lambda s: (s[0] + s[1]) not in (2, 5, 7, 9))]


def test_workers_collect_report_the_shallowest_violation() -> None:
    # With --collect a worker stops checking a property it saw fail; a worker that
    # never saw it shallow reports a deeper state, which must not win on fingerprint.
    (one,) = search(_SumModel(n=8), SearchSettings(collect=True)).violations
    assert one.step == 2
    for workers in (2, 3, 4):
        (v,) = search(_SumModel(n=8), SearchSettings(workers=workers, collect=True)).violations
        assert v.step == one.step, workers
        check_path(_SumModel(n=8), v.states, v.actions)


def test_workers_bounds_and_property_kinds() -> None:
    model = GridModel(n=9, final_ok=lambda s: s != (1, 1))
    r = search(model, SearchSettings(workers=2, max_depth=2))
    assert r.violations and r.violations[0].states[-1] == (1, 1) and r.violations[0].kind == "final"
    r = search(model, SearchSettings(workers=2, max_depth=3))
    assert r.verdict == "holds" and r.complete and r.stopped_by == "depth"
    assert r.distinct_states == 10
    bounded = search(GridModel(n=10, boundary=2), SearchSettings(workers=2))
    assert bounded.level_sizes == [1, 2, 3, 4] and bounded.complete
    both = GridModel(n=3, bad=(1, 0), final_ok=lambda s: False, sometimes=lambda s: s == (3, 3))
    r = search(both, SearchSettings(workers=3, collect=True))
    assert sorted(v.property_name for v in r.violations) == ["final-ok", "not-bad"]
    assert r.sometimes == {"sometimes": True} and r.distinct_states == 16
    for v in r.violations:
        check_path(both, v.states, v.actions)
    r = search(GridModel(n=30), SearchSettings(workers=2, max_states=50))
    assert r.stopped_by == "states" and not r.complete and r.distinct_states >= 50


@pytest.mark.parametrize("workers", [1, 2])
def test_ctrl_c_stops_workers_and_returns_partial_result(workers: int) -> None:
    # Synchronised on an event, not a clock: a 0.5 s timer fired before the workers had
    # started on a loaded machine (0 states). The model itself sends the signal when it
    # expands the state (60, 0), 60 levels in (1,830 states), in whichever process owns it.
    r = search(SignalsOnce(signal.SIGINT, after=60), SearchSettings(workers=workers))
    assert r.stopped_by == "interrupted" and not r.complete
    assert 0 < r.distinct_states < 3001 * 3001
    assert multiprocessing.active_children() == []


def test_progress_is_reported_about_once_a_second(monkeypatch: pytest.MonkeyPatch) -> None:
    # A clock of our own (each reading 50 ms later than the last), so the test does not
    # depend on how fast the machine expands states.
    import explorer.engine.run

    real = explorer.engine.run.time.monotonic
    base = real()  # the run's start is read from the real clock
    readings = iter(range(1, 10**9))
    monkeypatch.setattr(explorer.engine.run.time, "monotonic", lambda: base + next(readings) * 0.05)
    seen: list[Progress] = []
    r = search(GridModel(n=3000), SearchSettings(time_limit=1.3), progress=seen.append)
    assert r.stopped_by == "time"
    assert 1 <= len(seen) <= 2  # at 1 s, not per state
    assert 0 < seen[0].distinct_states <= r.distinct_states
    assert seen[0].generated > 0 and seen[0].memory_mb > 0


def test_bad_settings_raise() -> None:
    with pytest.raises(ValueError):
        search(GridModel(), SearchSettings(strategy="sideways"))  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        search(GridModel(), SearchSettings(workers=0))
    with pytest.raises(ValueError):
        search(GridModel(), SearchSettings(max_depth=-1))

"""tla-paxos against TLC's figures for Paxos.tla, and its seeded bug under every strategy."""

from __future__ import annotations

import itertools
import random
from typing import Any

import pytest

from explorer.engine.results import SearchSettings, Strategy
from explorer.engine.search import search
from explorer.engine.shrink import first_failure, replay_actions
from explorer.models.tla_paxos import NONE, TlaPaxos
from tests.search_toys import check_path

TLC_LEVELS_B1 = [1, 2, 7, 12, 29, 72, 139, 234, 341, 464, 646, 780, 670, 372, 126, 24, 2]


@pytest.mark.parametrize("workers", [1, 2])
def test_ballots_0_1_match_tlc(workers: int) -> None:
    r = search(TlaPaxos(ballots=1), SearchSettings(workers=workers))
    assert r.verdict == "holds" and r.complete
    assert r.distinct_states == 3921
    assert r.levels == 17 and r.depth == 16  # TLC counts 17 levels
    assert r.level_sizes == TLC_LEVELS_B1
    assert r.sometimes == {"chosen": True}


@pytest.mark.parametrize("workers", [1, 2])
def test_ballots_0_1_symmetry_match_tlc(workers: int) -> None:
    r = search(TlaPaxos(ballots=1, symmetry=True), SearchSettings(symmetry=True, workers=workers))
    assert r.verdict == "holds" and r.complete
    assert r.distinct_states == 443
    assert r.levels == 17 and r.depth == 16  # TLC counts 17 levels


def test_ballot_0_only() -> None:
    # one ballot: nothing can disagree, and a value can still be chosen
    r = search(TlaPaxos(ballots=0), SearchSettings())
    assert r.verdict == "holds" and r.complete and r.sometimes["chosen"]


def test_dfs_sees_the_same_space() -> None:
    r = search(TlaPaxos(ballots=1), SearchSettings(strategy="dfs"))
    assert r.complete and r.distinct_states == 3921


@pytest.mark.parametrize(
    "strategy,symmetry",
    [
        ("bfs", False),
        ("dfs", False),
        ("random", False),
        ("swarm", False),
        ("bfs", True),
        ("dfs", True),
        ("random", True),
        ("swarm", True),
    ],
)
def test_seeded_bug_is_found(strategy: Strategy, symmetry: bool) -> None:
    model = TlaPaxos(ballots=1, bug="ignore-1b-values")
    settings = SearchSettings(strategy=strategy, symmetry=symmetry, seed=5, walks=5000)
    r = search(model, settings)
    assert r.verdict == "violated"
    v = r.violations[0]
    path: list[Any] = v.states
    assert v.property_name == "agreement"
    check_path(model, v.states, v.actions)
    assert not model.agreement(path[-1])
    assert all(model.agreement(s) for s in path[:-1])
    if strategy == "bfs":
        assert v.step == 12  # the shortest disagreement
    # the path replays by its labels and fails at its last state
    actions: list[Any] = v.actions
    states, _, bad = replay_actions(model, [model.format_action(a) for a in actions])
    assert bad is None and states == v.states
    failure = first_failure(model, states)
    assert failure is not None and failure[0].name == "agreement" and failure[1] == v.step


def test_bug_also_found_with_two_workers() -> None:
    model = TlaPaxos(ballots=1, bug="ignore-1b-values")
    r = search(model, SearchSettings(workers=2))
    assert r.verdict == "violated" and r.violations[0].step == 12
    check_path(model, r.violations[0].states, r.violations[0].actions)


def test_action_labels_are_unique_and_kinds_named() -> None:
    model = TlaPaxos(ballots=1)
    r = search(model, SearchSettings(max_states=300))
    assert r.distinct_states == 300
    state = model.init_states()[0]
    rng = random.Random(0)
    for _ in range(30):
        pairs = list(model.successors(state))
        labels = [model.format_action(a) for a, _ in pairs]
        assert len(labels) == len(set(labels))
        assert {model.action_kind(a) for a, _ in pairs} <= {
            "Phase1a",
            "Phase1b",
            "Phase2a",
            "Phase2b",
        }
        state = rng.choice(pairs)[1]


def _permute(
    model: TlaPaxos, state: tuple[int, ...], p: tuple[int, ...], q: tuple[int, ...]
) -> tuple[int, ...]:
    """Rename acceptor a to p[a] and value v to q[v], message by message (independent of the
    model's byte tables)."""
    A = model.acceptors
    out = [0] * (3 * A)
    for a in range(A):
        out[p[a]] = state[a]
        out[A + p[a]] = state[A + a]
        out[2 * A + p[a]] = NONE if state[2 * A + a] == NONE else q[state[2 * A + a]]
    msgs = 0
    index = {m: i for i, m in enumerate(model.messages)}
    for i, m in enumerate(model.messages):
        if not state[-1] >> i & 1:
            continue
        image: tuple[Any, ...]
        if m[0] == "1a":
            image = m
        elif m[0] == "1b":
            image = ("1b", p[m[1]], m[2], m[3], NONE if m[4] == NONE else q[m[4]])
        elif m[0] == "2a":
            image = ("2a", m[1], q[m[2]])
        else:
            image = ("2b", p[m[1]], m[2], q[m[3]])
        msgs |= 1 << index[image]
    return tuple(out) + (msgs,)


def test_representative_is_constant_on_orbits() -> None:
    model = TlaPaxos(ballots=1)
    rng = random.Random(1)
    state = model.init_states()[0]
    perms = [
        (p, q) for p in itertools.permutations(range(3)) for q in itertools.permutations(range(2))
    ]
    for _ in range(200):
        pairs = list(model.successors(state))
        state = rng.choice(pairs)[1] if rng.random() < 0.97 else model.init_states()[0]
        rep = model.representative(state)
        orbit = {_permute(model, state, p, q) for p, q in perms}
        assert rep == min(orbit)  # the least member: an exact canonical form
        p, q = rng.choice(perms)
        assert model.representative(_permute(model, state, p, q)) == rep
        assert model.agreement(rep) == model.agreement(state)


def test_bad_constructor_arguments() -> None:
    with pytest.raises(ValueError):
        TlaPaxos(ballots=-1)
    with pytest.raises(ValueError):
        TlaPaxos(bug="no-such-bug")


@pytest.mark.parametrize("depth", [5, 9])
def test_depth_bound_agrees_across_strategies_and_workers(depth: int) -> None:
    # in Paxos.tla a state is reachable at several depths, so a DFS that pruned on
    # "seen" alone would miss states within the bound
    expected = sum(TLC_LEVELS_B1[: depth + 1])
    for settings in (
        SearchSettings(max_depth=depth),
        SearchSettings(strategy="dfs", max_depth=depth),
        SearchSettings(max_depth=depth, workers=2),
    ):
        r = search(TlaPaxos(ballots=1), settings)
        assert r.distinct_states == expected, settings
        assert r.complete and r.stopped_by == "depth" and r.depth == depth and r.levels == depth + 1

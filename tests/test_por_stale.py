"""Stale replica messages under partial-order reduction (docs/por.md, "Stale replica
messages"): the Multi-Paxos replicas' ``ignores_forever`` declaration keeps its promise
in every catalogue variant, ``truthful messages`` is judged message by message, the
reduction uses both and keeps the verdicts, and a declaration true only *now* would
lose a violation (why the declaration must hold for ever)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from explorer.actors import ActorModel, Deliver, Faults, Reads, World
from explorer.engine.model import Property
from explorer.engine.results import SearchResult, SearchSettings
from explorer.engine.search import search
from explorer.models.config import CheckConfig
from explorer.models.paxos import build, cluster_config
from explorer.models.paxos_ignored import replica_ignores_forever
from explorer.models.paxos_progress import TRUTHFUL_MESSAGES
from explorer.mutants import CATALOGUE, PAIRS
from explorer.mutants.catalogue import run_pair
from paxos_core.config import VariantFlags
from tests.por_toys import TableNode, node_state, random_system, toy_ignores_forever, walk_claims

MULTI_CONFIGS = sorted(
    {case.config for case in CATALOGUE if case.config.model == "multipaxos"}, key=lambda c: c.variant
)


@pytest.mark.parametrize("config", MULTI_CONFIGS, ids=lambda c: c.variant)
def test_replicas_ignore_for_ever_what_they_are_said_to_ignore(config: CheckConfig) -> None:
    model = build(config)
    if config.variant == "nonunique-ballots":
        # the ballot argument needs node ids: replicas declare nothing there
        assert replica_ignores_forever(cluster_config(config)) is None
        return
    claims = walk_claims(model, seed=len(config.variant), walks=40, steps=25, receivers=model.servers)
    assert claims > 0


VARIANTS = ["correct", *(f.name.replace("_", "-") for f in dataclasses.fields(VariantFlags))]


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_variant_keeps_the_replicas_declaration_in_a_world_with_elections(variant: str) -> None:
    # Every seeded mistake, in a world with an opening election, three ballots, drops,
    # duplicates and two crashes: the walks above, for variants the catalogue's own
    # worlds leave out.
    config = CheckConfig(
        variant=variant, ops=2, ballots=3, faults=Faults(drop=1, dup=1, crash=2),
        extra=(("initial_leader", None),),
    )
    if replica_ignores_forever(cluster_config(config)) is None:
        assert variant == "nonunique-ballots"
        return
    model = build(config)
    assert walk_claims(model, seed=len(variant), walks=40, steps=30, receivers=model.servers) > 0


def test_truthful_messages_is_judged_message_by_message_unless_promises_may_shrink() -> None:
    def reads(variant: str) -> Any:
        model = build(CheckConfig(variant=variant))
        return next(p.reads for p in model.properties() if p.name == TRUTHFUL_MESSAGES)

    assert reads("correct").network and reads("correct").network_per_message
    assert not reads("forget-promise-on-restart").network_per_message


def test_stale_deliveries_reduce_an_exhausted_world_with_the_same_verdicts() -> None:
    # forward-as-own's world, correct protocol, searched to the end both ways: the
    # reduction now prunes stale replica messages (it pruned only clients' before, and
    # truthful messages vetoed those), with the same verdicts and every state kept
    # reachable where it matters.
    case = next(c for c in CATALOGUE if c.name == "forward-as-own")
    config = case.correct_config()
    full = search(build(config), SearchSettings(collect=True))
    reduced = search(build(config), SearchSettings(collect=True, por=True))
    assert full.complete and reduced.complete
    assert reduced.extra["por"]["pruned"] > 0
    assert reduced.distinct_states < full.distinct_states
    assert reduced.verdict == full.verdict == "holds"
    assert reduced.sometimes == full.sometimes


# -- why "for ever" ------------------------------------------------------------------------

A, B = 0, 1  # message values: node 1 ignores A in state 0, not in state 1; B takes it 0 -> 1


def late_meaning_model(ignores: Any) -> ActorModel:
    """Node 0 sends A to node 1, node 2 sends B to node 1. Node 1: state 0 ignores A and
    moves to 1 on B; state 1 moves to 2 on A. The property: node 1 never reaches 2."""
    quiet = ((), ())
    actors = {
        0: TableNode(((0, 0),) * 3, quiet, ((1, A),), timer=False, logs=False),
        1: TableNode(((0, 1), (2, 1), (2, 2)), quiet, (), timer=False, logs=False),
        2: TableNode(((0, 0),) * 3, quiet, ((1, B),), timer=False, logs=False),
    }
    never_two = Property.always("node 1 never reaches 2", lambda w: w.actors[1] != 2, reads=_reads())
    return ActorModel(actors, servers=(), properties=[never_two], ignores_forever=ignores(actors), name="late")


def _reads() -> Reads:
    return Reads(node=node_state, addresses=frozenset((1,)))


def test_a_message_ignored_only_now_is_not_declared_and_the_violation_is_found() -> None:
    model = late_meaning_model(lambda actors: toy_ignores_forever(actors, crashable=False))
    init = model.init_states()[0]
    assert model.ample_sets(init, model.actions(init)) == []  # A matters once B arrived
    result = search(model, SearchSettings(collect=True, por=True))
    assert {v.property_name for v in result.violations} == {"node 1 never reaches 2"}


def test_a_declaration_true_only_now_would_lose_the_violation() -> None:
    # The same world with A declared ignored wherever it is a no-op *now*: the reduction
    # would offer delivering A first, alone, and after that node 1 never sees A after B
    # (whether the candidate is used at the initial world depends on the proviso's
    # ranks; what it would lose does not). The declaration must hold in every later
    # state (the replicas' is argued and walked above).
    def now_only(actors: Any) -> Any:
        return lambda me, state, src, msg: actors[me].table[state][msg[0]] == state

    model = late_meaning_model(now_only)
    init = model.init_states()[0]
    actions = model.actions(init)
    offered = model.ample_sets(init, actions)
    assert offered is not None and len(offered) == 1
    (only,) = offered[0].positions
    assert actions[only] == Deliver(0, 1, (A, 2))
    assert {v.property_name for v in search(model, SearchSettings(collect=True)).violations} == {
        "node 1 never reaches 2"
    }
    after_a = offered[0].successors[0]
    assert not search(StartingAt(model, after_a), SearchSettings(collect=True)).violations


class StartingAt(ActorModel):
    """``model`` searched from ``world`` instead of its initial world."""

    def __init__(self, model: ActorModel, world: World) -> None:
        self.__dict__.update(model.__dict__)
        self._start = world

    def init_states(self) -> list[World]:
        return [self._start]


# -- depth bounds: free steps ----------------------------------------------------------


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(st.integers(min_value=0, max_value=10**6), st.integers(min_value=1, max_value=5))
def test_a_bounded_reduced_bfs_is_as_strong_as_the_bounded_full_one(seed: int, depth: int) -> None:
    # Random toy systems whose ignored deliveries are free sets (no may_send: no closure):
    # within the same depth bound, every always-property the full BFS breaks and every
    # sometimes-property it witnesses, the reduced BFS does too (a free step counts as no
    # step of the bound). It may find more: its paths may take more actions than the
    # bound, free ones (real paths all the same). Final properties judged where the
    # bound cuts a run are not covered (docs/por.md), so they are left out. Counting
    # free steps as steps, 24 of 592 such bounded searches came out weaker.
    model = random_system(seed, free_sets=True)
    bounds = SearchSettings(collect=True, max_depth=depth, max_states=3000)
    full = search(model, bounds)
    assume(full.stopped_by in (None, "depth"))
    reduced = search(model, dataclasses.replace(bounds, por=True))
    assert reduced.extra["por"]["pruned"] == reduced.extra["por"]["pruned_free"]

    def always(result: SearchResult) -> set[str]:
        return {v.property_name for v in result.violations if v.kind == "always"}

    assert always(full) <= always(reduced)
    assert all(reduced.sometimes[name] for name, seen in full.sometimes.items() if seen)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(st.integers(min_value=0, max_value=10**6), st.integers(min_value=1, max_value=5))
def test_an_extension_closed_final_keeps_a_bounded_reduced_bfs_as_strong_and_complete(
    seed: int, depth: int
) -> None:
    # The same toy systems with, as their only final property, one whose failure no step
    # undoes (the history's length). The reduced BFS judges it in every world, so within
    # the bound it misses no violation of any kind that the full BFS finds, and it is
    # reported complete as the full one is (a final judged only where runs end would
    # make it "not complete": the next test).
    model = random_system(seed, free_sets=True, finals=False, closed_final=True)
    bounds = SearchSettings(collect=True, max_depth=depth, max_states=3000)
    full = search(model, bounds)
    assume(full.stopped_by in (None, "depth"))
    reduced = search(model, dataclasses.replace(bounds, por=True))
    assert reduced.extra["por"]["pruned"] == reduced.extra["por"]["pruned_free"]
    assert {v.property_name for v in full.violations} <= {v.property_name for v in reduced.violations}
    assert all(reduced.sometimes[name] for name, seen in full.sometimes.items() if seen)
    # (Free steps reach worlds the full search meets only past the bound, so the reduced
    # one can hold more states and stop at the cap: seed=5940, depth=5, 3,000 against 2,990.)
    assume(reduced.stopped_by != "states")
    assert reduced.complete == full.complete


def test_a_final_judged_where_runs_end_leaves_a_pruned_bounded_reduced_bfs_not_complete() -> None:
    # The same system, once with the history final declared extension-closed and once
    # not: only the declared one lets a bounded search that pruned be complete.
    for seed in range(200):
        model = random_system(seed, free_sets=True, finals=False, closed_final=True)
        bounds = SearchSettings(max_depth=3, max_states=3000, por=True)
        closed = search(model, bounds)
        if closed.stopped_by == "depth" and closed.extra["por"]["pruned"] > 0 and not closed.violations:
            break
    else:
        raise AssertionError("no toy system pruned under a depth cut")
    assert closed.complete
    model._properties = tuple(
        dataclasses.replace(p, extension_closed=False) for p in model._properties
    )
    cut = search(model, bounds)
    assert not cut.complete and "depth" in cut.extra["por"]


def test_free_steps_keep_the_pair_at_its_depth() -> None:
    # leader-skips-phase1 + apply-out-of-order breaks log consistency at depth 6. Its
    # stale messages are pruned there; counted as steps, they pushed the reduced path
    # past the bound (found at 7); counted as no step, it is found at 6, as unreduced.
    pair = PAIRS[0]
    reduced = search(build(pair.config_for(pair.variant)), SearchSettings(max_depth=pair.max_depth, por=True))
    assert reduced.extra["por"]["pruned_free"] > 0
    assert {v.property_name for v in reduced.violations} == {pair.expected_property}


def test_synod_mutants_por_counts_a_pair_found_within_its_depth() -> None:
    row = run_pair(PAIRS[0], por=True)
    assert row["ok"] and row["property"] == PAIRS[0].expected_property
    assert row["depth"] >= PAIRS[0].max_depth  # a free step may lengthen the path


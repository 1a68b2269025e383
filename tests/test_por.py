"""Partial-order reduction (``--por``): sound on random actor systems, on the catalogue's
worlds and their correct protocol; deterministic; traces replay with the plain model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from explorer.actors import ActorModel, Faults, Reads
from explorer.cli import main
from explorer.engine.model import Property
from explorer.engine.results import SearchResult, SearchSettings
from explorer.engine.search import search
from explorer.models.config import CheckConfig
from explorer.models.paxos import build
from explorer.mutants import CATALOGUE
from explorer.mutants.catalogue import run_case, run_correct
from explorer.replay.trace import load_trace
from tests.por_toys import node_state, random_system, stdout_under_hash_seeds, walk_claims

ROOT = Path(__file__).resolve().parent.parent


def verdicts(result: SearchResult) -> tuple[set[str], dict[str, bool]]:
    return {v.property_name for v in result.violations}, dict(result.sometimes)


def compare(model: ActorModel, strategy: str = "bfs", cap: int = 3000) -> tuple[SearchResult, SearchResult]:
    """The full and the reduced search of ``model``, collecting every violation."""
    full = search(model, SearchSettings(strategy=strategy, collect=True, max_states=cap))  # type: ignore[arg-type]
    assume(full.complete)
    reduced = search(model, SearchSettings(strategy=strategy, collect=True, por=True))  # type: ignore[arg-type]
    assert reduced.complete
    assert reduced.distinct_states <= full.distinct_states
    return full, reduced


# -- random actor systems ------------------------------------------------------------------


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(st.integers(min_value=0, max_value=10**6))
@example(seed=999)  # two invariants broken in one initial state (collect reports both)
def test_random_systems_violate_and_witness_the_same_properties_reduced(seed: int) -> None:
    # Random node handlers over a random sparse send graph, random fault budgets and
    # network, random invariants over pairs of nodes, a sum witness, a final property
    # and a history bound: each is violated (witnessed) in the reduced space exactly
    # when in the full one.
    full, reduced = compare(random_system(seed))
    assert verdicts(reduced) == verdicts(full)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(st.integers(min_value=0, max_value=10**6))
def test_random_systems_under_dfs_too(seed: int) -> None:
    full, reduced = compare(random_system(seed), strategy="dfs")
    assert verdicts(reduced) == verdicts(full)


class Relay:
    """Forwards a token down a chain: node ``me`` sends to ``me + 1`` while it has one."""

    def __init__(self, last: int) -> None:
        self.last = last

    def on_start(self, me: int) -> tuple[Any, tuple[Any, ...]]:
        from paxos_core.events import Send

        return 0, ((Send(me + 1, "token"),) if me % 2 == 0 else ())

    def on_message(self, me: int, state: Any, src: int, msg: Any) -> tuple[Any, tuple[Any, ...]]:
        return state + 1, ()

    def on_timer(self, me: int, state: Any, timer: str) -> tuple[Any, tuple[Any, ...]]:
        return state, ()

    def on_crash(self, me: int, state: Any) -> Any:
        return state

    def on_restart(self, me: int, state: Any) -> tuple[Any, tuple[Any, ...]]:
        return state, ()


def pairs_model(pairs: int, bad: tuple[int, int] | None = None) -> ActorModel:
    """``pairs`` independent sender/receiver pairs (0->1, 2->3, ...); each receiver's
    property reads its own state only; ``bad`` plants a property of two receivers."""
    n = 2 * pairs
    props = [
        Property.always(
            f"receiver {r} got at most one", (lambda w, r=r: w.actors[r] <= 1),
            reads=Reads(node=node_state, addresses=frozenset((r,))),
        )
        for r in range(1, n, 2)
    ]
    if bad is not None:
        a, b = bad
        props.append(Property.always(
            f"not both {a} and {b}", lambda w: not (w.actors[a] and w.actors[b]),
            reads=Reads(node=node_state, addresses=frozenset(bad)),
        ))
    return ActorModel(
        {a: Relay(n - 1) for a in range(n)}, servers=range(n), properties=props,
        may_send={a: ((a + 1,) if a % 2 == 0 else ()) for a in range(n)},
    )


def test_independent_pairs_are_explored_in_one_order() -> None:
    # Four pairs: 2^4 = 16 states unreduced (each token delivered or not); reduced, far
    # fewer orders (as few as one chain of 5 states, where the proviso allows it). A
    # property across pairs still fails, and is found.
    full = search(pairs_model(4), SearchSettings())
    reduced = search(pairs_model(4), SearchSettings(por=True))
    assert full.distinct_states == 16 and 5 <= reduced.distinct_states < 12
    assert reduced.extra["por"]["pruned"] > 0 and reduced.extra["por"]["share_fully_expanded"] < 1
    model = pairs_model(4, bad=(1, 3))
    crossing = search(model, SearchSettings(por=True))
    assert [v.property_name for v in crossing.violations] == ["not both 1 and 3"]
    # Key steps taken in the stead of a path make a reduced path longer than the shortest
    # full one (2 steps here); and a depth bound that cuts a reduced search never lets it
    # claim completeness.
    assert crossing.violations[0].step >= 2
    for depth in (2, 3):
        bounded = search(model, SearchSettings(por=True, max_depth=depth))
        assert bounded.violations or not bounded.complete


def test_a_property_without_reads_switches_the_reduction_off() -> None:
    model = random_system(3, declare=False)
    full = search(model, SearchSettings(max_states=2000))
    reduced = search(model, SearchSettings(max_states=2000, por=True))
    assert reduced.extra["por"]["status"].startswith("off: property 'node 0 is not 2' declare")
    assert (reduced.distinct_states, reduced.level_sizes) == (full.distinct_states, full.level_sizes)


def test_random_and_swarm_refuse_por() -> None:
    with pytest.raises(ValueError, match="bfs and dfs"):
        search(pairs_model(1), SearchSettings(strategy="random", por=True, walks=1))


# -- determinism ---------------------------------------------------------------------------


def test_counts_do_not_depend_on_the_worker_count() -> None:
    model = random_system(20)
    one = search(model, SearchSettings(por=True, collect=True))
    two = search(model, SearchSettings(por=True, collect=True, workers=2))
    assert one.distinct_states < search(model, SearchSettings(collect=True)).distinct_states
    assert (two.distinct_states, two.level_sizes) == (one.distinct_states, one.level_sizes)
    assert verdicts(two) == verdicts(one)


def test_counts_do_not_depend_on_the_hash_seed() -> None:
    script = (
        "from tests.por_toys import random_system\n"
        "from explorer.engine.results import SearchSettings\n"
        "from explorer.engine.search import search\n"
        "r = search(random_system(20), SearchSettings(por=True, collect=True))\n"
        "print(r.distinct_states, r.level_sizes, r.extra['por'], sorted(v.property_name for v in r.violations))\n"
    )
    outs = stdout_under_hash_seeds(script)
    assert len(outs) == 1, outs


# -- the Paxos models ----------------------------------------------------------------------


def test_clients_ignore_for_ever_what_they_are_said_to_ignore() -> None:
    # The declaration behind the Paxos reduction, checked along seeded walks: whenever a
    # client is said to ignore a message in flight, delivering it there changes nothing,
    # and it stays ignored in every later state of that client on the walk.
    model = build(CheckConfig(clients=2, ops=2, faults=Faults(drop=1, dup=1)))
    claims = walk_claims(model, seed=5, walks=120, steps=30, receivers=model.clients)
    assert claims >= 10


CHEAP_CASES = [case for case in CATALOGUE if case.strategy == "bfs" and case.max_depth <= 7]


@pytest.mark.parametrize("case", CHEAP_CASES, ids=lambda c: c.name)
def test_catalogue_mutants_are_found_at_their_depth_reduced(case: Any) -> None:
    plain, reduced = run_case(case), run_case(case, por=True)
    assert reduced.property_name == plain.property_name == case.expected_property
    assert reduced.depth == plain.depth == case.max_depth
    assert reduced.result.distinct_states <= plain.result.distinct_states


def test_the_correct_protocol_holds_reduced_with_every_witness() -> None:
    case = next(c for c in CATALOGUE if c.name == "apply-out-of-order")
    outcome = run_correct(case, por=True)
    assert outcome.holds and outcome.result.verdict == "holds"


def test_a_reduced_counterexample_replays_with_the_plain_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main([
        "check", "--variant", "quorum-one", "--depth", "4", "--por", "--json", "--traces", str(tmp_path),
    ])
    report = json.loads(capsys.readouterr().out)
    assert code == 1 and report["por"]["status"] == "on"
    trace = load_trace(report["trace"])
    assert trace.settings.por
    assert main(["replay", report["trace"]]) == 1  # reproduced, as recorded
    assert "reproduced" in capsys.readouterr().out


def test_por_with_walks_is_a_configuration_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--strategy", "random", "--por"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--por applies to --strategy bfs or dfs" in err


def test_synod_mutants_por(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mutants", "--por", "--only", "quorum-one,forward-as-own", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["por"] and report["all_caught"] and report["correct_holds"]
    assert sorted(row["property"] for row in report["mutants"]) == ["learned is chosen", "validity"]


class Recorder:
    """Node 0 sends "a" to node 1 at start; node 2 sends "b" to node 1 when its timer
    fires; node 1 records the order of arrival."""

    def on_start(self, me: int) -> tuple[Any, tuple[Any, ...]]:
        from paxos_core.events import Send, SetTimer

        return (), {0: (Send(1, "a"),), 1: (), 2: (SetTimer("go"),)}[me]

    def on_message(self, me: int, state: Any, src: int, msg: Any) -> tuple[Any, tuple[Any, ...]]:
        return (*state, msg), ()

    def on_timer(self, me: int, state: Any, timer: str) -> tuple[Any, tuple[Any, ...]]:
        from paxos_core.events import Send

        return state, (Send(1, "b"),)

    def on_crash(self, me: int, state: Any) -> Any:
        return state

    def on_restart(self, me: int, state: Any) -> tuple[Any, tuple[Any, ...]]:
        return state, ()


def recorder_model(may_send: dict[int, tuple[int, ...]]) -> ActorModel:
    prop = Property.always(
        "b never overtakes a", lambda w: w.actors[1] != ("b", "a"),
        reads=Reads(node=node_state, addresses=frozenset((1,))),
    )
    return ActorModel({a: Recorder() for a in range(3)}, servers=(), properties=[prop], may_send=may_send)


def test_a_late_sender_is_never_left_out(monkeypatch: pytest.MonkeyPatch) -> None:
    # Node 1's closure holds both its senders, so "b" overtaking "a" is found reduced.
    # With node 2 left out of it (a wrong may_send, or closures that ignore senders),
    # the reduction delivers "a" first and the overtaking is lost: the check can fail.
    right = recorder_model({0: (1,), 1: (), 2: (1,)})
    assert search(right, SearchSettings(por=True)).violations
    wrong = recorder_model({0: (1,), 1: (), 2: ()})
    assert not search(wrong, SearchSettings(por=True)).violations
    import explorer.actors.footprint as footprint

    monkeypatch.setattr(footprint, "_closures", lambda addresses, may_send: {a: frozenset((a,)) for a in addresses})
    assert not search(recorder_model({0: (1,), 1: (), 2: (1,)}), SearchSettings(por=True)).violations

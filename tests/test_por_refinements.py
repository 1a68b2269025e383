"""Refinements of the partial-order reduction (docs/por.md): the history quotient (worlds
that differ only in the order of adjacent client-history events of one kind are searched
once) and the key rule for judgements of quiescent worlds."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from explorer.actors import Faults, Reads, World
from explorer.actors.footprint import canonical_history
from explorer.engine.model import Property
from explorer.engine.results import SearchSettings
from explorer.engine.search import search
from explorer.models.config import CheckConfig
from explorer.models.paxos import build, client_ignores_forever
from paxos_core.events import Complete, Invoke

events = st.lists(
    st.tuples(st.booleans(), st.integers(0, 3), st.integers(0, 2)).map(
        lambda t: Invoke(t[1], t[2], ("get", "k")) if t[0] else Complete(t[1], t[2], None)
    ),
    max_size=8,
)


def precedence(history: tuple[Any, ...]) -> set[tuple[Any, Any]]:
    """Which operation's Complete comes before which operation's Invoke."""
    done: set[Any] = set()
    out: set[tuple[Any, Any]] = set()
    for event in history:
        op = (event.client, event.seq)
        if type(event) is Complete:
            done.add(op)
        else:
            out.update((d, op) for d in done)
    return out


@settings(max_examples=200, deadline=None)
@given(events, st.integers(0, 7))
def test_the_canonical_history_keeps_precedence_and_forgets_only_same_kind_order(
    history: list[Any], at: int
) -> None:
    h = tuple(history)
    canonical = canonical_history(h)
    assert sorted(map(repr, canonical)) == sorted(map(repr, h))
    assert [type(e) for e in canonical] == [type(e) for e in h]
    assert precedence(canonical) == precedence(h)
    assert canonical_history(canonical) == canonical
    # Swapping two adjacent events of one kind gives the same canonical history.
    if at + 1 < len(h) and type(h[at]) is type(h[at + 1]):
        swapped = (*h[:at], h[at + 1], h[at], *h[at + 2 :])
        assert canonical_history(swapped) == canonical


def test_two_clients_invocations_in_either_order_are_one_world() -> None:
    # Two clients, one operation each: which one invokes first leaves only the history
    # order behind, which no Paxos property reads. Reduced, fewer worlds, the same
    # verdicts, and (nothing pruned) the bounded search keeps its completeness: the
    # merge does not lengthen paths. (The replicas' stale messages are left undeclared
    # here, as the clients' alone prune nothing in this world: the quotient alone.)
    config = CheckConfig(faults=Faults())
    plain = search(build(config), SearchSettings(max_depth=6, collect=True))
    quotient_only = build(config)
    _, _, boundary_reads = quotient_only._por_declarations
    quotient_only._por_declarations = (None, client_ignores_forever(config.nodes), boundary_reads)
    reduced = search(quotient_only, SearchSettings(max_depth=6, collect=True, por=True))
    assert reduced.distinct_states < plain.distinct_states
    assert {v.property_name for v in reduced.violations} == {v.property_name for v in plain.violations}
    assert reduced.sometimes == plain.sometimes
    assert reduced.extra["por"]["pruned"] == 0 and reduced.complete
    assert plain.complete and reduced.level_sizes[:2] == plain.level_sizes[:2]


def test_a_property_reading_the_exact_order_switches_the_merge_off() -> None:
    config = CheckConfig()
    model = build(config)
    # Which client invokes first: client 4 before client 3 is merged with 3 before 4
    # under the quotient (3 first is the canonical order, and the world BFS meets first).
    order = Property.always(
        "client 4 does not invoke before client 3",
        lambda w: [e.client for e in w.history if type(e) is Invoke][:2] != [4, 3],
        reads=Reads(history=True),
    )
    model._properties = (*model._properties, order)
    assert not model.footprints.history_quotient
    merged = build(config)
    assert merged.footprints.history_quotient
    invokes = (Invoke(4, 1, ("put", "k", 1)), Invoke(3, 1, ("put", "k", 2)))
    world: World = merged.init_states()[0]._replace(history=invokes)
    assert merged.por_quotient(world).history == tuple(reversed(invokes))
    assert model.por_quotient(world) is world
    # Reduced with that property, the order matters again: found, as unreduced.
    plain = search(model, SearchSettings(max_depth=4, collect=True))
    model._footprints = None
    reduced = search(model, SearchSettings(max_depth=4, collect=True, por=True))
    names = {v.property_name for v in plain.violations}
    assert "client 4 does not invoke before client 3" in names
    assert {v.property_name for v in reduced.violations} == names


def test_a_broken_step_world_is_never_merged() -> None:
    # A world that broke a transition property stays apart from the plain worlds.
    from explorer.models.paxos_properties import BrokenStepWorld

    model = build(CheckConfig())
    invokes = (Invoke(4, 1, ("put", "k", 1)), Invoke(3, 1, ("put", "k", 2)))
    world = model.init_states()[0]._replace(history=invokes)
    broken = BrokenStepWorld._make(world)
    broken.step_problems = {"stability": ["x"]}
    assert model.por_quotient(broken) is broken


class Ticker:
    """Node 0 has a timer that moves it from 0 to 1; node 2 sends node 1 one message at
    start; node 1 counts what it gets."""

    def on_start(self, me: int) -> tuple[Any, tuple[Any, ...]]:
        from paxos_core.events import Send, SetTimer

        return 0, {0: (SetTimer("tick"),), 1: (), 2: (Send(1, "m"),)}[me]

    def on_message(self, me: int, state: Any, src: int, msg: Any) -> tuple[Any, tuple[Any, ...]]:
        return state + 1, ()

    def on_timer(self, me: int, state: Any, timer: str) -> tuple[Any, tuple[Any, ...]]:
        return 1, ()

    def on_crash(self, me: int, state: Any) -> Any:
        return state

    def on_restart(self, me: int, state: Any) -> tuple[Any, tuple[Any, ...]]:
        return state, ()


def test_a_judgement_of_quiescent_worlds_lets_only_deliveries_be_keys() -> None:
    # Once node 1 got its message nothing is in flight and node 0 may still be 0: the
    # property fails there. Node 0's timer alone is a persistent set (nobody sends to
    # node 0), but it changes what the property reads and is no delivery: it must not
    # be a key, or the reduced search could fire it first and never see node 0 at 0
    # in a quiet world. The delivery to node 1 may be one: the world is not quiet
    # while it is in flight.
    from explorer.actors import ActorModel

    def quiet_and_zero(w: World) -> bool:
        return bool(w.network) or w.actors[0] != 0

    prop = Property.always(
        "once quiet, node 0 is not 0", quiet_and_zero,
        reads=Reads(node=lambda a, s: s, addresses=frozenset((0,)), network=True, faults=True,
                    quiescent_only=True),
    )
    model = ActorModel(
        {a: Ticker() for a in range(3)}, servers=(), properties=[prop],
        may_send={0: (), 1: (), 2: (1,)}, timer_limits={"tick": 1},
    )
    world = model.init_states()[0]
    actions = model.actions(world)
    candidates = model.ample_sets(world, actions)
    assert candidates is not None
    keys = {actions[c.positions[k]].kind for c in candidates for k in c.keys}
    assert keys == {"deliver"}
    reduced = search(model, SearchSettings(por=True, collect=True))
    assert [v.property_name for v in reduced.violations] == ["once quiet, node 0 is not 0"]

"""The actor adapter on toy protocols: world shape, every action kind, fault semantics."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from explorer.actors import (
    ACTION_KINDS,
    ActorModel,
    Crash,
    Deliver,
    Drop,
    Duplicate,
    FireTimer,
    Heal,
    Partition,
    Restart,
    World,
)
from explorer.engine.model import Property
from explorer.models.config import Faults
from tests.actor_bfs import bfs
from tests.actor_toys import Ack, CounterServer, GossipNode, Inc, RetryClient, ServerState

ROOT = Path(__file__).resolve().parent.parent


def counter_model(faults: Faults | None = None, network: str = "unordered", retry: bool = True) -> ActorModel:
    model = ActorModel(
        {0: CounterServer(), 1: RetryClient(retry=retry)},
        servers=[0],
        network=network,
        faults=faults,
        properties=[
            Property.always("applied once", lambda w: w.actors[0].count <= 1),
            Property.sometimes("acknowledged", lambda w: bool(w.actors[1].done)),
        ],
    )
    return model


def gossip_model(n: int = 3, faults: Faults | None = None, network: str = "unordered") -> ActorModel:
    peers = tuple(range(n))
    return ActorModel({i: GossipNode(peers) for i in peers}, servers=peers, network=network, faults=faults)


def apply_labels(model: ActorModel, labels: list[str]) -> World:
    world = model.init_states()[0]
    for label in labels:
        by_label = {model.format_action(a): a for a in model.actions(world)}
        assert label in by_label, f"{label!r} not enabled; enabled: {sorted(by_label)}"
        nxt = model.next_state(world, by_label[label])
        assert nxt is not None
        world = nxt
    return world


def test_initial_world_runs_on_start_and_records_history() -> None:
    model = counter_model()
    (world,) = model.init_states()
    assert world.actors == (ServerState(0, 0), model.nodes[1].on_start(1)[0])
    assert world.network == (((1, 0, Inc(1)), 1),)
    assert world.timers == ((), ("retry",))
    assert model.history(world) == [{"type": "invoke", "client": 1, "seq": 1, "op": ["inc"]}]
    assert model.clients == (1,) and model.servers == (0,)


def test_labels_and_kinds_are_stable() -> None:
    model = counter_model(Faults(drop=1, dup=1, crash=1, partition=1))
    (world,) = model.init_states()
    labels = [model.format_action(a) for a in model.actions(world)]
    assert labels == [
        "deliver 1->0 Inc(client=1)",
        "drop 1->0 Inc(client=1)",
        "dup 1->0 Inc(client=1)",
        "timer 1 retry",
        "crash 0",
        "partition 0",
    ]
    kinds = [model.action_kind(a) for a in model.actions(world)]
    assert kinds == ["deliver", "drop", "dup", "timer", "crash", "partition"]
    assert set(kinds) <= set(ACTION_KINDS)


def test_actions_of_different_kinds_never_compare_equal() -> None:
    assert Deliver(0, 1, "m") != Drop(0, 1, "m") != Duplicate(0, 1, "m")
    assert Crash(0) != Restart(0)
    assert Partition((0,)) != Heal((0,))


def test_identical_messages_give_one_delivery_action() -> None:
    model = counter_model(Faults(dup=2))
    world = apply_labels(model, ["dup 1->0 Inc(client=1)", "timer 1 retry"])
    assert world.network == (((1, 0, Inc(1)), 3),)
    delivers = [a for a in model.actions(world) if a.kind == "deliver"]
    assert delivers == [Deliver(1, 0, Inc(1))]
    after = model.next_state(world, delivers[0])
    assert after is not None
    assert after.network == (((0, 1, Ack(1)), 1), ((1, 0, Inc(1)), 2))


def test_unordered_network_is_canonical_whatever_the_delivery_order() -> None:
    model = gossip_model(3)
    (world,) = model.init_states()
    assert len(world.network) == 6
    a = apply_labels(model, ["deliver 0->1 Gossip(value=0)", "deliver 2->1 Gossip(value=2)"])
    b = apply_labels(model, ["deliver 2->1 Gossip(value=2)", "deliver 0->1 Gossip(value=0)"])
    assert a == b and repr(a) == repr(b)


def test_duplicate_then_exhaustive_search_finds_double_apply() -> None:
    model = counter_model(Faults(dup=1), retry=False)
    _, violations = bfs(model)
    assert [model.format_action(a) for a in violations["applied once"]] == [
        "dup 1->0 Inc(client=1)",
        "deliver 1->0 Inc(client=1)",
        "deliver 1->0 Inc(client=1)",
    ]


def test_without_faults_or_retries_the_counter_is_safe_and_the_space_is_exact() -> None:
    model = counter_model(retry=False)
    seen, violations = bfs(model)
    assert violations == {}
    # init; Inc delivered (Ack in flight); Ack delivered.
    assert len(seen) == 3


def test_retry_timer_alone_exposes_the_bug() -> None:
    model = counter_model()
    _, violations = bfs(model)
    labels = [model.format_action(a) for a in violations["applied once"]]
    assert len(labels) == 3 and "timer 1 retry" in labels
    assert labels.count("deliver 1->0 Inc(client=1)") == 2


def test_drop_spends_budget_and_removes_one_copy() -> None:
    model = counter_model(Faults(drop=1, dup=1))
    world = apply_labels(model, ["dup 1->0 Inc(client=1)", "drop 1->0 Inc(client=1)"])
    assert world.network == (((1, 0, Inc(1)), 1),)
    assert world.budgets == (0, 0, 0, 0)
    assert not [a for a in model.actions(world) if a.kind in ("drop", "dup")]


def test_crash_keeps_durable_state_disarms_timers_keeps_messages() -> None:
    model = ActorModel(
        {0: CounterServer(), 1: RetryClient()}, servers=[0], faults=Faults(crash=1)
    )
    world = apply_labels(model, ["deliver 1->0 Inc(client=1)", "timer 1 retry", "crash 0"])
    assert world.crashed == (0,)
    assert world.actors[0] == ServerState(1, 0)  # acks is volatile
    assert ((1, 0, Inc(1)), 1) in world.network  # in flight to the crashed server: kept
    labels = [model.format_action(a) for a in model.actions(world)]
    assert "deliver 1->0 Inc(client=1)" not in labels  # not deliverable while crashed
    assert "restart 0" in labels and "crash 0" not in labels
    assert "crash 1" not in labels  # clients never crash
    world = apply_labels(model, ["deliver 1->0 Inc(client=1)", "timer 1 retry", "crash 0", "restart 0"])
    assert world.crashed == ()
    assert "deliver 1->0 Inc(client=1)" in [model.format_action(a) for a in model.actions(world)]


def test_crash_disarms_the_crashed_nodes_timers() -> None:
    class TimerServer(CounterServer):
        def on_start(self, me: int):  # type: ignore[no-untyped-def]
            from paxos_core.events import SetTimer

            return ServerState(0, 0), (SetTimer("tick"),)

    model = ActorModel({0: TimerServer(), 1: RetryClient()}, servers=[0], faults=Faults(crash=1))
    (world,) = model.init_states()
    assert world.timers[0] == ("tick",)
    after = model.next_state(world, Crash(0))
    assert after is not None and after.timers[0] == ()
    assert FireTimer(0, "tick") not in model.actions(after)


def test_partition_blocks_delivery_until_heal() -> None:
    model = gossip_model(3, Faults(partition=1))
    world = apply_labels(model, ["partition 0"])
    labels = [model.format_action(a) for a in model.actions(world)]
    assert "deliver 0->1 Gossip(value=0)" not in labels
    assert "deliver 2->0 Gossip(value=2)" not in labels
    assert "deliver 1->2 Gossip(value=1)" in labels
    assert "heal 0" in labels and not [x for x in labels if x.startswith("partition")]
    healed = apply_labels(model, ["partition 0", "heal 0"])
    assert "deliver 0->1 Gossip(value=0)" in [model.format_action(a) for a in model.actions(healed)]
    assert healed.budgets[3] == 0
    assert not [a for a in model.actions(healed) if a.kind == "partition"]


def test_fifo_delivers_only_the_head_of_each_link() -> None:
    model = counter_model(Faults(dup=1), network="fifo")
    world = apply_labels(model, ["timer 1 retry"])
    assert world.network == (((1, 0), (Inc(1), Inc(1))),)
    assert [a for a in model.actions(world) if a.kind == "deliver"] == [Deliver(1, 0, Inc(1))]
    world = apply_labels(model, ["dup 1->0 Inc(client=1)"])
    assert world.network == (((1, 0), (Inc(1), Inc(1))),)


def test_fifo_keeps_order_per_link() -> None:
    class Sequencer(CounterServer):
        def on_start(self, me: int):  # type: ignore[no-untyped-def]
            from paxos_core.events import Send

            return ServerState(0, 0), tuple(Send(1, Ack(k)) for k in (3, 1, 2))

    class Recorder(RetryClient):
        def on_start(self, me: int):  # type: ignore[no-untyped-def]
            return (), ()

        def on_message(self, me, state, src, msg):  # type: ignore[no-untyped-def]
            return (*state, msg.count), ()

    model = ActorModel({0: Sequencer(), 1: Recorder()}, servers=[0], network="fifo")
    seen, _ = bfs(model)
    finals = {w.actors[1] for w in seen if isinstance(w, World) and not w.network}
    assert finals == {(3, 1, 2)}
    unordered = ActorModel({0: Sequencer(), 1: Recorder()}, servers=[0])
    seen_u, _ = bfs(unordered)
    assert len({w.actors[1] for w in seen_u if isinstance(w, World) and not w.network}) == 6


def test_bad_construction_is_refused() -> None:
    with pytest.raises(ValueError, match="network"):
        ActorModel({0: CounterServer()}, servers=[0], network="lossy")
    with pytest.raises(ValueError, match="not actor addresses"):
        ActorModel({0: CounterServer()}, servers=[5])
    with pytest.raises(ValueError, match="at least one"):
        ActorModel({}, servers=[])


def test_sending_to_an_unknown_address_is_an_error() -> None:
    model = ActorModel({1: RetryClient(server=7)}, servers=[])
    with pytest.raises(ValueError, match="unknown address 7"):
        model.init_states()


def test_readers_for_properties() -> None:
    model = counter_model(Faults(crash=1))
    world = apply_labels(model, ["crash 0"])
    assert model.actor_state(world, 0) == ServerState(0, 0)
    assert model.server_states(world) == [(0, ServerState(0, 0))]
    assert model.live_server_states(world) == []
    assert model.in_flight(world) == [(1, 0, Inc(1))]


def _check_world_invariants(model: ActorModel, world: World) -> None:
    if model.fifo:
        links = [link for link, _ in world.network]
        assert links == sorted(links) and len(set(links)) == len(links)
        assert all(queue for _, queue in world.network)
    else:
        keys = [(s, d, repr(m)) for (s, d, m), _ in world.network]
        assert keys == sorted(keys) and len(set(keys)) == len(keys)
        assert all(count > 0 for _, count in world.network)
    assert all(list(t) == sorted(set(t)) for t in world.timers)
    assert list(world.crashed) == sorted(set(world.crashed))
    assert all(b >= 0 for b in world.budgets)
    for c in world.crashed:
        assert world.timers[model.index[c]] == ()
    hash(world)


@settings(max_examples=60, deadline=None)
@given(
    network=st.sampled_from(["unordered", "fifo"]),
    choices=st.lists(st.integers(min_value=0, max_value=10_000), max_size=40),
)
def test_random_walks_keep_worlds_canonical(network: str, choices: list[int]) -> None:
    model = gossip_model(3, Faults(drop=2, dup=2, crash=2, partition=2), network)
    world = model.init_states()[0]
    for choice in choices:
        actions = model.actions(world)
        if not actions:
            break
        action = actions[choice % len(actions)]
        label = model.format_action(action)
        assert [model.format_action(a) for a in actions].count(label) == 1
        nxt = model.next_state(world, action)
        assert nxt is not None
        world = nxt
        _check_world_invariants(model, world)


_FINGERPRINT_SCRIPT = """
import hashlib
from explorer.models.config import Faults
from tests.test_actors import gossip_model
from tests.actor_bfs import bfs
seen, _ = bfs(gossip_model(3, Faults(drop=1, dup=1, crash=1, partition=1)))
print(len(seen), hashlib.sha256("\\n".join(sorted(repr(w) for w in seen)).encode()).hexdigest())
"""


def test_world_reprs_do_not_depend_on_the_hash_seed() -> None:
    outputs = set()
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        proc = subprocess.run(
            [sys.executable, "-c", _FINGERPRINT_SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, check=True
        )
        outputs.add(proc.stdout)
    assert len(outputs) == 1


def test_world_repr_is_the_namedtuple_repr_even_from_the_cache() -> None:
    model = gossip_model(3, Faults(drop=1, dup=1, crash=1, partition=1))
    seen, _ = bfs(model)
    for world in list(seen)[:200]:
        assert isinstance(world, World)
        plain = "World(" + ", ".join(f"{f}={getattr(world, f)!r}" for f in World._fields) + ")"
        assert repr(world) == repr(world) == plain


def test_equal_but_differently_printed_messages_stay_apart() -> None:
    # 1 == True in Python: a cache or multiset keyed by equality would merge these two
    # messages and print one of them wrongly; the network must keep both, canonically.
    class Both(CounterServer):
        def on_start(self, me: int):  # type: ignore[no-untyped-def]
            from paxos_core.events import Send

            return ServerState(0, 0), (Send(1, Ack(True)), Send(1, Ack(1)))

    model = ActorModel({0: Both(), 1: RetryClient(retry=False)}, servers=[0])
    (world,) = model.init_states()
    acks = [(msg, count) for (src, _dst, msg), count in world.network if src == 0]
    assert [repr(m) for m, _ in acks] == ["Ack(count=1)", "Ack(count=True)"]
    assert [c for _, c in acks] == [1, 1]
    labels = [model.format_action(a) for a in model.actions(world)]
    assert "deliver 0->1 Ack(count=1)" in labels and "deliver 0->1 Ack(count=True)" in labels


def test_timer_limits_bound_firings_per_node() -> None:
    model = ActorModel(
        {0: CounterServer(), 1: RetryClient()}, servers=[0], timer_limits={(1, "retry"): 2}
    )
    seen, _ = bfs(model)
    worlds = [w for w in seen if isinstance(w, World)]
    # the client re-sends at most twice: at most 3 Incs ever reach the server
    assert max(w.actors[0].count for w in worlds) == 3
    assert min(w.fires_left for w in worlds) == (0,)
    unlimited = ActorModel({0: CounterServer(), 1: RetryClient()}, servers=[0])
    seen_unlimited, _ = bfs(unlimited, max_states=3000)
    assert len(seen_unlimited) >= 3000  # without the limit the space never ends

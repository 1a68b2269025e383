"""Whole-cluster tests: a small random scheduler drives 3- and 5-replica clusters.

The scheduler (written here, independent of the explorer) delivers messages in random
order and injects drops, duplicates, crashes, restarts and timer firings. After every
step it checks agreement (one value per slot, on learned values and on ghost votes) and
that applied logs are prefixes of the longest. Then faults stop, crashed replicas
restart, messages are delivered and timers fired fairly, and every client operation must
complete, with its command applied.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paxos_core import (
    BasicPaxosReplica,
    CancelTimer,
    ClientNode,
    ClusterConfig,
    Complete,
    Invoke,
    MultiPaxosReplica,
    Send,
    SetTimer,
    applied_log,
    default_schedule,
    is_leader,
    kv,
    learned,
    propose_schedule,
    votes_cast,
)


class Sim:
    """A test-only driver of paxos_core nodes: network multiset, timers, crashes."""

    def __init__(self, config: ClusterConfig, basic: bool = False) -> None:
        self.config = config
        replica: Any = BasicPaxosReplica(config) if basic else MultiPaxosReplica(config)
        client = ClientNode(config)
        self.nodes: dict[int, Any] = {r: replica for r in config.replicas}
        self.nodes.update({c: client for c in config.clients})
        self.states: dict[int, Any] = {}
        self.timers: set[tuple[int, str]] = set()
        self.net: list[tuple[int, int, Any]] = []
        self.crashed: set[int] = set()
        self.history: list[Any] = []
        for addr, node in sorted(self.nodes.items()):
            state, out = node.on_start(addr)
            self.states[addr] = state
            self._apply(addr, out)

    def _apply(self, addr: int, outputs: Any) -> None:
        for o in outputs:
            if isinstance(o, Send):
                self.net.append((addr, o.dst, o.msg))
            elif isinstance(o, SetTimer):
                self.timers.add((addr, o.name))
            elif isinstance(o, CancelTimer):
                self.timers.discard((addr, o.name))
            elif isinstance(o, Invoke | Complete):
                self.history.append(o)

    # -- actions ------------------------------------------------------------------------

    def deliver(self, i: int) -> None:
        src, dst, msg = self.net.pop(i)
        if dst in self.crashed:
            return
        state, out = self.nodes[dst].on_message(dst, self.states[dst], src, msg)
        self.states[dst] = state
        self._apply(dst, out)

    def fire(self, addr: int, name: str) -> None:
        self.timers.discard((addr, name))
        state, out = self.nodes[addr].on_timer(addr, self.states[addr], name)
        self.states[addr] = state
        self._apply(addr, out)

    def crash(self, r: int) -> None:
        self.states[r] = self.nodes[r].on_crash(r, self.states[r])
        self.crashed.add(r)
        self.timers = {t for t in self.timers if t[0] != r}

    def restart(self, r: int) -> None:
        self.crashed.discard(r)
        state, out = self.nodes[r].on_restart(r, self.states[r])
        self.states[r] = state
        self._apply(r, out)

    def random_step(self, rng: random.Random, max_crashed: int) -> None:
        kinds = ["deliver"] * 6 if self.net else []
        if self.net:
            kinds += ["drop", "dup"]
        live_timers = sorted(t for t in self.timers if t[0] not in self.crashed)
        if live_timers:
            kinds += ["timer"] * 2
        if len(self.crashed) < max_crashed:
            kinds.append("crash")
        if self.crashed:
            kinds.append("restart")
        if not kinds:
            return
        kind = rng.choice(kinds)
        if kind == "deliver":
            self.deliver(rng.randrange(len(self.net)))
        elif kind == "drop":
            self.net.pop(rng.randrange(len(self.net)))
        elif kind == "dup":
            self.net.append(self.net[rng.randrange(len(self.net))])
        elif kind == "timer":
            self.fire(*rng.choice(live_timers))
        elif kind == "crash":
            self.crash(rng.choice([r for r in self.config.replicas if r not in self.crashed]))
        else:
            self.restart(rng.choice(sorted(self.crashed)))

    # -- checks -------------------------------------------------------------------------

    def replica_states(self) -> list[Any]:
        return [self.states[r] for r in self.config.replicas]

    def check_safety(self) -> None:
        chosen: dict[int, Any] = {}
        for state in self.replica_states():
            for slot, value in learned(state):
                assert chosen.setdefault(slot, value) == value, f"slot {slot}: {chosen[slot]} vs {value}"
        # ghost agreement: a quorum of votes for one (slot, ballot, value) means chosen
        tally = Counter(v for state in self.replica_states() for v in votes_cast(state))
        ghost: dict[int, Any] = {}
        for (slot, _ballot, value), count in tally.items():
            if count >= self.config.q2:
                assert ghost.setdefault(slot, value) == value, f"ghost slot {slot}"
        for slot, value in chosen.items():
            if slot in ghost:
                assert ghost[slot] == value
        logs = [applied_log(s) for s in self.replica_states()]
        longest = max(logs, key=len)
        for log in logs:
            assert log == longest[: len(log)], f"{log} not a prefix of {longest}"

    def completed(self) -> set[tuple[int, int]]:
        return {(o.client, o.seq) for o in self.history if isinstance(o, Complete)}

    def all_done(self) -> bool:
        want = {(c, k + 1) for c in self.config.clients for k in range(len(self.config.ops_of(c)))}
        return want <= self.completed()

    def drain(self, rng: random.Random) -> None:
        steps = 0
        while self.net:
            self.deliver(rng.randrange(len(self.net)))
            self.check_safety()
            steps += 1
            assert steps < 20_000, "message storm"

    def stabilise(self, rng: random.Random, basic: bool) -> None:
        """Faults off: restart everyone, deliver everything, fire timers fairly."""
        for r in sorted(self.crashed):
            self.restart(r)
        replicas = list(self.config.replicas)
        turn = 0
        for _ in range(60):
            self.drain(rng)
            if self.all_done():
                return
            before = len(self.completed())
            for t in sorted(t for t in self.timers if t[0] in self.config.clients):
                self.fire(*t)
            self.drain(rng)
            if len(self.completed()) > before or self.all_done():
                continue
            # no client progress: let one replica's timer fire (an election or a retry),
            # in turn, so no replica is starved and no two duel at once
            if not basic and any(is_leader(s) for s in self.replica_states()) and rng.random() < 0.5:
                continue
            for _ in range(len(replicas)):
                r = replicas[turn % len(replicas)]
                turn += 1
                armed = sorted(t for t in self.timers if t[0] == r)
                if armed:
                    self.fire(*armed[0])
                    break
        raise AssertionError(f"not all operations completed: {sorted(self.completed())}")


def run_cluster(seed: int, nodes: int, clients: int, ops: int, steps: int, basic: bool) -> Sim:
    schedule = propose_schedule(clients) if basic else default_schedule(clients, ops)
    sim = Sim(ClusterConfig(nodes=nodes, client_ops=schedule), basic=basic)
    rng = random.Random(seed)
    max_crashed = (nodes - 1) // 2
    for _ in range(steps):
        sim.random_step(rng, max_crashed)
        sim.check_safety()
    sim.stabilise(rng, basic)
    sim.check_safety()
    if not basic:
        # every completed command is in the (common) applied log of a live replica
        logs = [applied_log(s) for s in sim.replica_states()]
        longest = max(logs, key=len)
        applied = {(c.client, c.seq) for c in longest}
        assert sim.completed() <= applied
        # every reply a client got is what a sequential run of the decided log gives
        store, expected = kv.EMPTY_KV, {}
        for cmd in longest:
            store, result = kv.apply(store, cmd)
            expected.setdefault((cmd.client, cmd.seq), result)
        for o in sim.history:
            if isinstance(o, Complete):
                assert o.result == expected[(o.client, o.seq)]
    return sim


FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(seed=st.integers(0, 2**32), nodes=st.sampled_from([3, 5]), steps=st.integers(0, 150))
def test_multipaxos_random_schedules(seed: int, nodes: int, steps: int) -> None:
    sim = run_cluster(seed, nodes, clients=2, ops=2, steps=steps, basic=False)
    assert sim.all_done()


@FAST
@given(seed=st.integers(0, 2**32), nodes=st.sampled_from([3, 5]), steps=st.integers(0, 120))
def test_basic_paxos_random_schedules(seed: int, nodes: int, steps: int) -> None:
    sim = run_cluster(seed, nodes, clients=2, ops=1, steps=steps, basic=True)
    assert sim.all_done()
    results = {o.result for o in sim.history if isinstance(o, Complete)}
    assert len(results) == 1  # everyone is told the one chosen value


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32))
def test_even_cluster_with_initial_leader(seed: int) -> None:
    config = ClusterConfig(nodes=4, client_ops=default_schedule(3, 1), initial_leader=0, forward=False)
    sim = Sim(config)
    rng = random.Random(seed)
    for _ in range(80):
        sim.random_step(rng, max_crashed=1)
        sim.check_safety()
    sim.stabilise(rng, basic=False)
    assert sim.all_done()


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    shape=st.sampled_from([(4, 3, 2), (5, 4, 2), (3, None, None), (4, None, None)]),
    forward=st.booleans(),
    initial_leader=st.sampled_from([None, 0, 1]),
    basic=st.booleans(),
    learn_directly=st.booleans(),
    steps=st.integers(0, 250),
)
def test_cluster_options_flexible_quorums_and_learners(
    seed: int, shape: tuple[int, int | None, int | None], forward: bool,
    initial_leader: int | None, basic: bool, learn_directly: bool, steps: int,
) -> None:
    """Flexible quorums (q1 + q2 > n), redirecting followers, a preset leader, learners
    that learn directly: safety under faults, then every operation completes."""
    nodes, q1, q2 = shape
    config = ClusterConfig(
        nodes=nodes, client_ops=propose_schedule(3) if basic else default_schedule(3, 2),
        phase1_quorum=q1, phase2_quorum=q2, forward=forward,
        initial_leader=None if basic else initial_leader, learn_directly=learn_directly,
    )
    sim = Sim(config, basic=basic)
    rng = random.Random(seed)
    for _ in range(steps):
        sim.random_step(rng, max_crashed=1)
        sim.check_safety()
    sim.stabilise(rng, basic)
    sim.check_safety()
    assert sim.all_done()

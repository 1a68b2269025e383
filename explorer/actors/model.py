"""The actor-system adapter: sans-IO nodes + a network and fault model -> a :class:`Model`.

In the spirit of Stateright's ``ActorModel``. Give :class:`ActorModel` a mapping from
address to node object (the five-method contract of ``paxos_core/events.py``), say which
addresses are crashable servers (the rest are clients, which never crash), and pick a
network semantics and fault budgets. The adapter enumerates every delivery, timer firing
and fault within the budgets.

The world and the actions are in explorer/actors/world.py, the network semantics in
network.py, fault budgets and fault actions in faults.py, address renaming in
symmetry.py; this module puts them together as one :class:`Model`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from explorer.actors import symmetry as _symmetry
from explorer.actors.encoding import EncodedWorlds, WorldCodec
from explorer.actors.faults import CRASH, DROP, DUP, PARTITION, Faults, node_fault_actions, spend
from explorer.actors.fingerprints import Changes, WorldFingerprints
from explorer.actors.footprint import IgnoresForever, Reads, Reducible
from explorer.actors.keyed import KeyedSteps
from explorer.actors.memo import StepMemo, adopt_world
from explorer.actors.network import Changed, Entries, make_network
from explorer.actors.reading import WorldReading
from explorer.actors.world import (
    ActorAction,
    Crash,
    Deliver,
    Drop,
    Duplicate,
    FireTimer,
    Node,
    Partition,
    Restart,
    World,
    action_label,
    replace_at,
    without,
)
from explorer.engine.model import Model, Property
from paxos_core.events import CancelTimer, Complete, Invoke, Send, SetTimer


class ActorModel(WorldReading, EncodedWorlds, Reducible, KeyedSteps, Model[World, ActorAction]):
    """A checkable model of actors exchanging messages over a faulty network.

    Parameters:
        actors: address -> node object (addresses are ints, as in ``paxos_core``).
        servers: the crashable addresses; every other address is a client (never crashes,
            never isolated on its own).
        network: ``"unordered"`` (default) or ``"fifo"``.
        faults: budgets of drops, duplicates, crashes and partitions.
        properties: properties over :class:`World` (read actor states with
            :meth:`actor_state`, :meth:`server_states`, :meth:`live_server_states`).
        boundary: a state constraint; successors outside are not explored.
        representative: canonical member of a world's symmetry class (see docs/actors.md
            for when a symmetry is sound).
        timer_limits: how many times a timer may fire, keyed by timer name (every node) or
            ``(address, name)``: a budget like the fault budgets (e.g. client retries,
            which otherwise fill the network without end); other timers are unlimited.
        partition_groups: the groups that a partition may isolate from everyone else;
            default: each server alone (for 3 servers: every 1-vs-2 split).
        format_message: label of a message in action labels (default ``repr``; it must
            tell apart different messages, since traces find actions by label).
        config_data: JSON-able configuration returned by :meth:`config` (for traces).
        may_send: partial-order reduction (docs/por.md): address -> the addresses it may
            ever send to (an address left out may send to anyone). Default: anyone.
        ignores_forever: partial-order reduction: ``(address, state, src, msg) -> bool``,
            true only when the node ignores the message (no change, nothing sent) in this
            state and in every state it can reach. Default: never declared.
        boundary_reads: what ``boundary`` reads (a :class:`~explorer.actors.footprint.Reads`);
            needed for partial-order reduction when there is a boundary.
    """

    def __init__(
        self,
        actors: Mapping[int, Node],
        servers: Iterable[int],
        *,
        network: str = "unordered",
        faults: Faults | None = None,
        properties: Sequence[Property[World]] = (),
        boundary: Callable[[World], bool] | None = None,
        representative: Callable[[World], World] | None = None,
        partition_groups: Iterable[Iterable[int]] | None = None,
        timer_limits: Mapping[str | tuple[int, str], int] | None = None,
        format_message: Callable[[Any], str] | None = None,
        name: str = "actors",
        config_data: Mapping[str, Any] | None = None,
        may_send: Mapping[int, Iterable[int]] | None = None,
        ignores_forever: IgnoresForever | None = None,
        boundary_reads: Reads | None = None,
    ) -> None:
        self.net = make_network(network)  # raises ValueError for an unknown name
        if not actors:
            raise ValueError("an actor model needs at least one actor")
        self.name = name
        self.addresses: tuple[int, ...] = tuple(sorted(actors))
        self.nodes: tuple[Node, ...] = tuple(actors[a] for a in self.addresses)
        self.index: dict[int, int] = {a: i for i, a in enumerate(self.addresses)}
        self.servers: tuple[int, ...] = tuple(sorted(set(servers)))
        unknown = [s for s in self.servers if s not in self.index]
        if unknown:
            raise ValueError(f"servers {unknown} are not actor addresses")
        self.clients: tuple[int, ...] = tuple(a for a in self.addresses if a not in self.servers)
        self.network = network
        self.fifo = self.net.fifo
        self.faults = faults if faults is not None else Faults()
        self._properties: tuple[Property[World], ...] = tuple(properties)
        self._boundary = boundary
        self._representative = representative
        self.partition_groups = _partition_groups(partition_groups, self.servers, self.index)
        self._isolated_sets = {g: frozenset(g) for g in (*self.partition_groups, ())}
        self.fire_slot, self._initial_fires = _timer_slots(timer_limits or {}, self.index)
        self._format_message: Callable[[Any], str] = format_message or repr
        self._config_data = dict(config_data) if config_data is not None else {"model": name}
        # Pure nodes: steps memoised, states interned (memo.py); fingerprints composed
        # from the parts' (fingerprints.py); frontier worlds encoded (encoding.py).
        self.memo = StepMemo()
        self.fingerprints = WorldFingerprints(len(self.addresses), self.net)
        self.codec = WorldCodec(len(self.addresses), self.net.fifo, self.fingerprints.entry)
        self._por_declarations = (
            {a: tuple(t) for a, t in may_send.items()} if may_send is not None else None,
            ignores_forever,
            boundary_reads,
        )
        self._footprints = None

    # -- Model interface ----------------------------------------------------------------

    def init_states(self) -> Sequence[World]:
        n = len(self.addresses)
        world = World(
            actors=(None,) * n,
            crashed=(),
            timers=((),) * n,
            network=(),
            isolated=(),
            budgets=self.faults.budgets(),
            fires_left=self._initial_fires,
            history=(),
        )
        for i, addr in enumerate(self.addresses):
            state, outputs = self.memo.canon(self.nodes[i].on_start(addr))
            world = apply_outputs(self, world, i, addr, state, outputs, world.network, world.timers)
        return [world]

    def actions(self, state: World) -> list[ActorAction]:
        world = state
        out: list[ActorAction] = []
        crashed = world.crashed
        isolated = self._isolated_sets[world.isolated]
        budgets = world.budgets
        drop_left, dup_left = budgets[DROP], budgets[DUP]
        for src, dst, msg in self.net.heads(world.network):
            if dst not in crashed and ((src in isolated) == (dst in isolated)):
                out.append(Deliver(src, dst, msg))
            if drop_left:
                out.append(Drop(src, dst, msg))
            if dup_left:
                out.append(Duplicate(src, dst, msg))
        fire_slot = self.fire_slot
        fires_left = world.fires_left
        for i, names in enumerate(world.timers):
            if names:
                node = self.addresses[i]
                for name in names:
                    slot = fire_slot.get((i, name)) if fire_slot else None
                    if slot is None or fires_left[slot] > 0:
                        out.append(FireTimer(node, name))
        out.extend(
            node_fault_actions(self.servers, crashed, world.isolated, budgets, self.partition_groups)
        )
        return out

    def next_state(self, state: World, action: ActorAction) -> World | None:
        world = state
        # Typed loosely on purpose: the kind tag, checked first, fixes the tuple's shape.
        act: Any = action
        kind = act.kind
        if kind == "deliver":
            src, dst, msg = act[0], act[1], act[2]
            network, changes = net_change(self.net.remove_entry, world.network, src, dst, msg)
            i = self.index[dst]
            new_state, outputs = self.memo.message(self.nodes[i], i, dst, world.actors[i], src, msg)
            return apply_outputs(self, world, i, dst, new_state, outputs, network, world.timers, changes)
        if kind == "timer":
            assert isinstance(action, FireTimer)
            i = self.index[action.node]
            names = world.timers[i]
            timers = replace_at(world.timers, i, without(names, action.timer))
            slot = self.fire_slot.get((i, action.timer)) if self.fire_slot else None
            if slot is not None:
                world = world._replace(
                    fires_left=replace_at(world.fires_left, slot, world.fires_left[slot] - 1)
                )
            new_state, outputs = self.memo.timer(self.nodes[i], i, action.node, world.actors[i], action.timer)
            return apply_outputs(self, world, i, action.node, new_state, outputs, world.network, timers)
        if kind == "drop":
            network, changes = net_change(self.net.remove_entry, world.network, act[0], act[1], act[2])
            self.fingerprints.note(network, world.network, changes)
            return world._replace(network=network, budgets=spend(world.budgets, DROP))
        if kind == "dup":
            network, changes = net_change(self.net.duplicate_entry, world.network, act[0], act[1], act[2])
            self.fingerprints.note(network, world.network, changes)
            return world._replace(network=network, budgets=spend(world.budgets, DUP))
        if kind == "crash":
            assert isinstance(action, Crash)
            i = self.index[action.node]
            durable = self.memo.crash(self.nodes[i], i, action.node, world.actors[i])
            return world._replace(
                actors=replace_at(world.actors, i, durable),
                crashed=tuple(sorted((*world.crashed, action.node))),
                timers=replace_at(world.timers, i, ()),
                budgets=spend(world.budgets, CRASH),
            )
        if kind == "restart":
            assert isinstance(action, Restart)
            i = self.index[action.node]
            new_state, outputs = self.memo.restart(self.nodes[i], i, action.node, world.actors[i])
            world = world._replace(crashed=tuple(c for c in world.crashed if c != action.node))
            return apply_outputs(self, world, i, action.node, new_state, outputs, world.network, world.timers)
        if kind == "partition":
            assert isinstance(action, Partition)
            return world._replace(
                isolated=action.group, budgets=spend(world.budgets, PARTITION)
            )
        if kind == "heal":
            return world._replace(isolated=())
        raise ValueError(f"unknown action {action!r}")

    def successors(self, state: World) -> Iterator[tuple[ActorAction, World]]:
        # Every edge through next_state (a subclass may check steps there); the
        # successors' fingerprints from this world's (explorer/actors/fingerprints.py).
        self.fingerprints.expanding(state)
        for action in self.actions(state):
            nxt = self.next_state(state, action)
            if nxt is not None:
                yield action, nxt

    def properties(self) -> Sequence[Property[World]]:
        return self._properties

    def fingerprint(self, state: World) -> int:
        """Composed from the parts' fingerprints (explorer/actors/fingerprints.py)."""
        return self.fingerprints.world(state)

    def adopt(self, state: World) -> World:
        """The world re-linked to this process's interned parts (memo.adopt_world)."""
        return adopt_world(self.memo, self.net, state)

    def within_boundary(self, state: World) -> bool:
        return self._boundary is None or self._boundary(state)

    def representative(self, state: World) -> World:
        return state if self._representative is None else self._representative(state)

    def set_representative(self, representative: Callable[[World], World] | None) -> None:
        """Install (or, with None, remove) the symmetry ``representative``."""
        self._representative = representative

    @property
    def has_symmetry(self) -> bool:
        """Whether a non-trivial symmetry ``representative`` is installed."""
        return self._representative is not None

    def format_action(self, action: ActorAction) -> str:
        return action_label(action, self._format_message)

    def format_message(self, msg: Any) -> str:
        """The label of one message, as it appears in action labels."""
        return self._format_message(msg)

    def action_kind(self, action: ActorAction) -> str:
        """One of :data:`ACTION_KINDS` (the engine weighs kinds in swarm search)."""
        return action.kind

    def config(self) -> dict[str, Any]:
        return dict(self._config_data)

    # -- symmetry (explorer/actors/symmetry.py) -------------------------------------------

    def permuted(self, world: World, perm: Mapping[int, int], rename: Callable[[Any], Any]) -> World:
        """``world`` with addresses renamed (see :func:`explorer.actors.symmetry.permuted`)."""
        return _symmetry.permuted(self, world, perm, rename)

    def symmetry(
        self, group: Sequence[int], rename_for: Callable[[Mapping[int, int]], Callable[[Any], Any]]
    ) -> Callable[[World], World]:
        """A ``representative`` over the permutations of ``group``
        (see :func:`explorer.actors.symmetry.symmetry`)."""
        return _symmetry.symmetry(self, group, rename_for)


ActorModel.steps_of = ActorModel  # the steps keyed successors follow (explorer/actors/keyed.py)


def net_change(change: Callable[..., Changed], network: Entries, src: int, dst: int, msg: Any) -> tuple[Entries, Changes]:
    """``change`` (a network's ``remove_entry``, ...) applied: (network, the entry replaced
    as (before, after))."""
    after, old, new = change(network, src, dst, msg)
    return after, [(old, new)]


def apply_outputs(
    model: ActorModel,
    world: World,
    i: int,
    me: int,
    state: Any,
    outputs: tuple[Any, ...],
    network: tuple[tuple[Any, Any], ...],
    timers: tuple[tuple[str, ...], ...],
    changes: Changes | None = None,
) -> World:
    """The world after node ``me`` (index ``i``) moved to ``state`` and emitted ``outputs``.

    ``network`` is ``world.network`` with the entries ``changes`` replaced (None: none);
    the new network is noted with every change, for its fingerprint when asked
    (explorer/actors/fingerprints.py).
    """
    history = world.history
    add = model.net.add_entry
    changes = changes if changes is not None else []
    if outputs:
        names = timers[i]
        names_changed = False
        for out in outputs:
            cls = type(out)
            if cls is Send:
                if out.dst not in model.index:
                    raise ValueError(f"node {me} sent {out.msg!r} to unknown address {out.dst}")
                network, old, new = add(network, me, out.dst, out.msg)
                changes.append((old, new))
            elif cls is SetTimer:
                if out.name not in names:
                    names = tuple(sorted((*names, out.name)))
                    names_changed = True
            elif cls is CancelTimer:
                if out.name in names:
                    names = without(names, out.name)
                    names_changed = True
            elif cls is Invoke or cls is Complete:
                history = model.memo.states.canon((*history, out))
            else:
                raise ValueError(f"node {me} returned an unknown output {out!r}")
        if names_changed:
            timers = replace_at(timers, i, names)
    if changes:
        model.fingerprints.note(network, world.network, changes)
    return World(
        replace_at(world.actors, i, state),
        world.crashed,
        timers,
        network,
        world.isolated,
        world.budgets,
        world.fires_left,
        history,
    )


def _partition_groups(
    given: Iterable[Iterable[int]] | None, servers: tuple[int, ...], index: Mapping[int, int]
) -> tuple[tuple[int, ...], ...]:
    """The groups a partition may isolate: ``given``, or each server alone."""
    if given is None:
        return tuple((s,) for s in servers)
    groups = tuple(tuple(sorted(set(g))) for g in given)
    for g in groups:
        if not g or any(a not in index for a in g):
            raise ValueError(f"partition group {g} must be a non-empty set of addresses")
    return groups


def _timer_slots(
    timer_limits: Mapping[str | tuple[int, str], int], index: Mapping[int, int]
) -> tuple[dict[tuple[int, str], int], tuple[int, ...]]:
    """``(address index, timer name) -> slot in fires_left``, and the initial fires left.

    A ``str`` key limits that timer on every address; an ``(address, name)`` key one
    timer of one address (and wins over the ``str`` key).
    """
    limits: dict[tuple[int, str], int] = {}
    for key, limit in timer_limits.items():
        if limit < 0:
            raise ValueError(f"timer limit for {key!r} must be >= 0")
        if isinstance(key, str):
            for i in range(len(index)):
                limits.setdefault((i, key), limit)
        else:
            addr, name = key
            if addr not in index:
                raise ValueError(f"timer limit for unknown address {addr}")
            limits[(index[addr], name)] = limit
    ordered = sorted(limits)
    return {key: k for k, key in enumerate(ordered)}, tuple(limits[key] for key in ordered)

"""The actor-system adapter: sans-IO nodes + a network and fault model -> a :class:`Model`.

In the spirit of Stateright's ``ActorModel``. Give :class:`ActorModel` a mapping from
address to node object (the five-method contract of ``paxos_core/events.py``), say which
addresses are crashable servers (the rest are clients, which never crash), and pick a
network semantics and fault budgets. The adapter enumerates every delivery, timer firing
and fault within the budgets.

World (one immutable, canonical, hashable :class:`World` per system state):

- ``actors``: each address's node state, in address order (a crashed server keeps the
  durable part that its ``on_crash`` returned);
- ``crashed``: sorted addresses of crashed servers;
- ``timers``: per address, the sorted names of its armed timers;
- ``network``: messages in flight. ``"unordered"``: a multiset, stored as a tuple of
  ``((src, dst, msg), count)`` sorted by ``(src, dst, repr(msg))``. ``"fifo"``: per-link
  queues, a tuple of ``((src, dst), (msg, ...))`` sorted by link, non-empty links only;
- ``isolated``: the group of addresses currently cut off from everyone else (empty when
  the network is whole);
- ``budgets``: faults left, ``(drop, dup, crash, partition)``;
- ``fires_left``: for timers with a firing limit (``timer_limits``), how many more times
  each may fire, one entry per limited (address, timer name), in that order;
- ``history``: the client history, the ``Invoke`` / ``Complete`` outputs in order.

Actions (each a NamedTuple whose last field ``kind`` names it, so two actions of
different kinds never compare equal): :class:`Deliver`, :class:`Drop`,
:class:`Duplicate`, :class:`FireTimer`, :class:`Crash`, :class:`Restart`,
:class:`Partition`, :class:`Heal`. See docs/actors.md for the exact fault semantics.
"""

from __future__ import annotations

import itertools
import json
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple, Protocol

from explorer.config import Faults
from explorer.model import Model, Property
from paxos_core.events import CancelTimer, Complete, Invoke, Send, SetTimer

NETWORKS = ("unordered", "fifo")
ACTION_KINDS = ("deliver", "drop", "dup", "timer", "crash", "restart", "partition", "heal")


class Node(Protocol):
    """The node contract of ``paxos_core/events.py`` (state in, state and outputs out)."""

    def on_start(self, me: int) -> tuple[Any, tuple[Any, ...]]: ...

    def on_message(self, me: int, state: Any, src: int, msg: Any) -> tuple[Any, tuple[Any, ...]]: ...

    def on_timer(self, me: int, state: Any, timer: str) -> tuple[Any, tuple[Any, ...]]: ...

    def on_crash(self, me: int, state: Any) -> Any: ...

    def on_restart(self, me: int, state: Any) -> tuple[Any, tuple[Any, ...]]: ...


class _ReprCache:
    """``repr`` of objects seen before, by identity.

    Worlds share most of their parts with their parent (every actor but one, most of the
    network), so the fingerprint's ``repr`` of a world mostly re-renders the same objects.
    Keyed by ``id`` with the object kept alive beside its text, never by equality: equal
    values can have different reprs (``1 == True``), and a repr must be canonical.
    """

    __slots__ = ("entries", "limit")

    def __init__(self, limit: int = 100_000) -> None:
        self.entries: dict[int, tuple[Any, str]] = {}
        self.limit = limit

    def text(self, obj: Any) -> str:
        entry = self.entries.get(id(obj))
        if entry is not None and entry[0] is obj:
            return entry[1]
        text = repr(obj)
        if len(self.entries) >= self.limit:
            self.entries.clear()
        self.entries[id(obj)] = (obj, text)
        return text


_REPRS = _ReprCache()


def _tuple_text(items: tuple[Any, ...]) -> str:
    """``repr(items)``, rendering each item through the cache (lookup inlined: hot)."""
    entries = _REPRS.entries
    parts = []
    for x in items:
        entry = entries.get(id(x))
        parts.append(entry[1] if entry is not None and entry[0] is x else _REPRS.text(x))
    if len(parts) == 1:
        return "(" + parts[0] + ",)"
    return "(" + ", ".join(parts) + ")"


class World(NamedTuple):
    """The whole system's state. Canonical: equal worlds have equal ``repr``."""

    actors: tuple[Any, ...]
    crashed: tuple[int, ...]
    timers: tuple[tuple[str, ...], ...]
    network: tuple[tuple[Any, Any], ...]
    isolated: tuple[int, ...]
    budgets: tuple[int, int, int, int]
    fires_left: tuple[int, ...]
    history: tuple[Any, ...]

    def __repr__(self) -> str:
        # The same text as NamedTuple's repr, built from cached parts (the hot path of
        # fingerprinting).
        text = _REPRS.text
        return (
            f"World(actors={_tuple_text(self.actors)}, crashed={self.crashed!r}, "
            f"timers={text(self.timers)}, network={_tuple_text(self.network)}, "
            f"isolated={self.isolated!r}, budgets={self.budgets!r}, "
            f"fires_left={self.fires_left!r}, history={text(self.history)})"
        )


# -- actions ----------------------------------------------------------------------------


class Deliver(NamedTuple):
    src: int
    dst: int
    msg: Any
    kind: str = "deliver"


class Drop(NamedTuple):
    src: int
    dst: int
    msg: Any
    kind: str = "drop"


class Duplicate(NamedTuple):
    src: int
    dst: int
    msg: Any
    kind: str = "dup"


class FireTimer(NamedTuple):
    node: int
    timer: str
    kind: str = "timer"


class Crash(NamedTuple):
    node: int
    kind: str = "crash"


class Restart(NamedTuple):
    node: int
    kind: str = "restart"


class Partition(NamedTuple):
    group: tuple[int, ...]
    kind: str = "partition"


class Heal(NamedTuple):
    group: tuple[int, ...]
    kind: str = "heal"


ActorAction = Deliver | Drop | Duplicate | FireTimer | Crash | Restart | Partition | Heal

_DROP, _DUP, _CRASH, _PARTITION = range(4)


def to_jsonable(value: Any) -> Any:
    """Tuples (and NamedTuples) to lists, recursively; other non-JSON values to ``repr``."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, tuple | list):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, frozenset | set):
        return sorted((to_jsonable(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    return repr(value)


class ActorModel(Model[World, ActorAction]):
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
    ) -> None:
        if network not in NETWORKS:
            raise ValueError(f"unknown network {network!r} (known: {', '.join(NETWORKS)})")
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
        self.fifo = network == "fifo"
        self.faults = faults if faults is not None else Faults()
        self._properties: tuple[Property[World], ...] = tuple(properties)
        self._boundary = boundary
        self._representative = representative
        if partition_groups is None:
            groups: list[tuple[int, ...]] = [(s,) for s in self.servers]
        else:
            groups = [tuple(sorted(set(g))) for g in partition_groups]
            for g in groups:
                if not g or any(a not in self.index for a in g):
                    raise ValueError(f"partition group {g} must be a non-empty set of addresses")
        self.partition_groups: tuple[tuple[int, ...], ...] = tuple(groups)
        self._isolated_sets: dict[tuple[int, ...], frozenset[int]] = {
            g: frozenset(g) for g in self.partition_groups
        }
        self._isolated_sets[()] = frozenset()
        # (address index, timer name) -> limit; a str key applies to every address
        limits: dict[tuple[int, str], int] = {}
        for key, limit in (timer_limits or {}).items():
            if limit < 0:
                raise ValueError(f"timer limit for {key!r} must be >= 0")
            if isinstance(key, str):
                for i in range(len(self.addresses)):
                    limits.setdefault((i, key), limit)
            else:
                addr, name = key
                if addr not in self.index:
                    raise ValueError(f"timer limit for unknown address {addr}")
                limits[(self.index[addr], name)] = limit
        ordered = sorted(limits)
        self._fire_slot: dict[tuple[int, str], int] = {key: k for k, key in enumerate(ordered)}
        self._initial_fires: tuple[int, ...] = tuple(limits[key] for key in ordered)
        self._format_message: Callable[[Any], str] = format_message or repr
        self._config_data = dict(config_data) if config_data is not None else {"model": name}

    # -- Model interface ----------------------------------------------------------------

    def init_states(self) -> Sequence[World]:
        n = len(self.addresses)
        world = World(
            actors=(None,) * n,
            crashed=(),
            timers=((),) * n,
            network=(),
            isolated=(),
            budgets=(self.faults.drop, self.faults.dup, self.faults.crash, self.faults.partition),
            fires_left=self._initial_fires,
            history=(),
        )
        for i, addr in enumerate(self.addresses):
            state, outputs = self.nodes[i].on_start(addr)
            world = self._apply(world, i, addr, state, outputs, world.network, world.timers)
        return [world]

    def actions(self, state: World) -> list[ActorAction]:
        world = state
        out: list[ActorAction] = []
        crashed = world.crashed
        isolated = self._isolated_sets[world.isolated]
        drop_left, dup_left, crash_left, partition_left = world.budgets
        if self.fifo:
            for (src, dst), queue in world.network:
                msg = queue[0]
                if dst not in crashed and ((src in isolated) == (dst in isolated)):
                    out.append(Deliver(src, dst, msg))
                if drop_left:
                    out.append(Drop(src, dst, msg))
                if dup_left:
                    out.append(Duplicate(src, dst, msg))
        else:
            for (src, dst, msg), _count in world.network:
                if dst not in crashed and ((src in isolated) == (dst in isolated)):
                    out.append(Deliver(src, dst, msg))
                if drop_left:
                    out.append(Drop(src, dst, msg))
                if dup_left:
                    out.append(Duplicate(src, dst, msg))
        fire_slot = self._fire_slot
        fires_left = world.fires_left
        for i, names in enumerate(world.timers):
            if names:
                node = self.addresses[i]
                for name in names:
                    slot = fire_slot.get((i, name)) if fire_slot else None
                    if slot is None or fires_left[slot] > 0:
                        out.append(FireTimer(node, name))
        if crash_left:
            for s in self.servers:
                if s not in crashed:
                    out.append(Crash(s))
        for s in crashed:
            out.append(Restart(s))
        if world.isolated:
            out.append(Heal(world.isolated))
        elif partition_left:
            for g in self.partition_groups:
                out.append(Partition(g))
        return out

    def next_state(self, state: World, action: ActorAction) -> World | None:
        world = state
        # Typed loosely on purpose: the kind tag, checked first, fixes the tuple's shape.
        act: Any = action
        kind = act.kind
        if kind == "deliver":
            src, dst, msg = act[0], act[1], act[2]
            network = self._net_remove(world.network, src, dst, msg)
            i = self.index[dst]
            new_state, outputs = self.nodes[i].on_message(dst, world.actors[i], src, msg)
            return self._apply(world, i, dst, new_state, outputs, network, world.timers)
        if kind == "timer":
            assert isinstance(action, FireTimer)
            i = self.index[action.node]
            names = world.timers[i]
            timers = _replace(world.timers, i, tuple(n for n in names if n != action.timer))
            slot = self._fire_slot.get((i, action.timer)) if self._fire_slot else None
            if slot is not None:
                world = world._replace(
                    fires_left=_replace(world.fires_left, slot, world.fires_left[slot] - 1)
                )
            new_state, outputs = self.nodes[i].on_timer(action.node, world.actors[i], action.timer)
            return self._apply(world, i, action.node, new_state, outputs, world.network, timers)
        if kind == "drop":
            network = self._net_remove(world.network, act[0], act[1], act[2])
            return world._replace(network=network, budgets=_spend(world.budgets, _DROP))
        if kind == "dup":
            network = self._net_duplicate(world.network, act[0], act[1], act[2])
            return world._replace(network=network, budgets=_spend(world.budgets, _DUP))
        if kind == "crash":
            assert isinstance(action, Crash)
            i = self.index[action.node]
            durable = self.nodes[i].on_crash(action.node, world.actors[i])
            return world._replace(
                actors=_replace(world.actors, i, durable),
                crashed=tuple(sorted((*world.crashed, action.node))),
                timers=_replace(world.timers, i, ()),
                budgets=_spend(world.budgets, _CRASH),
            )
        if kind == "restart":
            assert isinstance(action, Restart)
            i = self.index[action.node]
            new_state, outputs = self.nodes[i].on_restart(action.node, world.actors[i])
            world = world._replace(crashed=tuple(c for c in world.crashed if c != action.node))
            return self._apply(world, i, action.node, new_state, outputs, world.network, world.timers)
        if kind == "partition":
            assert isinstance(action, Partition)
            return world._replace(
                isolated=action.group, budgets=_spend(world.budgets, _PARTITION)
            )
        if kind == "heal":
            return world._replace(isolated=())
        raise ValueError(f"unknown action {action!r}")

    def properties(self) -> Sequence[Property[World]]:
        return self._properties

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
        act: Any = action
        kind = act.kind
        if kind in ("deliver", "drop", "dup"):
            src, dst, msg = act[0], act[1], act[2]
            return f"{kind} {src}->{dst} {self._format_message(msg)}"
        if kind == "timer":
            assert isinstance(action, FireTimer)
            return f"timer {action.node} {action.timer}"
        if kind in ("crash", "restart"):
            return f"{kind} {act[0]}"
        group = act[0]
        return f"{kind} {','.join(str(a) for a in group)}"

    def format_message(self, msg: Any) -> str:
        """The label of one message, as it appears in action labels."""
        return self._format_message(msg)

    def action_kind(self, action: ActorAction) -> str:
        """One of :data:`ACTION_KINDS` (the engine weighs kinds in swarm search)."""
        return action.kind

    def config(self) -> dict[str, Any]:
        return dict(self._config_data)

    # -- reading worlds (for properties, traces and diagrams) ---------------------------

    def actor_state(self, world: World, address: int) -> Any:
        """The node state of ``address`` (for a crashed server: its durable part)."""
        return world.actors[self.index[address]]

    def server_states(self, world: World) -> list[tuple[int, Any]]:
        """``(address, state)`` of every server, crashed or not, in address order."""
        return [(s, world.actors[self.index[s]]) for s in self.servers]

    def live_server_states(self, world: World) -> list[tuple[int, Any]]:
        """``(address, state)`` of every server that is not crashed."""
        return [(s, world.actors[self.index[s]]) for s in self.servers if s not in world.crashed]

    def in_flight(self, world: World) -> list[tuple[int, int, Any]]:
        """Every message in flight as ``(src, dst, msg)``, one entry per copy."""
        if self.fifo:
            return [(src, dst, m) for (src, dst), queue in world.network for m in queue]
        return [env for env, count in world.network for _ in range(count)]

    def history(self, world: World) -> list[dict[str, Any]]:
        """The client history as JSON-able events, in order."""
        events: list[dict[str, Any]] = []
        for ev in world.history:
            if isinstance(ev, Invoke):
                events.append(
                    {"type": "invoke", "client": ev.client, "seq": ev.seq, "op": to_jsonable(ev.op)}
                )
            else:
                events.append(
                    {
                        "type": "complete",
                        "client": ev.client,
                        "seq": ev.seq,
                        "result": to_jsonable(ev.result),
                    }
                )
        return events

    # -- symmetry -----------------------------------------------------------------------

    def permuted(self, world: World, perm: Mapping[int, int], rename: Callable[[Any], Any]) -> World:
        """``world`` with addresses renamed by ``perm`` (missing ones fixed) and every node
        state, message and history event passed through ``rename``.

        Node states (and timers, timer budgets) move to their new address; the network is
        put back in canonical order. ``rename`` must rename whatever ids and data the
        permutation touches *inside* states and messages, and re-sort anything kept sorted.
        Whether the result is a symmetry of the model is the caller's argument to make
        (docs/actors.md says when it is).
        """
        index = self.index
        moved = [0] * len(self.addresses)
        for i, addr in enumerate(self.addresses):
            moved[i] = index[perm.get(addr, addr)]
        actors: list[Any] = [None] * len(moved)
        timers: list[tuple[str, ...]] = [()] * len(moved)
        for i, j in enumerate(moved):
            actors[j] = rename(world.actors[i])
            timers[j] = world.timers[i]
        fires = list(world.fires_left)
        for (i, name), slot in self._fire_slot.items():
            fires[self._fire_slot[(moved[i], name)]] = world.fires_left[slot]
        p = perm.get
        if self.fifo:
            network: tuple[tuple[Any, Any], ...] = tuple(
                sorted(
                    (((p(src, src), p(dst, dst)), tuple(rename(m) for m in queue)) for (src, dst), queue in world.network),
                    key=_link_of,
                )
            )
        else:
            network = tuple(
                sorted(
                    (((p(src, src), p(dst, dst), rename(msg)), count) for (src, dst, msg), count in world.network),
                    key=self._entry_key,
                )
            )
        return World(
            tuple(actors),
            tuple(sorted(p(c, c) for c in world.crashed)),
            tuple(timers),
            network,
            tuple(sorted(p(a, a) for a in world.isolated)),
            world.budgets,
            tuple(fires),
            tuple(rename(ev) for ev in world.history),
        )

    def symmetry(
        self, group: Sequence[int], rename_for: Callable[[Mapping[int, int]], Callable[[Any], Any]]
    ) -> Callable[[World], World]:
        """A ``representative`` over every permutation of the addresses in ``group``: the
        renamed world that is least by (the group's states and the history, then the whole
        ``repr``): a function of the orbit only, the same in every process.

        ``rename_for(perm)`` gives the payload renaming for one permutation (see
        :meth:`permuted`). Sound only if each permutation is an automorphism of the
        transition system that preserves the properties (docs/actors.md).
        """
        members = tuple(sorted(group))
        perms = [
            dict(zip(members, image, strict=True))
            for image in itertools.permutations(members)
            if image != members
        ]
        renames = [(perm, rename_for(perm)) for perm in perms]

        member_index = [self.index[a] for a in members]

        def quick_key(world: World, perm: Mapping[int, int] | None, rename: Callable[[Any], Any] | None) -> str:
            # A cheap part of the renamed world (the group's own states, the history):
            # most orbits are told apart by it without renaming every replica.
            if perm is None or rename is None:
                states = [world.actors[i] for i in member_index]
                return repr((states, world.history))
            states = [None] * len(members)
            for k, addr in enumerate(members):
                states[members.index(perm[addr])] = rename(world.actors[member_index[k]])
            return repr((states, tuple(rename(ev) for ev in world.history)))

        def representative(world: World) -> World:
            # the orbit's member with the least (quick key, full repr): canonical
            best_key = quick_key(world, None, None)
            candidates: list[tuple[Mapping[int, int], Callable[[Any], Any]] | None] = [None]
            for perm, rename in renames:
                key = quick_key(world, perm, rename)
                if key < best_key:
                    best_key, candidates = key, [(perm, rename)]
                elif key == best_key:
                    candidates.append((perm, rename))
            if len(candidates) == 1 and candidates[0] is None:
                return world
            best: World | None = None
            best_text = ""
            for cand in candidates:
                other = world if cand is None else self.permuted(world, cand[0], cand[1])
                text = repr(other)
                if best is None or text < best_text:
                    best, best_text = other, text
            assert best is not None
            return best

        return representative

    # -- transitions --------------------------------------------------------------------

    def _apply(
        self,
        world: World,
        i: int,
        me: int,
        state: Any,
        outputs: tuple[Any, ...],
        network: tuple[tuple[Any, Any], ...],
        timers: tuple[tuple[str, ...], ...],
    ) -> World:
        """The world after node ``me`` (index ``i``) moved to ``state`` and emitted ``outputs``."""
        history = world.history
        if outputs:
            names = timers[i]
            names_changed = False
            for out in outputs:
                cls = type(out)
                if cls is Send:
                    if out.dst not in self.index:
                        raise ValueError(f"node {me} sent {out.msg!r} to unknown address {out.dst}")
                    network = self._net_add(network, me, out.dst, out.msg)
                elif cls is SetTimer:
                    if out.name not in names:
                        names = tuple(sorted((*names, out.name)))
                        names_changed = True
                elif cls is CancelTimer:
                    if out.name in names:
                        names = tuple(n for n in names if n != out.name)
                        names_changed = True
                elif cls is Invoke or cls is Complete:
                    history = (*history, out)
                else:
                    raise ValueError(f"node {me} returned an unknown output {out!r}")
            if names_changed:
                timers = _replace(timers, i, names)
        return World(
            _replace(world.actors, i, state),
            world.crashed,
            timers,
            network,
            world.isolated,
            world.budgets,
            world.fires_left,
            history,
        )

    @staticmethod
    def _env_key(src: int, dst: int, msg: Any) -> tuple[int, int, str]:
        """Sort key of an envelope: ``(src, dst, repr(msg))``, the same in every process."""
        return (src, dst, _REPRS.text(msg))

    @staticmethod
    def _entry_key(entry: tuple[Any, Any]) -> tuple[int, int, str]:
        src, dst, msg = entry[0]
        return (src, dst, _REPRS.text(msg))

    def _net_add(self, network: tuple[tuple[Any, Any], ...], src: int, dst: int, msg: Any) -> tuple[tuple[Any, Any], ...]:
        if self.fifo:
            link = (src, dst)
            pos = bisect_left(network, link, key=_link_of)
            if pos < len(network) and network[pos][0] == link:
                return _replace(network, pos, (link, (*network[pos][1], msg)))
            return (*network[:pos], (link, (msg,)), *network[pos:])
        key = self._env_key(src, dst, msg)
        pos = bisect_left(network, key, key=self._entry_key)
        if pos < len(network) and self._entry_key(network[pos]) == key:
            env, count = network[pos]
            return _replace(network, pos, (env, count + 1))
        return (*network[:pos], ((src, dst, msg), 1), *network[pos:])

    def _net_remove(self, network: tuple[tuple[Any, Any], ...], src: int, dst: int, msg: Any) -> tuple[tuple[Any, Any], ...]:
        if self.fifo:
            pos = bisect_left(network, (src, dst), key=_link_of)
            link, queue = network[pos]
            if len(queue) == 1:
                return (*network[:pos], *network[pos + 1 :])
            return _replace(network, pos, (link, queue[1:]))
        pos = bisect_left(network, self._env_key(src, dst, msg), key=self._entry_key)
        env, count = network[pos]
        if count == 1:
            return (*network[:pos], *network[pos + 1 :])
        return _replace(network, pos, (env, count - 1))

    def _net_duplicate(self, network: tuple[tuple[Any, Any], ...], src: int, dst: int, msg: Any) -> tuple[tuple[Any, Any], ...]:
        if self.fifo:
            # The copy travels right behind the original (a retransmission on one link).
            pos = bisect_left(network, (src, dst), key=_link_of)
            link, queue = network[pos]
            return _replace(network, pos, (link, (queue[0], *queue)))
        return self._net_add(network, src, dst, msg)


def _link_of(entry: tuple[Any, Any]) -> Any:
    return entry[0]


def _replace(items: tuple[Any, ...], i: int, value: Any) -> tuple[Any, ...]:
    return (*items[:i], value, *items[i + 1 :])


def _spend(budgets: tuple[int, int, int, int], which: int) -> tuple[int, int, int, int]:
    b = list(budgets)
    b[which] -= 1
    return (b[0], b[1], b[2], b[3])

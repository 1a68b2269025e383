"""Footprints of actor actions and the persistent sets they allow (partial-order reduction).

What each action of :class:`~explorer.actors.model.ActorModel` reads and writes:

- ``Deliver(src, dst, msg)``: reads and writes the state and timers of ``dst``, consumes
  one copy of ``msg`` on the link ``src -> dst`` (under FIFO: its head), adds the messages
  ``dst`` sends (all on links *from* ``dst``), and appends to the history when ``dst``
  emits ``Invoke`` / ``Complete``. Disabled by a crash of ``dst``, a partition that cuts
  the link, and a drop of the last copy;
- ``FireTimer(node, name)``: the state and timers of ``node`` (and the timer's firing
  budget, which only this node spends), the links from ``node``, the history;
- ``Drop`` / ``Duplicate``: one message (its link's head under FIFO) and the drop or
  duplicate budget; ``Crash`` / ``Restart``: the node's state, timers and the crash
  budget; ``Partition`` / ``Heal``: which links are cut and the partition budget.

Spending a budget commutes (a counter goes down either way); what matters is what an
action disables or enables, and the argument in docs/por.md is built on that.

Two kinds of persistent set come out of it, each offered to the engine's
:mod:`explorer.engine.por` as an :class:`~explorer.engine.model.Ample`:

- *closures*: the steps of a set ``N`` of nodes that no node outside ``N`` can ever send
  to (the model's ``may_send`` graph, closed backwards), with the drops and duplicates
  of messages to ``N``, and the heal when a partition is in effect. Nothing outside can
  reach ``N``, so every path of other actions commutes with the set;
- *ignored deliveries*: the delivery of a message that its receiver ignores now and in
  every future state (the model's ``ignores_forever`` declaration, checked at once on the
  spot: state, timers and history unchanged, nothing sent), with its drop and duplicate.
  Such a delivery only removes a message, so it commutes with everything; when no
  closure is offered its candidate is *free* (no cycle proviso, no step of a BFS's
  depth bound: docs/por.md, "Stale replica messages" and "Depth bounds").

A candidate is offered only when every action in it leaves the boundary's declared view
unchanged and appends nothing to the history, and it has a key action (one no outside
path can disable) that changes no property's declared view. Properties declare what
they read with :class:`Reads`; one that declares nothing switches the reduction off.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from explorer.actors.faults import PARTITION
from explorer.actors.fingerprints import WorldFingerprints
from explorer.actors.world import REPRS, World
from explorer.engine.model import Ample

#: A delivery the receiver ignores forever: (address, its state, source, message) -> bool.
IgnoresForever = Callable[[int, Any, int, Any], bool]


@dataclass(frozen=True)
class Reads:
    """What a property (or the boundary) of an actor model reads.

    ``node(address, state)`` gives the part of one actor's state it reads (a hashable
    view, compared by ``==``; None for an actor it does not read); the property must be a
    function of these per-actor views and of the parts flagged below. The per-actor shape
    is what makes the check sound: an action changes one actor, so whether it changes
    that actor's view does not depend on what other actors did meanwhile.
    """

    node: Callable[[int, Any], Hashable] | None = None
    #: the addresses whose views ``node`` reads (None: any); a property that reads only
    #: nodes inside a closure needs no invisible key (docs/por.md, "covered properties")
    addresses: frozenset[int] | None = None
    history: bool = False  # the recorded client history
    #: whether the condition may depend on the order of history events beyond real-time
    #: precedence (which operations completed before which were invoked). False: it
    #: reads the history only up to the order of adjacent events of one kind (Invoke
    #: after Invoke, Complete after Complete), which lets reduced searches merge worlds
    #: that differ only in that order (docs/por.md, "The history quotient").
    history_order: bool = True
    network: bool = False  # the messages in flight
    #: the condition reads the network only as "every message in flight passes a check"
    #: (of the message and the declared views), and a message that passes it keeps
    #: passing in every later world while it is in flight: taking one such message out
    #: of the network never hides a failure. A key step that only removes a message (an
    #: ignored delivery) need not leave such a property's network alone (docs/por.md,
    #: "Stale replica messages")
    network_per_message: bool = False
    faults: bool = False  # crashed nodes, partitions, budgets, timers and timer budgets
    #: the condition holds in every world where a message to a live (not crashed) node
    #: is in flight, and its verdict never depends on messages to crashed nodes (a
    #: judgement of quiescent worlds): a key step that is a delivery need not leave its
    #: views alone (docs/por.md, "Properties of quiescent worlds")
    quiescent_only: bool = False


def canonical_history(history: tuple[Any, ...]) -> tuple[Any, ...]:
    """``history`` with every maximal run of events of one type (``Invoke`` or
    ``Complete``) sorted by their text: a swap of two adjacent events of one kind changes
    no real-time precedence (an operation precedes another when its Complete comes
    before the other's Invoke), and no client has two adjacent events of one kind."""
    out: list[Any] = []
    run: list[Any] = []
    text = REPRS.text
    for event in history:
        if run and type(event) is not type(run[0]):
            out.extend(sorted(run, key=text) if len(run) > 1 else run)
            run = []
        run.append(event)
    out.extend(sorted(run, key=text) if len(run) > 1 else run)
    return tuple(out)


def owner(action: Any) -> int | None:
    """The node whose state and incoming links the action acts on (None: partitions)."""
    kind = action.kind
    if kind in ("deliver", "drop", "dup"):
        return int(action[1])
    if kind in ("timer", "crash", "restart"):
        return int(action[0])
    return None


class Footprints:
    """The persistent sets of one actor model: its declarations, checked once."""

    def __init__(
        self,
        model: Any,  # the ActorModel (model.py imports this module, not the other way)
        may_send: Mapping[int, Iterable[int]] | None,
        ignores_forever: IgnoresForever | None,
        boundary_reads: Reads | None,
    ) -> None:
        self.model = model
        self.ignores_forever = ignores_forever
        self.boundary_reads = boundary_reads
        self.prop_reads: list[Reads] = [p.reads for p in model.properties() if isinstance(p.reads, Reads)]
        self.prop_kinds = [p.kind for p in model.properties() if isinstance(p.reads, Reads)]
        self.undeclared = [p.name for p in model.properties() if not isinstance(p.reads, Reads)]
        readers = [*self.prop_reads, *([boundary_reads] if boundary_reads is not None else [])]
        self.history_quotient = not self.undeclared and not any(
            r.history and r.history_order for r in readers
        ) and not (model.has_boundary and boundary_reads is None)
        self._canonical: dict[int, tuple[tuple[Any, ...], tuple[Any, ...]]] = {}
        # ignores_forever's answers by the identity of the receiver's state and the
        # message (both interned by the step memo, so worlds share them; each entry
        # keeps both alive, so equal ids mean the very same objects)
        self._ignores: dict[tuple[int, int, int, int], tuple[Any, Any, bool]] = {}
        self.closures = _closures(model.addresses, may_send) if may_send is not None else {}
        # _offer's declarations per (group, whether the keys only take a message out):
        # the same lists for every state, so built once (dataclasses.replace per
        # candidate cost a tenth of the candidates' check)
        self._unavailable: tuple[str | None] | None = None
        self._offer_reads: dict[tuple[frozenset[int] | None, bool], tuple[list[Reads], list[Reads]]] = {}
        groups = [frozenset(g) for g in model.partition_groups]
        self.cuttable = {
            (a, b) for a in model.addresses for b in model.addresses
            if any((a in g) != (b in g) for g in groups)
        }

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_canonical"] = {}  # keyed by id: meaningless in another process
        state["_ignores"] = {}
        return state

    def unavailable(self) -> str | None:
        """Why the model cannot be reduced (None: it can); asked at every expansion, so
        worked out once (the declarations are fixed when the footprints are built)."""
        if self._unavailable is None:
            self._unavailable = (self._why_unavailable(),)
        return self._unavailable[0]

    def _why_unavailable(self) -> str | None:
        if self.undeclared:
            return f"propert{'y' if len(self.undeclared) == 1 else 'ies'} {', '.join(map(repr, self.undeclared))} declare no reads"
        if self.model.has_boundary and self.boundary_reads is None:
            return "the boundary declares no reads (ActorModel boundary_reads)"
        if not self.closures and self.ignores_forever is None and not self.history_quotient:
            return (
                "the model declares neither may_send nor ignores_forever, and some property "
                "reads the order of the history: no action is independent"
            )
        return None

    # -- the history quotient -----------------------------------------------------------

    def quotient(self, world: World) -> World:
        """``world`` with each run of adjacent history events of one kind in a canonical
        order, when every property reads the history only up to precedence (else, and
        for a world that broke a transition property, ``world`` itself)."""
        if not self.history_quotient or type(world) is not World or len(world.history) < 2:
            return world
        history = world.history
        entry = self._canonical.get(id(history))
        if entry is None or entry[0] is not history:
            canonical = canonical_history(history)
            if canonical != history:
                canonical = self.model.memo.states.canon(canonical)
            else:
                canonical = history
            if len(self._canonical) >= 100_000:
                self._canonical.clear()
            entry = self._canonical[id(history)] = (history, canonical)
        canonical = entry[1]
        return world if canonical is history else world._replace(history=canonical)

    # -- views ------------------------------------------------------------------------

    def unchanged(self, reads: Sequence[Reads], world: World, nxt: World) -> bool:
        """Whether ``nxt`` shows every view in ``reads`` as ``world`` does."""
        if type(nxt) is not type(world):
            return False  # e.g. a step that broke a transition property
        for r in reads:
            if r.history and nxt.history != world.history:
                return False
            if r.network and nxt.network != world.network:
                return False
            if r.faults and (
                nxt.crashed != world.crashed or nxt.isolated != world.isolated
                or nxt.budgets != world.budgets or nxt.timers != world.timers
                or nxt.fires_left != world.fires_left
            ):
                return False
        views = [(r.node, r.addresses) for r in reads if r.node is not None]
        if views:
            addresses = self.model.addresses
            for i, (old, new) in enumerate(zip(world.actors, nxt.actors, strict=True)):
                if old is not new:
                    address = addresses[i]
                    for view, read in views:
                        if (read is None or address in read) and view(address, old) != view(address, new):
                            return False
        return True

    def boundary_invisible(self, world: World, nxt: World) -> bool:
        reads = self.boundary_reads
        return reads is None or self.unchanged((reads,), world, nxt)

    # -- candidates -------------------------------------------------------------------

    def ample_sets(self, world: World, actions: Sequence[Any]) -> list[Ample]:
        """Every candidate persistent set of ``world``, smallest first."""
        cache: dict[int, World] = {}
        next_state = self.model.next_state

        def successor(p: int) -> World:
            nxt = cache.get(p)
            if nxt is None:
                found = next_state(world, actions[p])
                assert found is not None, "actor actions are enabled by construction"
                nxt = cache[p] = found
            return nxt

        out = list(self._ignored(world, actions, successor)) if self.ignores_forever is not None else []
        if self.closures:
            out.extend(self._closed(world, actions, successor))
        if len(out) > 1:
            out.sort(key=lambda a: len(a.positions))
        return out

    def uncovered(self, group: frozenset[int] | None) -> list[Reads]:
        """The declarations of the properties a path can break (or witness, or end a run
        on) without an action of a node in ``group``: a key step taken instead of such a
        path must leave their views alone. None: no group (every property)."""
        if group is None:
            return self.prop_reads
        boundary = self.model.has_boundary
        return [
            r for r, kind in zip(self.prop_reads, self.prop_kinds, strict=True)
            if r.addresses is None or not r.addresses <= group or r.network or r.faults
            or (kind == "final" and boundary)
        ]

    def offer_reads(self, group: frozenset[int] | None, removes_only: bool) -> tuple[list[Reads], list[Reads]]:
        """What a candidate's keys must leave alone: the declarations of the properties
        a path outside ``group`` can break (:meth:`uncovered`), and those of them not
        judged in quiescent worlds only (for a key delivery); with the network read
        message by message dropped when the keys only take a message out."""
        found = self._offer_reads.get((group, removes_only))
        if found is None:
            found = self._offer_reads[(group, removes_only)] = _key_reads(self.uncovered(group), removes_only)
        return found

    def _offer(
        self, world: World, actions: Sequence[Any], positions: list[int], keys: Iterable[int],
        successor: Callable[[int], World], group: frozenset[int] | None = None,
        removes_only: bool = False,
    ) -> Ample | None:
        """The candidate of ``positions`` if its actions pass the checks, else None."""
        positions.sort()
        successors = tuple(successor(p) for p in positions)
        for nxt in successors:
            if nxt.history is not world.history and nxt.history != world.history:
                return None  # appends are ordered against every other append
            if not self.boundary_invisible(world, nxt):
                return None
        key_set = set(keys)
        reads, active = self.offer_reads(group, removes_only)
        key_indices = tuple(
            j for j, p in enumerate(positions)
            if p in key_set and self.unchanged(
                active if actions[p].kind == "deliver" else reads, world, successors[j]
            )
        )
        if not key_indices:
            return None
        # Keys that only take a message out need no proviso when no closure is offered:
        # each one leaves one message fewer in flight, so a chain of them ends (the
        # measure of docs/por.md, "Stale replica messages"); closures' keys need ranks.
        free = removes_only and not self.closures
        return Ample(tuple(positions), successors, key_indices, proviso=bool(reads) and not free, free=free)

    def _ignored(
        self, world: World, actions: Sequence[Any], successor: Callable[[int], World]
    ) -> Iterable[Ample]:
        model, ignores, known = self.model, self.ignores_forever, self._ignores
        assert ignores is not None
        # (the hot loop of every expansion: locals, the tuple unpacked at once)
        index, actors, lookup = model.index, world.actors, known.get
        for p, action in enumerate(actions):
            if action.kind != "deliver":
                continue
            src, dst, msg, _ = action
            i = index[dst]
            state = actors[i]
            key = (i, id(state), src, id(msg))
            entry = lookup(key)
            if entry is None or entry[0] is not state or entry[1] is not msg:
                if len(known) >= 100_000:
                    known.clear()
                entry = known[key] = (state, msg, ignores(dst, state, src, msg))
            if not entry[2]:
                continue
            nxt = successor(p)
            if not (nxt.actors[i] == world.actors[i] and nxt.timers == world.timers
                    and nxt.history is world.history and type(nxt) is type(world)
                    and nxt.network == model.net.remove(world.network, src, dst, msg)):
                continue  # not ignored after all: the declaration is wrong here
            positions = [p] + [
                q for q, other in enumerate(actions)
                if other.kind in ("drop", "dup") and (other[0], other[1], other[2]) == (src, dst, msg)
            ]
            ample = self._offer(world, actions, positions, (p,), successor, removes_only=True)
            if ample is not None:
                yield ample

    def _closed(
        self, world: World, actions: Sequence[Any], successor: Callable[[int], World]
    ) -> Iterable[Ample]:
        owners = [owner(a) for a in actions]
        healing = [p for p, a in enumerate(actions) if a.kind == "heal"]
        cut_possible = not world.isolated and world.budgets[PARTITION] > 0
        seen: set[frozenset[int]] = set()
        for node in self.model.addresses:
            group = self.closures.get(node)
            if group is None or group in seen or node not in owners:
                continue
            seen.add(group)
            positions = [p for p, o in enumerate(owners) if o is not None and o in group] + healing
            keys = [
                p for p in positions
                if actions[p].kind in ("timer", "restart")
                or (actions[p].kind == "deliver"
                    and not (cut_possible and (actions[p][0], actions[p][1]) in self.cuttable))
            ]
            ample = self._offer(world, actions, positions, keys, successor, group)
            if ample is not None:
                yield ample


def _key_reads(reads: list[Reads], removes_only: bool) -> tuple[list[Reads], list[Reads]]:
    """(what a key must leave alone, what a key delivery must) of ``reads``: see
    :meth:`Footprints.offer_reads`."""
    # A key delivery is still enabled (or, ignored, still in flight) at the end of any
    # path outside the set: a property of quiescent worlds holds there.
    active = [r for r in reads if not r.quiescent_only]
    if removes_only:
        # The keys only take a message out (ignored deliveries): a property that judges
        # messages one by one, each for good once passed, loses no failure.
        reads = [_without_network(r) if r.network_per_message else r for r in reads]
        active = [_without_network(r) if r.network_per_message else r for r in active]
    return reads, active


def _without_network(reads: Reads) -> Reads:
    return dataclasses.replace(reads, network=False, network_per_message=False)


def _closures(
    addresses: Sequence[int], may_send: Mapping[int, Iterable[int]]
) -> dict[int, frozenset[int]]:
    """Per address ``i``: ``i`` and every node that can reach it in the ``may_send`` graph
    (an address missing from ``may_send`` may send to anyone). Closures that take every
    node reduce nothing and are left out."""
    senders: dict[int, set[int]] = {a: set() for a in addresses}
    for a in addresses:
        targets = may_send.get(a)
        for b in (addresses if targets is None else targets):
            if b in senders:
                senders[b].add(a)
    out: dict[int, frozenset[int]] = {}
    everyone = frozenset(addresses)
    for a in addresses:
        group, todo = {a}, [a]
        while todo:
            for k in senders[todo.pop()]:
                if k not in group:
                    group.add(k)
                    todo.append(k)
        if frozenset(group) != everyone:
            out[a] = frozenset(group)
    return out


class Reducible:
    """The partial-order reduction hooks of :class:`~explorer.actors.model.ActorModel`
    (a mixin: the model holds its declarations in ``_por_declarations``)."""

    _por_declarations: tuple[Any, Any, Any]
    _footprints: Footprints | None
    _boundary: Any

    @property
    def footprints(self) -> Footprints:
        """The persistent sets of this model (built on first use: properties may be
        installed after construction)."""
        if self._footprints is None:
            self._footprints = Footprints(self, *self._por_declarations)
        return self._footprints

    def por_unavailable(self) -> str | None:
        return self.footprints.unavailable()

    def por_quotient(self, state: World) -> World:
        return self.footprints.quotient(state)

    def quotient_model(self) -> Any:
        """This model when the history quotient is off (the quotient is the identity),
        else a shallow copy whose fingerprints are in quotient mode
        (explorer/actors/fingerprints.py): its own fingerprint caches, everything else
        (the steps' memo, these footprints) shared, since it computes the same."""
        if not self.footprints.history_quotient:
            return self
        model: Any = self
        twin = copy.copy(model)
        twin.fingerprints = WorldFingerprints(len(model.addresses), model.net, canonical=canonical_history)
        return twin

    def ample_sets(self, state: World, actions: Sequence[Any]) -> list[Ample] | None:
        footprints = self.footprints
        if footprints.unavailable() is not None:
            return None
        return footprints.ample_sets(state, actions)

    @property
    def has_boundary(self) -> bool:
        """Whether a state constraint (``boundary``) is installed."""
        return self._boundary is not None

"""The caches that make the actor world cheap: identity caches, interning, memoised steps.

Worlds share almost all of their parts with their parent (every actor but one, most of
the network), and the parts repeat across worlds far more than worlds do: the default
Multi-Paxos check (195,002 worlds) meets 470 distinct actor states and 1,460 distinct
node steps. So the actor model

- *interns* the node states the nodes return (:class:`Interner`: one object per value),
- *memoises* node steps by the identity of their inputs (:class:`IdCache`): a node is a
  pure function of (state, event), so the same inputs give the same outputs, and
- computes each part's fingerprint once, by identity (explorer/actors/fingerprints.py).

Every cache keyed by ``id`` keeps the object alive beside its value and checks it with
``is``, so an id is never mistaken for another object's; every cache is bounded (it is
emptied when full, which only costs recomputation).
"""

from __future__ import annotations

from typing import Any

from explorer.actors.network import Network
from explorer.actors.world import World
from paxos_core.events import Send

__all__ = ["IdCache", "Interner", "StepMemo", "adopt_world"]


class IdCache:
    """Values computed from objects, by the objects' identity (never by equality: equal
    values can differ in ``repr``, e.g. ``1 == True``, and fingerprints follow ``repr``)."""

    __slots__ = ("entries", "limit")

    def __init__(self, limit: int = 200_000) -> None:
        self.entries: dict[int, tuple[Any, Any]] = {}
        self.limit = limit

    def get(self, obj: Any) -> Any:
        """The value stored for ``obj`` itself, or None."""
        entry = self.entries.get(id(obj))
        if entry is not None and entry[0] is obj:
            return entry[1]
        return None

    def put(self, obj: Any, value: Any) -> None:
        if len(self.entries) >= self.limit:
            self.entries.clear()
        self.entries[id(obj)] = (obj, value)

    def __len__(self) -> int:
        return len(self.entries)


class Interner:
    """One canonical object per value (of the same ``repr``), so that identity caches
    hit for equal values reached by different paths.

    Values that are unhashable, or equal to an interned value of a different ``repr``
    (``(1,) == (True,)``), are returned as they are.
    """

    __slots__ = ("table", "limit")

    def __init__(self, limit: int = 200_000) -> None:
        self.table: dict[Any, Any] = {}
        self.limit = limit

    def canon(self, obj: Any) -> Any:
        try:
            known = self.table.get(obj)
        except TypeError:  # unhashable: nothing to share
            return obj
        if known is None:
            if len(self.table) >= self.limit:
                self.table.clear()
            self.table[obj] = obj
            return obj
        if known is obj or repr(known) == repr(obj):
            return known
        return obj

    def __len__(self) -> int:
        return len(self.table)


Step = tuple[Any, tuple[Any, ...]]  # (new state, outputs)


class StepMemo:
    """Node steps memoised by the identity of their inputs; new states interned.

    A node is a pure function (paxos_core/events.py): ``on_message(me, state, src, msg)``
    and ``on_timer(me, state, name)`` give the same result for the same inputs, so a step
    taken before is looked up rather than run again. The key holds the address index and
    the ids of the state and the message; the entry keeps both objects and is used only
    when they are the very objects given (``is``).
    """

    __slots__ = ("steps", "states", "outputs", "messages", "adopted", "limit")

    def __init__(self, limit: int = 200_000) -> None:
        self.steps: dict[tuple[Any, ...], tuple[Any, Any, Step]] = {}
        self.states = Interner(limit)
        # outputs too: the messages they send are then shared, and so are the steps
        # that receive them
        self.outputs = Interner(limit)
        self.messages = Interner(limit)
        self.adopted = IdCache(limit)  # objects from another process -> canonical ones
        self.limit = limit

    def canon(self, step: Step) -> Step:
        """``(state, outputs)`` with both interned, and the messages sent."""
        given = step[1]
        outputs = self.outputs.canon(given)
        if outputs is given and any(type(o) is Send for o in given):
            # new outputs: the messages they send are made the canonical ones
            message = self.messages.canon
            outputs = tuple([Send(o.dst, message(o.msg)) if type(o) is Send else o for o in given])
            self.outputs.table[given] = outputs
        return self.states.canon(step[0]), outputs

    def adopt(self, obj: Any, interner: Interner) -> Any:
        """The canonical object equal to ``obj`` (unpickled from another process), by
        identity first: one batch of states shares its parts, so each is hashed once."""
        known = self.adopted.get(obj)
        if known is None:
            known = interner.canon(obj)
            self.adopted.put(obj, known)
        return known

    def _store(self, key: tuple[Any, ...], state: Any, arg: Any, step: Step) -> Step:
        step = self.canon(step)
        if len(self.steps) >= self.limit:
            self.steps.clear()
        self.steps[key] = (state, arg, step)
        return step

    def message(self, node: Any, i: int, me: int, state: Any, src: int, msg: Any) -> Step:
        key = (i, id(state), src, id(msg))
        entry = self.steps.get(key)
        if entry is not None and entry[0] is state and entry[1] is msg:
            return entry[2]
        return self._store(key, state, msg, node.on_message(me, state, src, msg))

    def timer(self, node: Any, i: int, me: int, state: Any, name: str) -> Step:
        key = (i, id(state), name)
        entry = self.steps.get(key)
        if entry is not None and entry[0] is state:
            return entry[2]
        return self._store(key, state, name, node.on_timer(me, state, name))

    def restart(self, node: Any, i: int, me: int, state: Any) -> Step:
        key = (i, id(state))
        entry = self.steps.get(key)
        if entry is not None and entry[0] is state:
            return entry[2]
        return self._store(key, state, None, node.on_restart(me, state))

    def crash(self, node: Any, i: int, me: int, state: Any) -> Any:
        key = (i, id(state), None, None, None)
        entry = self.steps.get(key)
        if entry is not None and entry[0] is state:
            return entry[2][0]
        return self._store(key, state, None, (node.on_crash(me, state), ()))[0]


def adopt_world(memo: StepMemo, net: Network, world: World) -> World:
    """``world`` (unpickled from another process) with this process's canonical node
    states, messages and history, so the memoised steps and fingerprints apply to it."""
    adopt, states, messages = memo.adopt, memo.states, memo.messages
    actors = tuple([adopt(a, states) for a in world.actors])
    network = net.adopted(world.network, lambda m: adopt(m, messages))
    cls = type(world)
    adopted = tuple.__new__(
        cls,
        (actors, world.crashed, world.timers, network, world.isolated, world.budgets,
         world.fires_left, adopt(world.history, states)),
    )
    if cls is not World:  # a subclass (e.g. a broken step) keeps its data
        adopted.__dict__.update(world.__dict__)
    return adopted

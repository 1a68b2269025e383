"""The world of an actor system and the actions that change it.

One immutable, canonical, hashable :class:`World` per system state:

- ``actors``: each address's node state, in address order (a crashed server keeps the
  durable part that its ``on_crash`` returned);
- ``crashed``: sorted addresses of crashed servers;
- ``timers``: per address, the sorted names of its armed timers;
- ``network``: messages in flight, in the representation of the network semantics
  (explorer/actors/network.py);
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

import json
from collections.abc import Callable
from typing import Any, NamedTuple, Protocol

from paxos_core.events import Invoke

ACTION_KINDS = ("deliver", "drop", "dup", "timer", "crash", "restart", "partition", "heal")


class Node(Protocol):
    """The node contract of ``paxos_core/events.py`` (state in, state and outputs out)."""

    def on_start(self, me: int) -> tuple[Any, tuple[Any, ...]]: ...

    def on_message(self, me: int, state: Any, src: int, msg: Any) -> tuple[Any, tuple[Any, ...]]: ...

    def on_timer(self, me: int, state: Any, timer: str) -> tuple[Any, tuple[Any, ...]]: ...

    def on_crash(self, me: int, state: Any) -> Any: ...

    def on_restart(self, me: int, state: Any) -> tuple[Any, tuple[Any, ...]]: ...


class ReprCache:
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


REPRS = ReprCache()


def tuple_text(items: tuple[Any, ...]) -> str:
    """``repr(items)``, rendering each item through the cache (lookup inlined: hot)."""
    entries = REPRS.entries
    parts = []
    for x in items:
        entry = entries.get(id(x))
        parts.append(entry[1] if entry is not None and entry[0] is x else REPRS.text(x))
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
        text = REPRS.text
        return (
            f"World(actors={tuple_text(self.actors)}, crashed={self.crashed!r}, "
            f"timers={text(self.timers)}, network={tuple_text(self.network)}, "
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



def replace_at(items: tuple[Any, ...], i: int, value: Any) -> tuple[Any, ...]:
    """``items`` with position ``i`` set to ``value``."""
    return (*items[:i], value, *items[i + 1 :])


def without(names: tuple[str, ...], name: str) -> tuple[str, ...]:
    """The timer names ``names`` (sorted, each once) without ``name`` (hot: a slice, no
    generator)."""
    try:
        k = names.index(name)
    except ValueError:
        return names
    return names[:k] + names[k + 1 :]


def action_label(action: ActorAction, format_message: Callable[[Any], str]) -> str:
    """The label of an action, as traces and the command line spell it
    (``deliver 0->1 Prepare(...)``, ``timer 3 retry``, ``partition 0,1``)."""
    act: Any = action
    kind = act.kind
    if kind in ("deliver", "drop", "dup"):
        src, dst, msg = act[0], act[1], act[2]
        return f"{kind} {src}->{dst} {format_message(msg)}"
    if kind == "timer":
        return f"timer {act.node} {act.timer}"
    if kind in ("crash", "restart"):
        return f"{kind} {act[0]}"
    group = act[0]
    return f"{kind} {','.join(str(a) for a in group)}"


def history_events(history: tuple[Any, ...]) -> list[dict[str, Any]]:
    """A world's client history (``Invoke`` / ``Complete`` outputs) as JSON-able events."""
    events: list[dict[str, Any]] = []
    for ev in history:
        if isinstance(ev, Invoke):
            events.append(
                {"type": "invoke", "client": ev.client, "seq": ev.seq, "op": to_jsonable(ev.op)}
            )
        else:
            events.append(
                {"type": "complete", "client": ev.client, "seq": ev.seq, "result": to_jsonable(ev.result)}
            )
    return events

"""The parts of an actor world and of its actions, by name (for coverage and the sanitizer).

Groups (together they make up the whole :class:`~explorer.actors.world.World`): each
server's state (``node 0``), each client's (``client 3``), ``network``, ``timers``,
``history``, ``crashed``, ``isolated``, ``budgets`` (faults left) and ``fires_left``
(timer firings left). Fields: each leaf of each node state (``node 0.durable.promised``,
through nested NamedTuples and dataclasses), each node's armed timers (``timers 0``),
and the other groups whole. An action's class is its kind with the message type or
timer name (``deliver Promise``, ``timer election``); its node is the receiver of a
message, the owner of a timer, the node that crashes or restarts.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from typing import Any

from explorer.actors.model import ActorModel
from explorer.actors.world import World
from explorer.engine.components import Components, GenericComponents, leaves
from explorer.engine.model import Model

_WORLD_GROUPS = ("network", "timers", "history", "crashed", "isolated", "budgets", "fires_left")

_GROUP_WORDS = {
    "network": "the network (messages in flight)",
    "timers": "the armed timers",
    "history": "the client history",
    "crashed": "the set of crashed nodes",
    "isolated": "the partition",
    "budgets": "the fault budget left",
    "fires_left": "the count of timer firings left",
}

#: a string message longer than this is named by its type in action classes
_SHORT_MESSAGE = 24


class WorldComponents(Components):
    """Names the parts of an :class:`ActorModel`'s worlds and actions."""

    def __init__(self, model: ActorModel) -> None:
        self.model = model
        self.names = tuple(
            f"node {a}" if a in model.servers else f"client {a}" for a in model.addresses
        )

    def groups(self, state: World) -> list[tuple[str, Hashable]]:
        parts: list[tuple[str, Hashable]] = list(zip(self.names, state.actors, strict=True))
        parts.extend((name, getattr(state, name)) for name in _WORLD_GROUPS)
        return parts

    def fields(self, state: World) -> Iterator[tuple[str, Hashable]]:
        for name, actor in zip(self.names, state.actors, strict=True):
            yield from leaves(name, actor)
        for address, names in zip(self.model.addresses, state.timers, strict=True):
            yield f"timers {address}", names
        for name in _WORLD_GROUPS:
            if name != "timers":
                yield name, getattr(state, name)

    def action_info(self, action: Any) -> tuple[str, str | None]:
        kind = action.kind
        if kind in ("deliver", "drop", "dup"):
            msg = action.msg
            what = msg if isinstance(msg, str) and len(msg) <= _SHORT_MESSAGE else type(msg).__name__
            return f"{kind} {what}", str(action.dst)
        if kind == "timer":
            return f"timer {action.timer}", str(action.node)
        if kind in ("crash", "restart"):
            return kind, str(action.node)
        return kind, None

    def describe_group(self, name: str) -> str:
        if name in _GROUP_WORDS:
            return _GROUP_WORDS[name]
        return f"{name}'s state"


def components_for(model: Model[Any, Any]) -> Components:
    """The components of ``model``: world parts for an actor model, generic otherwise."""
    if isinstance(model, ActorModel):
        return WorldComponents(model)
    return GenericComponents(model)

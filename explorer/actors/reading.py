"""Reading an actor world: node states by address, messages in flight, the history.

What properties, traces, diagrams and the explorer page read; mixed into
:class:`explorer.actors.model.ActorModel`, which supplies the addresses and the network
semantics.
"""

from __future__ import annotations

from typing import Any

from explorer.actors.network import Network
from explorer.actors.world import World, history_events


class WorldReading:
    """World readers for a model with ``index``, ``servers`` and ``net``."""

    index: dict[int, int]
    servers: tuple[int, ...]
    net: Network

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
        return self.net.in_flight(world.network)

    def history(self, world: World) -> list[dict[str, Any]]:
        """The client history as JSON-able events, in order."""
        return history_events(world.history)

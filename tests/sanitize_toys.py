"""Toy models with one source of nondeterminism each, for the sanitizer's tests.

Loaded as ``--model tests.sanitize_toys:Name`` (the sanitizer's subprocesses rebuild them
that way). Each is a counter 0..3 whose successor also carries a value that should be a
function of the state and is not:

- ``Clock``: the time (``time.perf_counter_ns``);
- ``Dice``: a draw from the ``random`` module;
- ``SetOrder``: the iteration order of a frozenset of strs (depends on PYTHONHASHSEED);
- ``StrHash``: ``hash()`` of a str (depends on PYTHONHASHSEED);
- ``ActionOrder``: no bad value, but the enabled actions come in a set's order;
- ``Clean``: nothing (sorted, so the same everywhere);
- ``GossipSet``: an actor model whose node 1 keeps, as a tuple, the iteration order of a
  set of strs (so the sanitizer must name the actor and the field).
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from typing import Any, NamedTuple

from explorer.actors import ActorModel
from explorer.engine.model import Model, Property
from explorer.models.config import CheckConfig
from paxos_core.events import Send

NAMES = frozenset({"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"})


class _Counter(Model[tuple[int, Any], str]):
    name = "toy"

    def __init__(self, config: CheckConfig | None = None) -> None:
        self._config = config or CheckConfig(model=f"tests.sanitize_toys:{type(self).__name__}")

    def init_states(self) -> Sequence[tuple[int, Any]]:
        return [(0, None)]

    def actions(self, state: tuple[int, Any]) -> list[str]:
        return ["step"] if state[0] < 3 else []

    def extra(self) -> Any:
        raise NotImplementedError

    def next_state(self, state: tuple[int, Any], action: str) -> tuple[int, Any]:
        return (state[0] + 1, self.extra())

    def format_action(self, action: str) -> str:
        return action

    def properties(self) -> Sequence[Property[tuple[int, Any]]]:
        return [Property.always("small", lambda s: s[0] <= 3)]

    def config(self) -> dict[str, Any]:
        return self._config.to_json()


class Clock(_Counter):
    def extra(self) -> Any:
        return time.perf_counter_ns()


class Dice(_Counter):
    def extra(self) -> Any:
        return random.random()


class SetOrder(_Counter):
    def extra(self) -> Any:
        return tuple(NAMES)


class StrHash(_Counter):
    def extra(self) -> Any:
        return hash("synod") & 0xFFFF


class ActionOrder(_Counter):
    def actions(self, state: tuple[int, Any]) -> list[str]:
        return list(NAMES) if state[0] < 3 else []

    def extra(self) -> Any:
        return None


class Clean(_Counter):
    def extra(self) -> Any:
        return tuple(sorted(NAMES))


class Peers(NamedTuple):
    heard: int
    order: tuple[str, ...]


class PingNode:
    """Node 0 pings node 1 once; node 1 records the order it would greet its peers in."""

    def on_start(self, me: int) -> tuple[Any, tuple[Any, ...]]:
        return Peers(0, ()), ((Send(1, "ping"),) if me == 0 else ())

    def on_message(self, me: int, state: Any, src: int, msg: Any) -> tuple[Any, tuple[Any, ...]]:
        return Peers(state.heard + 1, tuple(NAMES)), ()

    def on_timer(self, me: int, state: Any, timer: str) -> tuple[Any, tuple[Any, ...]]:
        return state, ()

    def on_crash(self, me: int, state: Any) -> Any:
        return state

    def on_restart(self, me: int, state: Any) -> tuple[Any, tuple[Any, ...]]:
        return state, ()


def GossipSet(config: CheckConfig) -> ActorModel:
    return ActorModel(
        {0: PingNode(), 1: PingNode()},
        servers=(0, 1),
        faults=config.faults,
        name="gossip-set",
        config_data=config.to_json(),
    )

"""Small protocols for testing the actor adapter without paxos_core.

``CounterServer`` counts Inc requests and acknowledges each; ``RetryClient`` sends one
Inc to server 0, retries on its timer until acknowledged. With a retry or a duplicate the
server counts twice: the classic at-least-once bug, a violation the explorer must find.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from paxos_core.events import CancelTimer, Complete, Invoke, Send, SetTimer


class Inc(NamedTuple):
    client: int


class Ack(NamedTuple):
    count: int


class ServerState(NamedTuple):
    count: int  # durable
    acks: int  # volatile


class CounterServer:
    def on_start(self, me: int) -> tuple[Any, tuple[Any, ...]]:
        return ServerState(0, 0), ()

    def on_message(self, me: int, state: Any, src: int, msg: Any) -> tuple[Any, tuple[Any, ...]]:
        if isinstance(msg, Inc):
            count = state.count + 1
            return ServerState(count, state.acks + 1), (Send(src, Ack(count)),)
        return state, ()

    def on_timer(self, me: int, state: Any, timer: str) -> tuple[Any, tuple[Any, ...]]:
        return state, ()

    def on_crash(self, me: int, state: Any) -> Any:
        return ServerState(state.count, 0)

    def on_restart(self, me: int, state: Any) -> tuple[Any, tuple[Any, ...]]:
        return state, ()


class ClientState(NamedTuple):
    done: bool


class RetryClient:
    def __init__(self, server: int = 0, retry: bool = True) -> None:
        self.server = server
        self.retry = retry

    def on_start(self, me: int) -> tuple[Any, tuple[Any, ...]]:
        outs: tuple[Any, ...] = (Invoke(me, 1, ("inc",)), Send(self.server, Inc(me)))
        if self.retry:
            outs += (SetTimer("retry"),)
        return ClientState(False), outs

    def on_message(self, me: int, state: Any, src: int, msg: Any) -> tuple[Any, tuple[Any, ...]]:
        if isinstance(msg, Ack) and not state.done:
            return ClientState(True), (CancelTimer("retry"), Complete(me, 1, msg.count))
        return state, ()

    def on_timer(self, me: int, state: Any, timer: str) -> tuple[Any, tuple[Any, ...]]:
        if state.done:
            return state, ()
        return state, (Send(self.server, Inc(me)), SetTimer("retry"))

    def on_crash(self, me: int, state: Any) -> Any:
        raise AssertionError("clients never crash")

    def on_restart(self, me: int, state: Any) -> tuple[Any, tuple[Any, ...]]:
        raise AssertionError("clients never restart")


class Gossip(NamedTuple):
    value: int


class GossipNode:
    """Every node broadcasts its id once at start and remembers the largest id heard."""

    def __init__(self, peers: tuple[int, ...]) -> None:
        self.peers = peers

    def on_start(self, me: int) -> tuple[Any, tuple[Any, ...]]:
        return me, tuple(Send(p, Gossip(me)) for p in self.peers if p != me)

    def on_message(self, me: int, state: Any, src: int, msg: Any) -> tuple[Any, tuple[Any, ...]]:
        return max(state, msg.value), ()

    def on_timer(self, me: int, state: Any, timer: str) -> tuple[Any, tuple[Any, ...]]:
        return state, ()

    def on_crash(self, me: int, state: Any) -> Any:
        return me

    def on_restart(self, me: int, state: Any) -> tuple[Any, tuple[Any, ...]]:
        return state, tuple(Send(p, Gossip(state)) for p in self.peers if p != me)

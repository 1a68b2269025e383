"""A sans-IO client: issues its fixed list of operations one at a time and records them.

Client address ``c`` (``c >= nodes``) runs ``config.ops_of(c)``. Its sequence numbers are
1, 2, ...: op ``k`` (0-based) is sent as ``Request(c, k + 1, op)``.

Timers (one-shot; the driver disarms a timer when it fires):

- ``"next"``: armed while an operation is left and none is outstanding; firing it
  starts the next operation (``Invoke`` output, Request sent, ``"retry"`` armed).
- ``"retry"``: armed while an operation is outstanding; firing it re-sends the same
  request (same seq) to the next replica in turn, since the current one may be down.

A ``Reply`` for the outstanding seq completes it (``Complete`` output) and remembers the
replica that answered as the leader; a ``Redirect`` names the leader to try instead.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from paxos_core.config import ClusterConfig
from paxos_core.events import CancelTimer, Complete, Invoke, Output, Outputs, Send, SetTimer
from paxos_core.messages import Redirect, Reply, Request


class ClientState(NamedTuple):
    """``issued``: ops started (the outstanding one is seq ``issued``); ``target``: replica to ask."""

    issued: int = 0
    outstanding: bool = False
    target: int = 0


class ClientNode:
    """Node class of a client; holds configuration only."""

    def __init__(self, config: ClusterConfig) -> None:
        self.config = config
        self.first_target = 0 if config.initial_leader is None else config.initial_leader

    def on_start(self, me: int) -> tuple[ClientState, Outputs]:
        """Arm ``"next"`` if the client has anything to do."""
        out: Outputs = (SetTimer("next"),) if self.config.ops_of(me) else ()
        targets = self.config.client_targets
        first = self.first_target if targets is None else targets[me - self.config.nodes]
        return ClientState(target=first), out

    def on_crash(self, me: int, state: ClientState) -> ClientState:
        """A client keeps its progress (its outstanding op's outcome stays unknown until answered)."""
        return state

    def on_restart(self, me: int, state: ClientState) -> tuple[ClientState, Outputs]:
        """Resume: retry the outstanding op, or arm ``"next"``."""
        if state.outstanding:
            return state, (SetTimer("retry"),)
        if state.issued < len(self.config.ops_of(me)):
            return state, (SetTimer("next"),)
        return state, ()

    def _request(self, me: int, state: ClientState) -> Send:
        op = self.config.ops_of(me)[state.issued - 1]
        return Send(state.target, Request(me, state.issued, op))

    def on_timer(self, me: int, state: ClientState, timer: str) -> tuple[ClientState, Outputs]:
        """``"next"`` starts the next op; ``"retry"`` re-sends the outstanding one elsewhere."""
        ops = self.config.ops_of(me)
        if timer == "next" and not state.outstanding and state.issued < len(ops):
            state = state._replace(issued=state.issued + 1, outstanding=True)
            op = ops[state.issued - 1]
            return state, (Invoke(me, state.issued, op), self._request(me, state), SetTimer("retry"))
        if timer == "retry" and state.outstanding:
            state = state._replace(target=(state.target + 1) % self.config.nodes)
            return state, (self._request(me, state), SetTimer("retry"))
        return state, ()

    def on_message(self, me: int, state: ClientState, src: int, msg: Any) -> tuple[ClientState, Outputs]:
        """Complete on the matching Reply; follow a Redirect to the named leader."""
        if not state.outstanding:
            return state, ()
        if isinstance(msg, Reply) and msg.seq == state.issued:
            state = state._replace(outstanding=False, target=src)
            out: list[Output] = [Complete(me, msg.seq, msg.result), CancelTimer("retry")]
            if state.issued < len(self.config.ops_of(me)):
                out.append(SetTimer("next"))
            return state, tuple(out)
        if isinstance(msg, Redirect) and msg.seq == state.issued and msg.leader is not None and msg.leader != state.target:
            state = state._replace(target=msg.leader)
            return state, (self._request(me, state),)
        return state, ()

"""Outputs of a sans-IO node, and the shape every node follows.

A node is a pure state machine (the h11 style): the driver (the explorer, a test's
scheduler, or a real runtime) feeds it one input at a time and carries out the outputs
it returns. Nothing in ``paxos_core`` reads a clock, a socket or a random source.

Addresses are ints: replicas are ``0 .. n-1`` and clients are numbered after them
(``n, n+1, ...``). Messages are NamedTuples made only of ints, strs, bools, None and
tuples, so states and messages are hashable and their ``repr`` is canonical.

Every node class (``paxos_core`` replicas and clients, and a user's own actors checked
by the explorer) offers the same five methods; state is passed in and returned, never
kept on the object, which only holds configuration::

    on_start(self, me)                     -> (state, outputs)
    on_message(self, me, state, src, msg)  -> (state, outputs)
    on_timer(self, me, state, timer)       -> (state, outputs)
    on_crash(self, me, state)              -> state      # the durable part only
    on_restart(self, me, state)            -> (state, outputs)  # from the durable part

``outputs`` is a tuple of the values below, applied by the driver in order.
"""

from __future__ import annotations

from typing import Any, NamedTuple


class Send(NamedTuple):
    """Put ``msg`` on the network, addressed to ``dst``."""

    dst: int
    msg: Any


class SetTimer(NamedTuple):
    """Arm the named timer (arming an armed timer keeps it armed once)."""

    name: str


class CancelTimer(NamedTuple):
    """Disarm the named timer, if armed."""

    name: str


class Invoke(NamedTuple):
    """A client began an operation (recorded in the client history)."""

    client: int
    seq: int
    op: tuple[Any, ...]


class Complete(NamedTuple):
    """A client's operation returned ``result`` (recorded in the client history)."""

    client: int
    seq: int
    result: Any


Output = Send | SetTimer | CancelTimer | Invoke | Complete
Outputs = tuple[Output, ...]

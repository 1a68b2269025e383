"""Read-only views of node states for properties and drivers (work on Basic and Multi states).

A crashed node's state has ``volatile is None``; views of volatile parts then return the
empty value (no applied log, not leader).
"""

from __future__ import annotations

from typing import Any

from paxos_core.basic import BasicState
from paxos_core.client import ClientState
from paxos_core.common import Vote
from paxos_core.kv import KVState
from paxos_core.messages import BOTTOM, Ballot
from paxos_core.multi import LEADER, MultiState

ReplicaState = BasicState | MultiState


def promised_ballot(state: ReplicaState) -> Ballot:
    """The ballot this acceptor promised (:data:`BOTTOM` if none)."""
    return state.durable.promised


def votes_cast(state: ReplicaState) -> tuple[Vote, ...]:
    """Ghost: every ``(slot, ballot, value)`` this acceptor ever accepted (Basic: slot 0)."""
    return state.durable.votes


def learned(state: ReplicaState) -> tuple[tuple[int, Any], ...]:
    """Values this replica learned as chosen, ``((slot, value), ...)`` by slot (durable)."""
    if isinstance(state, BasicState):
        value = state.durable.learned
        return () if value is None else ((0, value),)
    return state.durable.decided


def applied_log(state: ReplicaState) -> tuple[Any, ...]:
    """The commands this replica applied to its state machine, in the order applied.

    Basic Paxos: the learned value (a log of one). Multi-Paxos: no-ops included.
    """
    if isinstance(state, BasicState):
        value = state.durable.learned
        return () if value is None else (value,)
    if state.volatile is None:
        return ()
    decided = dict(state.durable.decided)
    return tuple(decided[s] for s in state.volatile.applied)


def leader_belief(state: ReplicaState) -> int | None:
    """The replica this one believes leads: the owner of its promised ballot (None if none)."""
    promised = state.durable.promised
    return None if promised == BOTTOM else promised[1]


def is_leader(state: ReplicaState) -> bool:
    """Whether this replica is an elected Multi-Paxos leader (phase 1 done); Basic: never."""
    return isinstance(state, MultiState) and state.volatile is not None and state.volatile.role == LEADER


def kv_state(state: ReplicaState) -> KVState | None:
    """The replica's KV store (None: Basic Paxos or crashed)."""
    if isinstance(state, MultiState) and state.volatile is not None:
        return state.volatile.kv
    return None


def kv_replies(state: ReplicaState) -> tuple[tuple[int, int, Any], ...]:
    """The at-most-once table: ``((client, last seq applied, reply given), ...)``."""
    store = kv_state(state)
    return () if store is None else store.sessions


def max_round(state: Any) -> int:
    """The highest ballot round in a node state (0 for clients); bounds exploration."""
    if isinstance(state, ClientState):
        return 0
    durable = state.durable
    return max(durable.promised[0], durable.round_used)

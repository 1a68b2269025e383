"""The replicated key-value state machine: get / put / cas with at-most-once sessions.

Pure functions over an immutable :class:`KVState`. ``apply`` returns the new state and
the reply. The session table keeps, per client, the last sequence number applied and its
reply, so a retried request (same client and seq) is not applied twice and gets the
stored reply (a Multi-Paxos log may hold the same request twice after a leader change).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from paxos_core.messages import Command


class KVState(NamedTuple):
    """``data``: sorted ``((key, value), ...)``; ``sessions``: sorted ``((client, seq, reply), ...)``."""

    data: tuple[tuple[str, Any], ...] = ()
    sessions: tuple[tuple[int, int, Any], ...] = ()


EMPTY_KV = KVState()


def run_op(data: dict[str, Any], op: tuple[Any, ...]) -> Any:
    """Run ``op`` on the dict ``data`` in place and return its result (the KV semantics)."""
    kind = op[0]
    if kind == "put":
        data[op[1]] = op[2]
        return "ok"
    if kind == "get":
        return data.get(op[1])
    if kind == "cas":
        if data.get(op[1]) == op[2]:
            data[op[1]] = op[3]
            return True
        return False
    if kind == "noop":
        return None
    raise ValueError(f"unknown operation {op!r}")


def session_reply(state: KVState, client: int, seq: int) -> tuple[bool, Any]:
    """``(True, reply)`` if ``(client, seq)`` was applied and its reply stored, else ``(False, None)``."""
    for c, s, reply in state.sessions:
        if c == client:
            return (s == seq, reply if s == seq else None)
    return (False, None)


def last_seq(state: KVState, client: int) -> int:
    """The last sequence number of ``client`` applied (0 if none)."""
    for c, s, _ in state.sessions:
        if c == client:
            return s
    return 0


def apply(state: KVState, cmd: Command, at_most_once: bool = True) -> tuple[KVState, Any]:
    """Apply ``cmd`` once; a retry (seq not above the client's last) returns the stored reply.

    With ``at_most_once=False`` (the ``double-apply-retry`` mutant) every copy is applied.
    """
    if cmd.client < 0:  # no-op
        return state, None
    if at_most_once:
        for c, s, reply in state.sessions:
            if c == cmd.client and s >= cmd.seq:
                return state, (reply if s == cmd.seq else None)
    data = dict(state.data)
    result = run_op(data, cmd.op)
    new_data = tuple(sorted(data.items()))
    if not at_most_once:
        return KVState(new_data, state.sessions), result
    sessions = tuple(sorted((*(e for e in state.sessions if e[0] != cmd.client), (cmd.client, cmd.seq, result))))
    return KVState(new_data, sessions), result

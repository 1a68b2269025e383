"""Quiescence: what a replicated log must look like once nothing more can happen.

A state is *quiescent* when no message is in flight to a live replica and no timer can
fire to any effect: the run has settled. A correct replicated log has then converged,
which no safety invariant says (they all hold in a system where a lagging replica
never learns anything). Judged here over plain data, from any system:

- ``logs``: each live replica's decided log, ``{slot: value}``;
- ``applied``: the commands each live replica applied to its state machine, in order;
- ``acknowledged``: the ``(client, seq)`` of every operation a client was told is done;
- ``command_id``: ``(client, seq)`` of a log value, or None for a no-op.

:func:`quiescence_problems` lists what is wrong: replicas that decided different logs
(one missed a decision it never learned), a hole in the log, a replica that did not
apply what it decided, an acknowledged operation that is not in the log or never took
effect (a later operation of the same client came first: a sequence-number mistake).
With ``converged=False`` (the run lost a message the protocol does not promise to
re-send) only the last check is made, against the longest log.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any

__all__ = ["effective_commands", "quiescence_problems"]

CommandId = tuple[Hashable, int]


def effective_commands(log: Sequence[Any], command_id: Callable[[Any], CommandId | None]) -> list[CommandId]:
    """The commands of ``log`` (in slot order) that take effect under at-most-once
    sessions: a command whose sequence number is not above its client's last one
    applied is a retry's duplicate (or stale) and does nothing."""
    last: dict[Hashable, int] = {}
    effective: list[CommandId] = []
    for value in log:
        key = command_id(value)
        if key is None:
            continue
        client, seq = key
        if seq > last.get(client, 0):
            last[client] = seq
            effective.append(key)
    return effective


def _contiguous(log: Mapping[int, Any]) -> list[Any] | None:
    """The log as a list when its slots are 0..k-1, else None (it has a hole)."""
    if sorted(log) != list(range(len(log))):
        return None
    return [log[s] for s in range(len(log))]


def quiescence_problems(
    logs: Mapping[Any, Mapping[int, Any]],
    applied: Mapping[Any, Sequence[Any]],
    acknowledged: Iterable[CommandId],
    command_id: Callable[[Any], CommandId | None],
    converged: bool = True,
    chosen: Mapping[int, Any] | None = None,
) -> list[str]:
    """What is wrong with a quiescent state (see the module docstring); [] when nothing.

    ``chosen`` (slot -> value, e.g. from acceptors' votes) adds, when ``converged``: every
    live replica learned each chosen slot (with one learner nobody may have learned)."""
    problems: list[str] = []
    if not logs:
        return problems
    if converged and chosen:
        for r in sorted(logs, key=repr):
            missing = sorted(slot for slot in chosen if slot not in logs[r])
            if missing:
                problems.append(f"replica {r!r} never learned chosen slot(s) {missing} at quiescence")
    replicas = sorted(logs, key=repr)
    longest = max((dict(logs[r]) for r in replicas), key=len)
    if converged:
        reference = dict(logs[replicas[0]])
        for r in replicas[1:]:
            if dict(logs[r]) != reference:
                missing = sorted(set(reference) ^ set(logs[r]))
                problems.append(
                    f"replicas {replicas[0]!r} and {r!r} decided different logs at quiescence "
                    f"(slots {missing or 'with different values'}): a missed decision was never learned"
                )
        for r in replicas:
            log = _contiguous(logs[r])
            if log is None:
                problems.append(f"replica {r!r} has a hole in its decided log at quiescence: slots {sorted(logs[r])}")
            elif tuple(applied.get(r, ())) != tuple(log):
                problems.append(
                    f"replica {r!r} applied {len(applied.get(r, ()))} of its {len(log)} decided slots at quiescence"
                )
    full = [longest[s] for s in sorted(longest)]
    effective = set(effective_commands(full, command_id))
    present = {command_id(v) for v in full}
    for key in sorted(set(acknowledged), key=repr):
        if key not in present:
            problems.append(f"operation {key!r} was acknowledged but is not in the decided log")
        elif key not in effective:
            problems.append(
                f"operation {key!r} was acknowledged but never took effect (a later operation of "
                "the same client precedes it in the log)"
            )
    return problems

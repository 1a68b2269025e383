"""Safety properties of Paxos, as pure functions over plain data.

This module judges snapshots of a replicated system described with ints, tuples and
mappings only: it imports neither the explorer nor ``paxos_core``, so it can judge any
Paxos-like system whose state can be projected onto these views (the explorer's
``explorer.models.paxos_properties`` does that for Synod's worlds).

Every check returns a list of problems, each a one-line human-readable description;
an empty list means the property holds. ``holds(...)``-style booleans are just
``not problems``. Properties of *transitions* (stability, promise monotonicity) take the
view before and after one step.

Ballots are any totally ordered values (Synod uses ``(round, node)`` tuples); ``None``
stands for "no ballot yet" and orders below every ballot.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

Slot = int
NodeId = int
#: learned or decided values of one replica: slot -> value
SlotValues = Mapping[Slot, Any]


class Vote(NamedTuple):
    """One vote cast by an acceptor: it accepted ``value`` in ``slot`` at ``ballot``."""

    acceptor: NodeId
    slot: Slot
    ballot: Any
    value: Any


def _ballot_key(ballot: Any) -> tuple[int, Any]:
    # None (never promised) sorts below every real ballot.
    return (0, 0) if ballot is None else (1, ballot)


def _show(value: Any) -> str:
    return repr(value)


def _sorted_values(values: Iterable[Any]) -> list[Any]:
    # Values may be of mixed types (a command tuple and a no-op marker): order by repr
    # so messages are deterministic across processes.
    return sorted(values, key=repr)


# -- agreement and validity -------------------------------------------------------------


def chosen_values(votes: Iterable[Vote], quorum: int) -> dict[Slot, set[Any]]:
    """Values chosen per slot: some ballot holds votes for it from ``quorum`` acceptors."""
    voters: dict[tuple[Slot, Any, Any], set[NodeId]] = {}
    for vote in votes:
        voters.setdefault((vote.slot, vote.ballot, vote.value), set()).add(vote.acceptor)
    chosen: dict[Slot, set[Any]] = {}
    for (slot, _ballot, value), acceptors in voters.items():
        if len(acceptors) >= quorum:
            chosen.setdefault(slot, set()).add(value)
    return chosen


def decided_values(
    votes: Iterable[Vote], quorum: int, learned: Mapping[NodeId, SlotValues]
) -> dict[Slot, set[Any]]:
    """Every value that counts as decided per slot: chosen by votes or learned by a replica."""
    decided = chosen_values(votes, quorum)
    for values in learned.values():
        for slot, value in values.items():
            decided.setdefault(slot, set()).add(value)
    return decided


def agreement_problems(
    votes: Iterable[Vote], quorum: int, learned: Mapping[NodeId, SlotValues] | None = None
) -> list[str]:
    """At most one value per slot among the values chosen by votes and learned by replicas.

    Judged on the votes (ghost state) so a split decision shows as soon as the second
    quorum forms, before any replica or client acts on it. Learned values are included
    because a replica that learns a value no quorum voted for (a learner counting too
    few acknowledgements) disagrees with the chosen value just as much.
    """
    problems: list[str] = []
    chosen = chosen_values(votes, quorum)
    learned = learned or {}
    slots = set(chosen)
    for values in learned.values():
        slots.update(values)
    for slot in sorted(slots):
        sources: dict[Any, list[str]] = {}
        for value in chosen.get(slot, ()):
            sources.setdefault(value, []).append(f"a quorum of {quorum} votes")
        for node in sorted(learned):
            if slot in learned[node]:
                sources.setdefault(learned[node][slot], []).append(f"learned by node {node}")
        if len(sources) > 1:
            parts = [
                f"{_show(value)} ({', '.join(sources[value])})" for value in _sorted_values(sources)
            ]
            problems.append(f"slot {slot}: different values decided: {'; '.join(parts)}")
    return problems


def unchosen_learned_problems(
    votes: Iterable[Vote],
    quorum: int,
    learned: Mapping[NodeId, SlotValues],
    chosen: Mapping[Slot, Collection[Any]] | None = None,
) -> list[str]:
    """Every value a replica learned was chosen: some ballot holds ``quorum`` votes for it.

    Lamport's third safety requirement ("a process never learns that a value has been
    chosen unless it actually has been", *Paxos Made Simple*). Agreement alone misses a
    learner that counts acknowledgements it should not (from another ballot, say) while
    no other value has been chosen *yet*: the damage shows only when a later ballot
    chooses a different value, many steps on. This check fires at the learning step.
    ``chosen`` (``chosen_values(votes, quorum)``, when the caller already has it) saves
    recomputing it.
    """
    problems: list[str] = []
    for node in sorted(learned):
        for slot, value in sorted(learned[node].items()):
            if chosen is None:
                chosen = chosen_values(votes, quorum)
            if value not in chosen.get(slot, ()):
                problems.append(
                    f"slot {slot}: node {node} learned {_show(value)}, "
                    f"but no ballot holds {quorum} votes for it"
                )
    return problems


def validity_problems(
    decided: Mapping[Slot, Collection[Any]], proposed: Collection[Any], noop: Any = None
) -> list[str]:
    """Every decided value was proposed (by a client or a proposer), or is the no-op."""
    problems: list[str] = []
    for slot in sorted(decided):
        for value in _sorted_values(decided[slot]):
            if value != noop and value not in proposed:
                problems.append(f"slot {slot}: decided value {_show(value)} was never proposed")
    return problems


# -- stability and promise monotonicity (properties of one step) --------------------------


def stability_problems(
    before: Mapping[NodeId, SlotValues],
    after: Mapping[NodeId, SlotValues],
    may_forget: Collection[NodeId] = (),
) -> list[str]:
    """A replica never changes a value it learned, nor forgets it.

    ``may_forget`` names replicas whose learned values may legitimately vanish in this
    step (a crash, when learned values are volatile); they may still never *change*.
    """
    problems: list[str] = []
    for node in sorted(before):
        old = before[node]
        new = after.get(node, {})
        for slot in sorted(old):
            if slot not in new:
                if node not in may_forget:
                    problems.append(
                        f"node {node} forgot the value {_show(old[slot])} it learned for slot {slot}"
                    )
            elif new[slot] != old[slot]:
                problems.append(
                    f"node {node} changed its learned value for slot {slot} "
                    f"from {_show(old[slot])} to {_show(new[slot])}"
                )
    return problems


def promise_problems(before: Mapping[NodeId, Any], after: Mapping[NodeId, Any]) -> list[str]:
    """An acceptor's promised ballot never decreases (crash and restart included)."""
    problems: list[str] = []
    for node in sorted(before):
        if node not in after:
            continue
        if _ballot_key(after[node]) < _ballot_key(before[node]):
            problems.append(
                f"node {node}'s promise went back from {_show(before[node])} to {_show(after[node])}"
            )
    return problems


# -- logs ---------------------------------------------------------------------------------


def log_consistency_problems(
    applied: Mapping[NodeId, Sequence[Any]], decided: SlotValues | None = None
) -> list[str]:
    """Replicas' applied logs are prefixes of one another (and of the decided log).

    ``applied[node]`` is the sequence of values a replica applied, in the order it
    applied them, slot 0 first. ``decided`` (slot -> the one decided value), when
    given, pins position ``i`` of every applied log to slot ``i``'s decided value, which
    also catches a lone replica that applies out of order.
    """
    problems: list[str] = []
    nodes = sorted(applied)
    if nodes:
        longest = max(nodes, key=lambda n: (len(applied[n]), -n))
        reference = list(applied[longest])
        for node in nodes:
            log = list(applied[node])
            if reference[: len(log)] != log:
                at = next(i for i, (a, b) in enumerate(zip(log, reference, strict=False)) if a != b)
                problems.append(
                    f"applied logs of nodes {node} and {longest} differ at position {at}: "
                    f"{_show(log[at])} vs {_show(reference[at])}"
                )
    if decided is not None:
        for node in nodes:
            for position, value in enumerate(applied[node]):
                if position in decided and decided[position] != value:
                    problems.append(
                        f"node {node} applied {_show(value)} at position {position}, "
                        f"but slot {position} decided {_show(decided[position])}"
                    )
                    break
    return problems


def slot_order_problems(applied_slots: Mapping[NodeId, Sequence[Slot]]) -> list[str]:
    """Each replica applies slots in log order: its ``i``-th application is slot ``i``."""
    problems: list[str] = []
    for node in sorted(applied_slots):
        for position, slot in enumerate(applied_slots[node]):
            if slot != position:
                problems.append(
                    f"node {node} applied slot {slot} as its entry number {position} "
                    f"(slots must be applied in order)"
                )
                break
    return problems


def decided_prefix(decided: Mapping[Slot, Collection[Any]]) -> list[Any]:
    """The decided log from slot 0 up to the first slot without exactly one value."""
    log: list[Any] = []
    slot = 0
    while slot in decided and len(decided[slot]) == 1:
        log.append(next(iter(decided[slot])))
        slot += 1
    return log


# -- what clients saw ---------------------------------------------------------------------

#: A state machine step for the sequential run: (state, operation) -> (state, result).
StateMachineStep = Callable[[Any, Any], tuple[Any, Any]]


class Command(NamedTuple):
    """A client command as it appears in the decided log."""

    client: int
    seq: int
    op: Any


class Reply(NamedTuple):
    """A reply a client received for its request ``(client, seq)``."""

    client: int
    seq: int
    result: Any


def sequential_replies(
    log: Iterable[Any], step: StateMachineStep, initial: Any, noop: Any = None
) -> dict[tuple[int, int], Any]:
    """Run the decided log sequentially; the reply due to each ``(client, seq)``.

    Entries equal to ``noop`` are skipped. Each client issues its requests one at a
    time with increasing sequence numbers, so a correct state machine keeps, per client,
    the last sequence number it applied: a command whose number is not above it (a
    retry that landed in a second slot, or a stale copy) is not applied again.
    """
    state = initial
    last: dict[int, int] = {}
    replies: dict[tuple[int, int], Any] = {}
    for entry in log:
        if entry == noop:
            continue
        client, seq, op = entry
        if seq <= last.get(client, 0):
            continue
        state, result = step(state, op)
        last[client] = seq
        replies[(client, seq)] = result
    return replies


def reply_problems(
    log: Iterable[Any],
    replies: Iterable[Reply] | Iterable[tuple[int, int, Any]],
    step: StateMachineStep,
    initial: Any,
    noop: Any = None,
) -> list[str]:
    """Every reply equals what a sequential run of the decided log gives for it.

    Replies to requests that are not (yet) in the decided log are not judged here: a
    reply served without going through the log (a local read) is left to the
    linearizability check of the client history, which is the property that catches it.
    """
    expected = sequential_replies(log, step, initial, noop)
    problems: list[str] = []
    for client, seq, result in sorted(replies, key=lambda r: (r[0], r[1], repr(r[2]))):
        key = (client, seq)
        if key in expected and expected[key] != result:
            problems.append(
                f"client {client} request {seq} got {_show(result)}, "
                f"but the decided log gives {_show(expected[key])}"
            )
    return problems


# -- a sequential reference for Synod's key-value store ----------------------------------


def kv_step(state: tuple[tuple[Hashable, Any], ...], op: Sequence[Any]) -> tuple[Any, Any]:
    """A get/put/cas key-value map, the sequential reference for replies.

    ``state`` is a sorted tuple of (key, value) pairs; operations are ``("get", k)``,
    ``("put", k, v)`` and ``("cas", k, expected, new)``. Results: ``get`` -> the value or
    None; ``put`` -> ``"ok"``; ``cas`` -> True if it applied, else False.
    """
    table = dict(state)
    kind = op[0]
    if kind == "get":
        return state, table.get(op[1])
    if kind == "put":
        table[op[1]] = op[2]
        return tuple(sorted(table.items(), key=repr)), "ok"
    if kind == "cas":
        if table.get(op[1]) == op[2]:
            table[op[1]] = op[3]
            return tuple(sorted(table.items(), key=repr)), True
        return state, False
    raise ValueError(f"unknown key-value operation {op!r}")

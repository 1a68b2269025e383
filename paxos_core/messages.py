"""Values on the wire and in the log: ballots, commands and the message NamedTuples.

Everything here is made of ints, strs, None and tuples, so it is hashable and its
``repr`` is the same in every process (the explorer fingerprints states and messages).
"""

from __future__ import annotations

from typing import Any, NamedTuple

#: A ballot is ``(round, node id)``; ballots compare as tuples (round first).
Ballot = tuple[int, int]

#: The ballot below every real one (rounds start at 1): "nothing promised yet".
BOTTOM: Ballot = (0, -1)

#: A client operation: ``("put", key, value)``, ``("get", key)``,
#: ``("cas", key, expected, new)``; Basic Paxos clients use ``("propose", value)``.
Op = tuple[Any, ...]


class Command(NamedTuple):
    """A client request as it sits in the log: who asked, their sequence number, the op."""

    client: int
    seq: int
    op: Op


#: The no-op a new leader writes into a log hole that no acceptor reported a value for.
NOOP = Command(-1, 0, ("noop",))


# -- client <-> replica ---------------------------------------------------------------


class Request(NamedTuple):
    """Client (or a follower forwarding it) asks a replica to run ``op`` as ``(client, seq)``."""

    client: int
    seq: int
    op: Op


class Reply(NamedTuple):
    """A replica answers request ``seq`` of the destination client with ``result``."""

    seq: int
    result: Any


class Redirect(NamedTuple):
    """A follower tells the client which replica it believes leads (None: unknown)."""

    seq: int
    leader: int | None


# -- replica <-> replica (Basic Paxos uses slot 0 throughout) ---------------------------


class Prepare(NamedTuple):
    """Phase 1a: promise ``ballot`` and report what you accepted in slots >= ``slot``."""

    ballot: Ballot
    slot: int


class Promise(NamedTuple):
    """Phase 1b: promised ``ballot``; ``accepted`` is ``((slot, ballot, value), ...)``."""

    ballot: Ballot
    accepted: tuple[tuple[int, Ballot, Any], ...]


class Accept(NamedTuple):
    """Phase 2a: accept ``value`` for ``slot`` in ``ballot``."""

    ballot: Ballot
    slot: int
    value: Any


class Accepted(NamedTuple):
    """Phase 2b: the sender accepted ``value`` for ``slot`` in ``ballot``."""

    ballot: Ballot
    slot: int
    value: Any


class Nack(NamedTuple):
    """Refusal of ``ballot``: the sender has promised the higher ``promised``."""

    ballot: Ballot
    promised: Ballot


class Decide(NamedTuple):
    """A learner that saw a quorum announces ``value`` chosen for ``slot``."""

    slot: int
    value: Any


class CatchUp(NamedTuple):
    """A lagging replica asks for every decided slot >= ``slot``."""

    slot: int


class Learn(NamedTuple):
    """Answer to CatchUp: decided ``((slot, value), ...)``."""

    entries: tuple[tuple[int, Any], ...]


Message = (
    Request | Reply | Redirect | Prepare | Promise | Accept | Accepted | Nack | Decide
    | CatchUp | Learn
)


def message_round(msg: Any) -> int:
    """The highest ballot round a message carries (0 if none); lets drivers bound rounds."""
    if isinstance(msg, Prepare | Accept | Accepted):
        return msg.ballot[0]
    if isinstance(msg, Nack):
        return max(msg.ballot[0], msg.promised[0])
    if isinstance(msg, Promise):
        return max([msg.ballot[0], *(b[0] for _, b, _ in msg.accepted)])
    return 0

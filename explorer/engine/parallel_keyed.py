"""Keyed successors in the parallel search: a successor is built only when it is new.

The one-process BFS asks the model for each successor's fingerprint before the successor
exists (``Model.keyed_successors``) and builds it only when the fingerprint is new: on
the default actor world 60% of the generated successors are duplicates. In the
parallel search whether a successor is new is known only to its owner, so a worker
that expands a state cannot tell for the successors it would send. Building and
encoding all of them (once ever per fingerprint, the sent set) cost a worker more than
half of the one-process CPU. With the hook a level runs in three exchanges instead:

1. *expand*: a successor this worker owns is admitted on the spot and built only when
   new; for a successor another worker owns, its fingerprint, its parent's and the step
   index travel as a *query* (once ever per fingerprint), and the expanding worker
   keeps where to rebuild it: the parent's position in its frontier and the action.
2. *answer*: the owner admits the queried fingerprints it has not seen (their parent
   records written then, after its own successors and in sender order, as the batches
   of the plain exchange were) and answers with the positions of those queries.
3. *build*: the expanding worker builds only the wanted successors
   (``next_state(parent, action)``) and sends them as the plain exchange does (encoded
   with the parts they name, or pickled); the owner admits them, checked as any new state.

The counts, level sizes and parent records are those of the plain exchange (and so of
the one-process BFS); only successors owned elsewhere and new there are built twice
(once in the expanding worker, which needs the state to send it, never by the owner).
Messages are tagged by phase: with three workers or more one worker's answer may
arrive before another worker's query, and each phase is handled in sender order.
"""

from __future__ import annotations

from typing import Any

from explorer.engine.model import Property
from explorer.engine.run import TICK_MASK, Run
from explorer.engine.visited import Visited

__all__ = ["KeyedExchange", "Mailbox", "keyed_level"]

# per destination: fingerprints, parents' fingerprints, step indexes (three parallel lists)
Queries = tuple[list[int], list[int], list[int]]
# per destination: the parent's position in the frontier and the action, per query
Deferred = tuple[list[int], list[Any]]

QUERY, ANSWER, BUILT = "query", "answer", "built"


class Mailbox:
    """A worker's inbox for the keyed exchange: messages ``(phase, sender, payload)``,
    those of a later phase kept until their phase comes."""

    def __init__(self, inbox: Any) -> None:
        self.inbox = inbox
        self.early: list[tuple[str, int, Any]] = []

    def gather(self, phase: str, count: int) -> list[tuple[int, Any]]:
        """``count`` messages of ``phase`` as (sender, payload), in sender order."""
        got = [(s, p) for ph, s, p in self.early if ph == phase]
        self.early = [m for m in self.early if m[0] != phase]
        while len(got) < count:
            message = self.inbox.get()
            if message[0] == phase:
                got.append((message[1], message[2]))
            else:
                self.early.append(message)
        got.sort(key=lambda m: m[0])
        return got


class KeyedExchange:
    """What the keyed exchange reads of a worker's partition (mixed into
    explorer.engine.parallel's ``_Partition``, which supplies all of it)."""

    me: int
    workers: int
    run: Run
    parents: Visited
    sent: Visited
    counters: Any
    stop_flag: Any
    generated: int
    fps: list[int]
    states: list[Any]
    decode: Any
    encode: Any
    adopt: Any
    ships: bool
    tables: list[list[Any]]

    def admit(self, level: Any, fp: int, state: Any) -> None:
        raise NotImplementedError

    def note_each(self, level: Any, fp: int, state: Any, prop: Property[Any] | None, failed: Any) -> None:
        raise NotImplementedError

    def parcel(self, to: int, batch: Any) -> Any:
        raise NotImplementedError


def keyed_level(part: KeyedExchange, level: Any, inboxes: list[Any], mailbox: Mailbox) -> None:
    """One level of ``part`` through the three exchanges (see the module docstring)."""
    me, workers = part.me, part.workers
    others = [w for w in range(workers) if w != me]
    queries, deferred = expand_keyed(part, level)
    for other in others:
        inboxes[other].put((QUERY, me, queries[other]))
    wanted_fps: dict[int, list[int]] = {}
    for sender, asked in mailbox.gather(QUERY, len(others)):
        wanted, wanted_fps[sender] = answer(part, asked)
        inboxes[sender].put((ANSWER, me, wanted))
    for owner, wanted in mailbox.gather(ANSWER, len(others)):
        inboxes[owner].put((BUILT, me, part.parcel(owner, build_wanted(part, deferred[owner], wanted))))
    for sender, parcel in mailbox.gather(BUILT, len(others)):
        admit_built(part, level, wanted_fps[sender], parcel)


def expand_keyed(part: KeyedExchange, level: Any) -> tuple[list[Queries], list[Deferred]]:
    """Expand ``part``'s frontier through the model's keyed successors: its own new
    successors admitted, the others' as queries per owner (and where to rebuild them)."""
    run, me, workers = part.run, part.me, part.workers
    model = run.model
    keyed, next_state = model.keyed_successors, model.next_state
    counters, add_keyed, send_once = part.counters, part.parents.add_keyed, part.sent.insert
    admit, decode = part.admit, part.decode
    queries: list[Queries] = [([], [], []) for _ in range(workers)]
    deferred: list[Deferred] = [([], []) for _ in range(workers)]
    expanded = 0
    for position, (pfp, data) in enumerate(zip(part.fps, part.states, strict=True)):
        state = decode(data) if decode else data
        index = -1
        for index, (action, fp, nxt) in enumerate(keyed(state, False)):
            owner = fp % workers
            if owner == me:
                if add_keyed(fp, pfp, index):  # new here (a stuttering step never is)
                    admit(level, fp, nxt if nxt is not None else next_state(state, action))
            elif send_once(fp):
                fps, parent_fps, indexes = queries[owner]
                fps.append(fp)
                parent_fps.append(pfp)
                indexes.append(index)
                positions, actions = deferred[owner]
                positions.append(position)
                actions.append(action)
        part.generated += index + 1
        if index == -1 and run.final:
            part.note_each(level, pfp, state, run.failed_final(state), run.failed_final)
        expanded += 1
        if not expanded & TICK_MASK:
            counters[2 * me] = len(part.parents)
            counters[2 * me + 1] = part.generated
            if part.stop_flag.value:
                break
    return queries, deferred


def answer(part: KeyedExchange, asked: Queries) -> tuple[list[int], list[int]]:
    """Admit the queried fingerprints new to ``part``: (their positions among the
    queries, their fingerprints)."""
    add_keyed = part.parents.add_keyed
    wanted: list[int] = []
    wanted_fps: list[int] = []
    for i, (fp, parent, index) in enumerate(zip(*asked, strict=True)):
        if add_keyed(fp, parent, index):
            wanted.append(i)
            wanted_fps.append(fp)
    return wanted, wanted_fps


def build_wanted(part: KeyedExchange, deferred: Deferred, wanted: list[int]) -> Any:
    """The successors an owner wants, built from their parents in ``part``'s frontier,
    as the plain exchange sends them (encoded when the model ships encodings)."""
    positions, actions = deferred
    next_state, decode = part.run.model.next_state, part.decode
    ship = part.encode if part.ships else None
    frontier = part.states
    built: list[Any] = []
    last, state = -1, None
    for i in wanted:
        position = positions[i]
        if position != last:  # the queries of one parent are consecutive
            data = frontier[position]
            state, last = (decode(data) if decode else data), position
        nxt = next_state(state, actions[i])
        built.append(ship(nxt) if ship else nxt)
    return built


def admit_built(part: KeyedExchange, level: Any, fps: list[int], parcel: Any) -> None:
    """Admit the successors an owner asked for (their parent records are written):
    decoded through the sender's parts, or pickled and re-linked (``adopt``)."""
    sender, shipment, states = parcel
    admit = part.admit
    if shipment is not None:
        model, table = part.run.model, part.tables[sender]
        model.receive_parts(shipment, table)
        decode_from = model.decode_from
        for fp, data in zip(fps, states, strict=True):
            admit(level, fp, decode_from(data, table))
        return
    adopt = part.adopt
    for fp, state in zip(fps, states, strict=True):
        admit(level, fp, adopt(state) if adopt else state)

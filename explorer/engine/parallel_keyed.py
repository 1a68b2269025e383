"""Keyed successors in the parallel search: a successor is built only when it is new.

The one-process BFS asks the model for each successor's fingerprint before the successor
exists (``Model.keyed_successors``) and builds it only when the fingerprint is new: on
the default actor world 60% of the generated successors are duplicates. In the parallel
search only a successor's owner (the worker its fingerprint falls to) knows whether it
is new, so the plain exchange (explorer/engine/parallel.py) builds, encodes and ships
every successor owned elsewhere (once ever per fingerprint: the sent set), and the
owner decodes it and encodes it again for its frontier (on the default world a third
of them turn out to be known there). With the hook a level runs so:

1. *expand*: a successor this worker owns is admitted on the spot and built only when
   new; for a successor another worker owns, its fingerprint, its parent's and the step
   index go to the owner as a *query* (once ever per fingerprint), and the expanding
   worker keeps where to build it from: the parent's position in its frontier and the
   action (or the successor itself, when the model built it to fingerprint it).
2. *answer*: the owner records the queried fingerprints it has not seen (their parent
   records, after its own successors' and in sender order, as the batches of the plain
   exchange were) and answers with the positions of those queries.
3. *build*: the expanding worker builds just those and admits them itself (checked,
   kept in its own next frontier). A state is expanded by the worker that built it,
   not necessarily by its owner; the owner keeps its parent record, which is all a
   counterexample path needs (looked up by fingerprint, explorer/engine/parallel.py).
4. *rebalance*: a worker that built more than its share would keep it level after level
   (with one initial state, one worker would hold everything), so the workers exchange
   their frontier sizes and the ones over the mean move the last entries of their
   frontier to those under it (encoded with the parts they name, as the plain exchange
   ships; a few percent of the states). Not on the last level: it keeps no frontier.

The counts and level sizes are those of the one-process BFS: each new state is recorded
once, by its owner, and checked and expanded once, by the worker holding it. The
frontiers, and so the parent records, depend only on the frontiers before, the
fingerprints and the sender order: the same in every run. Messages are tagged by phase:
with three workers or more one worker's answer may arrive before another worker's
query, and each phase is handled in sender order.
"""

from __future__ import annotations

from typing import Any

from explorer.engine.model import Property
from explorer.engine.run import TICK_MASK, Run
from explorer.engine.visited import Visited

__all__ = ["KeyedExchange", "Mailbox", "balanced_moves", "keyed_level"]

# per destination: fingerprints, parents' fingerprints, step indexes (three parallel lists)
Queries = tuple[list[int], list[int], list[int]]
# per destination, per query: the parent's position in the frontier, the action, and
# the successor when the model built it to fingerprint it (else None: built if wanted)
Deferred = tuple[list[int], list[Any], list[Any]]

QUERY, ANSWER, SIZES, MOVED = "query", "answer", "sizes", "moved"


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
    """One level of ``part`` through the exchanges (see the module docstring)."""
    me, workers = part.me, part.workers
    others = [w for w in range(workers) if w != me]
    queries, deferred = expand_keyed(part, level)
    for other in others:
        inboxes[other].put((QUERY, me, queries[other]))
    for sender, asked in mailbox.gather(QUERY, len(others)):
        inboxes[sender].put((ANSWER, me, answer(part, asked)))
    for owner, wanted in mailbox.gather(ANSWER, len(others)):
        build_wanted(part, level, queries[owner][0], deferred[owner], wanted)
    if not level.last:  # (the last level keeps no frontier)
        rebalance(part, level, inboxes, mailbox)


def rebalance(part: KeyedExchange, level: Any, inboxes: list[Any], mailbox: Mailbox) -> None:
    """Even out the next frontiers: each worker tells the others its size, all compute
    the same moves (:func:`balanced_moves`), and a worker over the mean sends the last
    entries of its frontier to those under it (already checked: only appended there)."""
    me, workers = part.me, part.workers
    others = [w for w in range(workers) if w != me]
    for other in others:
        inboxes[other].put((SIZES, me, len(level.fps)))
    sizes = dict(mailbox.gather(SIZES, len(others)))
    sizes[me] = len(level.fps)
    moves = balanced_moves([sizes[w] for w in range(workers)])
    for other in others:
        count = moves[me][other]
        cut = len(level.fps) - count
        batch = (level.fps[cut:], level.states[cut:])
        del level.fps[cut:], level.states[cut:]
        inboxes[other].put((MOVED, me, part.parcel(other, batch)))
    for _sender, parcel in mailbox.gather(MOVED, len(others)):
        receive_moved(part, level, parcel)


def balanced_moves(sizes: list[int]) -> list[list[int]]:
    """``moves[i][j]``: how many frontier entries worker ``i`` sends worker ``j`` so that
    every frontier comes within one of the mean (greedy, in worker order)."""
    workers = len(sizes)
    load, total = list(sizes), sum(sizes)
    moves = [[0] * workers for _ in range(workers)]
    for i in range(workers):
        for j in range(workers):
            # the excess of i and the room of j over the mean, in whole states
            move = min((load[i] * workers - total) // workers, (total - load[j] * workers) // workers)
            if i != j and move > 0:
                moves[i][j] = move
                load[i] -= move
                load[j] += move
    return moves


def expand_keyed(part: KeyedExchange, level: Any) -> tuple[list[Queries], list[Deferred]]:
    """Expand ``part``'s frontier through the model's keyed successors: its own new
    successors admitted, the others' as queries per owner (and where to rebuild them)."""
    run, me, workers = part.run, part.me, part.workers
    model = run.model
    keyed, next_state = model.keyed_successors, model.next_state
    counters, add_keyed, send_once = part.counters, part.parents.add_keyed, part.sent.insert
    admit, decode = part.admit, part.decode
    queries: list[Queries] = [([], [], []) for _ in range(workers)]
    deferred: list[Deferred] = [([], [], []) for _ in range(workers)]
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
                positions, actions, built = deferred[owner]
                positions.append(position)
                actions.append(action)
                built.append(nxt)
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


def answer(part: KeyedExchange, asked: Queries) -> list[int]:
    """Record the queried fingerprints new to ``part`` (their parent records): their
    positions among the queries."""
    add_keyed = part.parents.add_keyed
    return [i for i, (fp, parent, index) in enumerate(zip(*asked, strict=True)) if add_keyed(fp, parent, index)]


def build_wanted(part: KeyedExchange, level: Any, fps: list[int], deferred: Deferred, wanted: list[int]) -> None:
    """Build the successors their owner found new (from their parents in ``part``'s
    frontier, or as the model built them) and admit them here (checked, and kept in
    ``part``'s next frontier)."""
    positions, actions, built = deferred
    next_state, decode, admit = part.run.model.next_state, part.decode, part.admit
    frontier = part.states
    last, state = -1, None
    for i in wanted:
        nxt = built[i]
        if nxt is None:
            position = positions[i]
            if position != last:  # the queries of one parent are consecutive
                data = frontier[position]
                state, last = (decode(data) if decode else data), position
            nxt = next_state(state, actions[i])
        admit(level, fps[i], nxt)


def receive_moved(part: KeyedExchange, level: Any, parcel: Any) -> None:
    """Append the frontier entries another worker moved here (checked there already):
    decoded through the sender's parts and encoded in this process's, or pickled and
    re-linked (``adopt``)."""
    sender, shipment, (fps, states) = parcel
    level.fps.extend(fps)
    if shipment is not None:
        model, table = part.run.model, part.tables[sender]
        model.receive_parts(shipment, table)
        decode_from, encode = model.decode_from, part.encode
        level.states.extend([encode(decode_from(data, table)) for data in states])
        return
    adopt, encode = part.adopt, part.encode
    for state in states:
        state = adopt(state) if adopt else state
        level.states.append(encode(state) if encode else state)

"""Properties of a Paxos world that safety alone misses: truthful messages, elections
that keep being retried, and (in worlds built for it) operations that always complete.

- ``truthful messages`` (always, every Paxos world): a message says what its sender's
  state says. ``Nack(ballot, promised)``: the sender promised ``promised`` (or higher)
  and ``promised >= ballot`` (it refuses ``ballot`` *because* of that promise);
  ``Promise(ballot, accepted)``: the sender promised ``ballot`` (or higher) and every
  reported ``(slot, ballot', value)`` is a vote it cast, with ``ballot' <= ballot``;
  ``Accepted(ballot, slot, value)``: the sender voted for ``value`` in ``slot`` at
  ``ballot``. Promises only grow and votes (a ghost) are never forgotten, so a
  message in flight stays truthful once sent: the property is an invariant of the
  correct protocol. A mutant that builds a message wrong (arguments swapped) is caught
  when it sends it, though the receiver may only lose liveness by it.
- ``steps down`` (always, Multi-Paxos): a leader or candidate has promised exactly its
  own ballot ``(round_used, me)``. Campaigning promises it; a higher ballot seen in a
  Prepare, an Accept or a Nack raises the promise *and* makes the replica step down.
  A leader that keeps leading after a refusal (it would propose, in vain, at a ballot
  the acceptors have moved past, and never campaign again) breaks it.
- ``leader tracks its slots`` (always, Multi-Paxos worlds whose ``extra`` sets
  ``leader_tracks_slots``: every Multi-Paxos world of the default portfolio): every slot a leader has accepted a
  value in and not yet decided is one of its proposals in flight. A new leader
  re-proposes every undecided slot from its first undecided one up to the highest slot
  its phase 1 reported (its own accepted entries among them), and each later proposal
  joins the in-flight set until it is decided; an Accept of a higher ballot makes it a
  follower first. A leader that skips an undecided slot it knows of (its phase 1 started
  past it) leaves a hole no one will fill; this says so when it takes office, not when
  the run settles many actions later. It is asked for, not always on, because it is
  stricter than safety: the catalogue's ``leader-skips-phase1`` breaks it at once, where
  the catalogue (and its pair with ``apply-out-of-order``, harmful only together) is
  about what that mistake does to safety.
- election retry (part of the quiescence property, Multi-Paxos): in a quiescent world
  with no live leader, no live replica could still campaign within the ballot bound but
  has no election timer armed. A correct replica that does not lead always has its
  election timer armed (start, restart, campaign and step-down arm it; only winning
  cancels it), so at quiescence without a leader every live replica has spent the
  ballot bound. A candidate that forgets to re-arm the timer after a failed campaign
  is stuck for ever, and this says so.
- proposer retry (part of the quiescence property, Basic Paxos): in a quiescent world no
  live proposer holds a value it has not seen chosen, with its next ballot within the
  bound, and no retry timer armed (the same argument: a correct proposer keeps the
  timer armed exactly while it has a value to get chosen).
- ``progress`` (always, only in worlds whose ``extra`` sets ``progress``): in a
  quiescent world where a live replica leads (Basic Paxos: in any quiescent world),
  every client has invoked and completed every operation of its schedule. This is bounded liveness, and it is sound only in a world where the
  correct protocol cannot lose an operation: no elections (``ballots = 1`` with an
  initial leader, so no campaign fits the bound), no dropped messages, and a retry
  budget that reaches a live replica (the worlds ``progress-*`` of the default
  portfolio; the baseline run of ``synod mutate`` shows it holds there).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from explorer.actors import ActorModel, Reads, World
from explorer.engine.model import Property
from explorer.models.config import CheckConfig
from paxos_core.accessors import is_leader, promised_ballot, votes_cast
from paxos_core.config import VariantFlags
from paxos_core.events import Complete, Invoke
from paxos_core.messages import Accepted, Nack, Promise
from paxos_core.multi import FOLLOWER, LEADER

__all__ = [
    "LEADER_TRACKS_SLOTS", "PROGRESS", "STEPS_DOWN", "TRUTHFUL_MESSAGES", "election_problems", "progress_properties", "retry_problems", "untruthful",
]

TRUTHFUL_MESSAGES = "truthful messages"
STEPS_DOWN = "steps down"
LEADER_TRACKS_SLOTS = "leader tracks its slots"
PROGRESS = "progress"


def untruthful(src: int, msg: Any, sender: Any) -> str | None:
    """Why ``msg``, sent by replica ``src`` whose state is now ``sender``, is false (None: true)."""
    kind = type(msg)
    if kind is Nack:
        if msg.promised < msg.ballot:
            return f"replica {src} refused ballot {msg.ballot} citing a lower promise {msg.promised}"
        if promised_ballot(sender) < msg.promised:
            return f"replica {src} cited promise {msg.promised} but promised only {promised_ballot(sender)}"
    elif kind is Promise:
        if promised_ballot(sender) < msg.ballot:
            return f"replica {src} promised {msg.ballot} but its promise is {promised_ballot(sender)}"
        votes = votes_cast(sender)
        for entry in msg.accepted:
            if tuple(entry) not in votes:
                return f"replica {src} reported {entry} in a Promise but never voted so"
            if entry[1] > msg.ballot:
                return f"replica {src} reported a vote at {entry[1]} in its Promise of the lower {msg.ballot}"
    elif kind is Accepted and (msg.slot, msg.ballot, msg.value) not in votes_cast(sender):
        return f"replica {src} said Accepted{tuple(msg)} but never voted so"
    return None


def _steps_down(replicas: tuple[int, ...]) -> Any:
    def holds(world: World) -> bool:
        for r in replicas:
            state = world.actors[r]
            vol = state.volatile
            if vol is not None and vol.role != FOLLOWER:
                d = state.durable
                if d.promised != (d.round_used, r):
                    return False
        return True

    return holds


def _tracks_slots(replicas: tuple[int, ...]) -> Any:
    def holds(world: World) -> bool:
        for r in replicas:
            state = world.actors[r]
            vol = state.volatile
            if vol is None or vol.role != LEADER:
                continue
            d = state.durable
            decided = {s for s, _ in d.decided}
            flying = {slot for slot, _, _ in vol.inflight}
            for slot, _, _ in d.accepted:
                if slot not in decided and slot not in flying:
                    return False
        return True

    return holds


#: the kinds of message :func:`untruthful` judges (every other kind is true)
JUDGED_KINDS = frozenset({Nack, Promise, Accepted})


def _truthful(model: ActorModel, replicas: frozenset[int]) -> Any:
    net = model.net

    def holds(world: World) -> bool:
        actors = world.actors
        for src, _dst, msg in net.heads(world.network):
            # (the kind first: most messages in flight are of a kind never judged)
            if type(msg) in JUDGED_KINDS and src in replicas and untruthful(src, msg, actors[src]) is not None:
                return False
        return True

    return holds


def election_problems(model: ActorModel, world: World, ballots: int) -> list[str]:
    """At quiescence with no live leader: live replicas that could still campaign within
    the ballot bound but have no election timer armed (see the module docstring)."""
    problems: list[str] = []
    servers = model.servers
    live = [r for r in servers if r not in world.crashed]
    if any(is_leader(world.actors[r]) for r in live):
        return problems
    for r in live:
        i = model.index[r]
        if "election" in world.timers[i]:
            continue
        state = world.actors[i]
        after, _ = model.nodes[i].on_timer(r, state, "election")
        d = getattr(after, "durable", None)
        if after != state and d is not None and d.round_used <= ballots and d.promised[0] <= ballots:
            problems.append(
                f"replica {r} has no election timer armed and no live replica leads: it could still "
                f"campaign (round {d.round_used} is within the bound) but never will"
            )
    return problems


def retry_problems(model: ActorModel, world: World, ballots: int) -> list[str]:
    """Basic Paxos at quiescence: live proposers that hold a value not yet learned, whose
    next ballot fits the bound, but whose ``"retry"`` timer is not armed (a correct
    proposer keeps it armed exactly while it has a value to get chosen)."""
    problems: list[str] = []
    for r in model.servers:
        if r in world.crashed:
            continue
        i = model.index[r]
        state = world.actors[i]
        vol, d = state.volatile, state.durable
        if vol is None or vol.value is None or d.learned is not None or "retry" in world.timers[i]:
            continue
        rules: Any = getattr(model.nodes[i], "rules")  # noqa: B009 (a Basic replica's BallotRules)
        if rules.next_round(d.round_used, d.promised) <= ballots:
            problems.append(
                f"replica {r} holds a value it has not seen chosen and could try a higher ballot "
                "within the bound, but its retry timer is not armed: it never will"
            )
    return problems


def _progress(quiescent: Any, replicas: tuple[int, ...], scheduled: int, needs_leader: bool) -> Any:
    def holds(world: World) -> bool:
        if not quiescent(world):
            return True
        if needs_leader and not any(is_leader(world.actors[r]) for r in replicas if r not in world.crashed):
            return True
        invoked = {(ev.client, ev.seq) for ev in world.history if type(ev) is Invoke}
        done = {(ev.client, ev.seq) for ev in world.history if type(ev) is Complete}
        return len(done) == scheduled and invoked <= done

    return holds


def progress_properties(
    model: ActorModel, config: CheckConfig, quiescent: Any, reads: Reads
) -> list[Property[World]]:
    """``truthful messages`` always; ``progress`` when ``config.extra`` asks for it
    (``quiescent`` is the quiescence property's test of a world, ``reads`` what the
    replica views read)."""
    replicas = tuple(range(config.nodes))
    multi = config.model == "multipaxos"
    props: list[Property[World]] = [
        Property.always(
            TRUTHFUL_MESSAGES, _truthful(model, frozenset(replicas)),
            "every Nack, Promise and Accepted in flight says what its sender promised and voted",
            # message by message; a true message stays true while promises only grow
            # (votes, a ghost, are never forgotten): not in forget-promise-on-restart
            reads=dataclasses.replace(
                reads, network=True,
                network_per_message=not VariantFlags.for_variant(config.variant).forget_promise_on_restart,
            ),
        )
    ]
    if config.model == "multipaxos":
        props.append(
            Property.always(
                STEPS_DOWN, _steps_down(replicas),
                "a leader or candidate has promised exactly its own ballot: it steps down "
                "when it promises, accepts or is refused with a higher one",
                reads=reads,
            ),
        )
    if multi and dict(config.extra).get("leader_tracks_slots"):
        props.append(
            Property.always(
                LEADER_TRACKS_SLOTS, _tracks_slots(replicas),
                "every slot a leader accepted and has not decided is one of its proposals in flight",
                reads=reads,
            ),
        )
    if dict(config.extra).get("progress"):
        props.append(
            Property.always(
                PROGRESS, _progress(quiescent, replicas, config.clients * config.ops, multi),
                "once nothing can happen (and, in Multi-Paxos, a live replica leads), every "
                "client ran its whole schedule",
                # a judgement of quiescent worlds over sets of invocations and replies
                # (partial-order reduction: quiescent_only, history up to precedence)
                reads=dataclasses.replace(
                    reads, history=True, history_order=False, network=True, faults=True,
                    quiescent_only=True,
                ),
            )
        )
    return props

"""Basic Paxos (the single-decree Synod): every replica is proposer, acceptor and learner.

A replica proposes the first client command it is given (``Request``), running phase 1
(Prepare/Promise) and phase 2 (Accept/Accepted) with a ballot ``(round, me)`` above any
it has used or seen. It learns the chosen value when a quorum of acceptors accepted one
ballot: either as the proposer (distinguished learner, which then broadcasts ``Decide``)
or, with ``learn_directly``, from Accepted messages that every acceptor broadcasts.
Clients waiting on a replica get ``Reply(seq, chosen)`` where ``chosen`` is the value of
the chosen ``("propose", value)`` op (Basic Paxos is a write-once register).

Timer: ``"retry"`` is armed while the replica has a value to get chosen and has not
learned; firing it starts a new, higher ballot (after a Nack, a preemption or a loss).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from paxos_core.common import BallotRules, Vote, add_id, add_vote
from paxos_core.config import ClusterConfig
from paxos_core.events import CancelTimer, Output, Outputs, Send, SetTimer
from paxos_core.messages import (
    BOTTOM,
    Accept,
    Accepted,
    Ballot,
    Command,
    Decide,
    Nack,
    Prepare,
    Promise,
    Reply,
    Request,
)

IDLE, PREPARING, ACCEPTING = 0, 1, 2


class BasicDurable(NamedTuple):
    """Survives a crash. ``votes`` is ghost state (never read by the protocol)."""

    promised: Ballot = BOTTOM
    round_used: int = 0  # highest round this node ever used: ballots are never reused
    accepted: tuple[Ballot, Any] | None = None  # (ballot, value) last accepted
    learned: Any = None  # the chosen value once learned (None: not yet)
    votes: tuple[Vote, ...] = ()  # ghost: every (0, ballot, value) this acceptor accepted


class BasicVolatile(NamedTuple):
    """Lost on a crash: the proposer's round in progress and the clients waiting here."""

    value: Any = None  # the command this node wants chosen (None: not proposing)
    phase: int = IDLE  # IDLE, PREPARING or ACCEPTING with ballot (round_used, me)
    promised_by: tuple[int, ...] = ()  # acceptors that promised the current ballot
    best: tuple[Ballot, Any] | None = None  # highest accepted (ballot, value) reported;
    #                                        in ACCEPTING: (ballot, value proposed)
    tally: tuple[tuple[Ballot, Any, tuple[int, ...]], ...] = ()  # learner: acceptors per ballot
    waiting: tuple[tuple[int, int], ...] = ()  # (client, seq) to answer once learned


class BasicState(NamedTuple):
    """A Basic Paxos replica; ``volatile`` is None while the node is crashed."""

    durable: BasicDurable
    volatile: BasicVolatile | None


def _result(value: Any) -> Any:
    """What a client is told was chosen: the proposed value of a ``("propose", v)`` op."""
    if isinstance(value, tuple) and len(value) == 3 and isinstance(value[2], tuple):
        op = value[2]
        return op[1] if len(op) == 2 and op[0] == "propose" else op
    return value


class BasicPaxosReplica:
    """Node class of a Basic Paxos replica (proposer + acceptor + learner); holds config only."""

    def __init__(self, config: ClusterConfig) -> None:
        self.config = config
        self.rules = BallotRules(config)
        flags = config.flags
        self.q1 = config.q1
        self.q2 = config.q2
        self.ignore_promise_values = flags.ignore_promise_values
        self.lowest_ballot_value = flags.lowest_ballot_value
        self.forget_promise = flags.forget_promise_on_restart
        self.forget_learned = flags.forget_learned_on_restart
        self.count_stale = flags.count_stale_accepted
        self.learn_directly = config.learn_directly
        self.peers = tuple(config.replicas)

    # -- contract -----------------------------------------------------------------------

    def on_start(self, me: int) -> tuple[BasicState, Outputs]:
        """A fresh replica: nothing promised, accepted or learned."""
        return BasicState(BasicDurable(), BasicVolatile()), ()

    def on_crash(self, me: int, state: BasicState) -> BasicState:
        """Keep the durable part only (the promise and the learned value too, unless a
        mutant forgets them)."""
        durable = state.durable
        if self.forget_promise:
            durable = durable._replace(promised=BOTTOM)
        if self.forget_learned:
            durable = durable._replace(learned=None)
        return BasicState(durable, None)

    def on_restart(self, me: int, state: BasicState) -> tuple[BasicState, Outputs]:
        """Back with empty volatile state; clients that were waiting will retry."""
        return BasicState(state.durable, BasicVolatile()), ()

    def on_timer(self, me: int, state: BasicState, timer: str) -> tuple[BasicState, Outputs]:
        """``"retry"``: try again with a higher ballot if still not learned."""
        vol = state.volatile
        if timer != "retry" or vol is None or vol.value is None or state.durable.learned is not None:
            return state, ()
        return self._start_ballot(me, state.durable, vol)

    def on_message(self, me: int, state: BasicState, src: int, msg: Any) -> tuple[BasicState, Outputs]:
        """Dispatch one delivered message to the role that handles it."""
        d, v = state.durable, state.volatile
        if v is None:  # crashed nodes receive nothing; defensive
            return state, ()
        if isinstance(msg, Prepare):
            return self._on_prepare(me, d, v, src, msg)
        if isinstance(msg, Promise):
            return self._on_promise(me, d, v, src, msg)
        if isinstance(msg, Accept):
            return self._on_accept(me, d, v, src, msg)
        if isinstance(msg, Accepted):
            return self._on_accepted(me, d, v, src, msg)
        if isinstance(msg, Nack):
            return self._on_nack(me, d, v, msg)
        if isinstance(msg, Decide):
            d, v, out = self._learn(me, d, v, msg.value, broadcast=False)
            return BasicState(d, v), out
        if isinstance(msg, Request):
            return self._on_request(me, d, v, msg)
        return state, ()

    # -- proposer -----------------------------------------------------------------------

    def _on_request(self, me: int, d: BasicDurable, v: BasicVolatile, msg: Request) -> tuple[BasicState, Outputs]:
        if d.learned is not None:
            return BasicState(d, v), (Send(msg.client, Reply(msg.seq, _result(d.learned))),)
        v = v._replace(waiting=add_id_pair(v.waiting, (msg.client, msg.seq)))
        if v.value is not None:
            return BasicState(d, v), ()
        v = v._replace(value=Command(msg.client, msg.seq, msg.op))
        return self._start_ballot(me, d, v)

    def _start_ballot(self, me: int, d: BasicDurable, v: BasicVolatile) -> tuple[BasicState, Outputs]:
        """Phase 1a with a fresh ballot; this node promises it locally first."""
        round_ = self.rules.next_round(d.round_used, d.promised)
        ballot = self.rules.ballot(round_, me)
        d = d._replace(round_used=round_, promised=ballot)
        v = v._replace(phase=PREPARING, promised_by=(me,), best=d.accepted)
        if not self.learn_directly:
            v = v._replace(tally=())  # the proposer only counts replies to its current ballot
        out: list[Output] = [SetTimer("retry")]
        out.extend(Send(p, Prepare(ballot, 0)) for p in self.peers if p != me)
        if len(v.promised_by) >= self.q1:
            d, v, more = self._start_phase2(me, d, v)
            out.extend(more)
        return BasicState(d, v), tuple(out)

    def _my_ballot(self, me: int, d: BasicDurable) -> Ballot:
        return self.rules.ballot(d.round_used, me)

    def _on_promise(self, me: int, d: BasicDurable, v: BasicVolatile, src: int, msg: Promise) -> tuple[BasicState, Outputs]:
        if v.phase != PREPARING or msg.ballot != self._my_ballot(me, d) or src in v.promised_by:
            return BasicState(d, v), ()
        best = v.best
        for _, ballot, value in msg.accepted:
            if best is None:
                best = (ballot, value)
            elif self.lowest_ballot_value:
                if ballot < best[0]:
                    best = (ballot, value)
            elif ballot > best[0]:
                best = (ballot, value)
        v = v._replace(promised_by=add_id(v.promised_by, src), best=best)
        if len(v.promised_by) < self.q1:
            return BasicState(d, v), ()
        d, v, out = self._start_phase2(me, d, v)
        return BasicState(d, v), out

    def _start_phase2(self, me: int, d: BasicDurable, v: BasicVolatile) -> tuple[BasicDurable, BasicVolatile, Outputs]:
        """Phase 2a: the highest-ballot value reported, or our own if none was."""
        ballot = self._my_ballot(me, d)
        value = v.value if v.best is None or self.ignore_promise_values else v.best[1]
        v = v._replace(phase=ACCEPTING, promised_by=(), best=(ballot, value))
        out: list[Output] = [Send(p, Accept(ballot, 0, value)) for p in self.peers if p != me]
        # accept locally (always allowed: we promised this ballot ourselves unless preempted)
        if self.rules.may_accept(ballot, d.promised):
            d = d._replace(accepted=(ballot, value), votes=add_vote(d.votes, (0, ballot, value)))
            if self.learn_directly:
                out.extend(Send(p, Accepted(ballot, 0, value)) for p in self.peers if p != me)
            d, v, more = self._count_accepted(me, d, v, me, ballot, value)
            out.extend(more)
        return d, v, tuple(out)

    def _on_nack(self, me: int, d: BasicDurable, v: BasicVolatile, msg: Nack) -> tuple[BasicState, Outputs]:
        # give the ballot up; the retry timer (still armed) starts a higher one
        if v.phase != IDLE and msg.ballot == self._my_ballot(me, d) and msg.promised > msg.ballot:
            v = v._replace(phase=IDLE, promised_by=(), best=None)
            if msg.promised > d.promised:  # remember it: our next ballot must beat it
                d = d._replace(promised=msg.promised)
        return BasicState(d, v), ()

    # -- acceptor -----------------------------------------------------------------------

    def _preempted(self, me: int, d: BasicDurable, v: BasicVolatile, ballot: Ballot) -> BasicVolatile:
        """A proposer whose acceptor role saw a higher ballot gives its own up."""
        if v.phase != IDLE and ballot > self._my_ballot(me, d):
            return v._replace(phase=IDLE, promised_by=(), best=None)
        return v

    def _on_prepare(self, me: int, d: BasicDurable, v: BasicVolatile, src: int, msg: Prepare) -> tuple[BasicState, Outputs]:
        if not self.rules.may_promise(msg.ballot, d.promised):
            return BasicState(d, v), (Send(src, Nack(msg.ballot, d.promised)),)
        v = self._preempted(me, d, v, msg.ballot)
        d = d._replace(promised=msg.ballot)
        reported = () if d.accepted is None else ((0, d.accepted[0], d.accepted[1]),)
        return BasicState(d, v), (Send(src, Promise(msg.ballot, reported)),)

    def _on_accept(self, me: int, d: BasicDurable, v: BasicVolatile, src: int, msg: Accept) -> tuple[BasicState, Outputs]:
        if not self.rules.may_accept(msg.ballot, d.promised):
            return BasicState(d, v), (Send(src, Nack(msg.ballot, d.promised)),)
        v = self._preempted(me, d, v, msg.ballot)
        d = d._replace(
            promised=max(d.promised, msg.ballot),
            accepted=(msg.ballot, msg.value),
            votes=add_vote(d.votes, (0, msg.ballot, msg.value)),
        )
        reply = Accepted(msg.ballot, 0, msg.value)
        if not self.learn_directly:
            return BasicState(d, v), (Send(src, reply),)
        out: list[Output] = [Send(p, reply) for p in self.peers if p != me]
        d, v, more = self._count_accepted(me, d, v, me, msg.ballot, msg.value)
        out.extend(more)
        return BasicState(d, v), tuple(out)

    # -- learner ------------------------------------------------------------------------

    def _on_accepted(self, me: int, d: BasicDurable, v: BasicVolatile, src: int, msg: Accepted) -> tuple[BasicState, Outputs]:
        d, v, out = self._count_accepted(me, d, v, src, msg.ballot, msg.value)
        return BasicState(d, v), out

    def _count_accepted(
        self, me: int, d: BasicDurable, v: BasicVolatile, src: int, ballot: Ballot, value: Any
    ) -> tuple[BasicDurable, BasicVolatile, Outputs]:
        """Tally one Accepted; learn when a quorum accepted the same ballot."""
        if d.learned is not None:
            return d, v, ()
        if not self.learn_directly:
            # distinguished learner: the proposer counts replies to its current ballot
            mine = self._my_ballot(me, d)
            if v.phase != ACCEPTING:
                return d, v, ()
            if ballot != mine:
                stale = self.count_stale and ballot[1] == me and ballot < mine
                if not stale:
                    return d, v, ()
                ballot = mine  # the mutant: an old ballot's reply counted for this one
            assert v.best is not None
            value = v.best[1]
        tally = list(v.tally)
        for i, (b, val, ids) in enumerate(tally):
            if b == ballot:
                ids = add_id(ids, src)
                tally[i] = (b, val, ids)
                break
        else:
            ids = (src,)
            tally.append((ballot, value, ids))
            tally.sort(key=lambda e: e[0])
        v = v._replace(tally=tuple(tally))
        if len(ids) < self.q2:
            return d, v, ()
        return self._learn(me, d, v, value, broadcast=not self.learn_directly)

    def _learn(
        self, me: int, d: BasicDurable, v: BasicVolatile, value: Any, broadcast: bool
    ) -> tuple[BasicDurable, BasicVolatile, Outputs]:
        """Record the chosen value (never changed once learned) and answer waiting clients."""
        if d.learned is not None:
            return d, v, ()
        d = d._replace(learned=value)
        out: list[Output] = [CancelTimer("retry")]
        out.extend(Send(c, Reply(s, _result(value))) for c, s in v.waiting)
        if broadcast:
            out.extend(Send(p, Decide(0, value)) for p in self.peers if p != me)
        v = BasicVolatile()  # nothing left to do: drop the round, tally and waiters
        return d, v, tuple(out)


def add_id_pair(pairs: tuple[tuple[int, int], ...], pair: tuple[int, int]) -> tuple[tuple[int, int], ...]:
    """Sorted tuple of (client, seq) pairs with ``pair`` added."""
    if pair in pairs:
        return pairs
    return tuple(sorted((*pairs, pair)))

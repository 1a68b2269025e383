"""Multi-Paxos driving the replicated key-value store: one Paxos instance per log slot.

Roles (every replica is an acceptor and a learner, and may lead):

- **Follower** (``role == FOLLOWER``): accepts what the leader proposes, learns decisions,
  forwards client requests to the replica it believes leads (the owner of the highest
  ballot it promised) or answers ``Redirect``. Its ``"election"`` timer is armed; firing
  it means "I heard nothing from the leader for too long": it becomes a candidate.
- **Candidate**: runs phase 1 once for *all* slots from its first undecided slot on, with
  a ballot ``(round, me)`` strictly above every ballot it used or promised. Promises
  carry the acceptors' accepted ``(slot, ballot, value)`` in those slots. Client requests
  that reach a candidate are buffered. The ``"election"`` timer stays armed: firing it
  again retries with a higher ballot.
- **Leader**: after a phase-1 quorum it re-proposes, for each slot from its first
  undecided slot up to the highest slot reported, the highest-ballot value reported, fills
  the remaining holes with :data:`NOOP`, then proposes buffered requests. From then on it
  skips phase 1: each new request costs one Accept round (DESIGN.md's second diagram).
  It steps down (back to follower, election timer armed) when it sees a higher ballot.

Decided slots are applied strictly in order to :mod:`paxos_core.kv`; the leader answers
the client of each command it applies. A follower that sees a gap in its decided log
(or restarts) asks for the missing decisions with ``CatchUp``. There are no heartbeats:
under a model checker a timer is just "this may now happen", so a heartbeat that merely
re-arms a follower's election timer would add messages and no behaviour. Retransmission
is driven by clients: a retried request at the leader re-sends the Accepts still in flight.

Timers are one-shot: the driver disarms a timer when it fires; the node re-arms it.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from paxos_core import kv
from paxos_core.common import BallotRules, Vote, add_id, add_vote
from paxos_core.config import ClusterConfig
from paxos_core.events import CancelTimer, Output, Outputs, Send, SetTimer
from paxos_core.messages import (
    BOTTOM,
    NOOP,
    Accept,
    Accepted,
    Ballot,
    CatchUp,
    Command,
    Decide,
    Learn,
    Nack,
    Prepare,
    Promise,
    Redirect,
    Reply,
    Request,
)

FOLLOWER, CANDIDATE, LEADER = 0, 1, 2

Entry = tuple[int, Ballot, Any]  # (slot, ballot, value)


class MultiDurable(NamedTuple):
    """Survives a crash. ``votes`` is ghost state (read by properties, never by the protocol)."""

    promised: Ballot = BOTTOM
    round_used: int = 0  # highest round this node ever led or tried: never reused
    accepted: tuple[Entry, ...] = ()  # latest accepted (slot, ballot, value), one per slot, by slot
    decided: tuple[tuple[int, Any], ...] = ()  # learned (slot, value), by slot
    votes: tuple[Vote, ...] = ()  # ghost: every (slot, ballot, value) this acceptor accepted


class MultiVolatile(NamedTuple):
    """Lost on a crash; rebuilt on restart (the KV by replaying the decided prefix)."""

    role: int = FOLLOWER
    promised_by: tuple[int, ...] = ()  # candidate: acceptors that promised its ballot
    recovered: tuple[Entry, ...] = ()  # candidate: best (slot, ballot, value) reported per slot
    inflight: tuple[tuple[int, Any, tuple[int, ...]], ...] = ()  # leader: (slot, value, acks)
    pending: tuple[Command, ...] = ()  # candidate: requests to propose once elected
    kv: kv.KVState = kv.EMPTY_KV
    applied: tuple[int, ...] = ()  # slots applied, in the order they were applied


class MultiState(NamedTuple):
    """A Multi-Paxos replica; ``volatile`` is None while the node is crashed."""

    durable: MultiDurable
    volatile: MultiVolatile | None


def first_undecided(decided: tuple[tuple[int, Any], ...]) -> int:
    """The lowest slot not in ``decided`` (sorted by slot)."""
    slot = 0
    for s, _ in decided:
        if s != slot:
            break
        slot += 1
    return slot


class _Step:
    """The state being rebuilt by one handler, and the outputs gathered so far."""

    __slots__ = ("d", "v", "out")

    def __init__(self, d: MultiDurable, v: MultiVolatile) -> None:
        self.d = d
        self.v = v
        self.out: list[Output] = []

    def result(self) -> tuple[MultiState, Outputs]:
        return MultiState(self.d, self.v), tuple(self.out)


class MultiPaxosReplica:
    """Node class of a Multi-Paxos replica running the KV store; holds configuration only."""

    def __init__(self, config: ClusterConfig) -> None:
        self.config = config
        self.rules = BallotRules(config)
        self.peers = tuple(config.replicas)
        self.q1 = config.q1
        self.q2 = config.q2
        f = config.flags
        self.ignore_promise_values = f.ignore_promise_values
        self.lowest_ballot_value = f.lowest_ballot_value
        self.forget_promise = f.forget_promise_on_restart
        self.forget_learned = f.forget_learned_on_restart
        self.forward_as_own = f.forward_as_own
        self.count_stale = f.count_stale_accepted
        self.skip_phase1 = f.leader_skips_phase1
        self.fill_with_own = f.fill_holes_with_own
        self.local_reads = f.local_reads
        self.at_most_once = not f.double_apply_retry
        self.out_of_order = f.apply_out_of_order

    # -- contract -----------------------------------------------------------------------

    def on_start(self, me: int) -> tuple[MultiState, Outputs]:
        """A fresh replica; with ``initial_leader`` the cluster starts with phase 1 done."""
        leader = self.config.initial_leader
        if leader is None:
            return MultiState(MultiDurable(), MultiVolatile()), (SetTimer("election"),)
        ballot = self.rules.ballot(1, leader)
        if me == leader:
            return MultiState(MultiDurable(promised=ballot, round_used=1), MultiVolatile(role=LEADER)), ()
        return MultiState(MultiDurable(promised=ballot), MultiVolatile()), (SetTimer("election"),)

    def on_crash(self, me: int, state: MultiState) -> MultiState:
        """Keep the durable part only (the promise and the decided log too, unless a
        mutant forgets them)."""
        durable = state.durable
        if self.forget_promise:
            durable = durable._replace(promised=BOTTOM)
        if self.forget_learned:
            durable = durable._replace(decided=())
        return MultiState(durable, None)

    def on_restart(self, me: int, state: MultiState) -> tuple[MultiState, Outputs]:
        """Rebuild the KV from the decided log, arm the election timer, ask peers to catch us up."""
        step = _Step(state.durable, MultiVolatile())
        self._apply_ready(step)
        step.out.append(SetTimer("election"))
        slot = first_undecided(step.d.decided)
        step.out.extend(Send(p, CatchUp(slot)) for p in self.peers if p != me)
        return step.result()

    def on_timer(self, me: int, state: MultiState, timer: str) -> tuple[MultiState, Outputs]:
        """``"election"``: suspect the leader and run phase 1 with a higher ballot."""
        if timer != "election" or state.volatile is None or state.volatile.role == LEADER:
            return state, ()
        step = _Step(state.durable, state.volatile)
        self._campaign(me, step)
        return step.result()

    def on_message(self, me: int, state: MultiState, src: int, msg: Any) -> tuple[MultiState, Outputs]:
        """Dispatch one delivered message."""
        if state.volatile is None:
            return state, ()
        step = _Step(state.durable, state.volatile)
        handler = self._handlers.get(type(msg))
        if handler is None:
            return state, ()
        handler(self, me, step, src, msg)
        return step.result()

    # -- leadership -----------------------------------------------------------------------

    def _my_ballot(self, me: int, d: MultiDurable) -> Ballot:
        return self.rules.ballot(d.round_used, me)

    def _campaign(self, me: int, step: _Step) -> None:
        d = step.d
        round_ = self.rules.next_round(d.round_used, d.promised)
        ballot = self.rules.ballot(round_, me)
        step.d = d = d._replace(promised=ballot, round_used=round_)
        if self.skip_phase1:
            # the mutant: lead at once, proposing after the last slot this node knows of
            step.v = step.v._replace(role=LEADER, promised_by=(), recovered=(), inflight=())
            step.out.append(CancelTimer("election"))
            pending = step.v.pending
            step.v = step.v._replace(pending=())
            for cmd in pending:
                self._propose(me, step, self._next_slot(step.d), cmd)
            return
        start = first_undecided(d.decided)
        own = tuple(e for e in d.accepted if e[0] >= start)
        step.v = step.v._replace(role=CANDIDATE, promised_by=(me,), recovered=own, inflight=())
        step.out.append(SetTimer("election"))
        step.out.extend(Send(p, Prepare(ballot, start)) for p in self.peers if p != me)
        if self.q1 <= 1:
            self._become_leader(me, step)

    def _merge(self, recovered: tuple[Entry, ...], reported: tuple[Entry, ...]) -> tuple[Entry, ...]:
        """Keep, per slot, the highest-ballot value reported (the lowest, in the mutant)."""
        best = {s: (b, val) for s, b, val in recovered}
        for s, b, val in reported:
            old = best.get(s)
            if old is None or (b < old[0] if self.lowest_ballot_value else b > old[0]):
                best[s] = (b, val)
        return tuple((s, b, val) for s, (b, val) in sorted(best.items()))

    def _become_leader(self, me: int, step: _Step) -> None:
        d, v = step.d, step.v
        decided = dict(d.decided)
        start = first_undecided(d.decided)
        recovered = {} if self.ignore_promise_values else {s: val for s, _, val in v.recovered}
        in_log = set(decided.values()) | set(recovered.values())
        pending = [c for c in v.pending if c not in in_log]
        top = max([start - 1, *recovered, *decided])
        step.v = v._replace(role=LEADER, promised_by=(), recovered=(), inflight=(), pending=())
        step.out.append(CancelTimer("election"))
        for slot in range(start, top + 1):
            if slot in decided:
                continue
            if self.fill_with_own and pending:
                value = pending.pop(0)  # the mutant: own command over the recovered value
            else:
                value = recovered.get(slot, NOOP)
            self._propose(me, step, slot, value)
        for cmd in pending:
            self._propose(me, step, self._next_slot(step.d), cmd)

    def _step_down(self, step: _Step) -> None:
        if step.v.role != FOLLOWER:
            step.v = step.v._replace(role=FOLLOWER, promised_by=(), recovered=(), inflight=(), pending=())
            step.out.append(SetTimer("election"))

    @staticmethod
    def _next_slot(d: MultiDurable) -> int:
        last = max([-1, *(e[0] for e in d.accepted), *(s for s, _ in d.decided)])
        return last + 1

    def _propose(self, me: int, step: _Step, slot: int, value: Any) -> None:
        """Phase 2a for one slot; the leader accepts locally first."""
        ballot = self._my_ballot(me, step.d)
        self._accept_locally(step, slot, ballot, value)
        step.v = step.v._replace(inflight=(*step.v.inflight, (slot, value, (me,))))
        step.out.extend(Send(p, Accept(ballot, slot, value)) for p in self.peers if p != me)
        if self.q2 <= 1:
            self._decide(me, step, slot, value, announce=True)

    def _accept_locally(self, step: _Step, slot: int, ballot: Ballot, value: Any) -> None:
        d = step.d
        accepted = tuple(sorted((*(e for e in d.accepted if e[0] != slot), (slot, ballot, value)), key=lambda e: e[0]))
        step.d = d._replace(
            promised=max(d.promised, ballot),
            accepted=accepted,
            votes=add_vote(d.votes, (slot, ballot, value)),
        )

    # -- learning and applying ------------------------------------------------------------

    def _decide(self, me: int, step: _Step, slot: int, value: Any, announce: bool) -> None:
        d = step.d
        if any(s == slot for s, _ in d.decided):
            return  # learned values never change
        step.d = d._replace(decided=tuple(sorted((*d.decided, (slot, value)), key=lambda e: e[0])))
        if step.v.inflight:
            step.v = step.v._replace(inflight=tuple(e for e in step.v.inflight if e[0] != slot))
        if announce:
            step.out.extend(Send(p, Decide(slot, value)) for p in self.peers if p != me)
        self._apply_ready(step)

    def _apply_ready(self, step: _Step) -> None:
        """Apply decided slots in order (any decided slot at once, in the mutant)."""
        v = step.v
        decided = dict(step.d.decided)
        if self.out_of_order:
            done = set(v.applied)
            ready = [s for s in sorted(decided) if s not in done]
        else:
            ready = []
            slot = len(v.applied)
            while slot in decided:
                ready.append(slot)
                slot += 1
        if not ready:
            return
        state, applied = v.kv, v.applied
        for slot in ready:
            cmd = decided[slot]
            fresh = not self.at_most_once or kv.last_seq(state, cmd.client) <= cmd.seq
            state, result = kv.apply(state, cmd, self.at_most_once)
            applied = (*applied, slot)
            if v.role == LEADER and cmd.client >= 0 and fresh:
                step.out.append(Send(cmd.client, Reply(cmd.seq, result)))
        step.v = v._replace(kv=state, applied=applied)

    # -- message handlers -----------------------------------------------------------------

    def _on_prepare(self, me: int, step: _Step, src: int, msg: Prepare) -> None:
        d = step.d
        if not self.rules.may_promise(msg.ballot, d.promised):
            step.out.append(Send(src, Nack(msg.ballot, d.promised)))
            return
        if msg.ballot > self._my_ballot(me, d):
            self._step_down(step)
        step.d = d._replace(promised=msg.ballot)
        reported = tuple(e for e in d.accepted if e[0] >= msg.slot)
        step.out.append(Send(src, Promise(msg.ballot, reported)))

    def _on_promise(self, me: int, step: _Step, src: int, msg: Promise) -> None:
        v = step.v
        if v.role != CANDIDATE or msg.ballot != self._my_ballot(me, step.d) or src in v.promised_by:
            return
        step.v = v._replace(promised_by=add_id(v.promised_by, src), recovered=self._merge(v.recovered, msg.accepted))
        if len(step.v.promised_by) >= self.q1:
            self._become_leader(me, step)

    def _on_accept(self, me: int, step: _Step, src: int, msg: Accept) -> None:
        if not self.rules.may_accept(msg.ballot, step.d.promised):
            step.out.append(Send(src, Nack(msg.ballot, step.d.promised)))
            return
        if msg.ballot > self._my_ballot(me, step.d):
            self._step_down(step)
        self._accept_locally(step, msg.slot, msg.ballot, msg.value)
        step.out.append(Send(src, Accepted(msg.ballot, msg.slot, msg.value)))

    def _on_accepted(self, me: int, step: _Step, src: int, msg: Accepted) -> None:
        v = step.v
        if v.role != LEADER:
            return
        mine = self._my_ballot(me, step.d)
        if msg.ballot != mine and not (self.count_stale and msg.ballot[1] == me and msg.ballot < mine):
            return
        for i, (slot, value, acks) in enumerate(v.inflight):
            if slot == msg.slot:
                if src in acks:
                    return
                acks = add_id(acks, src)
                step.v = v._replace(inflight=(*v.inflight[:i], (slot, value, acks), *v.inflight[i + 1 :]))
                if len(acks) >= self.q2:
                    self._decide(me, step, slot, value, announce=True)
                return

    def _on_nack(self, me: int, step: _Step, src: int, msg: Nack) -> None:
        mine = self._my_ballot(me, step.d)
        if step.v.role != FOLLOWER and msg.ballot == mine and msg.promised > mine:
            # remember the higher ballot (so the next campaign beats it) and step down
            step.d = step.d._replace(promised=max(step.d.promised, msg.promised))
            self._step_down(step)

    def _on_decide(self, me: int, step: _Step, src: int, msg: Decide) -> None:
        self._decide(me, step, msg.slot, msg.value, announce=False)
        gap = first_undecided(step.d.decided)
        if msg.slot > gap:
            step.out.append(Send(src, CatchUp(gap)))

    def _on_learn(self, me: int, step: _Step, src: int, msg: Learn) -> None:
        for slot, value in msg.entries:
            self._decide(me, step, slot, value, announce=False)

    def _on_catch_up(self, me: int, step: _Step, src: int, msg: CatchUp) -> None:
        entries = tuple(e for e in step.d.decided if e[0] >= msg.slot)
        if entries:
            step.out.append(Send(src, Learn(entries)))

    def _on_request(self, me: int, step: _Step, src: int, msg: Request) -> None:
        v = step.v
        cmd = Command(msg.client, msg.seq, msg.op)
        if v.role == LEADER:
            self._lead_request(me, step, cmd)
        elif v.role == CANDIDATE:
            if cmd not in v.pending:
                step.v = v._replace(pending=tuple(sorted((*v.pending, cmd), key=repr)))
        elif src not in self.peers:  # a follower never passes on a request it was passed
            promised = step.d.promised
            leader = promised[1] if promised != BOTTOM and promised[1] != me else None
            if not self.config.forward:
                step.out.append(Send(msg.client, Redirect(msg.seq, leader)))
            elif leader is not None:
                # the mutant passes the request on under its own name
                step.out.append(Send(leader, Request(me, msg.seq, msg.op) if self.forward_as_own else msg))

    def _lead_request(self, me: int, step: _Step, cmd: Command) -> None:
        v = step.v
        if self.local_reads and cmd.op[0] == "get":
            # the mutant: answer from local state, no round through the log
            step.out.append(Send(cmd.client, Reply(cmd.seq, dict(v.kv.data).get(cmd.op[1]))))
            return
        if self.at_most_once:
            seen = kv.last_seq(v.kv, cmd.client)
            if seen > cmd.seq:
                return  # the client has moved on
            if seen == cmd.seq:
                step.out.append(Send(cmd.client, Reply(cmd.seq, kv.session_reply(v.kv, cmd.client, cmd.seq)[1])))
                return
        applied = set(v.applied)
        in_flight = any(val == cmd for _, val, _ in v.inflight)
        waiting = any(val == cmd and s not in applied for s, val in step.d.decided)
        if in_flight or waiting:
            # a retry: whatever blocks its reply is still in flight; send those Accepts again
            ballot = self._my_ballot(me, step.d)
            for slot, value, acks in v.inflight:
                step.out.extend(Send(p, Accept(ballot, slot, value)) for p in self.peers if p not in acks)
            return
        self._propose(me, step, self._next_slot(step.d), cmd)

    _handlers: dict[type, Any] = {
        Prepare: _on_prepare,
        Promise: _on_promise,
        Accept: _on_accept,
        Accepted: _on_accepted,
        Nack: _on_nack,
        Decide: _on_decide,
        Learn: _on_learn,
        CatchUp: _on_catch_up,
        Request: _on_request,
    }

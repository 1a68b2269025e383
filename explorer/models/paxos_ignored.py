"""Partial-order reduction's declaration of the stale messages a Multi-Paxos replica
ignores for ever (``ActorModel(ignores_forever=...)``; the argument is in docs/por.md,
"Stale replica messages").

A declared delivery must leave the replica unchanged and send nothing *now* (the
reduction checks that on the spot) and in every state the replica can reach from here
(the part the reduction takes on trust, argued below from what only grows, and tested
along seeded walks of every catalogue variant in tests/test_por_stale.py):

- ``round_used`` (so the replica's own ballot ``mine = (round_used, me)``) never
  decreases, not even across a crash (it is durable and no mutant forgets it); a new
  campaign always takes a higher round. So once the replica is not the candidate (the
  leader) of ballot ``b``, it never is again;
- a Promise or Accepted of ballot ``b`` is sent only to the proposer of ``b``: ``b <= mine``;
- the decided log only grows unless the ``forget-learned-on-restart`` mutant runs, and
  a slot is proposed again in one ballot only when the leader takes office (never while
  it leads): a leader ignores Accepteds for a decided slot for ever.

What is declared, per message (anything else: not declared):

- ``Promise(b)``: ``b < mine``; or ``b == mine`` and the replica is not a candidate
  or already counted the sender;
- ``Accepted(b, slot)``: ``b < mine``; or ``b == mine`` and the replica is a follower, or
  leads with ``slot`` decided or already acknowledged by the sender (not declared in
  ``count-stale-accepted``, which counts lower ballots of its own);
- ``Nack(b, promised)``: ``b < mine``; or ``b == mine`` and the replica is a follower or
  ``promised <= mine``;
- ``Decide(slot)`` / ``Learn(entries)``: every slot already decided, below the first
  undecided one (so no CatchUp is sent); not declared in ``forget-learned-on-restart``.

In ``nonunique-ballots`` (ballots without node ids) nothing is declared: the ballot
argument above needs ids. Basic Paxos replicas declare nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from paxos_core.config import ClusterConfig
from paxos_core.messages import Accepted, Decide, Learn, Nack, Promise
from paxos_core.multi import CANDIDATE, FOLLOWER, LEADER, MultiState, first_undecided

__all__ = ["IgnoresForever", "combined", "replica_ignores_forever"]

IgnoresForever = Callable[[int, Any, int, Any], bool]


def replica_ignores_forever(cluster: ClusterConfig) -> IgnoresForever | None:
    """The declaration for Multi-Paxos replicas of ``cluster`` (None: none declared)."""
    flags = cluster.flags
    if flags.nonunique_ballots:
        return None
    stale_accepted = not flags.count_stale_accepted
    stable_log = not flags.forget_learned_on_restart

    def ignores(me: int, state: Any, src: int, msg: Any) -> bool:
        if type(state) is not MultiState or state.volatile is None:
            return False
        kind = type(msg)
        d, v = state.durable, state.volatile
        mine = (d.round_used, me)
        if kind is Promise:
            b = msg.ballot
            return b < mine or (b == mine and (v.role != CANDIDATE or src in v.promised_by))
        if kind is Accepted:
            if not stale_accepted:
                return False
            b = msg.ballot
            if b < mine:
                return True
            if b != mine:
                return False
            if v.role == FOLLOWER:
                return True
            if v.role != LEADER:
                return False
            slot = msg.slot
            if any(s == slot for s, _ in d.decided):
                return True
            return any(s == slot and src in acks for s, _, acks in v.inflight)
        if kind is Nack:
            b = msg.ballot
            return b < mine or (b == mine and (v.role == FOLLOWER or msg.promised <= mine))
        if kind is Decide or kind is Learn:
            if not stable_log:
                return False
            # every slot below the first undecided one is decided, and none asks for a CatchUp
            slots = (msg.slot,) if kind is Decide else tuple(s for s, _ in msg.entries)
            gap = first_undecided(d.decided)
            return bool(slots) and all(s < gap for s in slots)
        return False

    return ignores


def combined(*declarations: IgnoresForever | None) -> IgnoresForever | None:
    """One declaration that holds when any of ``declarations`` does."""
    given = [d for d in declarations if d is not None]
    if not given:
        return None
    if len(given) == 1:
        return given[0]

    def ignores(me: int, state: Any, src: int, msg: Any) -> bool:
        for declaration in given:  # (a loop: asked per delivery of every reduced state)
            try:
                if declaration(me, state, src, msg):
                    return True
            except (TypeError, AttributeError, ValueError, IndexError, KeyError):
                # a mutant's ill-typed message or state: not declared ignored, which is
                # always sound (synod mutate must judge the mutant, not crash on it)
                continue
        return False

    return ignores

"""Pieces shared by the Basic and Multi-Paxos replicas: ballot rules and sorted-tuple sets."""

from __future__ import annotations

from typing import Any

from paxos_core.config import ClusterConfig
from paxos_core.messages import Ballot

Vote = tuple[int, Ballot, Any]  # (slot, ballot, value)


def vote_key(vote: Vote) -> tuple[int, Ballot, str]:
    """Sort key of a vote: values of different types do not compare, their repr does."""
    return (vote[0], vote[1], repr(vote[2]))


def add_vote(votes: tuple[Vote, ...], vote: Vote) -> tuple[Vote, ...]:
    """``votes`` with ``vote`` added, kept sorted and free of duplicates (a set as a tuple)."""
    if vote in votes:
        return votes
    return tuple(sorted((*votes, vote), key=vote_key))


def add_id(ids: tuple[int, ...], node: int) -> tuple[int, ...]:
    """Sorted tuple of ids with ``node`` added."""
    if node in ids:
        return ids
    return tuple(sorted((*ids, node)))


class BallotRules:
    """The acceptor's tests and the proposer's ballot choice, with the variant baked in."""

    __slots__ = ("promise_geq", "accept_any", "unique")

    def __init__(self, config: ClusterConfig) -> None:
        flags = config.flags
        # nonunique-ballots: ballots are bare rounds and Prepare is promised on >=
        self.promise_geq = flags.nonunique_ballots
        self.unique = not flags.nonunique_ballots
        self.accept_any = flags.accept_ignores_promise

    def may_promise(self, ballot: Ballot, promised: Ballot) -> bool:
        """Phase 1b rule: strictly above the promise (>= in the nonunique mutant)."""
        return ballot >= promised if self.promise_geq else ballot > promised

    def may_accept(self, ballot: Ballot, promised: Ballot) -> bool:
        """Phase 2b rule: at least the promise (anything in the accept-ignores-promise mutant)."""
        return self.accept_any or ballot >= promised

    def ballot(self, round_: int, me: int) -> Ballot:
        """The ballot ``me`` uses in ``round_``: unique per node unless the mutant drops the id."""
        return (round_, me) if self.unique else (round_, 0)

    def next_round(self, round_used: int, promised: Ballot) -> int:
        """A round above anything this node used or promised, so its new ballot wins locally."""
        return max(round_used, promised[0]) + 1

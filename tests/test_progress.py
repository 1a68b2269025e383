"""Truthful messages, elections retried, bounded progress (explorer/models/paxos_progress.py).

Each property fails on the generated mutant it was written for (docs/mutation.md, the
gaps closed), in the small portfolio world built for it, and holds on the correct
protocol there (tests/test_portfolio.py runs every world).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from explorer.models.config import CheckConfig, Faults
from explorer.models.paxos_progress import (
    LEADER_TRACKS_SLOTS,
    PROGRESS,
    STEPS_DOWN,
    TRUTHFUL_MESSAGES,
    untruthful,
)
from explorer.models.portfolio import DEFAULT_PORTFOLIO, PortfolioWorld, select_world
from explorer.models.portfolio_run import run_world
from explorer.models.registry import build_model
from explorer.mutants.mutate import generate
from explorer.mutants.mutate_run import MutationJob, run_mutant
from paxos_core.messages import Accepted, Nack, Promise
from paxos_core.multi import MultiDurable, MultiState, MultiVolatile

REPO = Path(__file__).resolve().parent.parent

# (mutant id, the world that kills it, the property that fails there)
GAPS = [
    ("multi.py:208:drop:872579", "election-retry", "quiescence"),  # a candidate never re-arms its timer
    ("multi.py:314:swap:455427", "election-retry", TRUTHFUL_MESSAGES),  # Nack(promised, ballot)
    ("client.py:72:constant:16aeac", "progress-failover", PROGRESS),  # a retry to the same replica
    ("multi.py:306:drop:119260", "progress-failover", PROGRESS),  # the leader never replies
    ("basic.py:116:negate:675add", "basic-crash", "quiescence"),  # a proposer never retries
    ("client.py:84:drop:a72b57", "progress-failover", PROGRESS),  # a client's second op never starts
    ("kv.py:33:constant:fb968c", "reads", "client-visible"),  # a get answers None
    ("multi.py:246:drop:289e48", "election-retry", "quiescence"),  # a stepped-down leader never campaigns
    ("multi.py:56:constant:79b816", "progress-replies", PROGRESS),  # CANDIDATE == FOLLOWER: no forwarding
    ("multi.py:151:durable:05f99c", "crash-recovery", "agreement"),  # accepted values lost in a crash
    ("multi.py:367:drop:7a455a", "lost-decide", "quiescence"),  # a gap seen, never asked for
    ("multi.py:406:drop:393e4e", "progress-lossy", PROGRESS),  # a retry of an applied op not answered
    ("multi.py:351:bound:b5702c", "progress-pipeline", LEADER_TRACKS_SLOTS),  # one slot's acks update drops the next
    ("multi.py:374:compare:8034ce", "lost-decide", "quiescence"),  # Learn leaves the asked-for slot out
    ("multi.py:361:drop:b3343e", "election-retry", STEPS_DOWN),  # a refused candidate keeps campaigning
    # the last eight gaps of the 220-mutant sample (docs/mutation.md), closed by the
    # scripted worlds, basic-progress and leader tracks its slots
    ("kv.py:67:negate:859d15", "retry-dup", "client-visible"),  # at-most-once off: a logged retry applied again
    ("kv.py:69:compare:18c392", "retry-dup", "client-visible"),  # an exact duplicate applied again
    ("kv.py:70:compare:3eec57", "retry-dup", "client-visible"),  # a duplicate answered None, not its stored reply
    ("multi.py:385:drop:890179", "candidate-buffers", PROGRESS),  # a candidate drops the requests it gets
    ("multi.py:415:drop:d8899a", "lost-accept", PROGRESS),  # a retry does not re-send the Accepts in flight
    ("multi.py:96:constant:3dc2e9", "catch-up", LEADER_TRACKS_SLOTS),  # phase 1 starts past an undecided slot
    ("basic.py:242:drop:d6f7b6", "basic-progress", PROGRESS),  # learning from its own vote, no reply
    ("basic.py:159:negate:aa2a4a", "basic-progress", "quiescence"),  # a proposing learner forgets its tally
    # gaps of the second, fresh sample (docs/mutation.md), closed by basic-decide and redirect
    ("basic.py:293:negate:9828f0", "basic-decide", "quiescence"),  # the distinguished learner never sends Decide
    ("client.py:86:compare:ac8a2e", "redirect", PROGRESS),  # a Redirect for the outstanding op ignored
    ("client.py:86:compare:fc0af3", "redirect", PROGRESS),  # a Redirect to another replica ignored
    ("client.py:87:drop:6331fc", "redirect", "sometimes 'operation completed' never witnessed"),  # asks the follower again
    ("multi.py:210:compare:3b7689", "solo", "sometimes 'operation completed' never witnessed"),  # q1=1 waits for a promise
    ("multi.py:211:drop:991ddf", "solo", "sometimes 'operation completed' never witnessed"),  # the same
    # gaps of the third, fresh sample (docs/mutation.md), closed by two-majority and q2-all
    ("config.py:129:constant:ddd02e", "two-majority", "learned is chosen"),  # default quorum n // 3 + 1
    ("multi.py:351:drop:b13c42", "q2-all", PROGRESS),  # the leader never stores its tally of acks
]


@pytest.fixture(autouse=True)
def _run_from_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


def acceptor(promised: tuple[int, int], votes: tuple[tuple[int, tuple[int, int], str], ...] = ()) -> MultiState:
    return MultiState(MultiDurable(promised=promised, votes=votes), MultiVolatile())


def test_a_nack_citing_a_lower_or_unmade_promise_is_untruthful() -> None:
    state = acceptor((2, 1))
    assert untruthful(0, Nack((1, 0), (2, 1)), state) is None
    assert "lower promise" in (untruthful(0, Nack((2, 1), (1, 0)), state) or "")
    assert "promised only" in (untruthful(0, Nack((1, 0), (3, 1)), state) or "")


def test_promises_and_accepteds_must_report_votes_cast() -> None:
    vote = (0, (1, 0), "a")
    state = acceptor((2, 1), (vote,))
    assert untruthful(0, Promise((2, 1), (vote,)), state) is None
    assert "never voted" in (untruthful(0, Promise((2, 1), ((0, (1, 0), "b"),)), state) or "")
    assert "promise is" in (untruthful(0, Promise((3, 1), ()), state) or "")
    assert untruthful(0, Accepted((1, 0), 0, "a"), state) is None
    assert "never voted" in (untruthful(0, Accepted((2, 1), 0, "a"), state) or "")


def test_progress_is_checked_only_where_a_world_asks_for_it() -> None:
    names = {p.name for p in build_model(select_world(DEFAULT_PORTFOLIO, "progress-replies").config).properties()}
    assert {PROGRESS, TRUTHFUL_MESSAGES} <= names
    plain = {p.name for p in build_model(CheckConfig(model="multipaxos", clients=1)).properties()}
    assert {TRUTHFUL_MESSAGES, STEPS_DOWN} <= plain and PROGRESS not in plain
    basic = {p.name for p in build_model(CheckConfig(model="basic", clients=1)).properties()}
    assert TRUTHFUL_MESSAGES in basic and STEPS_DOWN not in basic


def test_the_new_worlds_witness_what_applies_there() -> None:
    for name in ("election-retry", "progress-failover", "progress-replies",
                 "retry-dup", "candidate-buffers", "lost-accept", "basic-progress", "basic-decide", "redirect", "solo", "q2-all"):
        outcome = run_world(select_world(DEFAULT_PORTFOLIO, name))
        assert outcome.verdict == "holds", (name, outcome.violations)
        assert all(outcome.result.sometimes.values()), (name, outcome.result.sometimes)


def test_each_gap_mutant_is_killed_by_its_world_and_property(tmp_path: Path) -> None:
    mutants, sources = generate("paxos_core", ["basic.py", "client.py", "config.py", "kv.py", "multi.py"])
    by_id = {m.id: m for m in mutants}

    def check(gap: tuple[str, str, str]) -> tuple[str, str | None, str | None]:
        mutant_id, world, _ = gap
        # what the unmutated protocol witnesses there: a mutant that loses it is killed
        witnessed = {world: ["operation completed"]} if world in ("redirect", "solo") else None
        job = MutationJob(world=world, budget_s=300, traces=str(tmp_path), witnessed=witnessed)
        result = run_mutant(job, by_id[mutant_id], sources[by_id[mutant_id].module])
        return result.status, result.world, result.property

    with ThreadPoolExecutor(max_workers=2) as pool:  # one process per mutant, two at once
        results = list(pool.map(check, GAPS))
    assert results == [("killed", world, prop) for _, world, prop in GAPS]


def test_quiescence_excuses_a_hole_waiting_for_a_crashed_replica() -> None:
    # two replicas, majority quorums: the leader's Accept for slot 0 waits for the
    # crashed follower (delivered when it restarts), so the leader's later slot leaves a
    # hole no live replica can fill; a false positive at depth 9 before (as a user gets
    # with `synod check --model multipaxos --nodes 2 --depth 9`)
    outcome = run_world(select_world(DEFAULT_PORTFOLIO, "two-majority"))  # depth 9
    assert outcome.result.verdict == "holds" and outcome.result.complete, outcome.violations


def test_quiescence_judges_neither_worlds_past_the_bound_nor_a_crashed_replicas_decisions_away() -> None:
    # a leader decides alone (q2=1), replies, loses its Decide and crashes; the follower
    # campaigns past the one-ballot bound: neither that world (cut off, not settled) nor
    # the one before it (the crashed leader's log is durable) is a quiescence violation
    config = CheckConfig(
        model="multipaxos", nodes=2, clients=3, ops=1, ballots=1, phase1_quorum=2, phase2_quorum=1,
        faults=Faults(drop=1, crash=1), extra=(("retries", 0),),
    )
    outcome = run_world(PortfolioWorld("lost-decide", "", config, depth=7))
    assert outcome.result.verdict == "holds", outcome.violations

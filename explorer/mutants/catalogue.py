"""The catalogue of seeded Paxos bugs ("mutants") and the bounds under which each is caught.

Each :class:`MutantCase` names one paxos_core variant (``paxos_core.VARIANTS``), the
smallest check configuration we found under which breadth-first search reaches a
violation (for one case, lowest-ballot-value, depth-first search to a fixed depth: BFS
needs about a minute there), the search bounds, and the property expected to catch it. Running the
catalogue (:func:`run_case`) is the mutation score of those bounds: it shows that a
"holds" from ``synod check`` at such bounds means something, and how deep a user's own
bounds must go to catch mistakes of each kind.

For every case the correct protocol is checked by BFS at the same configuration and
depth, or for the DFS case to :data:`CORRECT_DEPTH` (:func:`run_correct`): it must
hold, with every ``sometimes`` property witnessed, so a catch is never an artefact of a
property that fires on correct runs.

Some mistakes are harmless on their own at small bounds; they are kept as
:data:`HARMLESS` entries with the reason, and a test pins exactly which properties
fail at their documented bounds (usually none: a silent pass would hide that). A
mistake that no search catches within CI's time goes in :data:`NOT_CAUGHT`, which
makes ``synod mutants`` fail (none is there today).
"""

from __future__ import annotations

import dataclasses
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from explorer.engine.model import Model
from explorer.engine.results import SearchResult, SearchSettings, Violation
from explorer.models.config import CheckConfig, Faults


@dataclass(frozen=True)
class MutantCase:
    """One seeded bug and the smallest bounds under which BFS (or the case's strategy) catches it."""

    variant: str  # a paxos_core variant name
    config: CheckConfig  # the model half of the check (variant included)
    max_depth: int  # BFS depth bound (actions on a path)
    expected_property: str  # the property that fires first at these bounds
    max_states: int = 400_000  # a safety net, far above what the case needs
    note: str = ""  # how the shortest counterexample goes
    strategy: str = "bfs"  # "dfs": depth-first to max_depth (the correct protocol: CORRECT_DEPTH)
    seed: int = 0  # random / swarm

    @property
    def name(self) -> str:
        return self.variant

    @property
    def correct_depth(self) -> int:
        # A DFS case goes deeper than BFS can exhaust the correct protocol in CI time:
        # it is checked to its own depth (CORRECT_DEPTH) instead.
        if self.strategy != "bfs":
            return CORRECT_DEPTH[self.variant]
        return max(self.max_depth, CORRECT_DEPTH.get(self.variant, self.max_depth))

    def correct_config(self) -> CheckConfig:
        """The same configuration running the correct protocol."""
        return dataclasses.replace(self.config, variant="correct")

    def correct_check_key(self) -> tuple[CheckConfig, int]:
        """What the correct-protocol check of this case depends on (configuration and
        depth): cases with equal keys share one check."""
        return self.correct_config(), self.correct_depth

    def settings(
        self, strategy: str = "bfs", seed: int = 0, depth: int | None = None, por: bool = False
    ) -> SearchSettings:
        if strategy in ("bfs", "dfs"):
            return SearchSettings(
                strategy=strategy,  # type: ignore[arg-type]
                max_depth=depth or self.max_depth, max_states=self.max_states, por=por,
            )
        return SearchSettings(
            strategy=strategy,  # type: ignore[arg-type]
            max_depth=self.walk_depth,
            max_states=self.max_states,
            seed=seed,
            walks=WALK_LIMIT,
        )

    @property
    def walk_depth(self) -> int:
        """Length bound of a random walk: slack over the BFS depth (a walk must stumble on
        the bug, not follow the shortest path)."""
        return max(20, 3 * self.max_depth)


#: random/swarm: at most this many walks per case before giving up
WALK_LIMIT = 20_000


def _basic(clients: int = 2, ballots: int = 1, faults: Faults | None = None, **kw: Any) -> CheckConfig:
    return CheckConfig(
        model="basic", nodes=3, clients=clients, ops=1, ballots=ballots,
        faults=faults or Faults(), **kw,
    )


def _multi(clients: int = 2, ops: int = 1, ballots: int = 2, faults: Faults | None = None, **kw: Any) -> CheckConfig:
    return CheckConfig(
        model="multipaxos", nodes=3, clients=clients, ops=ops, ballots=ballots,
        faults=faults or Faults(), **kw,
    )


def _case(variant: str, config: CheckConfig, depth: int, prop: str, note: str = "") -> MutantCase:
    return MutantCase(variant, dataclasses.replace(config, variant=variant), depth, prop, note=note)


def _multi2(clients: int = 2, **kw: Any) -> CheckConfig:
    """Multi-Paxos on 2 replicas (flexible quorums given by the case), 2 ballots, no faults.

    Two replicas are enough for a follower to forward a client's retry to the leader,
    and a 1-replica quorum lets a value be chosen in few steps.
    """
    return CheckConfig(
        model="multipaxos", nodes=2, clients=clients, ops=1, ballots=2, faults=Faults(), **kw,
    )


def _flex2(ballots: int = 1) -> CheckConfig:
    """Basic Paxos on 2 replicas with flexible quorums: phase 1 on 1 acceptor, phase 2 on both.

    The quorums intersect (1 + 2 > 2), so the correct protocol is safe, and a proposer
    goes to phase 2 on its own promise: the smallest space in which two proposers can
    each get a value accepted, which is what the acceptor and proposer mistakes need.
    """
    return CheckConfig(
        model="basic", nodes=2, clients=2, ops=1, ballots=ballots, faults=Faults(),
        phase1_quorum=1, phase2_quorum=2,
    )


CATALOGUE: tuple[MutantCase, ...] = (
    _case(
        "quorum-one", _flex2(), 2, "learned is chosen",
        "replica 0 learns client 2's value on its own vote, one of the two a quorum needs "
        "(agreement breaks at depth 5, when replica 1 learns client 3's)",
    ),
    _case(
        "phase2-off-by-one", _basic(ballots=1), 4, "learned is chosen",
        "replica 0 wins phase 1 with replica 1's promise and learns v0 on its own vote, 1 of "
        "the 2 a majority needs (agreement breaks at depth 9, when replica 1 gets v1 "
        "accepted by replica 2)",
    ),
    _case(
        "ignore-promise-values", _flex2(ballots=2), 7, "agreement",
        "v0 chosen by both; replica 1 then proposes its own v1 over the v0 it accepted",
    ),
    _case(
        "accept-ignores-promise", _flex2(), 7, "agreement",
        "v1 chosen at ballot (1,1); replica 1 then accepts the stale Accept(1,0) of v0",
    ),
    _case(
        "nonunique-ballots", _flex2(), 7, "agreement",
        "both proposers use ballot (1,0); each acceptor accepts both values in it",
    ),
    _case(
        "forget-promise-on-restart", _multi(clients=0, faults=Faults(crash=1)), 1,
        "promise monotonicity",
        "a crash wipes the promise of ballot (1,0) that every replica starts with",
    ),
    _case(
        "forget-learned-on-restart",
        dataclasses.replace(_multi2(clients=1, phase1_quorum=2, phase2_quorum=1), faults=Faults(crash=1)),
        3, "stability",
        "leader 0 decides client 2's put on its own vote (q2=1) and crashes: its decided "
        "log is gone, though the put stays chosen (and would come back by catch-up)",
    ),
    _case(
        "forward-as-own",
        _multi2(clients=1, phase1_quorum=2, phase2_quorum=1, extra=(("client_targets", (1,)),)),
        3, "validity",
        "follower 1 passes client 2's put to leader 0 as Request(client=1, ...); the leader "
        "votes for a command no client invoked (its reply would go to replica 1)",
    ),
    _case(
        "leader-skips-phase1", _multi(), 8, "agreement",
        "replica 2 takes over without phase 1 and proposes in slot 0, already chosen",
    ),
    _case(
        "apply-out-of-order", _multi(), 6, "log consistency",
        "the leader applies slot 1 (client 4's cas) while slot 0 is still open",
    ),
    _case(
        "double-apply-retry", _multi2(phase1_quorum=2, phase2_quorum=1), 8, "client-visible",
        "leader 0 applies client 2's put, then client 3's cas (x: 1 -> 11); the cas's retry, "
        "forwarded by replica 1, is applied again and fails: client 3 is told False",
    ),
    _case(
        "local-reads",
        _multi2(
            clients=3, phase1_quorum=1, phase2_quorum=2,
            extra=(("client_targets", (0, 0, 1)), ("retries", 0)),
        ),
        9, "linearizable",
        "client 2's put is chosen and answered by leader 0; replica 1 starts an election "
        "(phase 1 on itself) and answers client 4's get from its empty store: None after ok",
    ),
    _case(
        "fill-holes-with-own",
        _multi2(phase1_quorum=2, phase2_quorum=1, extra=(("client_targets", (0, 1)), ("retries", 0))),
        7, "agreement",
        "client 2's put is chosen in slot 0 by leader 0 alone (q2=1); candidate 1, holding "
        "client 3's cas, wins phase 1 with 0's promise, which reports the put, and writes "
        "the cas into slot 0 instead",
    ),
    _case(
        "count-stale-accepted",
        CheckConfig(
            model="basic", nodes=3, clients=1, ops=1, ballots=2, faults=Faults(),
            phase1_quorum=1, phase2_quorum=3,
        ),
        7, "learned is chosen",
        "replica 0 retries client 3's v0 at ballot (2,0) and learns it on replica 2's vote "
        "plus replica 1's stale Accepted of (1,0): two votes in each ballot, none chosen "
        "(with a second client, agreement breaks at action 14, when another value is "
        "chosen: see docs/mutants.md)",
    ),
    # DFS, not BFS: the shortest counterexample is 13 steps and BFS needs 273,000 states
    # (about a minute) to reach it; depth-first search to depth 13 finds one in ~30,000.
    dataclasses.replace(
        _case(
            "lowest-ballot-value",
            CheckConfig(
                model="basic", nodes=3, clients=2, ops=1, ballots=2, faults=Faults(),
                extra=(("client_targets", (1, 0)), ("retries", 0)),
            ),
            13, "agreement",
            "replica 1 accepts client 3's v0 at ballot 1.1; replica 0 gets client 4's v1 "
            "chosen at 2.0 with replica 2; replica 1 retries at 2.1, hears v1@2.0 from "
            "replica 0, keeps its own older v0 and gets it chosen with replica 0",
        ),
        strategy="dfs",
    ),
)

#: Depth at which the correct protocol is also checked (>= the case's depth), deep
#: enough for every ``sometimes`` property of the configuration to be witnessed.
CORRECT_DEPTH: dict[str, int] = {
    "quorum-one": 7,
    "phase2-off-by-one": 9,
    "forget-promise-on-restart": 3,
    "forget-learned-on-restart": 6,  # "crashed node caught up" needs 6 actions
    "forward-as-own": 4,  # "operation completed" needs 4 actions
    "lowest-ballot-value": 10,  # the DFS case (depth 13): BFS to 10 is 35,809 states
}


@dataclass(frozen=True)
class HarmlessCase:
    """A mistake that cannot do harm in one configuration: pinned so it never passes silently."""

    variant: str
    config: CheckConfig
    max_depth: int
    why: str
    #: properties that do fail there, exactly these: deviations from the configuration
    #: that are not harm (a replica learning on fewer votes than the configured quorum
    #: when a smaller one is still safe)
    flagged_by: tuple[str, ...] = ()


#: Mistakes that are harmless in a given configuration, and why (a test checks each).
HARMLESS: tuple[HarmlessCase, ...] = (
    HarmlessCase(
        "phase2-off-by-one",
        dataclasses.replace(_basic(ballots=1), nodes=2, variant="phase2-off-by-one"),
        8,
        "with an even number of nodes, n//2 Accepted plus a majority of Promises still "
        "intersect (1 + 2 > 2): no two values are ever decided, and the off-by-one only "
        "bites with an odd n. A replica does learn on 1 of the 2 votes the configured "
        "quorum means, which 'learned is chosen' reports",
        flagged_by=("learned is chosen",),
    ),
    HarmlessCase(
        "count-stale-accepted",
        dataclasses.replace(_flex2(ballots=2), variant="count-stale-accepted"),
        7,
        "with two ballots the stale acknowledgement is counted for a value the proposer's "
        "own vote and the recovered value already back, so a quorum did choose it (the "
        "catalogue's case, 3 nodes with q1=1 q2=3, is where it is not)",
    ),
)

@dataclass(frozen=True)
class PairCase:
    """Two mistakes that are harmless alone and harmful together, at one configuration:
    each alone holds exhaustively to ``max_depth``, the pair fails there."""

    variants: tuple[str, str]
    config: CheckConfig  # variant "correct": the halves and the pair are set per run
    max_depth: int  # BFS depth of the pair's shortest counterexample
    expected_property: str
    why: str

    @property
    def variant(self) -> str:
        return "+".join(self.variants)

    def config_for(self, variant: str) -> CheckConfig:
        return dataclasses.replace(self.config, variant=variant)


#: Found by ``bench/mutant_pairs.py`` (which searches every pair of mistakes silent at a
#: catalogue configuration); a test pins both halves and the pair.
PAIRS: tuple[PairCase, ...] = (
    PairCase(
        ("leader-skips-phase1", "apply-out-of-order"),
        _multi2(clients=1, phase1_quorum=2, phase2_quorum=1),
        6, "log consistency",
        "leader 0 decides the put in slot 0 alone (q2=1); replica 1, which accepted it but "
        "never heard it decided, takes over without phase 1 and puts the client's retry in "
        "slot 1, decides it alone and applies it before slot 0. Alone, skipping phase 1 "
        "only makes a duplicate slot, which the at-most-once table answers, and applying "
        "out of order needs a second slot, which one client's one put never makes",
    ),
    PairCase(
        ("double-apply-retry", "apply-out-of-order"),
        _multi2(clients=1, phase1_quorum=2, phase2_quorum=1),
        6, "log consistency",
        "the put's retry, forwarded by replica 1, is proposed again by leader 0 (no "
        "at-most-once table) in slot 1; replica 1 applies that Decide before slot 0's. "
        "Alone, a put applied twice answers ok twice (harmless), and one put makes no "
        "second slot to apply out of order",
    ),
)


#: Seeded mistakes this catalogue does not catch yet: variant -> why, and what was tried.
#: ``synod mutants`` lists them and exits 1 while any remains (no silent pass).
NOT_CAUGHT: dict[str, str] = {}


def catalogue_by_name() -> dict[str, MutantCase]:
    return {case.name: case for case in CATALOGUE}


# -- running a case --------------------------------------------------------------------


@dataclass
class CaseOutcome:
    """What one search of one case found."""

    case: MutantCase
    strategy: str
    result: SearchResult
    seconds: float

    @property
    def violation(self) -> Violation | None:
        return self.result.violations[0] if self.result.violations else None

    @property
    def caught(self) -> bool:
        return self.violation is not None

    @property
    def property_name(self) -> str | None:
        v = self.violation
        return v.property_name if v is not None else None

    @property
    def depth(self) -> int | None:
        v = self.violation
        return v.step if v is not None else None


@dataclass
class CorrectOutcome:
    """The correct protocol at a case's configuration and depth."""

    case: MutantCase
    result: SearchResult
    seconds: float
    unwitnessed: list[str] = field(default_factory=list)

    @property
    def holds(self) -> bool:
        return self.result.verdict == "holds" and covered(self.result) and not self.unwitnessed


def covered(result: SearchResult) -> bool:
    """Everything within the bounds was searched: completely, or (under ``--por``) every
    reduced path up to the depth bound (docs/por.md: what that does and does not cover)."""
    return result.complete or (result.stopped_by == "depth" and "depth" in result.extra.get("por", {}))


def build(config: CheckConfig) -> Model[Any, Any]:
    """The checked Paxos model of ``config`` (what ``explorer.models.build_model`` gives)."""
    from explorer.models.paxos import build_checked

    return build_checked(config)


def run_case(case: MutantCase, strategy: str = "bfs", seed: int = 0, por: bool = False) -> CaseOutcome:
    """Search the mutant of ``case`` with ``strategy`` (bfs: its bounds; random/swarm: walks)."""
    return _run_case(case, strategy, seed, por)


def _run_case(case: MutantCase, strategy: str, seed: int, por: bool = False) -> CaseOutcome:
    from explorer.engine.search import search

    model = build(case.config)
    start = time.perf_counter()
    result = search(model, case.settings(strategy, seed, por=por), None)
    return CaseOutcome(case, strategy, result, time.perf_counter() - start)


def run_correct(case: MutantCase, por: bool = False) -> CorrectOutcome:
    """Check the correct protocol exhaustively at ``case``'s configuration and depth."""
    from explorer.engine.search import search

    model = build(case.correct_config())
    start = time.perf_counter()
    result = search(model, case.settings("bfs", depth=case.correct_depth, por=por), None)
    unwitnessed = sorted(name for name, seen in result.sometimes.items() if not seen)
    return CorrectOutcome(case, result, time.perf_counter() - start, unwitnessed)


def run_pair(pair: PairCase, por: bool = False) -> dict[str, Any]:
    """BFS each half of ``pair``, the pair and the correct protocol to the pair's depth:
    the row ``synod mutants`` prints (``ok``: halves and correct hold, the pair fails as
    expected)."""
    from explorer.engine.search import search

    start = time.perf_counter()
    settings = SearchSettings(max_depth=pair.max_depth, por=por)

    def clean(variant: str) -> bool:
        result = search(build(pair.config_for(variant)), settings, None)
        return result.verdict == "holds" and covered(result)

    both = search(build(pair.config_for(pair.variant)), settings, None)
    violation = both.violations[0] if both.violations else None
    halves_hold = all(clean(half) for half in pair.variants)
    correct_holds = clean("correct")
    # Reduced (por), a path may also take free steps, which no depth bound counts
    # (docs/por.md, "Depth bounds"): it is found within the bound, with more actions.
    caught = violation is not None and violation.property_name == pair.expected_property and (
        violation.step == pair.max_depth or (por and violation.step > pair.max_depth)
    )
    return {
        "pair": pair.variant,
        "property": violation.property_name if violation else None,
        "expected_property": pair.expected_property,
        "depth": violation.step if violation else None,
        "distinct_states": both.distinct_states,
        "halves_hold": halves_hold,
        "correct_holds": correct_holds,
        "ok": caught and halves_hold and correct_holds,
        "why": pair.why,
        "seconds": round(time.perf_counter() - start, 3),
    }


def map_cases(
    fn: Callable[[MutantCase], Any],
    cases: list[MutantCase],
    jobs: int,
    backend: str = "local",
    address: str | None = None,
) -> list[Any]:
    """``fn`` over ``cases`` in order, on ``jobs`` workers of ``backend`` (local
    processes, 1: in this process; or Ray tasks): :func:`explorer.engine.backends.map_on`."""
    from explorer.engine.backends import map_on

    return map_on(fn, cases, backend, jobs, address)


def shuffled(cases: list[MutantCase], seed: int) -> list[MutantCase]:
    out = list(cases)
    random.Random(seed).shuffle(out)
    return out

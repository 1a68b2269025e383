"""The default check: a portfolio of small worlds, each searched to a depth it completes.

One configuration catches the mistakes that show in that configuration. Protocol bugs
mostly show in a *small* world at a *low* depth (the small scope hypothesis), but each
class of bug needs its own small world: duelling proposers need Basic Paxos with two
ballots, leader recovery needs a leader change with holes to fill, durability a crash,
sessions clients with several operations, counting distinct acceptors duplicates with
q2 = n, catch-up a replica that misses decisions. :data:`DEFAULT_PORTFOLIO` names one
world per class, each explored exhaustively (BFS) to a depth chosen so that it
completes, plus a deep seeded swarm pass over a larger world; ``synod check`` with no
world-selecting option runs them all and reports the worst verdict.

A user declares their own portfolio as a Python list of :class:`PortfolioWorld`
(``--portfolio package.module:NAME``) or as a small TOML file (``--portfolio FILE.toml``,
see :func:`load_portfolio` and examples/portfolio.toml).
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from explorer.engine.results import STRATEGIES, SearchSettings
from explorer.models.config import CheckConfig, ConfigError, Faults, extra_pairs
from explorer.models.user_modules import import_user_module

__all__ = [
    "DEFAULT_PORTFOLIO",
    "PortfolioWorld",
    "load_portfolio",
    "select_world",
    "with_variant",
]


@dataclass(frozen=True)
class PortfolioWorld:
    """One named world of a portfolio: what to build and how far to search it."""

    name: str
    purpose: str  # the class of mistakes this world is here for
    config: CheckConfig
    strategy: str = "bfs"
    depth: int | None = None  # bfs/dfs: max actions on a path; swarm: the longest walk
    max_states: int | None = None
    walks: int | None = None  # random/swarm only
    seed: int = 0
    sample: bool = False  # a deliberately partial search (a DFS cut by max_states); swarm always is

    @property
    def is_sample(self) -> bool:
        """A sample can find a violation but never show that one is absent."""
        return self.sample or self.strategy in ("random", "swarm")

    def settings(self, seed: int | None = None) -> SearchSettings:
        """The search settings of this world (``seed`` overrides the world's own)."""
        return SearchSettings(
            strategy=self.strategy,  # type: ignore[arg-type]
            max_depth=self.depth,
            max_states=self.max_states,
            walks=self.walks,
            seed=self.seed if seed is None else seed,
            symmetry=self.config.symmetry,
        )

    def validate(self) -> None:
        """Reject a world no search can run (ConfigError, one line)."""
        where = f"portfolio world {self.name!r}"
        if not self.name or not all(c.isalnum() or c in "-_." for c in self.name):
            raise ConfigError(f"portfolio world name {self.name!r} must be letters, digits, - _ .")
        if self.strategy not in STRATEGIES:
            raise ConfigError(f"{where}: unknown strategy {self.strategy!r} (known: {', '.join(STRATEGIES)})")
        if self.strategy in ("bfs", "dfs") and self.depth is None and self.max_states is None:
            raise ConfigError(f"{where}: a {self.strategy} world needs a depth or max_states bound")
        if self.strategy in ("random", "swarm") and self.walks is None:
            raise ConfigError(f"{where}: a {self.strategy} world needs a number of walks")
        for label, value in (("depth", self.depth), ("max_states", self.max_states), ("walks", self.walks)):
            if value is not None and value < (0 if label == "depth" else 1):
                raise ConfigError(f"{where}: {label} must be positive, got {value}")
        self.config.validate()

    def describe(self) -> str:
        """The search in words: ``bfs to depth 9`` or ``swarm: 300 walks of <= 40``."""
        if self.strategy in ("random", "swarm"):
            return f"{self.strategy}: {self.walks} walks of ≤ {self.depth} actions, seed {self.seed}"
        bound = f"depth {self.depth}" if self.depth is not None else f"{self.max_states:,} states"
        if self.depth is not None and self.max_states is not None:
            bound += f", first {self.max_states:,} states"
        return f"{self.strategy} to {bound}" + (" (a sample)" if self.sample else "")


def _multi(
    nodes: int, clients: int, ops: int = 1, faults: Faults | None = None, ballots: int = 2,
    extra: tuple[tuple[str, Any], ...] = (), **kw: Any,
) -> CheckConfig:
    # every Multi-Paxos world also checks "leader tracks its slots" (stricter than
    # safety, so an option: explorer/models/paxos_progress.py)
    return CheckConfig(
        model="multipaxos", nodes=nodes, clients=clients, ops=ops, ballots=ballots,
        faults=faults or Faults(), extra=extra_pairs({**dict(extra), "leader_tracks_slots": True}), **kw,
    )


def _basic(nodes: int, clients: int, faults: Faults | None = None, ballots: int = 2, **kw: Any) -> CheckConfig:
    return CheckConfig(
        model="basic", nodes=nodes, clients=clients, ops=1, ballots=ballots, faults=faults or Faults(), **kw
    )


# Order: exhaustive worlds first (BFS: the shortest counterexample), the samples last.
# Depths: the deepest each world completes within its share of the 60 CPU-s budget at
# today's speed (figures: docs/portfolio.md, bench/bench_portfolio.py). Once the actor
# world gets cheaper, the ones marked "grows" are the first to deepen.
DEFAULT_PORTFOLIO: tuple[PortfolioWorld, ...] = (
    PortfolioWorld(
        "basic-duel",
        "Basic Paxos, two competing proposers on three acceptors, two ballots: duelling, "
        "an old ballot's messages arriving late",
        _basic(3, 2),
        depth=8,  # grows
    ),
    PortfolioWorld(
        "basic-learners",
        "Basic Paxos whose learners learn from the acceptors directly (every acceptor "
        "broadcasts Accepted; no distinguished learner)",
        _basic(3, 2, extra=(("learn_directly", True),)),
        depth=8,
    ),
    PortfolioWorld(
        "basic-learners-flex",
        "the same on two acceptors, phase 1 on one, phase 2 on both, one proposer: every "
        "learner needs every acceptor's Accepted, the proposer's own too",
        _basic(2, 1, phase1_quorum=1, phase2_quorum=2, extra=(("learn_directly", True),)),
        depth=8,
    ),
    PortfolioWorld(
        "basic-flex",
        "Basic Paxos on two acceptors, phase 1 on one, phase 2 on both: two proposers each "
        "get a value accepted in few steps (promise, accept and value-adoption rules)",
        _basic(2, 2, phase1_quorum=1, phase2_quorum=2),
        depth=8,
    ),
    PortfolioWorld(
        "multi-flex-recovery",
        "Multi-Paxos leader change with recovery of accepted values: two replicas, q1=2, "
        "q2=1 (a value is chosen by the leader alone, the next leader must find it)",
        _multi(2, 2, phase1_quorum=2, phase2_quorum=1, extra=(("client_targets", (0, 1)),)),
        depth=9,
    ),
    PortfolioWorld(
        "multi-majority-holes",
        "Multi-Paxos leader change on three replicas with majorities: holes in the log "
        "to fill with no-ops, recovered values to re-propose",
        _multi(3, 2),
        depth=8,  # grows
    ),
    PortfolioWorld(
        "crash-durability",
        "a crash and restart of an acceptor that accepted and learned values (durability "
        "of the promise, the ballot used, the accepted values and the decided log)",
        _multi(2, 1, ops=2, faults=Faults(crash=1), phase1_quorum=2, phase2_quorum=1),
        depth=10,
    ),
    PortfolioWorld(
        "crash-recovery",
        "a leader that decided alone (q1=2, q2=1) crashes and restarts, and the other "
        "replica takes over with a second client's command: the new leader must find the "
        "decided slot in the restarted replica's Promise (durability of accepted values)",
        _multi(2, 2, faults=Faults(crash=1), phase1_quorum=2, phase2_quorum=1,
               extra=(("client_targets", (0, 1)),)),
        depth=9,
    ),
    PortfolioWorld(
        "basic-crash",
        "Basic Paxos acceptor crash and restart between two proposers (durable promise, "
        "round and accepted value)",
        _basic(2, 2, faults=Faults(crash=1), phase1_quorum=1, phase2_quorum=2),
        depth=8,
    ),
    PortfolioWorld(
        "sessions",
        "clients issuing two operations each, with retries and duplicated replies "
        "(sessions, sequence numbers, at-most-once)",
        _multi(2, 2, ops=2, faults=Faults(dup=1), phase1_quorum=2, phase2_quorum=1),
        depth=8,
    ),
    PortfolioWorld(
        "dup-q2-all",
        "duplicated messages with q2 = n: a proposer must count distinct acceptors, not "
        "messages (Basic Paxos, three acceptors)",
        _basic(3, 1, faults=Faults(dup=1), phase1_quorum=1, phase2_quorum=3),
        depth=7,
    ),
    PortfolioWorld(
        "dup-q2-all-multi",
        "duplicated messages with q2 = n in Multi-Paxos (two replicas, q1=1, q2=2)",
        _multi(2, 1, ops=2, faults=Faults(dup=1), phase1_quorum=1, phase2_quorum=2),
        depth=11,
    ),
    PortfolioWorld(
        "catch-up",
        "a replica that misses decisions while it is down and must catch up after a "
        "restart (two replicas, q1=1, q2=2, two operations)",
        _multi(2, 1, ops=2, faults=Faults(crash=1), phase1_quorum=1, phase2_quorum=2),
        depth=10,
    ),
    PortfolioWorld(
        "catch-up-majority",
        "a lagging replica in a three-replica majority world: a crash while decisions flow",
        _multi(3, 1, ops=2, faults=Faults(crash=1)),
        depth=8,  # grows
    ),
    PortfolioWorld(
        "election-retry",
        "an opening election on two replicas (q1=2), three rounds, where one may crash: a "
        "candidate whose Prepare goes unanswered, or a leader that stepped down, must "
        "campaign again (quiescence: no live replica is left unable to campaign while none leads)",
        _multi(2, 0, faults=Faults(crash=1), ballots=3, phase1_quorum=2, phase2_quorum=1,
               extra=(("initial_leader", None),)),
        depth=10,
    ),
    PortfolioWorld(
        "progress-failover",
        "bounded liveness: no elections (one ballot, replica 1 leads), the client (two "
        "operations) first asks replica 0, which may crash: its retry must reach the "
        "leader, and once nothing can happen it ran its whole schedule (property progress)",
        _multi(2, 1, ops=2, faults=Faults(crash=1), ballots=1, phase1_quorum=2, phase2_quorum=1,
               extra=(("client_targets", (0,)), ("initial_leader", 1), ("progress", True))),
        depth=8,
    ),
    PortfolioWorld(
        "progress-replies",
        "bounded liveness without retries: no elections, no faults, two clients, one "
        "asking the follower: it must pass the request on, and the leader must answer "
        "every operation it applies (property progress)",
        _multi(2, 2, ballots=1, phase1_quorum=2, phase2_quorum=1,
               extra=(("client_targets", (1, 0)), ("progress", True), ("retries", 0))),
        depth=13,  # the whole space: settling takes 11 actions (a forwarded request)
    ),
    PortfolioWorld(
        "progress-lossy",
        "bounded liveness with one lost message: no elections, the leader decides alone, "
        "one retry: a lost request or reply is made good by the retry, whose answer may "
        "come from the session table (property progress)",
        _multi(2, 1, faults=Faults(drop=1), ballots=1, phase1_quorum=2, phase2_quorum=1,
               extra=(("progress", True),)),
        depth=10,
    ),
    PortfolioWorld(
        "progress-pipeline",
        "bounded liveness, two clients' commands in flight at once (q2=2, no elections, no "
        "faults, no retries): the leader tracks each slot's acknowledgements apart",
        _multi(2, 2, ballots=1, phase1_quorum=1, phase2_quorum=2,
               extra=(("progress", True), ("retries", 0))),
        depth=14,
    ),
    PortfolioWorld(
        "lost-decide",
        "a lost Decide on two replicas (q2=2), two operations: the follower that sees the "
        "next decision past its gap must ask for the gap and learn it (quiescence: no hole)",
        _multi(2, 1, ops=2, faults=Faults(drop=1), phase1_quorum=1, phase2_quorum=2),
        depth=14,
    ),
    PortfolioWorld(
        "reads",
        "three clients at once (put, cas, get of one key) on a leader that decides alone, "
        "no elections, no faults: reads and compare-and-set answered from the log's "
        "state (properties client-visible, linearizable)",
        _multi(2, 3, ballots=1, phase1_quorum=2, phase2_quorum=1, extra=(("retries", 0),)),
        depth=8,
    ),
    PortfolioWorld(
        "retry-dup",
        "a client's retry crosses two leader changes and lands in the log twice (two "
        "replicas, q1=1 q2=2, three rounds; scripted: the leader takes a put and the cas "
        "in slots 0 and 1, replica 1 takes over and puts the retried cas in slot 0, the "
        "first leader takes back over and re-proposes both): the state machine must apply "
        "the second copy as a retry (at-most-once) and answer it with the stored reply",
        _multi(2, 2, ballots=3, phase1_quorum=1, phase2_quorum=2, extra=extra_pairs({
            "schedule": ((("cas", "x", None, 1),), (("put", "y", 5),)),
            "script": (
                "timer 3 next", "deliver 3->0 Request", "timer 2 next", "deliver 2->0 Request",
                "timer 1 election", "timer 2 retry", "deliver 2->1 Request",
                "deliver 1->0 Accept", "timer 0 election",
            ),
        })),
        depth=7,
    ),
    PortfolioWorld(
        "candidate-buffers",
        "bounded liveness across an election: no initial leader, replica 0 campaigns "
        "(scripted, with replica 1's promise delivered, so no other campaign fits the one "
        "round); the client's only request may reach it while it is still a candidate, "
        "which must keep it and propose it once elected (property progress)",
        _multi(2, 1, ballots=1, phase1_quorum=2, phase2_quorum=1, extra=extra_pairs({
            "initial_leader": None, "progress": True, "retries": 0,
            "script": ("timer 0 election", "deliver 0->1 Prepare"),
        })),
        depth=10,
    ),
    PortfolioWorld(
        "lost-accept",
        "bounded liveness after a lost Accept (q2=2, no elections): the leader's Accept is "
        "dropped (scripted) before the client's only retry, which goes to the follower, "
        "is passed on, and must make the leader send its Accepts in flight again "
        "(property progress)",
        _multi(2, 1, faults=Faults(drop=1), ballots=1, phase1_quorum=1, phase2_quorum=2, extra=extra_pairs({
            "progress": True,
            "script": ("timer 2 next", "deliver 2->0 Request", "drop 0->1 Accept"),
        })),
        depth=12,
    ),
    PortfolioWorld(
        "basic-progress",
        "bounded liveness of Basic Paxos whose learners learn directly: two acceptors "
        "(q1=1, q2=2), each asked by its own client, one round (the higher ballot always "
        "wins), no retries, no faults: every replica learns and answers the client "
        "waiting on it, also when it learns from its own vote (property progress)",
        _basic(2, 2, phase1_quorum=1, phase2_quorum=2, ballots=1, extra=extra_pairs({
            "client_targets": (0, 1), "learn_directly": True, "progress": True, "retries": 0,
        })),
        depth=20,
    ),
    PortfolioWorld(
        "basic-decide",
        "Basic Paxos with a distinguished learner, small enough to settle: two replicas "
        "(q1=1, q2=2), one client; the proposer learns and must tell the other replica "
        "(Decide), which no other path teaches it (quiescence: every replica learned)",
        _basic(2, 1, phase1_quorum=1, phase2_quorum=2),
        depth=9,
    ),
    PortfolioWorld(
        "redirect",
        "followers that redirect instead of forwarding (forward=False): the client asks "
        "the follower first and must follow its Redirect to the leader, two operations, "
        "no retries, no elections (property progress)",
        _multi(2, 1, ops=2, ballots=1, phase1_quorum=1, phase2_quorum=2, extra=extra_pairs({
            "forward": False, "client_targets": (1,), "progress": True, "retries": 0,
        })),
        depth=12,
    ),
    PortfolioWorld(
        "solo",
        "a one-replica cluster (q1 = q2 = 1) with no initial leader: its campaign "
        "(scripted) makes it leader at once, with no peer to promise, and it serves the "
        "client alone (no retries)",
        _multi(1, 1, ballots=1, extra=extra_pairs({
            "initial_leader": None, "progress": True, "retries": 0, "script": ("timer 0 election",),
        })),
        depth=8,
    ),
    PortfolioWorld(
        "two-majority",
        "two replicas with majority quorums (q1 = q2 = 2, the default, unlike every other "
        "2-replica world), a drop and a crash: a quorum of one would let both decide alone",
        _multi(2, 2, faults=Faults(drop=1, crash=1)),
        depth=9,
    ),
    PortfolioWorld(
        "q2-all",
        "three replicas, q1 = 1 and q2 = 3: a slot is decided only once every acceptor's "
        "ack is counted (a leader that forgets its tally of acks never decides)",
        _multi(3, 1, ballots=1, phase1_quorum=1, phase2_quorum=3, extra=extra_pairs({"progress": True, "retries": 0})),
        depth=8,
    ),
    PortfolioWorld(
        "basic-duel-deep",
        "Basic Paxos, two proposers each asked by its own client, no retries, searched deep "
        "(13 actions: a value accepted at a low ballot, another chosen above it, a third "
        "ballot hearing both): a depth-first sample of the first 35,000 states",
        _basic(3, 2, extra=(("client_targets", (1, 0)), ("retries", 0))),
        strategy="dfs",
        depth=13,
        max_states=35_000,
        sample=True,
    ),
    PortfolioWorld(
        "swarm-deep",
        "a deep seeded swarm pass over three replicas with every fault: long runs no "
        "exhaustive world reaches (not complete: a sample)",
        _multi(3, 2, ops=2, faults=Faults(drop=1, dup=1, crash=1)),
        strategy="swarm",
        depth=40,
        walks=3000,
        seed=13,
    ),
)


def select_world(portfolio: Sequence[PortfolioWorld], name: str) -> PortfolioWorld:
    """The world called ``name`` (ConfigError naming the known ones otherwise)."""
    for world in portfolio:
        if world.name == name:
            return world
    known = ", ".join(w.name for w in portfolio)
    raise ConfigError(f"unknown --world {name!r} (known: {known})")


def with_variant(portfolio: Sequence[PortfolioWorld], variant: str) -> tuple[PortfolioWorld, ...]:
    """Every world of the portfolio with the seeded mistake ``variant`` switched on."""
    return tuple(dataclasses.replace(w, config=dataclasses.replace(w.config, variant=variant)) for w in portfolio)


# -- a user's own portfolio --------------------------------------------------------------

_WORLD_KEYS = {"name", "purpose", "config", "strategy", "depth", "max_states", "walks", "seed", "sample"}


def load_portfolio(spec: str) -> tuple[PortfolioWorld, ...]:
    """A portfolio from ``spec``: a TOML file (``*.toml``) or ``package.module:NAME`` naming
    a list of :class:`PortfolioWorld`. ConfigError (one line) for anything wrong.

    TOML: one ``[[world]]`` table per world with ``name``, ``purpose``, ``strategy``
    (default bfs), ``depth``, ``max_states``, ``walks``, ``seed`` and a ``config`` table of
    :class:`CheckConfig` fields (``faults`` as a table, ``extra`` as a table)."""
    if spec.endswith(".toml"):
        worlds = _from_toml(Path(spec))
    elif ":" in spec:
        worlds = _from_python(spec)
    else:
        raise ConfigError(f"--portfolio {spec!r} is neither a .toml file nor package.module:NAME")
    if not worlds:
        raise ConfigError(f"--portfolio {spec}: no worlds")
    names = [w.name for w in worlds]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ConfigError(f"--portfolio {spec}: world names given twice: {', '.join(dup)}")
    for world in worlds:
        world.validate()
    return worlds


def _from_toml(path: Path) -> tuple[PortfolioWorld, ...]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"--portfolio {path}: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"--portfolio {path}: not valid TOML: {exc}") from None
    unknown = set(data) - {"world"}
    if unknown or not isinstance(data.get("world"), list):
        raise ConfigError(f"--portfolio {path}: want [[world]] tables only, got {sorted(data) or 'nothing'}")
    return tuple(_world_from_table(table, f"--portfolio {path}") for table in data["world"])


def _world_from_table(table: Any, where: str) -> PortfolioWorld:
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: every [[world]] must be a table")
    unknown = set(table) - _WORLD_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown world keys {', '.join(sorted(unknown))}")
    name = table.get("name")
    if not isinstance(name, str):
        raise ConfigError(f"{where}: every [[world]] needs a name (a string)")
    config = table.get("config", {})
    if not isinstance(config, dict):
        raise ConfigError(f"{where}: world {name!r}: config must be a table")
    values: dict[str, Any] = {}
    for key, kind in (("purpose", str), ("strategy", str), ("depth", int), ("max_states", int),
                      ("walks", int), ("seed", int), ("sample", bool)):
        if key in table:
            if not isinstance(table[key], kind) or (kind is not bool and isinstance(table[key], bool)):
                raise ConfigError(f"{where}: world {name!r}: {key} must be a {kind.__name__}")
            values[key] = table[key]
    try:
        check_config = CheckConfig.from_json(config)
    except TypeError as exc:
        raise ConfigError(f"{where}: world {name!r}: {exc}") from None
    except ConfigError as exc:
        raise ConfigError(f"{where}: world {name!r}: {exc}") from None
    return PortfolioWorld(name=name, purpose=values.pop("purpose", ""), config=check_config, **values)


def _from_python(spec: str) -> tuple[PortfolioWorld, ...]:
    module_name, _, attr = spec.partition(":")
    module = import_user_module(module_name, prefix=f"--portfolio {spec}: ")
    worlds = getattr(module, attr, None)
    if not isinstance(worlds, (list, tuple)) or not all(isinstance(w, PortfolioWorld) for w in worlds):
        raise ConfigError(f"--portfolio {spec}: {attr!r} must be a list of explorer.models.portfolio.PortfolioWorld")
    return tuple(worlds)

"""The Paxos models: paxos_core's replicas and clients in the actor adapter.

``build(config)`` gives an :class:`~explorer.actors.ActorModel` of ``config.nodes``
replicas (addresses ``0..n-1``; Multi-Paxos for ``model == "multipaxos"``, Basic Paxos
for ``"basic"``) and ``config.clients`` clients (addresses ``n..``), each running its
schedule of ``config.ops`` operations (``paxos_core.default_schedule``; Basic Paxos
clients propose one value each, ``propose_schedule``). Replicas crash; clients do not.

Bounds: ``config.ballots`` bounds ballot rounds (a state constraint: worlds where some
replica used or promised a higher round are not explored); fault budgets and the
network semantics come from the configuration. The state space is finite but far too large to exhaust (deliveries interleave freely), so a search also needs
a depth or state bound: :data:`DEFAULT_DEPTH` and :data:`DEFAULT_MAX_STATES` are the
defaults for the CLI (figures in docs/actors.md).

Model-specific options (``config.extra``):

- ``initial_leader``: Multi-Paxos starts with this replica leading ballot ``(1, leader)``
  with phase 1 done (``None`` for an opening election); default :data:`DEFAULT_INITIAL_LEADER`;
- ``learn_directly``: Basic Paxos acceptors broadcast Accepted to every learner (default False);
- ``forward``: Multi-Paxos followers forward requests to the leader (default True) or redirect;
- ``retries``: how many times each client may retry (default :data:`DEFAULT_RETRIES`);
- ``leader_tracks_slots``: also check the property ``leader tracks its slots``
  (explorer/models/paxos_progress.py; the default portfolio's Multi-Paxos worlds do);
- ``progress``: also check the bounded-liveness property ``progress`` (sound only in
  worlds without elections or drops: explorer/models/paxos_progress.py);
- ``schedule``: the clients' operations, one list per client (``clients`` lists of ``ops``
  operations each), instead of ``default_schedule``'s workload;
- ``script``: action labels (or their beginnings) the run is forced through before the
  search starts (explorer/actors/script.py): the search starts where they lead.

Properties: ``build`` hands the model to ``explorer.models.paxos_properties.make_checked``,
which installs the ``checker/`` invariants, the ``sometimes`` properties and the
per-step checks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from explorer.actors import NETWORKS, ActorModel, Node, World
from explorer.models.config import CheckConfig, ConfigError
from explorer.models.paxos_ignored import combined, replica_ignores_forever
from explorer.models.paxos_properties import PaxosModel, make_checked, replica_reads
from paxos_core import (
    BasicDurable,
    BasicPaxosReplica,
    BasicVolatile,
    ClientNode,
    ClusterConfig,
    MultiPaxosReplica,
    default_schedule,
    propose_schedule,
    variant_parts,
)
from paxos_core.common import vote_key
from paxos_core.events import Complete, Invoke
from paxos_core.messages import Command, Redirect, Reply, Request

MODELS = ("multipaxos", "basic")

#: Default search bounds for ``synod check`` on these models (see docs/actors.md).
DEFAULT_DEPTH = 8
DEFAULT_MAX_STATES = 250_000
#: Multi-Paxos starts with replica 0 leading, phase 1 done: the opening election is
#: behaviour the ballot bound and the election timers explore anyway (a follower's timer
#: may fire at once), and starting led keeps the default check small.
DEFAULT_INITIAL_LEADER: int | None = 0

#: Variants whose very point is quorums that need not intersect.
NON_INTERSECTING_VARIANTS = ("quorum-one", "phase2-off-by-one")

#: How many times each client may retry an operation (its "retry" timer fires); retries
#: re-send requests, so without a bound the network grows without end.
DEFAULT_RETRIES = 1

_EXTRA_KEYS = (
    "client_targets", "forward", "initial_leader", "learn_directly", "leader_tracks_slots", "progress", "retries",
    "schedule", "script",
)


def _extra(config: CheckConfig) -> dict[str, Any]:
    extra = dict(config.extra)
    unknown = sorted(set(extra) - set(_EXTRA_KEYS))
    if unknown:
        raise ConfigError(
            f"unknown option(s) {', '.join(unknown)} for {config.model} (known: {', '.join(_EXTRA_KEYS)})"
        )
    return extra


def cluster_config(config: CheckConfig) -> ClusterConfig:
    """The paxos_core configuration of a check, or ConfigError (one line) if impossible."""
    if config.model not in MODELS:
        raise ConfigError(f"explorer.models.paxos builds {' and '.join(MODELS)}, not {config.model!r}")
    n = config.nodes
    if n < 1:
        raise ConfigError(f"--nodes must be at least 1, got {n}")
    if config.clients < 0 or config.ops < 0:
        raise ConfigError("--clients and --ops must be >= 0")
    if config.ballots < 1:
        raise ConfigError(f"--ballots must be at least 1, got {config.ballots}")
    try:
        parts = variant_parts(config.variant, what="--variant")
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    if config.network not in NETWORKS:
        raise ConfigError(f"unknown --network {config.network!r} (known: {', '.join(NETWORKS)})")
    majority = n // 2 + 1
    q1 = majority if config.phase1_quorum is None else config.phase1_quorum
    q2 = majority if config.phase2_quorum is None else config.phase2_quorum
    for flag, q in (("--phase1-quorum", q1), ("--phase2-quorum", q2)):
        if not 1 <= q <= n:
            raise ConfigError(f"{flag} must be between 1 and {n} (the number of nodes), got {q}")
    if q1 + q2 <= n and not set(parts) & set(NON_INTERSECTING_VARIANTS):
        raise ConfigError(
            f"quorums {q1} (phase 1) and {q2} (phase 2) of {n} nodes need not intersect "
            f"(q1 + q2 must exceed {n}); this is unsafe, choose a mutant variant to study it"
        )
    extra = _extra(config)
    multi = config.model == "multipaxos"
    initial_leader = extra.get("initial_leader", DEFAULT_INITIAL_LEADER if multi else None)
    if initial_leader is not None and (not isinstance(initial_leader, int) or not 0 <= initial_leader < n):
        raise ConfigError(f"initial_leader must be a replica 0..{n - 1} or null, got {initial_leader!r}")
    if not multi:
        initial_leader = None
    client_targets = extra.get("client_targets")
    if client_targets is not None:
        # JSON (a saved trace, --extra) gives a list; anything else is refused here in
        # one line rather than as a TypeError from ClusterConfig.
        if not isinstance(client_targets, (list, tuple)) or not all(
            isinstance(t, int) and not isinstance(t, bool) for t in client_targets
        ):
            raise ConfigError(f"client_targets must be a list of replica numbers, got {client_targets!r}")
        client_targets = tuple(client_targets)
    schedule = _schedule(config, extra.get("schedule"))
    try:
        return ClusterConfig(
            nodes=n,
            client_ops=schedule,
            phase1_quorum=config.phase1_quorum,
            phase2_quorum=config.phase2_quorum,
            variant=config.variant,
            forward=bool(extra.get("forward", True)),
            initial_leader=initial_leader,
            learn_directly=bool(extra.get("learn_directly", False)),
            client_targets=client_targets,
        )
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def _schedule(config: CheckConfig, given: Any) -> tuple[tuple[Any, ...], ...]:
    """The clients' operations: ``given`` (the ``schedule`` option, checked to be
    ``clients`` lists of ``ops`` operations) or the model's default workload."""
    if given is None:
        if config.model == "multipaxos":
            return default_schedule(config.clients, config.ops)
        return propose_schedule(config.clients)
    rows_ok = isinstance(given, (list, tuple)) and len(given) == config.clients
    if not rows_ok or not all(
        isinstance(row, (list, tuple)) and len(row) == config.ops
        and all(isinstance(op, (list, tuple)) and op and isinstance(op[0], str) for op in row)
        for row in given
    ):
        raise ConfigError(
            f"schedule must be {config.clients} list(s) of {config.ops} operation(s) each "
            f"(an operation: a list starting with its kind), got {given!r}"
        )
    return tuple(tuple(tuple(op) for op in row) for row in given)


def _script(config: CheckConfig) -> tuple[str, ...]:
    script = dict(config.extra).get("script", ())
    if not isinstance(script, (list, tuple)) or not all(isinstance(e, str) and e for e in script):
        raise ConfigError(f"script must be a list of action labels (strings), got {script!r}")
    return tuple(script)


def ballot_bound(servers: tuple[int, ...], ballots: int) -> Callable[[World], bool]:
    """State constraint: no replica used or promised a round above ``ballots``."""
    indices = tuple(range(len(servers)))

    def within(world: World) -> bool:
        actors = world.actors
        for i in indices:
            d = actors[i].durable
            if d.round_used > ballots or d.promised[0] > ballots:
                return False
        return True

    return within


_CLIENT_FIELD = (Request, Command, Invoke, Complete)  # NamedTuples whose field 0 is a client id


def basic_client_renaming(nodes: int, perm: Mapping[int, int]) -> Callable[[Any], Any]:
    """Rename clients by ``perm`` inside Basic Paxos states, messages and history events,
    together with the values they propose (client ``nodes + i`` proposes ``"v<i>"``).

    Client ids sit in the ``client`` field of requests, commands and history events and in
    a replica's ``waiting`` pairs; values are the ``"v<i>"`` strings. Sets kept as sorted
    tuples (``votes``, ``waiting``) are re-sorted so the result is canonical.
    """
    values = {f"v{c - nodes}": f"v{d - nodes}" for c, d in perm.items()}

    def rename(obj: Any) -> Any:
        cls = type(obj)
        if cls is str:
            return values.get(obj, obj)
        if cls is int or cls is bool or obj is None:
            return obj
        if cls is tuple:
            return tuple([rename(x) for x in obj])
        if cls in _CLIENT_FIELD:
            client = obj[0]
            return cls(perm.get(client, client), *[rename(x) for x in obj[1:]])
        if cls is BasicVolatile:
            volatile = BasicVolatile(*[rename(x) for x in obj])
            waiting = tuple(sorted((perm.get(c, c), seq) for c, seq in obj.waiting))
            return volatile._replace(waiting=waiting)
        if cls is BasicDurable:
            durable = BasicDurable(*[rename(x) for x in obj])
            return durable._replace(votes=tuple(sorted(durable.votes, key=vote_key)))
        if isinstance(obj, tuple):  # any other NamedTuple: rename its fields
            return cls(*[rename(x) for x in obj])
        return obj

    return rename


def paxos_symmetry(model: ActorModel, config: CheckConfig) -> Callable[[World], World] | None:
    """The sound symmetry of a Paxos model, or None when there is none to exploit.

    Basic Paxos: permutations of the clients, renaming each client's proposed value with
    it. Multi-Paxos: none (clients run different programs; node ids order ballots).
    The argument is in docs/actors.md ("Symmetry").
    """
    if config.model != "basic" or len(model.clients) < 2:
        return None
    return model.symmetry(model.clients, lambda perm: basic_client_renaming(config.nodes, perm))


def client_ignores_forever(nodes: int) -> Callable[[int, Any, int, Any], bool]:
    """Partial-order reduction's declaration (docs/por.md): the messages a client ignores
    in its state and in every later one (replicas declare none: which stale messages a
    replica ignores depends on the variant).

    A client handles only a Reply or Redirect for the operation it has outstanding, and
    its operation numbers only grow (``issued``): a message for an earlier operation, or
    for the last one once it is answered, is never handled again; nor is anything else.
    """

    def ignores(address: int, state: Any, src: int, msg: Any) -> bool:
        if address < nodes:
            return False
        if not isinstance(msg, (Reply, Redirect)):
            return True
        try:
            return msg.seq < state.issued or (not state.outstanding and msg.seq <= state.issued)
        except TypeError:  # a mutant's ill-typed Reply (its seq not a number): not declared,
            return False  # which is always sound (the delivery is explored as any other)

    return ignores


def build(config: CheckConfig) -> PaxosModel:
    """The Multi-Paxos or Basic Paxos model that ``config`` describes (ConfigError if impossible)."""
    cluster = cluster_config(config)
    replica: Node = MultiPaxosReplica(cluster) if config.model == "multipaxos" else BasicPaxosReplica(cluster)
    client = ClientNode(cluster)
    actors: dict[int, Node] = {r: replica for r in cluster.replicas}
    actors.update({c: client for c in cluster.clients})
    servers = tuple(cluster.replicas)
    retries = dict(config.extra).get("retries", DEFAULT_RETRIES)
    if not isinstance(retries, int) or retries < 0:
        raise ConfigError(f"retries must be an int >= 0, got {retries!r}")
    model = ActorModel(
        actors,
        servers=servers,
        network=config.network,
        faults=config.faults,
        boundary=ballot_bound(servers, config.ballots),
        boundary_reads=replica_reads(config.nodes),
        timer_limits={(c, "retry"): retries for c in cluster.clients},
        name=config.model,
        config_data=config.to_json(),
        ignores_forever=combined(
            client_ignores_forever(config.nodes),
            replica_ignores_forever(cluster) if config.model == "multipaxos" else None,
        ),
    )
    # The engine applies the representative only when symmetry is switched on.
    model.set_representative(paxos_symmetry(model, config))
    # The properties (checker/invariants' safety and non-vacuity properties) and the
    # per-step checks (stability, promise monotonicity) live in paxos_properties.
    checked = make_checked(model, config, cluster)
    checked.script = _script(config)
    return checked


def build_checked(config: CheckConfig) -> PaxosModel:
    """The Paxos model of ``config`` with its properties (the same as :func:`build`)."""
    return build(config)

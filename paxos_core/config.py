"""Cluster configuration and the catalogue of seeded mistakes ("variants", "mutants").

A variant is chosen by name in :class:`ClusterConfig` and turned into boolean flags once,
at construction (:class:`VariantFlags`), so the protocol code tests a bool, never a string,
and the correct protocol ("correct", the default) pays nothing for the catalogue.
Mistakes combine with ``+`` (``"count-stale-accepted+phase2-off-by-one"``): some are
harmless alone and only do harm together, and the flags are independent switches.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from paxos_core.messages import Op

#: Name -> the real mistake it seeds. "correct" is the protocol as it should be.
#: Variants 1-8 and 14 apply to Basic Paxos and Multi-Paxos, 9-13 and 15 to Multi-Paxos only.
VARIANTS: dict[str, str] = {
    "correct": "the protocol as specified (no seeded mistake)",
    "quorum-one": "non-intersecting quorums: phase 1 and phase 2 each need a single acceptor",
    "phase2-off-by-one": "phase-2 quorum off by one: a value is chosen on n//2 Accepted",
    "ignore-promise-values": "proposer ignores the values reported in Promise and proposes its own",
    "lowest-ballot-value": "proposer adopts the value of the lowest accepted ballot, not the highest",
    "accept-ignores-promise": "acceptor accepts any Accept without checking its promised ballot",
    "nonunique-ballots": "ballots are bare rounds, not unique per proposer, and Prepare is promised on >=",
    "forget-promise-on-restart": "promised ballot is not durable: an acceptor forgets it on restart",
    "count-stale-accepted": "proposer counts Accepted replies to its own earlier ballots toward the current one",
    "leader-skips-phase1": "a new Multi-Paxos leader skips phase 1 and proposes in slots that may hold accepted values",
    "fill-holes-with-own": "a new leader fills log holes with its own pending commands instead of recovered values",
    "local-reads": "the leader answers get locally without a round through the log (stale reads)",
    "double-apply-retry": "the state machine has no at-most-once table: a retried request is applied twice",
    "apply-out-of-order": "a replica applies a decided slot i+1 before slot i is decided",
    "forget-learned-on-restart": "the learned log is not durable: a replica forgets what it learned when it crashes",
    "forward-as-own": "a follower forwards a client's request as its own: the command names the follower, not the client",
}

#: Variants that only make sense for Multi-Paxos (Basic Paxos runs them as "correct").
MULTI_ONLY_VARIANTS = (
    "leader-skips-phase1",
    "fill-holes-with-own",
    "local-reads",
    "double-apply-retry",
    "apply-out-of-order",
    "forward-as-own",
)


@dataclass(frozen=True, slots=True)
class VariantFlags:
    """One bool per seeded mistake; all False for "correct"."""

    quorum_one: bool = False
    phase2_off_by_one: bool = False
    ignore_promise_values: bool = False
    lowest_ballot_value: bool = False
    accept_ignores_promise: bool = False
    nonunique_ballots: bool = False
    forget_promise_on_restart: bool = False
    count_stale_accepted: bool = False
    leader_skips_phase1: bool = False
    fill_holes_with_own: bool = False
    local_reads: bool = False
    double_apply_retry: bool = False
    apply_out_of_order: bool = False
    forget_learned_on_restart: bool = False
    forward_as_own: bool = False

    @staticmethod
    def for_variant(name: str) -> VariantFlags:
        """The flags of variant ``name``, or of ``a+b`` combined (ValueError if unknown)."""
        return VariantFlags(**{part.replace("-", "_"): True for part in variant_parts(name)})


def variant_parts(name: str, what: str = "variant") -> tuple[str, ...]:
    """The seeded mistakes a variant name switches on: ``()`` for "correct", one name, or
    the parts of ``a+b`` (each a distinct mistake from :data:`VARIANTS`); ValueError else,
    whose message calls the name ``what`` (a command line says ``--variant``)."""
    if name == "correct":
        return ()
    parts = tuple(name.split("+"))
    for part in parts:
        if part not in VARIANTS or part == "correct":
            known = ", ".join(VARIANTS)
            raise ValueError(f"unknown {what} {part!r} (known: {known}; combine mistakes with +)")
    if len(set(parts)) != len(parts):
        raise ValueError(f"{what} {name!r} names a mistake twice")
    return parts


@dataclass(frozen=True)
class ClusterConfig:
    """Everything a replica or client node needs to know, fixed for a run.

    - ``nodes``: number of replicas, addresses ``0 .. nodes-1`` (odd or even);
    - ``client_ops``: one tuple of operations per client; client ``i`` has address
      ``nodes + i`` and issues its operations in order, one at a time;
    - ``phase1_quorum`` / ``phase2_quorum``: quorum sizes, None for a majority;
    - ``variant``: a name from :data:`VARIANTS`, or several mistakes joined by ``+``;
    - ``forward``: Multi-Paxos followers forward client requests to the leader they
      believe in (True) or answer ``Redirect`` (False);
    - ``initial_leader``: Multi-Paxos only: if set, the run starts with this replica
      leading ballot ``(1, leader)`` with phase 1 done (every replica has promised it),
      which removes the opening election from small model checks;
    - ``learn_directly``: Basic Paxos only: acceptors send Accepted to every replica,
      which learn on their own; otherwise the proposer is the distinguished learner
      and broadcasts ``Decide``.

    Derived at construction: ``q1``, ``q2`` (effective quorums, after the variant) and
    ``flags`` (:class:`VariantFlags`).
    """

    nodes: int = 3
    client_ops: tuple[tuple[Op, ...], ...] = ()
    phase1_quorum: int | None = None
    phase2_quorum: int | None = None
    variant: str = "correct"
    forward: bool = True
    initial_leader: int | None = None
    learn_directly: bool = False
    client_targets: tuple[int, ...] | None = None  # replica each client contacts first
    q1: int = field(init=False, compare=False, repr=False)
    q2: int = field(init=False, compare=False, repr=False)
    flags: VariantFlags = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.nodes < 1:
            raise ValueError(f"need at least one replica, got nodes={self.nodes}")
        flags = VariantFlags.for_variant(self.variant)
        majority = self.nodes // 2 + 1
        q1 = majority if self.phase1_quorum is None else self.phase1_quorum
        q2 = majority if self.phase2_quorum is None else self.phase2_quorum
        for name, q in (("phase1_quorum", q1), ("phase2_quorum", q2)):
            if not 1 <= q <= self.nodes:
                raise ValueError(f"{name} must be between 1 and {self.nodes}, got {q}")
        if self.initial_leader is not None and not 0 <= self.initial_leader < self.nodes:
            raise ValueError(f"initial_leader must be a replica 0..{self.nodes - 1}")
        if self.client_targets is not None:
            if len(self.client_targets) != len(self.client_ops) or not all(
                0 <= t < self.nodes for t in self.client_targets
            ):
                raise ValueError(f"client_targets must name one replica 0..{self.nodes - 1} per client")
            object.__setattr__(self, "client_targets", tuple(self.client_targets))
        if flags.quorum_one:
            q1 = q2 = 1
        if flags.phase2_off_by_one:
            q2 = max(1, self.nodes // 2)
        object.__setattr__(self, "client_ops", tuple(tuple(tuple(op) for op in ops) for ops in self.client_ops))
        object.__setattr__(self, "q1", q1)
        object.__setattr__(self, "q2", q2)
        object.__setattr__(self, "flags", flags)

    @property
    def replicas(self) -> range:
        """Replica addresses."""
        return range(self.nodes)

    @property
    def clients(self) -> range:
        """Client addresses (after the replicas)."""
        return range(self.nodes, self.nodes + len(self.client_ops))

    def ops_of(self, client: int) -> tuple[Op, ...]:
        """The operation schedule of client address ``client``."""
        return self.client_ops[client - self.nodes]

    def to_json(self) -> dict[str, object]:
        """The init fields as JSON-able values (ops become lists)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.init}


def default_schedule(clients: int, ops: int, keys: tuple[str, ...] = ("x", "y")) -> tuple[tuple[Op, ...], ...]:
    """A small KV workload: ``clients`` x ``ops`` operations mixing put, cas and get.

    Client ``i``'s ``j``-th op touches ``keys[j % len(keys)]``; kinds rotate so that with
    one op each, client 0 puts, client 1 cas-es from client 0's value and client 2 reads.
    Values are distinct (``10*i + j + 1``) so a history says who wrote what.
    """
    schedule: list[tuple[Op, ...]] = []
    for i in range(clients):
        row: list[Op] = []
        for j in range(ops):
            key = keys[j % len(keys)]
            value = 10 * i + j + 1
            kind = (i + j) % 3
            if kind == 0:
                row.append(("put", key, value))
            elif kind == 1:
                # expect the value the client before put on this key in the same round
                row.append(("cas", key, 10 * ((i - 1) % clients) + j + 1, value))
            else:
                row.append(("get", key))
        schedule.append(tuple(row))
    return tuple(schedule)


def propose_schedule(clients: int) -> tuple[tuple[Op, ...], ...]:
    """Basic Paxos workload: client ``i`` proposes the value ``"v<i>"`` once."""
    return tuple((("propose", f"v{i}"),) for i in range(clients))

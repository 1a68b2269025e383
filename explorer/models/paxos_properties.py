"""The Paxos models' properties: paxos_core worlds mapped onto checker.invariants' views.

``checker.invariants`` judges plain data (votes, learned values, applied logs, promises,
replies); this module reads those views out of an actor :class:`~explorer.actors.World`
of paxos_core replicas (through ``paxos_core.accessors``) and builds the property list
of the ``multipaxos`` and ``basic`` models:

===================== ========= ======================================================
name                  kind      holds when
===================== ========= ======================================================
agreement             always    at most one value per slot among the values a quorum
                                voted for (ghost votes) and the values replicas learned
learned is chosen     always    every value a replica learned was chosen: a quorum
                                voted for it in one ballot (ghost votes)
validity              always    every decided value is a client's command or the no-op
stability             always*   no step changes or removes a value a replica learned
log consistency       always    applied logs are prefixes of one another, slot i is
                                applied i-th, and position i holds slot i's decision
promise monotonicity  always*   no step lowers an acceptor's promise (crash, restart)
client-visible        always    every reply equals the sequential run of the decided log
linearizable          final     the client history is linearizable (KV model; pending
                                operations may or may not have taken effect)
value chosen          sometimes a quorum voted for one value in one ballot
operation completed   sometimes a client operation returned
leader changed        sometimes a new leader took over (Basic: a second ballot got votes)
crashed node caught   sometimes a crash happened, every replica is up again and all
up                              replicas learned (and applied) the same non-empty log
                                (Multi-Paxos with a crash budget and clients only)
===================== ========= ======================================================

(*) Stability and promise monotonicity are properties of *transitions*. The engine
checks properties of states, so :class:`PaxosModel` checks these two on every step it
generates (``next_state``, hence every edge the engine expands, including edges into
states already seen): a step that breaks one returns its successor as a
:class:`BrokenStepWorld`, the same world plus the problems found, and the ``always``
property of that name fails there. Correct runs never produce one, so the state space
(and every count) is exactly that of the plain actor model; a counterexample's last
step is the step that broke the property, and replay, which re-runs ``next_state``,
reproduces it.

Agreement and "learned is chosen" use the quorum the configuration *means*
(``phase2_quorum``, or a majority), not the one a mutant computes, so "chosen" keeps
its meaning.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from checker import invariants as inv
from explorer.actors import ActorAction, ActorModel, World
from explorer.config import CheckConfig
from explorer.model import Property
from paxos_core import NOOP, ClusterConfig
from paxos_core.accessors import applied_log, is_leader, learned, promised_ballot, votes_cast
from paxos_core.events import Complete, Invoke
from paxos_core.multi import MultiState

STABILITY = "stability"
LEARNED_IS_CHOSEN = "learned is chosen"
PROMISE_MONOTONICITY = "promise monotonicity"
TRANSITION_PROPERTIES = (STABILITY, PROMISE_MONOTONICITY)

SAFETY_PROPERTIES = (
    "agreement",
    LEARNED_IS_CHOSEN,
    "validity",
    STABILITY,
    "log consistency",
    PROMISE_MONOTONICITY,
    "client-visible",
    "linearizable",
)
SOMETIMES_PROPERTIES = (
    "value chosen",
    "operation completed",
    "leader changed",
    "crashed node caught up",
)


class BrokenStepWorld(World):
    """A world reached by a step that broke a transition property.

    Equal (as a tuple) to the plain world; ``step_problems`` maps each broken
    transition property to its problem descriptions. Its type name makes its
    fingerprint differ from the plain world's, so the engine never mistakes it for a
    state it already checked.
    """

    step_problems: dict[str, list[str]]


def step_problems(world: World) -> dict[str, list[str]]:
    """The transition properties the step into ``world`` broke (empty for most worlds)."""
    found: dict[str, list[str]] = getattr(world, "step_problems", {})
    return found


# -- views: paxos_core worlds as checker.invariants data ---------------------------------


class PaxosViews:
    """Reads checker views out of worlds whose first ``nodes`` actors are the replicas."""

    def __init__(self, nodes: int, quorum: int, multi: bool, initial_leader: int | None) -> None:
        self.nodes = nodes
        self.replicas = tuple(range(nodes))
        self.quorum = quorum
        self.multi = multi
        self.initial_leader = initial_leader
        self.initial_ballot = None if initial_leader is None else (1, initial_leader)

    def votes(self, world: World) -> list[inv.Vote]:
        actors = world.actors
        return [
            inv.Vote(r, slot, ballot, value)
            for r in self.replicas
            for slot, ballot, value in votes_cast(actors[r])
        ]

    def learned(self, world: World) -> dict[int, dict[int, Any]]:
        actors = world.actors
        return {r: dict(learned(actors[r])) for r in self.replicas}

    def decided(self, world: World) -> dict[int, set[Any]]:
        return inv.decided_values(self.votes(world), self.quorum, self.learned(world))

    def applied(self, world: World) -> dict[int, tuple[Any, ...]]:
        actors = world.actors
        return {r: applied_log(actors[r]) for r in self.replicas}

    def applied_slots(self, world: World) -> dict[int, tuple[int, ...]]:
        """Slots in the order each live Multi-Paxos replica applied them (Basic: none)."""
        slots: dict[int, tuple[int, ...]] = {}
        for r in self.replicas:
            state = world.actors[r]
            if isinstance(state, MultiState) and state.volatile is not None:
                slots[r] = state.volatile.applied
        return slots

    def promises(self, world: World) -> dict[int, Any]:
        actors = world.actors
        return {r: promised_ballot(actors[r]) for r in self.replicas}

    @staticmethod
    def invoked(world: World) -> set[Any]:
        """The commands clients proposed: ``(client, seq, op)`` of every invocation."""
        return {(ev.client, ev.seq, ev.op) for ev in world.history if type(ev) is Invoke}

    @staticmethod
    def replies(world: World) -> list[inv.Reply]:
        return [inv.Reply(ev.client, ev.seq, ev.result) for ev in world.history if type(ev) is Complete]


# -- the sequential references ---------------------------------------------------------


def register_step(state: Any, op: Sequence[Any]) -> tuple[Any, Any]:
    """Basic Paxos as a write-once register: ``("propose", v)`` answers the first value."""
    if op[0] != "propose":
        raise ValueError(f"unknown Basic Paxos operation {op!r}")
    chosen = op[1] if state is None else state
    return chosen, chosen


def history_operations(history: Iterable[Any]) -> list[Any]:
    """The world's Invoke/Complete events as linearizability ``Operation`` records."""
    from checker.lin.history import UNKNOWN, Operation

    calls: dict[tuple[int, int], tuple[int, tuple[Any, ...]]] = {}
    returns: dict[tuple[int, int], tuple[int, Any]] = {}
    for index, ev in enumerate(history):
        key = (ev.client, ev.seq)
        if type(ev) is Invoke:
            calls[key] = (index, tuple(ev.op))
        elif key in calls and key not in returns:
            returns[key] = (index, ev.result)
    ops = []
    for op_id, (key, (call, op)) in enumerate(sorted(calls.items(), key=lambda kv: kv[1][0])):
        ret, output = returns.get(key, (None, UNKNOWN))
        ops.append(Operation(op_id, key[0], op, output, call, ret))
    return ops


class LinearizabilityCache:
    """Verdicts of the linearizability checker, cached by history (histories repeat)."""

    def __init__(self, multi: bool, timeout: float | None = 10.0) -> None:
        self.multi = multi
        self.timeout = timeout
        self.verdicts: dict[tuple[Any, ...], bool] = {}
        self._model: Any = None

    def model(self) -> Any:
        if self._model is None:
            from checker.lin.models import consensus_model, synod_kv_model

            self._model = synod_kv_model() if self.multi else consensus_model()
        return self._model

    def linearizable(self, history: tuple[Any, ...]) -> bool:
        verdict = self.verdicts.get(history)
        if verdict is None:
            from checker.lin.search import NOT_LINEARIZABLE, check

            ops = history_operations(history)
            # "unknown" (budget spent) is not a violation: never cry wolf.
            verdict = check(ops, self.model(), timeout=self.timeout).verdict != NOT_LINEARIZABLE
            self.verdicts[history] = verdict
        return verdict


# -- the property list -------------------------------------------------------------------


def nominal_quorum(config: CheckConfig) -> int:
    """The phase-2 quorum the configuration means (a mutant may count differently)."""
    return config.phase2_quorum if config.phase2_quorum is not None else config.nodes // 2 + 1


class _Snapshot:
    """The views of one world, computed lazily and at most once per world.

    The engine checks every property on the same world one after the other, so the
    properties share one snapshot of the last world they saw.
    """

    __slots__ = ("world", "views", "_votes", "_learned", "_decided", "_values_per_slot")

    def __init__(self, world: World, views: PaxosViews) -> None:
        self.world = world
        self.views = views
        self._votes: list[inv.Vote] | None = None
        self._learned: dict[int, dict[int, Any]] | None = None
        self._decided: dict[int, set[Any]] | None = None
        self._values_per_slot: dict[int, set[Any]] | None = None

    @property
    def votes(self) -> list[inv.Vote]:
        if self._votes is None:
            self._votes = self.views.votes(self.world)
        return self._votes

    @property
    def learned(self) -> dict[int, dict[int, Any]]:
        if self._learned is None:
            self._learned = self.views.learned(self.world)
        return self._learned

    @property
    def values_per_slot(self) -> dict[int, set[Any]]:
        """Every value voted for or learned, per slot: a superset of the decided values."""
        if self._values_per_slot is None:
            found: dict[int, set[Any]] = {}
            for vote in self.votes:
                found.setdefault(vote.slot, set()).add(vote.value)
            for values in self.learned.values():
                for slot, value in values.items():
                    found.setdefault(slot, set()).add(value)
            self._values_per_slot = found
        return self._values_per_slot

    @property
    def decided(self) -> dict[int, set[Any]]:
        if self._decided is None:
            if all(len(v) == 1 for v in self.values_per_slot.values()):
                # One candidate per slot: what was decided is what was learned or chosen.
                chosen = inv.chosen_values(self.votes, self.views.quorum)
                learned_slots = {s for values in self.learned.values() for s in values}
                self._decided = {
                    s: set(v) for s, v in self.values_per_slot.items() if s in chosen or s in learned_slots
                }
            else:
                self._decided = inv.decided_values(self.votes, self.views.quorum, self.learned)
        return self._decided


def paxos_properties(config: CheckConfig, cluster: ClusterConfig) -> list[Property[World]]:
    """Every property of a Paxos model of ``config`` (see the module docstring)."""
    multi = config.model == "multipaxos"
    views = PaxosViews(config.nodes, nominal_quorum(config), multi, cluster.initial_leader)
    lin = LinearizabilityCache(multi)
    step_fn: inv.StateMachineStep = inv.kv_step if multi else register_step
    noop: Any = NOOP if multi else None
    initial: Any = () if multi else None  # empty KV map; no value chosen yet
    crash_budget = config.faults.crash
    last: list[_Snapshot] = []
    expected_replies: dict[tuple[Any, ...], dict[tuple[int, int], Any]] = {}

    def snap(world: World) -> _Snapshot:
        if last and last[0].world is world:
            return last[0]
        snapshot = _Snapshot(world, views)
        last[:] = [snapshot]
        return snapshot

    def agreement(world: World) -> bool:
        s = snap(world)
        if all(len(v) == 1 for v in s.values_per_slot.values()):
            return True  # a single candidate value per slot cannot disagree
        return not inv.agreement_problems(s.votes, views.quorum, s.learned)

    # Votes only grow, and most worlds share their replicas' vote tuples with many
    # others: what they chose is computed once per distinct set of vote tuples.
    chosen_by_votes: dict[tuple[Any, ...], dict[int, set[Any]]] = {}

    def learned_is_chosen(world: World) -> bool:
        s = snap(world)
        if not any(s.learned.values()):
            return True
        actors = world.actors
        key = tuple(votes_cast(actors[r]) for r in views.replicas)
        chosen = chosen_by_votes.get(key)
        if chosen is None:
            if len(chosen_by_votes) >= 100_000:
                chosen_by_votes.clear()
            chosen = chosen_by_votes[key] = inv.chosen_values(s.votes, views.quorum)
        # chosen is given, so the votes are not read again (a cache hit never builds them)
        return not inv.unchosen_learned_problems((), views.quorum, s.learned, chosen)

    def validity(world: World) -> bool:
        s = snap(world)
        invoked: set[Any] | None = None
        for values in s.values_per_slot.values():
            for value in values:
                if value != noop:
                    if invoked is None:
                        invoked = views.invoked(world)
                    if value not in invoked:
                        return not inv.validity_problems(s.decided, invoked, noop)
        return True

    def stability(world: World) -> bool:
        return STABILITY not in step_problems(world)

    def log_consistency(world: World) -> bool:
        s = snap(world)
        applied_slots = views.applied_slots(world)
        if all(slots == tuple(range(len(slots))) for slots in applied_slots.values()) and all(
            len(v) == 1 for v in s.values_per_slot.values()
        ):
            # Slots applied in order, each from the replica's own learned log, and one
            # candidate value per slot: every applied log is a prefix of the one log.
            return True
        decided = {slot: next(iter(v)) for slot, v in s.decided.items() if len(v) == 1}
        return not (
            inv.slot_order_problems(applied_slots)
            or inv.log_consistency_problems(views.applied(world), decided)
        )

    def promise_monotonicity(world: World) -> bool:
        return PROMISE_MONOTONICITY not in step_problems(world)

    def client_visible(world: World) -> bool:
        replies = views.replies(world)
        if not replies:
            return True
        log = tuple(inv.decided_prefix(snap(world).decided))
        expected = expected_replies.get(log)
        if expected is None:
            expected = expected_replies[log] = inv.sequential_replies(log, step_fn, initial, noop)
        for reply in replies:
            key = (reply.client, reply.seq)
            if key in expected and expected[key] != reply.result:
                return False
        return True

    def linearizable(world: World) -> bool:
        return not world.history or lin.linearizable(world.history)

    def value_chosen(world: World) -> bool:
        return bool(inv.chosen_values(snap(world).votes, views.quorum))

    def operation_completed(world: World) -> bool:
        return any(type(ev) is Complete for ev in world.history)

    def leader_changed(world: World) -> bool:
        if not multi:
            return len({vote.ballot for vote in views.votes(world)}) >= 2
        actors = world.actors
        for r in views.replicas:
            state = actors[r]
            if is_leader(state):
                ballot = (state.durable.round_used, r)
                first = views.initial_ballot
                # Without an initial leader, the first election (round 1) is no change.
                if ballot != first and (first is not None or ballot[0] >= 2):
                    return True
        return False

    def crashed_node_caught_up(world: World) -> bool:
        if world.crashed or world.budgets[2] >= crash_budget:
            return False
        logs = [learned(world.actors[r]) for r in views.replicas]
        if not logs[0] or any(log != logs[0] for log in logs):
            return False
        applied = views.applied(world)
        return all(len(applied[r]) == len(logs[0]) for r in views.replicas)

    props: list[Property[World]] = [
        Property.always(
            "agreement", agreement,
            "at most one value per slot is chosen (quorum of ghost votes) or learned",
        ),
        Property.always(
            LEARNED_IS_CHOSEN, learned_is_chosen,
            "a replica learns only values a quorum voted for in one ballot (ghost votes)",
        ),
        Property.always("validity", validity, "every decided value is a client's command or the no-op"),
        Property.always(STABILITY, stability, "a replica never changes or forgets a learned value"),
        Property.always(
            "log consistency", log_consistency,
            "applied logs are prefixes of one another and of the decided log, in slot order",
        ),
        Property.always(
            PROMISE_MONOTONICITY, promise_monotonicity,
            "an acceptor's promised ballot never decreases, across crash and restart too",
        ),
        Property.always(
            "client-visible", client_visible,
            "every reply equals what a sequential run of the decided log gives",
        ),
        Property.final(
            "linearizable", linearizable,
            "the client history is linearizable (operations with unknown outcome may or may not apply)",
        ),
    ]
    if config.clients > 0 and (config.ops > 0 or not multi):
        props.append(Property.sometimes("value chosen", value_chosen, "a quorum voted for a value"))
        props.append(
            Property.sometimes("operation completed", operation_completed, "a client operation returned")
        )
    if multi or config.clients > 0:
        props.append(
            Property.sometimes("leader changed", leader_changed, "a new leader took over from an earlier ballot")
        )
    # Catching up is a Multi-Paxos mechanism (CatchUp/Learn); Basic Paxos has none.
    if multi and crash_budget > 0 and config.clients > 0:
        props.append(
            Property.sometimes(
                "crashed node caught up", crashed_node_caught_up,
                "after a crash, every replica is up and learned and applied the same log",
            )
        )
    return props


# -- transition properties ---------------------------------------------------------------

TransitionCheck = Callable[[World, World], dict[str, list[str]]]


def transition_check(nodes: int) -> TransitionCheck:
    """Stability and promise monotonicity of one step, over the replicas that changed."""
    replicas = range(nodes)

    def check(before: World, after: World) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        old_actors, new_actors = before.actors, after.actors
        for r in replicas:
            old, new = old_actors[r], new_actors[r]
            if old is new:
                continue
            old_promise, new_promise = promised_ballot(old), promised_ballot(new)
            if new_promise < old_promise:
                found.setdefault(PROMISE_MONOTONICITY, []).extend(
                    inv.promise_problems({r: old_promise}, {r: new_promise})
                )
            old_learned, new_learned = learned(old), learned(new)
            if old_learned is not new_learned and new_learned[: len(old_learned)] != old_learned:
                problems = inv.stability_problems({r: dict(old_learned)}, {r: dict(new_learned)})
                if problems:
                    found.setdefault(STABILITY, []).extend(problems)
        return found

    return check


class PaxosModel(ActorModel):
    """The actor model of paxos_core replicas, checking transition properties on every step.

    Made from the plain :class:`ActorModel` that ``explorer.models.paxos`` builds by
    :func:`make_checked`, so it keeps every option of that model (timer limits,
    symmetry, bounds) and only adds the per-step check.
    """

    _transition: TransitionCheck | None = None

    def next_state(self, state: World, action: ActorAction) -> World | None:
        nxt = super().next_state(state, action)
        if nxt is None or self._transition is None:
            return nxt
        found = self._transition(state, nxt)
        if not found:
            return nxt
        broken = BrokenStepWorld._make(nxt)
        broken.step_problems = found
        return broken

    def representative(self, state: World) -> World:
        rep = super().representative(state)
        found = step_problems(state)
        if found and not step_problems(rep):
            # Keep a broken step apart from the plain worlds of its symmetry class, so
            # the engine never takes it for a state it has already checked.
            rep = BrokenStepWorld._make(rep)
            rep.step_problems = found
        return rep

    def successors(self, state: World) -> Iterable[tuple[ActorAction, World]]:
        # Every generated edge goes through next_state, so no step escapes the check.
        for action in self.actions(state):
            nxt = self.next_state(state, action)
            if nxt is not None:
                yield action, nxt


def make_checked(model: ActorModel, config: CheckConfig, cluster: ClusterConfig) -> PaxosModel:
    """``model`` (a Paxos actor model of ``config``) with this module's properties.

    The instance becomes a :class:`PaxosModel` in place: same attributes, same state
    space; its properties are replaced by :func:`paxos_properties` and every step is
    checked for stability and promise monotonicity.
    """
    model.__class__ = PaxosModel
    assert isinstance(model, PaxosModel)
    model._properties = tuple(paxos_properties(config, cluster))
    model._transition = transition_check(config.nodes)
    return model


def problems_in(config: CheckConfig, cluster: ClusterConfig, world: World) -> dict[str, list[str]]:
    """Every safety problem visible in ``world`` (for reports and tests), by property."""
    multi = config.model == "multipaxos"
    views = PaxosViews(config.nodes, nominal_quorum(config), multi, cluster.initial_leader)
    found: dict[str, list[str]] = dict(step_problems(world))
    votes, learned_values = views.votes(world), views.learned(world)
    decided = inv.decided_values(votes, views.quorum, learned_values)
    checks: Mapping[str, list[str]] = {
        "agreement": inv.agreement_problems(votes, views.quorum, learned_values),
        LEARNED_IS_CHOSEN: inv.unchosen_learned_problems(votes, views.quorum, learned_values),
        "validity": inv.validity_problems(decided, views.invoked(world), NOOP if multi else None),
        "log consistency": inv.log_consistency_problems(
            views.applied(world), {s: next(iter(v)) for s, v in decided.items() if len(v) == 1}
        )
        + inv.slot_order_problems(views.applied_slots(world)),
        "client-visible": inv.reply_problems(
            inv.decided_prefix(decided), views.replies(world),
            inv.kv_step if multi else register_step, () if multi else None, NOOP if multi else None,
        ),
    }
    for name, problems in checks.items():
        if problems:
            found[name] = problems
    return found


def build_checked(config: CheckConfig) -> PaxosModel:
    """The Paxos model of ``config`` (``explorer.models.paxos.build``) with these properties."""
    from explorer.models import paxos as base

    model = base.build(config)
    if isinstance(model, PaxosModel):
        return model  # the registry already wires them in
    return make_checked(model, config, base.cluster_config(config))

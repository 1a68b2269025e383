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

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from checker import invariants as inv
from explorer.actors import ActorAction, ActorModel, FireTimer, Reads, World
from explorer.actors.script import follow_script
from explorer.engine.model import Property
from explorer.models.config import CheckConfig
from explorer.models.paxos_progress import election_problems, progress_properties, retry_problems
from explorer.models.paxos_screen import always_screen
from explorer.models.paxos_views import (
    LinearizabilityCache,
    PaxosViews,
    Snapshot,
    nominal_quorum,
    register_step,
)
from paxos_core import NOOP, ClusterConfig
from paxos_core.accessors import applied_log, is_leader, learned, promised_ballot, votes_cast
from paxos_core.events import Complete

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


# -- the property list -------------------------------------------------------------------

Condition = Callable[["_PaxosChecks", World], bool]


_CACHED: list[str] = []  # the conditions cached by view, in the order of their verdict bits


def _by_view(condition: Condition) -> Condition:
    """Cache the condition's verdict by the world's view: its replicas' states and its
    history (what every view of PaxosViews reads). Worlds share these objects (the actor
    model interns node states), so most worlds are judged by one dictionary lookup. A
    view's verdicts are one int, two bits per condition: known, and the verdict."""
    name = condition.__name__
    known = 2 << (2 * len(_CACHED))
    holds = known >> 1
    _CACHED.append(name)

    def cached(self: _PaxosChecks, world: World) -> bool:
        last = self.last_view
        key = last[1] if last[0] is world else self.view_key(world)
        bits = self.by_view.get(key, 0)
        if bits & known:
            return bool(bits & holds)
        verdict = condition(self, world)
        self.by_view[key] = bits | known | (holds if verdict else 0)
        return verdict

    cached.__name__ = name
    cached.__doc__ = condition.__doc__
    cached.view_bits = known | holds  # type: ignore[attr-defined]  # (explorer/models/paxos_screen.py)
    return cached


class _PaxosChecks:
    """The conditions of the properties of one Paxos model, with the caches they share."""

    def __init__(self, config: CheckConfig, cluster: ClusterConfig) -> None:
        self.multi = multi = config.model == "multipaxos"
        self.views = PaxosViews(config.nodes, nominal_quorum(config), multi, cluster.initial_leader)
        self.lin = LinearizabilityCache(multi)
        self.step_fn: inv.StateMachineStep = inv.kv_step if multi else register_step
        self.noop: Any = NOOP if multi else None
        self.initial: Any = () if multi else None  # empty KV map; no value chosen yet
        self.crash_budget = config.faults.crash
        self.last: Snapshot | None = None
        self.expected_replies: dict[tuple[Any, ...], dict[tuple[int, int], Any]] = {}
        # Votes only grow, and most worlds share their replicas' vote tuples with many
        # others: what they chose is computed once per distinct set of vote tuples.
        self.chosen_by_votes: dict[tuple[Any, ...], dict[int, set[Any]]] = {}
        # verdicts by view (see _by_view): the view's key is one int made of its parts'
        # numbers, given by identity (the parts kept alive in ``parts``)
        self.by_view: dict[int, int] = {}
        self.part_numbers: dict[int, int] = {}
        self.parts: list[Any] = []
        self.last_view: tuple[World | None, int] = (None, 0)

    def view_key(self, world: World) -> int:
        """The key of the world's view: its replicas' states and its history."""
        numbers, key = self.part_numbers, 0
        for part in (*world.actors[: self.views.nodes], world.history):
            number = numbers.get(id(part))
            if number is None:
                number = numbers[id(part)] = len(self.parts)
                self.parts.append(part)
            key = (key << 32) | number
        if len(self.by_view) >= 200_000:
            self.by_view.clear()
        self.last_view = (world, key)
        return key

    def verdicts(self, world: World) -> int:
        """The cached verdict bits of the world's view (see _by_view)."""
        last = self.last_view
        return self.by_view.get(last[1] if last[0] is world else self.view_key(world), 0)

    def snap(self, world: World) -> Snapshot:
        last = self.last
        if last is not None and last.world is world:
            return last
        self.last = snapshot = Snapshot(world, self.views)
        return snapshot

    @_by_view
    def agreement(self, world: World) -> bool:
        s = self.snap(world)
        if all(len(v) == 1 for v in s.values_per_slot.values()):
            return True  # a single candidate value per slot cannot disagree
        return not inv.agreement_problems(s.votes, self.views.quorum, s.learned)

    @_by_view
    def learned_is_chosen(self, world: World) -> bool:
        s = self.snap(world)
        if not any(s.learned.values()):
            return True
        actors = world.actors
        key = tuple(votes_cast(actors[r]) for r in self.views.replicas)
        chosen = self.chosen_by_votes.get(key)
        if chosen is None:
            if len(self.chosen_by_votes) >= 100_000:
                self.chosen_by_votes.clear()
            chosen = self.chosen_by_votes[key] = inv.chosen_values(s.votes, self.views.quorum)
        # chosen is given, so the votes are not read again (a cache hit never builds them)
        return not inv.unchosen_learned_problems((), self.views.quorum, s.learned, chosen)

    @_by_view
    def validity(self, world: World) -> bool:
        s = self.snap(world)
        noop = self.noop
        invoked: set[Any] | None = None
        for values in s.values_per_slot.values():
            for value in values:
                if value != noop:
                    if invoked is None:
                        invoked = self.views.invoked(world)
                    if value not in invoked:
                        return not inv.validity_problems(s.decided, invoked, noop)
        return True

    @staticmethod
    def stability(world: World) -> bool:
        return STABILITY not in step_problems(world)

    @_by_view
    def log_consistency(self, world: World) -> bool:
        s = self.snap(world)
        applied_slots = self.views.applied_slots(world)
        if all(slots == tuple(range(len(slots))) for slots in applied_slots.values()) and all(
            len(v) == 1 for v in s.values_per_slot.values()
        ):
            # Slots applied in order, each from the replica's own learned log, and one
            # candidate value per slot: every applied log is a prefix of the one log.
            return True
        decided = {slot: next(iter(v)) for slot, v in s.decided.items() if len(v) == 1}
        return not (
            inv.slot_order_problems(applied_slots)
            or inv.log_consistency_problems(self.views.applied(world), decided)
        )

    @staticmethod
    def promise_monotonicity(world: World) -> bool:
        return PROMISE_MONOTONICITY not in step_problems(world)

    @_by_view
    def client_visible(self, world: World) -> bool:
        replies = self.views.replies(world)
        if not replies:
            return True
        log = tuple(inv.decided_prefix(self.snap(world).decided))
        expected = self.expected_replies.get(log)
        if expected is None:
            expected = self.expected_replies[log] = inv.sequential_replies(
                log, self.step_fn, self.initial, self.noop
            )
        for reply in replies:
            key = (reply.client, reply.seq)
            if key in expected and expected[key] != reply.result:
                return False
        return True

    @_by_view
    def linearizable(self, world: World) -> bool:
        return not world.history or self.lin.linearizable(world.history)

    @_by_view
    def value_chosen(self, world: World) -> bool:
        return bool(inv.chosen_values(self.snap(world).votes, self.views.quorum))

    @_by_view
    def operation_completed(self, world: World) -> bool:
        return any(type(ev) is Complete for ev in world.history)

    @_by_view
    def leader_changed(self, world: World) -> bool:
        views = self.views
        if not self.multi:
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

    def crashed_node_caught_up(self, world: World) -> bool:
        views = self.views
        if world.crashed or world.budgets[2] >= self.crash_budget:
            return False
        logs = [learned(world.actors[r]) for r in views.replicas]
        if not logs[0] or any(log != logs[0] for log in logs):
            return False
        applied = views.applied(world)
        return all(len(applied[r]) == len(logs[0]) for r in views.replicas)


def paxos_properties(
    config: CheckConfig, cluster: ClusterConfig, checks: _PaxosChecks | None = None
) -> list[Property[World]]:
    """Every property of a Paxos model of ``config`` (module docstring), ``checks``'s."""
    c = checks or _PaxosChecks(config, cluster)
    multi = c.multi
    # What each condition reads (partial-order reduction, docs/por.md): replica states;
    # with the history (invoked commands, replies) or the faults where it says so. The
    # two transition properties read the step alone, which the reduction never reorders
    # within one replica: they declare no view at all.
    # Every condition that reads the history reads it up to real-time precedence (sets
    # of invocations and replies; linearizability): history_order=False.
    replicas = replica_reads(config.nodes)
    with_history = dataclasses.replace(replicas, history=True, history_order=False)
    history_only = Reads(history=True, history_order=False)
    step_only = Reads()
    props: list[Property[World]] = [
        Property.always(
            "agreement", c.agreement,
            "at most one value per slot is chosen (quorum of ghost votes) or learned", reads=replicas
        ),
        Property.always(
            LEARNED_IS_CHOSEN, c.learned_is_chosen,
            "a replica learns only values a quorum voted for in one ballot (ghost votes)", reads=replicas
        ),
        Property.always(
            "validity", c.validity, "every decided value is a client's command or the no-op",
            reads=with_history,
        ),
        Property.always(
            STABILITY, c.stability, "a replica never changes or forgets a learned value",
            reads=step_only,
        ),
        Property.always(
            "log consistency", c.log_consistency,
            "applied logs are prefixes of one another and of the decided log, in slot order", reads=replicas
        ),
        Property.always(
            PROMISE_MONOTONICITY, c.promise_monotonicity,
            "an acceptor's promised ballot never decreases, across crash and restart too", reads=step_only
        ),
        Property.always(
            "client-visible", c.client_visible,
            "every reply equals what a sequential run of the decided log gives", reads=with_history
        ),
        Property.final(
            "linearizable", c.linearizable,
            "the client history is linearizable (operations with unknown outcome may or may not apply)",
            reads=history_only, extension_closed=True,  # the history only grows (docs/por.md)
        ),
    ]
    if config.clients > 0 and (config.ops > 0 or not multi):
        props.append(
            Property.sometimes("value chosen", c.value_chosen, "a quorum voted for a value", reads=replicas)
        )
        props.append(
            Property.sometimes(
                "operation completed", c.operation_completed, "a client operation returned",
                reads=history_only,
            )
        )
    # Multi-Paxos: a change needs a second round (the bound of one leaves the initial
    # leader or the opening election's winner for good); Basic: two proposers' ballots.
    if (multi and config.ballots >= 2) or (not multi and config.clients > 0):
        props.append(
            Property.sometimes(
                "leader changed", c.leader_changed, "a new leader took over from an earlier ballot",
                reads=replicas,
            )
        )
    # Catching up is a Multi-Paxos mechanism (CatchUp/Learn); Basic Paxos has none.
    if multi and config.faults.crash > 0 and config.clients > 0:
        props.append(
            Property.sometimes(
                "crashed node caught up", c.crashed_node_caught_up,
                "after a crash, every replica is up and learned and applied the same log",
                reads=dataclasses.replace(replicas, faults=True),
            )
        )
    return props


def replica_reads(nodes: int) -> Reads:
    """A declaration that reads the states of replicas ``0..nodes-1`` (clients unread)."""

    def view(address: int, state: Any) -> Any:
        return state if address < nodes else None

    return Reads(node=view, addresses=frozenset(range(nodes)))


# -- transition properties ---------------------------------------------------------------

class TransitionCheck:
    """Stability and promise monotonicity of one step (``check(before, after)``: the
    problems per property), over the replicas that changed; ``replica_problems`` judges
    one replica's change."""

    def __init__(
        self,
        check: Callable[[World, World], dict[str, list[str]]],
        replica: Callable[[int, Any, Any], list[tuple[str, list[str]]]],
        nodes: int,
    ) -> None:
        self.check, self.replica, self.nodes = check, replica, nodes

    def __call__(self, before: World, after: World) -> dict[str, list[str]]:
        return self.check(before, after)

    def replica_problems(self, r: int, old: Any, new: Any) -> list[tuple[str, list[str]]]:
        """The problems of address ``r`` moving from ``old`` to ``new`` (none for a client)."""
        return self.replica(r, old, new) if r < self.nodes else []


def transition_check(nodes: int) -> TransitionCheck:
    """Stability and promise monotonicity of one step, over the replicas that changed."""
    replicas = range(nodes)
    # A replica's change is judged once per (replica, state before, state after): the
    # actor model interns node states, so steps repeat those pairs by identity. Each
    # entry keeps both states alive, so equal ids mean the very same objects.
    judged: dict[tuple[int, int, int], tuple[Any, Any, list[tuple[str, list[str]]]]] = {}

    def replica_change(r: int, old: Any, new: Any) -> list[tuple[str, list[str]]]:
        key = (r, id(old), id(new))
        entry = judged.get(key)
        if entry is not None and entry[0] is old and entry[1] is new:
            return entry[2]
        problems: list[tuple[str, list[str]]] = []
        old_promise, new_promise = promised_ballot(old), promised_ballot(new)
        if new_promise < old_promise:
            problems.append((PROMISE_MONOTONICITY, inv.promise_problems({r: old_promise}, {r: new_promise})))
        old_learned, new_learned = learned(old), learned(new)
        if old_learned is not new_learned and new_learned[: len(old_learned)] != old_learned:
            unstable = inv.stability_problems({r: dict(old_learned)}, {r: dict(new_learned)})
            if unstable:
                problems.append((STABILITY, unstable))
        if len(judged) >= 100_000:
            judged.clear()
        judged[key] = (old, new, problems)
        return problems

    def check(before: World, after: World) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        old_actors, new_actors = before.actors, after.actors
        if old_actors is new_actors:
            return found
        for r in replicas:
            old, new = old_actors[r], new_actors[r]
            if old is not new:
                for name, problems in replica_change(r, old, new):
                    found.setdefault(name, []).extend(problems)
        return found

    return TransitionCheck(check, replica_change, nodes)


class PaxosModel(ActorModel):
    """The actor model of paxos_core replicas, checking transition properties on every step.

    Made from the plain :class:`ActorModel` that ``explorer.models.paxos`` builds by
    :func:`make_checked`, so it keeps every option of that model (timer limits,
    symmetry, bounds) and only adds the per-step check.
    """

    _transition: TransitionCheck | None = None
    #: action labels the run is forced through before the search (the ``script`` option)
    script: tuple[str, ...] = ()

    def init_states(self) -> Sequence[World]:
        worlds = super().init_states()
        if not self.script:
            return worlds
        return [follow_script(self, world, self.script)[0] for world in worlds]

    def script_followed(self) -> int:
        """How many entries of :attr:`script` the model's run follows (all, for a
        script that fits the protocol; fewer when a mutated protocol leaves it)."""
        worlds = super().init_states()
        return follow_script(self, worlds[0], self.script)[1]

    # every always property at once (explorer/models/paxos_screen.py), for the
    # properties it was made from
    _screen: Callable[[World], bool] | None = None
    _screened: Sequence[Property[World]] = ()

    def next_state(self, state: World, action: ActorAction) -> World | None:
        nxt = super().next_state(state, action)
        if nxt is None or self._transition is None or action is self.plain_unbuilt:
            return nxt  # (a keyed step already judged plain: step_type, explorer/actors/keyed.py)
        found = self._transition(state, nxt)
        if not found:
            return nxt
        broken = BrokenStepWorld._make(nxt)
        broken.step_problems = found
        return broken

    def all_always_hold(self, state: World) -> bool:
        screen = self._screen
        return screen is not None and self._screened is self._properties and screen(state)

    def step_type(self, i: int, old: Any, new: Any) -> type[World]:
        """:class:`BrokenStepWorld` when the step of replica ``i`` from ``old`` to ``new``
        breaks a transition property (what :meth:`next_state` makes of it)."""
        check = self._transition
        if check is not None and check.replica_problems(i, old, new):
            return BrokenStepWorld
        return World

    def representative(self, state: World) -> World:
        rep = super().representative(state)
        found = step_problems(state)
        if found and not step_problems(rep):
            # Keep a broken step apart from the plain worlds of its symmetry class, so
            # the engine never takes it for a state it has already checked.
            rep = BrokenStepWorld._make(rep)
            rep.step_problems = found
        return rep

    # successors: ActorModel's, which takes every generated edge through next_state, so
    # no step escapes the check.


def make_checked(model: ActorModel, config: CheckConfig, cluster: ClusterConfig) -> PaxosModel:
    """``model`` (a Paxos actor model of ``config``) with this module's properties.

    The instance becomes a :class:`PaxosModel` in place: same attributes, same state
    space; its properties are replaced by :func:`paxos_properties` and every step is
    checked for stability and promise monotonicity.
    """
    model.__class__ = PaxosModel
    assert isinstance(model, PaxosModel)
    quiescence = _Quiescence(model, config)
    checks = _PaxosChecks(config, cluster)
    model._properties = (
        *paxos_properties(config, cluster, checks),
        *quiescence_properties(model, config, quiescence),
        *progress_properties(model, config, quiescence.quiescent, replica_reads(config.nodes)),
    )
    model._transition = transition_check(config.nodes)
    model._screen = always_screen(model._properties, checks.verdicts, TRANSITION_PROPERTIES)
    model._screened = model._properties
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


# -- quiescence ----------------------------------------------------------------------------

QUIESCENCE = "quiescence"


class _Quiescence:
    """Quiescence of a Multi-Paxos world (judged by ``checker.quiescence``).

    A world is quiescent when no message can be delivered to a live replica or client
    and no timer can fire to any effect within the bounds (an election past the ballot
    bound, a client's spent retry): nothing more happens unless a fault does. While a
    live replica leads, a follower's election timer does not count: paxos_core has no
    heartbeats (under a model checker a timer is "this may now happen"), and a real
    leader's heartbeats would keep it from firing; a candidate's retry, or an election
    with no leader up, does count. The
    engine's ``final`` kind means "a run ends here" (no successor, the boundary, the
    depth bound), and a quiescent world usually still has successors (timers firing
    past the ballot bound, a crash left in the budget), so the property is checked on
    every world and judges the quiescent ones. A run that lost a message is judged
    only on its acknowledged operations: paxos_core has no heartbeats, so a lost
    ``Decide`` is re-learned on the next gap or restart, not promised at quiescence.
    """

    def __init__(self, model: ActorModel, config: CheckConfig) -> None:
        self.model = model
        self.replicas = tuple(range(config.nodes))
        self.drops = config.faults.drop
        self.crashes = config.faults.crash
        self.multi = config.model == "multipaxos"
        self.quorum = nominal_quorum(config)
        self.ballots = config.ballots
        self._last: tuple[World | None, bool] = (None, False)

    def quiescent(self, world: World) -> bool:
        # quiescence and progress ask about the same world one after the other
        last, verdict = self._last
        if last is world:
            return verdict
        verdict = self._quiescent(world)
        self._last = (world, verdict)
        return verdict

    def _quiescent(self, world: World) -> bool:
        model = self.model
        crashed = world.crashed
        # (the network first: most worlds have a message to deliver, and both tests only
        # ever answer False)
        for _src, dst, _msg in model.net.heads(world.network):
            if dst not in crashed:
                return False  # a message across a cut link waits for the (free) heal
        if not model.within_boundary(world):
            return False  # past the bounds a world is cut off, not settled: not judged
        led = any(is_leader(world.actors[r]) for r in self.replicas if r not in crashed)
        for action in model.actions(world):
            if not isinstance(action, FireTimer):
                continue
            if led and action.timer == "election" and not is_candidate(world.actors[action.node]):
                continue  # a live leader keeps followers from suspecting it (heartbeats)
            nxt = ActorModel.next_state(model, world, action)
            if nxt is not None and model.within_boundary(nxt) and (
                nxt.network != world.network or nxt.actors != world.actors
            ):
                return False
        return True

    def waiting_for_crashed(self, world: World) -> bool:
        crashed = world.crashed
        return bool(crashed) and any(dst in crashed for _src, dst, _msg in self.model.net.heads(world.network))

    def holds(self, world: World) -> bool:
        if not self.quiescent(world):
            return True
        return not self.problems(world)

    def problems(self, world: World) -> list[str]:
        from checker.quiescence import quiescence_problems

        actors = world.actors
        live = [r for r in self.replicas if r not in world.crashed]
        logs = {r: dict(learned(actors[r])) for r in live}
        applied = {r: applied_log(actors[r]) for r in live}
        if not self.multi:
            # Basic Paxos: one value, judged by agreement and client-visible; here, that
            # every learner learned it. A crash loses a learner's tally (Basic Paxos has
            # no catch-up), so only runs without a crash or a drop must converge.
            converged = world.budgets[0] == self.drops and world.budgets[2] == self.crashes
            votes = [inv.Vote(r, slot, b, v) for r in self.replicas for slot, b, v in votes_cast(actors[r])]
            chosen = {slot: next(iter(vals)) for slot, vals in inv.chosen_values(votes, self.quorum).items()}
            return quiescence_problems(
                logs, logs_as_applied(logs), (), command_id, converged, chosen
            ) + retry_problems(self.model, world, self.ballots)
        acknowledged = [(ev.client, ev.seq) for ev in world.history if type(ev) is Complete]
        # no message was dropped, and none waits for a crashed replica: such a message is
        # delivered once it restarts (a free step), so until then it is as good as lost
        # (two replicas with majority quorums: the leader's Accept to the crashed one
        # leaves a hole no live replica can fill)
        converged = world.budgets[0] == self.drops and not self.waiting_for_crashed(world)
        problems: list[str] = []
        if not converged:
            # only acknowledged operations are judged: against every durable log, a
            # crashed replica's too (its decisions come back with it; the lost Decide
            # is not re-sent, so it may be the only copy)
            if self.drops - world.budgets[0] == 1 and not world.crashed:
                # one lost message leaves no hole: a Decide past a gap asks for the
                # gap (CatchUp), and a lost CatchUp or Learn means nothing else was lost
                problems += [
                    f"replica {r} has a hole in its decided log at quiescence: slots {sorted(logs[r])}"
                    for r in live if sorted(logs[r]) != list(range(len(logs[r])))
                ]
            logs = {r: dict(learned(actors[r])) for r in self.replicas}
        return (
            problems
            + quiescence_problems(logs, applied, acknowledged, command_id, converged)
            + election_problems(self.model, world, self.ballots)
        )


def is_candidate(state: Any) -> bool:
    """Whether a Multi-Paxos replica is running phase 1 (its election timer is a retry)."""
    from paxos_core.multi import CANDIDATE

    volatile = getattr(state, "volatile", None)
    return volatile is not None and volatile.role == CANDIDATE


def logs_as_applied(logs: Mapping[int, Mapping[int, Any]]) -> dict[int, tuple[Any, ...]]:
    """Basic Paxos applies what it learns: each learned log is its applied log."""
    return {r: tuple(log[s] for s in sorted(log)) for r, log in logs.items()}


def command_id(value: Any) -> tuple[int, int] | None:
    """``(client, seq)`` of a Multi-Paxos log entry; None for the no-op."""
    client = getattr(value, "client", -1)
    return None if value == NOOP or client < 0 else (client, value.seq)


def quiescence_properties(
    model: ActorModel, config: CheckConfig, q: _Quiescence | None = None
) -> list[Property[World]]:
    """The quiescence property of a Paxos model (Multi-Paxos: the whole log, and elections
    still retried while no replica leads; Basic Paxos: every learner learned the chosen
    value)."""
    q = q or _Quiescence(model, config)
    return [
        Property.always(
            QUIESCENCE, q.holds,
            "once nothing can happen, live replicas decided and applied the same gap-free log, "
            "with every acknowledged operation in it, taking effect once",
            # it reads whether anything can still happen: messages in flight, timers and
            # crashes too (partial-order reduction treats every step on them as visible)
            # (holds wherever a message to a live node is in flight, and never looks at
            # messages to crashed nodes: quiescent_only)
            reads=dataclasses.replace(
                replica_reads(config.nodes), history=True, history_order=False, network=True, faults=True,
                quiescent_only=True,
            ),
        )
    ]

"""paxos_core worlds read as checker.invariants data: votes, learned values, applied
logs, promises, replies, and the sequential references the properties compare with.

:class:`PaxosViews` reads the views out of a world; :class:`Snapshot` computes them at
most once per world, shared by the properties that the engine checks one after the
other on the same world.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from checker import invariants as inv
from explorer.actors import World
from explorer.models.config import CheckConfig
from paxos_core.accessors import applied_log, learned, promised_ballot, votes_cast
from paxos_core.events import Complete, Invoke
from paxos_core.multi import MultiState

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


class Snapshot:
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

"""The model interface every checked system implements (in the spirit of Stateright).

A :class:`Model` describes a transition system: its initial states, the actions
enabled in a state and the successor an action leads to, plus the properties to check.
States must be immutable, hashable and *canonical* (two equal states have equal
``repr``): build them from ints, strs, bools, None, tuples, NamedTuples and frozensets.
The search engine never looks inside a state except through the model.

Actions are any hashable values; :meth:`Model.format_action` gives each one a stable
label. Traces store labels, and replay re-finds each action by its label among the
actions enabled at that step, so a trace survives across processes and versions as long
as the model behaves the same.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

from explorer.engine.fingerprint import fingerprint

S = TypeVar("S", bound=Hashable)
A = TypeVar("A", bound=Hashable)

PropertyKind = Literal["always", "sometimes", "final"]


@dataclass(frozen=True)
class Property(Generic[S]):
    """A named property of states.

    - ``always``: must hold in every reachable state (an invariant);
    - ``sometimes``: should hold in at least one reachable state (non-vacuity);
      reported as witnessed or not;
    - ``final``: must hold in every state where a run ends (no enabled action, or the
      depth bound); used for checks over a whole run, such as linearizability of the
      recorded client history.

    ``reads`` says what the condition reads, in the model's own vocabulary (an actor
    model takes an :class:`explorer.actors.footprint.Reads`); the engine never looks
    inside it. Partial-order reduction (``explorer.engine.por``) needs it: a property
    that declares nothing may read anything, so every action is visible to it and a
    model with such a property is searched unreduced.

    ``extension_closed`` (``final`` only): a state where the condition fails has only
    successors where it fails too, e.g. linearizability of an append-only history (a
    history with no linearization keeps none whatever is appended). The reduced search
    then judges it in every state, so a depth bound does not weaken it (docs/por.md,
    "Depth bounds"); the unreduced search judges it where runs end, as any final.
    """

    kind: PropertyKind
    name: str
    condition: Callable[[S], bool]
    description: str = ""
    reads: Any = None
    extension_closed: bool = False

    @staticmethod
    def always(
        name: str, condition: Callable[[S], bool], description: str = "", reads: Any = None
    ) -> Property[S]:
        return Property("always", name, condition, description, reads)

    @staticmethod
    def sometimes(
        name: str, condition: Callable[[S], bool], description: str = "", reads: Any = None
    ) -> Property[S]:
        return Property("sometimes", name, condition, description, reads)

    @staticmethod
    def final(
        name: str, condition: Callable[[S], bool], description: str = "", reads: Any = None,
        *, extension_closed: bool = False,
    ) -> Property[S]:
        return Property("final", name, condition, description, reads, extension_closed)


@dataclass(frozen=True)
class Ample:
    """A candidate reduced expansion of one state, offered by :meth:`Model.ample_sets`.

    ``positions`` index the list of enabled actions the hook was given (increasing);
    ``successors`` holds the next state of each of them (so nothing is computed twice);
    ``keys`` are the positions of *key* actions: enabled after every path of actions
    outside the set, independent-with-the-set, invisible to every property and
    appending nothing to what properties read in order. The engine adds the cycle
    proviso (a key must lead to a state of higher rank) unless ``proviso`` is False, and
    picks the first candidate that passes. The conditions a model must guarantee are in docs/por.md.
    """

    positions: tuple[int, ...]
    successors: tuple[Any, ...]  # next state per position, in the same order
    keys: tuple[int, ...]  # indices into ``positions``
    #: False when the model shows that every path to a violation, a witness or a run's
    #: end takes an action of the set (then no key step is ever taken in its stead and
    #: the cycle proviso is not needed)
    proviso: bool = True
    #: True when the set's one key only takes a message out of the network and does
    #: nothing else (an ignored delivery, with no closure offered anywhere): a chain of
    #: such steps ends (no proviso), and a one-process BFS counts the step as no step of
    #: the depth bound (docs/por.md, "Depth bounds")
    free: bool = False


class Model(Generic[S, A]):
    """Base class of checkable models. Override the first four methods."""

    #: short name used in output and traces
    name: str = "model"

    def init_states(self) -> Sequence[S]:
        raise NotImplementedError

    def actions(self, state: S) -> Iterable[A]:
        """Actions enabled in ``state``, in a deterministic order."""
        raise NotImplementedError

    def next_state(self, state: S, action: A) -> S | None:
        """The successor of ``state`` under ``action``; None if it leads nowhere."""
        raise NotImplementedError

    def properties(self) -> Sequence[Property[S]]:
        return ()

    # -- optional hooks -------------------------------------------------------------

    def within_boundary(self, state: S) -> bool:
        """State constraint (as TLC's CONSTRAINT): successors outside are not explored."""
        return True

    def representative(self, state: S) -> S:
        """Canonical member of the state's symmetry class (identity: no symmetry)."""
        return state

    def successors(self, state: S) -> Iterable[tuple[A, S]]:
        """``(action, next state)`` for every enabled action, in the order of :meth:`actions`.

        Disabled actions (``next_state`` gives None) are left out. The search engine
        expands states through this hook and records a step as the position of its pair
        in this sequence, so it must be deterministic. Override it when a model can
        compute successors faster together than one action at a time.
        """
        for action in self.actions(state):
            nxt = self.next_state(state, action)
            if nxt is not None:
                yield action, nxt

    def keyed_successors(
        self, state: S, symmetry: bool, actions: Sequence[A] | None = None
    ) -> Iterable[tuple[A, int, S | None]]:
        """Per successor, in the order of :meth:`successors`: ``(action, fingerprint, next
        state or None)``, the fingerprint the engine would compute for the next state
        (of its representative when ``symmetry``).

        ``actions``, when given, is ``list(self.actions(state))``, listed already by the
        caller (the reduced search lists them to choose its persistent set): a model may
        step through them rather than list them again (the actor model does), or ignore
        them (the default does). An override may leave the parameter out: the engine
        passes it only to a method that declares it.

        The BFS uses this hook when a model overrides it: it admits the fingerprint
        first and builds a successor given as None (``next_state(state, action)``, which
        must give the same state) only when the fingerprint is new, so a successor seen
        before costs only its fingerprint. Override it when the model can tell a
        successor's fingerprint from the step without assembling the state (the actor
        model does, explorer/actors/keyed.py). Default: every successor built.
        """
        representative = self.representative
        for action, nxt in self.successors(state):
            yield action, self.fingerprint(representative(nxt) if symmetry else nxt), nxt

    def all_always_hold(self, state: S) -> bool:
        """A fast screen: True only when every ``always`` property of the model holds in
        ``state``; False says nothing (the engine then evaluates the properties one by
        one, which it also does when a model does not override this).

        Override it when the model can judge all its invariants together more cheaply
        than one call each, e.g. from verdicts it caches (the Paxos models look up every
        cached verdict of a world at once: explorer/models/paxos_screen.py). It must
        never answer True for a state where an ``always`` property fails.
        """
        return False

    def fingerprint(self, state: S) -> int:
        """A stable unsigned 64-bit fingerprint of ``state``: the engine's identity of states.

        Default: :func:`explorer.engine.fingerprint.fingerprint` (blake2b of the canonical
        text). Override it when the model can compose a fingerprint from parts it has
        fingerprinted before (the actor model does, explorer/actors/fingerprints.py).
        It must depend on the state's value only (equal states, equal fingerprints; the
        same in every process and under every ``PYTHONHASHSEED``) and tell states apart
        as well as a 64-bit hash does.
        """
        return fingerprint(state)

    def adopt(self, state: S) -> S:
        """An equal state for this process, given one that came from another (unpickled).

        The parallel search calls it on every state a worker receives. Default: the state
        itself. Override it when the model shares parts between states by identity (the
        actor model re-links received worlds to its interned node states and messages, so
        its memoised steps and fingerprints keep hitting).
        """
        return state

    def encode(self, state: S) -> Any:
        """A compact stand-in for ``state`` while it waits in the BFS frontier.

        Default: the state itself. Override it (with :meth:`decode`) when a live state
        costs much more memory than a description of it, e.g. numbers of parts shared
        between states (the actor model does, explorer/actors/encoding.py). Only this
        process decodes it: it may refer to tables the model keeps.
        """
        return state

    def decode(self, data: Any) -> S:
        """The state :meth:`encode` gave ``data`` for (equal to it; used to expand it)."""
        return data

    # Encodings sent between processes (the parallel search). A model whose encode hook
    # numbers parts in tables of its own overrides all three, and a worker then sends
    # other workers encodings plus, once per destination, the parts they name; without
    # them it sends pickled states (re-linked by :meth:`adopt`).
    def shipped_parts(self, start: int) -> tuple[int, Any]:
        """``(mark, shipment)``: what another process needs, beyond what shipments up to
        mark ``start`` gave it (0 at first), to decode this process's encodings so far."""
        raise NotImplementedError

    def receive_parts(self, shipment: Any, table: list[Any]) -> None:
        """Extend ``table`` (kept per sending process, empty at first) with ``shipment``."""
        raise NotImplementedError

    def decode_from(self, data: Any, table: list[Any]) -> S:
        """The state another process encoded as ``data``, through its ``table``."""
        raise NotImplementedError

    def ample_sets(self, state: S, actions: Sequence[A]) -> Iterable[Ample] | None:
        """Candidate reduced expansions of ``state`` (partial-order reduction), best first.

        ``actions`` is ``list(self.actions(state))``; every action in it must be enabled
        (``next_state`` never None). Return None when the model declares no
        independence (the default: then ``--por`` runs unreduced and says so), or an
        iterable of :class:`Ample` candidates, each a persistent (stubborn) set in the
        sense of docs/por.md. An empty iterable means: expand this state fully.
        """
        return None

    def por_quotient(self, state: S) -> S:
        """A canonical member of the states that cannot be told apart from ``state``
        (partial-order reduction): the same successors, step for step, up to the same
        relation, and the same verdict of every property. Reduced searches identify
        states by the fingerprint of this member. Default: the state itself.

        A model overrides it when the order of some of its steps leaves a trace in the
        state that nothing reads: the actor model sorts adjacent client-history events
        of one kind when every property reads the history only up to real-time
        precedence (docs/por.md, "The history quotient").
        """
        return state

    def quotient_model(self) -> Model[S, A] | None:
        """A model that identifies states as reduced searches do, or None (the default
        when :meth:`por_quotient` is overridden): then a reduced search builds every
        successor and fingerprints its quotient member.

        The model given steps as this one does (the same actions and successors) and its
        :meth:`fingerprint` of any state ``s`` is ``self.fingerprint(self.por_quotient(s))``,
        and so are the fingerprints of its :meth:`keyed_successors`: a reduced search
        (explorer/engine/por.py) then expands fully expanded states through them,
        building only the new successors. It must keep nothing that changes what this
        model computes (an unreduced search of this model may follow): a copy with
        caches of its own. Default: the model itself when :meth:`por_quotient` is the
        identity.
        """
        return self if type(self).por_quotient is Model.por_quotient else None

    def por_unavailable(self) -> str | None:
        """Why partial-order reduction cannot apply to this model (None: it can)."""
        if type(self).ample_sets is Model.ample_sets:
            return f"model {self.name!r} declares no independence of actions (Model.ample_sets)"
        return None

    def action_kind(self, action: A) -> str:
        """A coarse class of the action (swarm search weights kinds against each other).

        Default: the first item of a tuple action when it is a str, else the type name.
        """
        if isinstance(action, tuple) and action and isinstance(action[0], str):
            return action[0]
        return type(action).__name__

    def format_action(self, action: A) -> str:
        """A stable, human-readable label; unique among the actions of one state."""
        return repr(action)

    def config(self) -> dict[str, Any]:
        """JSON-able configuration from which the model can be rebuilt (for traces)."""
        return {"model": self.name}

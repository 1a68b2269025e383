"""Successors' fingerprints before their worlds: duplicates cost only a fingerprint delta.

About 60% of the successors the default Multi-Paxos check generates are worlds it has
seen before. Building one (the network tuple rewritten, the world assembled) costs far
more than its fingerprint, which is linear in its parts' (explorer/actors/fingerprints.py):
the expanded world's, plus, per part a step replaces, the weighted difference of the two
parts' fingerprints. For the steps that make most successors (deliveries, timer firings,
drops and duplicates on the unordered network) that difference follows from the step
alone: the node's memoised step gives its new state and outputs, and on the unordered
network the fingerprint is the sum over every copy in flight, so a message delivered or
dropped subtracts its envelope's fingerprint and each message sent adds one, with no
network to rewrite. :func:`keyed_successors` yields those successors as
``(action, fingerprint, None)``; the engine builds one through ``next_state`` only when
its fingerprint is new (:meth:`explorer.engine.model.Model.keyed_successors`).

Every other successor is built and fingerprinted as before: crashes, restarts,
partitions, FIFO networks, an expanded world of a subclass type (a broken step's), a
step whose outputs ``next_state`` would reject (it raises there). A model subclass whose
``next_state`` marks steps (the Paxos models' broken-step worlds) says through
``step_type`` what class a step's world has; the last unbuilt step it judged plain is
``plain_unbuilt``, so such a ``next_state`` need not judge it again when the engine
builds it. A timer firing's, drop's or duplicate's change of the small fields'
fingerprint is cached by the codec's number of the expanded world's small fields (one
number per value, never reused: explorer/actors/encoding.py) when the world was decoded. tests/test_keyed_successors.py checks the fingerprints
against the built worlds' on every state of small searches, decoded or not.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from explorer.actors.faults import DROP, DUP, spend
from explorer.actors.fingerprints import HISTORY_W, MASK, NET_W, SMALL_W, TYPE_W, WorldFingerprints
from explorer.actors.memo import StepMemo
from explorer.actors.world import ActorAction, Node, World, replace_at, without
from explorer.engine.model import Model
from paxos_core.events import CancelTimer, Complete, Invoke, Send, SetTimer

#: (action, fingerprint, the next world or None when not built)
Keyed = tuple[ActorAction, int, World | None]


class KeyedSteps:
    """What keyed successors read of an actor model (mixed into
    :class:`explorer.actors.model.ActorModel`, which supplies all of it), and the hook a
    subclass that marks steps overrides."""

    fingerprints: WorldFingerprints
    memo: StepMemo
    index: dict[int, int]
    nodes: tuple[Node, ...]
    fire_slot: dict[tuple[int, str], int]
    fifo: bool

    def actions(self, state: World) -> list[ActorAction]:
        raise NotImplementedError

    def next_state(self, state: World, action: ActorAction) -> World | None:
        raise NotImplementedError

    def fingerprint(self, state: World) -> int:
        raise NotImplementedError

    #: the class whose ``successors`` and ``next_state`` the keyed steps follow
    steps_of: type[KeyedSteps]
    #: the last action given unbuilt whose step leaves the world of the plain World class
    #: (``step_type`` said so; the step moves one actor at most): a model that checks
    #: steps in ``next_state`` need not check it again when the engine builds it
    plain_unbuilt: ActorAction | None = None

    def keyed_successors(
        self, state: World, symmetry: bool, actions: Sequence[ActorAction] | None = None
    ) -> Iterator[Keyed]:
        """Fingerprints from the steps, worlds built when new (see the module docstring);
        all built under symmetry, or when a subclass changes the steps: it overrides
        ``successors``, or ``next_state`` without ``step_type``."""
        cls, plain = type(self), self.steps_of
        if symmetry or cls.successors is not plain.successors or (
            cls.next_state is not plain.next_state and cls.step_type is KeyedSteps.step_type
        ):
            return iter(Model.keyed_successors(self, state, symmetry))  # type: ignore[arg-type]
        return keyed_successors(self, state, actions)

    def successors(self, state: World) -> Iterator[tuple[ActorAction, World]]:
        raise NotImplementedError

    def step_type(self, i: int, old: Any, new: Any) -> type[World]:
        """The class of the world a delivery or timer gives when actor ``i`` moved from
        ``old`` to ``new``: :class:`World`. A subclass whose ``next_state`` marks steps by
        the world's class overrides it, so keyed successors get its fingerprint right."""
        return World


def keyed_successors(
    model: KeyedSteps, world: World, actions: Sequence[ActorAction] | None = None
) -> Iterator[Keyed]:
    """``world``'s successors in the order of ``model.successors``, as (action, the
    successor's fingerprint, the successor when it had to be built, else None);
    ``actions``: ``model.actions(world)`` when the caller listed them already."""
    fps = model.fingerprints
    fps.expanding(world)
    _base, base_fp, parts = fps.base
    fast = not model.fifo and type(world) is World
    for action in model.actions(world) if actions is None else actions:
        kind = action.kind
        fp: int | None = None
        if fast:
            if kind == "deliver":
                fp = _deliver(model, world, action, base_fp, parts)
            elif kind == "timer":
                fp = _timer(model, world, action, base_fp, parts)
            elif kind == "drop" or kind == "dup":
                act: Any = action  # (the kind tag fixes the tuple's shape)
                change = fps.envelope(act[0], act[1], act[2])
                fp = base_fp + NET_W * (change if kind == "dup" else -change) + _spent(fps, world, kind, parts)
                model.plain_unbuilt = action  # (no actor moves)
        if fp is not None:
            yield action, fp & MASK, None
            continue
        nxt = model.next_state(world, action)
        if nxt is not None:
            fps.expanding(world)  # (the engine may have expanded nothing else meanwhile)
            yield action, model.fingerprint(nxt), nxt


#: what a node step does to a world's fingerprint, whatever the world: (the change of
#: the type, actor and network parts, weighted; the timer outputs in order as (set?,
#: name); the history outputs; whether the world stays of the plain World class), or
#: None when only building the world can tell
Effect = tuple[int, tuple[tuple[bool, str], ...], tuple[Any, ...], bool] | None


def _deliver(model: KeyedSteps, world: World, action: Any, base_fp: int, parts: list[int]) -> int | None:
    src, dst, msg = action[0], action[1], action[2]
    i = model.index[dst]
    old = world.actors[i]
    # The step's effect, by the identity of its inputs (as the step memo: explorer/actors/memo.py)
    effects = model.fingerprints.effects
    key = (i, id(old), src, id(msg))
    entry = effects.get(key)
    if entry is not None and entry[0] is old and entry[1] is msg:
        effect = entry[2]
    else:
        new, outputs = model.memo.message(model.nodes[i], i, dst, old, src, msg)
        effect = _effect(model, i, dst, old, new, outputs, parts)
        if effect is not None:
            effect = (effect[0] - NET_W * model.fingerprints.envelope(src, dst, msg), *effect[1:])
        _keep(effects, key, (old, msg, effect), model.fingerprints.limit)
    if effect is None:
        return None
    return _on_world(model, world, action, i, effect, None, base_fp, parts)


def _timer(model: KeyedSteps, world: World, action: Any, base_fp: int, parts: list[int]) -> int | None:
    node, name = action.node, action.timer
    i = model.index[node]
    old = world.actors[i]
    effects = model.fingerprints.effects
    key = (i, id(old), name)
    entry = effects.get(key)
    if entry is not None and entry[0] is old:
        effect = entry[2]
    else:
        new, outputs = model.memo.timer(model.nodes[i], i, node, old, name)
        effect = _effect(model, i, node, old, new, outputs, parts)
        _keep(effects, key, (old, name, effect), model.fingerprints.limit)
    if effect is None:
        return None
    return _on_world(model, world, action, i, effect, name, base_fp, parts)


def _keep(effects: dict[Any, Any], key: Any, entry: Any, limit: int) -> None:
    if len(effects) >= limit:
        effects.clear()
    effects[key] = entry


def _effect(
    model: KeyedSteps, i: int, me: int, old: Any, new: Any, outputs: tuple[Any, ...], parts: list[int]
) -> Effect:
    """What node ``me`` (index ``i``) moving from ``old`` to ``new`` and emitting
    ``outputs`` does to a world's fingerprint, as ``apply_outputs`` in
    explorer/actors/model.py builds the world (see :data:`Effect`)."""
    fps = model.fingerprints
    timer_ops: list[tuple[bool, str]] = []
    history: list[Any] = []
    sent = 0
    for out in outputs:
        cls = type(out)
        if cls is Send:
            if out.dst not in model.index:
                return None  # next_state raises the error
            sent += fps.envelope(me, out.dst, out.msg)
        elif cls is SetTimer or cls is CancelTimer:
            timer_ops.append((cls is SetTimer, out.name))
        elif cls is Invoke or cls is Complete:
            history.append(out)
        else:
            return None
    change = NET_W * sent
    plain = True
    if new is not old:
        cls = model.step_type(i, old, new)
        if cls is not World:
            if fps.canonical is not None:
                return None  # quotient mode: such a world's history is its own (built)
            change += TYPE_W * (fps.type_tag(cls) - parts[0])
            plain = False
        change += fps.weights[i] * (fps.part(new) - fps.part(old))
    ops = tuple(timer_ops)
    return change, fps.timer_ops.setdefault(ops, ops), tuple(history), plain  # (ops: one object per value, a key of small_steps)


def _on_world(
    model: KeyedSteps,
    world: World,
    action: ActorAction,
    i: int,
    effect: tuple[int, tuple[tuple[bool, str], ...], tuple[Any, ...], bool],
    fired: str | None,
    fp: int,
    parts: list[int],
) -> int:
    """``fp`` (the world's) with the step's ``effect``, after actor ``i``'s timer
    ``fired`` fired (None: a delivery); notes ``action`` as ``plain_unbuilt`` if so."""
    change, timer_ops, history_outputs, plain = effect
    if plain:
        model.plain_unbuilt = action
    fp += change
    if fired is not None or timer_ops:
        fp += _timers_changed(model, world, i, fired, timer_ops, parts)
    if history_outputs:
        canon = model.memo.states.canon
        history = world.history
        for out in history_outputs:
            history = canon((*history, out))
        fp += HISTORY_W * (model.fingerprints.history(history) - parts[3])
    return fp


def _timers_changed(
    model: KeyedSteps, world: World, i: int, fired: str | None, timer_ops: tuple[tuple[bool, str], ...], parts: list[int]
) -> int:
    """The weighted change of the small fields' fingerprint when actor ``i``'s timer
    ``fired`` (None: none) fired and its step set or cancelled ``timer_ops``; cached by the
    codec's number of the expanded world's small fields when the codec decoded it, and
    the id of ``timer_ops`` (one object per value, kept for good: ``fps.timer_ops``)."""
    fps = model.fingerprints
    small = fps.base_small
    if small is not None:
        key = (small, i, fired, id(timer_ops))
        known = fps.small_steps.get(key)
        if known is not None:
            return known
    timers, fires_left = world.timers, world.fires_left
    if fired is not None:
        timers = replace_at(timers, i, without(timers[i], fired))
        slot = model.fire_slot.get((i, fired)) if model.fire_slot else None
        if slot is not None:
            fires_left = replace_at(fires_left, slot, fires_left[slot] - 1)
    names = timers[i]
    for is_set, name in timer_ops:
        if is_set:
            if name not in names:
                names = tuple(sorted((*names, name)))
        elif name in names:
            names = without(names, name)
    if names != timers[i]:
        timers = replace_at(timers, i, names)
    change = 0
    if timers is not world.timers or fires_left is not world.fires_left:
        change = SMALL_W * (fps.small_key((world.crashed, timers, world.isolated, world.budgets, fires_left)) - parts[1]) & MASK
    if small is not None:
        _keep(fps.small_steps, key, change, fps.limit)
    return change


def _spent(fps: WorldFingerprints, world: World, kind: str, parts: list[int]) -> int:
    """The weighted change of the small fields' fingerprint when a drop or duplicate
    (``kind``) spends its budget; cached as :func:`_timers_changed` is."""
    small = fps.base_small
    if small is not None:
        key = (small, kind)
        known = fps.small_steps.get(key)
        if known is not None:
            return known
    budgets = spend(world.budgets, DROP if kind == "drop" else DUP)
    change = SMALL_W * (fps.small_key((world.crashed, world.timers, world.isolated, budgets, world.fires_left)) - parts[1]) & MASK
    if small is not None:
        _keep(fps.small_steps, key, change, fps.limit)
    return change

"""Random actor systems for testing partial-order reduction (tests/test_por.py).

A :class:`TableNode` holds a small int; a message is ``(value, ttl)``. On a message the
node moves to ``table[state][value]`` and, while ``ttl`` lasts, sends the messages its
``sends`` table lists (each with ``ttl - 1``), so every run is finite. An optional timer
fires at most once and bumps the state. The send tables give the exact ``may_send``
graph, usually sparse, so the reduction has something to work with.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

from explorer.actors import ActorModel, Deliver, Faults, Reads, World
from explorer.engine.model import Property
from paxos_core.events import Complete, Invoke, Send, SetTimer

STATES = 3
VALUES = 2


class TableNode:
    def __init__(
        self,
        table: tuple[tuple[int, ...], ...],
        sends: tuple[tuple[tuple[int, int], ...], ...],
        start: tuple[tuple[int, int], ...],
        timer: bool,
        logs: bool,
    ) -> None:
        self.table, self.sends, self.start, self.timer, self.logs = table, sends, start, timer, logs

    def on_start(self, me: int) -> tuple[Any, tuple[Any, ...]]:
        outs: list[Any] = [Send(dst, (value, 2)) for dst, value in self.start]
        if self.timer:
            outs.append(SetTimer("tick"))
        return 0, tuple(outs)

    def on_message(self, me: int, state: Any, src: int, msg: Any) -> tuple[Any, tuple[Any, ...]]:
        value, ttl = msg
        new = self.table[state][value]
        outs: list[Any] = []
        if ttl > 0:
            outs = [Send(dst, (v, ttl - 1)) for dst, v in self.sends[value]]
        if self.logs and new != state:
            outs.append(Invoke(me, new, ("set", new)))
        return new, tuple(outs)

    def on_timer(self, me: int, state: Any, timer: str) -> tuple[Any, tuple[Any, ...]]:
        new = (state + 1) % STATES
        outs: tuple[Any, ...] = (Complete(me, new, "tick"),) if self.logs else ()
        return new, outs

    def on_crash(self, me: int, state: Any) -> Any:
        return 0

    def on_restart(self, me: int, state: Any) -> tuple[Any, tuple[Any, ...]]:
        return state, ()


def node_state(address: int, state: Any) -> Any:
    return state


def reachable(node: TableNode, state: int, crashable: bool) -> set[int]:
    """Every state ``node`` can reach from ``state``: its table, its timer, a crash."""
    seen, todo = {state}, [state]
    while todo:
        q = todo.pop()
        nxt = [*node.table[q], *([(q + 1) % STATES] if node.timer else []), *([0] if crashable else [])]
        for r in nxt:
            if r not in seen:
                seen.add(r)
                todo.append(r)
    return seen


def toy_ignores_forever(actors: dict[int, TableNode], crashable: bool) -> Any:
    """The exact ``ignores_forever`` of table nodes: a message ``(value, ttl)`` keeps
    every state the node can still reach and sends nothing."""

    def ignores(me: int, state: Any, src: int, msg: Any) -> bool:
        node = actors[me]
        value, ttl = msg
        return (ttl == 0 or not node.sends[value]) and all(
            node.table[q][value] == q for q in reachable(node, state, crashable)
        )

    return ignores


def random_system(
    seed: int, nodes: int = 3, declare: bool = True, free_sets: bool = False, finals: bool = True,
    closed_final: bool = False,
) -> ActorModel:
    """A random system of ``nodes`` table nodes with random invariants over their states
    (``free_sets``: no ``may_send`` and the exact ``ignores_forever``, so every reduced
    set is an ignored delivery, a free set; ``finals=False``: without its final property,
    the same system otherwise; ``closed_final``: with an extension-closed final property
    over the history's length as well, drawn apart so the rest stays the same)."""
    rng = random.Random(seed)
    actors: dict[int, Any] = {}
    may_send: dict[int, set[int]] = {}
    for a in range(nodes):
        # Half the entries keep the state: steps that change no view give the reduction
        # invisible keys to work with (and an unsound reduction something to get wrong).
        table = tuple(
            tuple(q if rng.random() < 0.5 else rng.randrange(STATES) for _ in range(VALUES))
            for q in range(STATES)
        )
        peers = [b for b in range(nodes) if b != a]
        out_degree = rng.choice((0, 1, 1, 2))
        targets = rng.sample(peers, min(out_degree, len(peers)))
        sends = tuple(
            tuple((t, rng.randrange(VALUES)) for t in targets if rng.random() < 0.7)
            for _ in range(VALUES)
        )
        start = tuple((t, rng.randrange(VALUES)) for t in targets if rng.random() < 0.8)
        actors[a] = TableNode(table, sends, start, timer=rng.random() < 0.4, logs=rng.random() < 0.3)
        may_send[a] = set(targets)
    faults = Faults(
        drop=rng.choice((0, 0, 1)), dup=rng.choice((0, 0, 1)),
        crash=rng.choice((0, 0, 1)), partition=rng.choice((0, 0, 1)),
    )
    properties = random_properties(rng, nodes) if declare else undeclared_properties()
    if declare and rng.random() < 0.5:
        properties.append(no_message_property(rng))
    if not finals:
        properties = [p for p in properties if p.kind != "final"]
    if closed_final:
        properties.append(history_length_final(random.Random(seed * 7 + 1).randrange(1, 4)))
    return ActorModel(
        actors,
        servers=range(nodes),
        network=rng.choice(("unordered", "fifo")),
        faults=faults,
        properties=properties,
        timer_limits={"tick": 1},
        # Without may_send no closure is offered, and ignored deliveries go without the
        # cycle proviso (docs/por.md, "Stale replica messages"): both ways are drawn.
        may_send=may_send if rng.random() < 0.7 and not free_sets else None,
        ignores_forever=toy_ignores_forever(actors, faults.crash > 0) if rng.random() < 0.7 or free_sets else None,
        name=f"toy-{seed}",
    )


def no_message_property(rng: random.Random) -> Property[World]:
    """``no (value, ttl) in flight``: judged message by message, and a message never
    changes, so it is a ``network_per_message`` property (docs/por.md)."""
    bad = (rng.randrange(VALUES), rng.randrange(3))

    def holds(w: World) -> bool:
        # Unordered entries are ((src, dst, msg), copies); FIFO ones ((src, dst), queue).
        for key, value in w.network:
            if (key[2] == bad) if isinstance(value, int) else (bad in value):
                return False
        return True

    return Property.always(f"no {bad} in flight", holds, reads=Reads(network=True, network_per_message=True))


def history_length_final(length: int) -> Property[World]:
    """A final property whose failure no step undoes (the history only grows)."""
    return Property.final(
        f"the run ends with fewer than {length} history events", lambda w: len(w.history) < length,
        reads=Reads(history=True, history_order=False), extension_closed=True,
    )


def _pair(a: int, x: int, b: int, y: int) -> Callable[[World], bool]:
    return lambda w: not (w.actors[a] == x and w.actors[b] == y)


def _quiet_not(a: int, x: int) -> Callable[[World], bool]:
    def holds(w: World) -> bool:
        # Either network representation keys an entry by (src, dst, ...).
        if any(entry[0][1] not in w.crashed for entry in w.network):
            return True
        return bool(w.actors[a] != x)

    return holds


def random_properties(rng: random.Random, nodes: int) -> list[Property[World]]:
    reads = Reads(node=node_state)
    props: list[Property[World]] = []
    for k in range(4):
        a, b = rng.sample(range(nodes), 2)
        x, y = rng.randrange(STATES), rng.randrange(STATES)
        pair = Reads(node=node_state, addresses=frozenset((a, b)))
        props.append(Property.always(f"not {a}={x} and {b}={y} (#{k})", _pair(a, x, b, y), reads=pair))
    if rng.random() < 0.5:
        # A judgement of quiescent worlds (as Paxos's quiescence): it holds while a
        # message to a live node is in flight, and looks at no message to a crashed one.
        a, x = rng.randrange(nodes), rng.randrange(STATES)
        props.append(
            Property.always(
                f"once nothing is in flight to a live node, {a} is not {x}", _quiet_not(a, x),
                reads=Reads(node=node_state, addresses=frozenset((a,)), network=True, faults=True,
                            quiescent_only=True),
            )
        )
    last = rng.randrange(STATES)
    props.append(
        Property.final(
            f"node 0 does not end at {last}", lambda w: w.actors[0] != last,
            reads=Reads(node=node_state, addresses=frozenset((0,))),
        )
    )
    if rng.random() < 0.5:
        return props  # only properties of a few nodes each: closures cover them
    total = rng.randrange(2 * STATES)
    props.append(Property.sometimes(f"sum is {total}", lambda w: sum(w.actors) == total, reads=reads))
    length = rng.randrange(1, 4)
    # Both history properties read it only up to the order of adjacent events of one
    # kind (a length; how many Invokes come before the first Complete), so reduced
    # searches may merge worlds that differ only in that order (the history quotient);
    # now and then one reads the exact order, which switches that merge off.
    precedence = Reads(history=True, history_order=False)
    props.append(
        Property.always(f"history shorter than {length}", lambda w: len(w.history) < length, reads=precedence)
    )
    opening = rng.randrange(1, 3)
    props.append(
        Property.always(
            f"fewer than {opening + 1} invocations open the history",
            lambda w: _opening_invocations(w.history) <= opening, reads=precedence,
        )
    )
    if rng.random() < 0.2:
        first = rng.randrange(nodes)
        props.append(
            Property.always(
                f"the history does not start with node {first}",
                lambda w: not w.history or w.history[0].client != first,
                reads=Reads(history=True),
            )
        )
    return props


def _opening_invocations(history: tuple[Any, ...]) -> int:
    """How many Invoke events come before the first Complete."""
    count = 0
    for event in history:
        if type(event) is not Invoke:
            break
        count += 1
    return count


def undeclared_properties() -> list[Property[World]]:
    return [Property.always("node 0 is not 2", lambda w: w.actors[0] != 2)]


def walk_claims(model: ActorModel, seed: int, walks: int, steps: int, receivers: Collection[int]) -> int:
    """Seeded walks; every delivery to one of ``receivers`` declared ignored (the model's
    ``ignores_forever``) must change nothing there and stay ignored in every later state
    of its receiver while it is up (for a server: a no-op of its handler too). Returns
    how many such claims were checked."""
    ignores = model.footprints.ignores_forever
    assert ignores is not None
    rng = random.Random(seed)
    claims = 0
    for _ in range(walks):
        world: World = model.init_states()[0]
        ignored: list[tuple[int, int, Any]] = []
        for _ in range(steps):
            actions = model.actions(world)
            if not actions:
                break
            for action in actions:
                if isinstance(action, Deliver) and action.dst in receivers:
                    state = model.actor_state(world, action.dst)
                    if ignores(action.dst, state, action.src, action.msg):
                        claims += 1
                        nxt = model.next_state(world, action)
                        assert nxt is not None and model.actor_state(nxt, action.dst) == state
                        assert nxt.history == world.history and nxt.timers == world.timers
                        ignored.append((action.dst, action.src, action.msg))
            for dst, src, msg in ignored:
                state = model.actor_state(world, dst)
                if dst not in world.crashed:
                    assert ignores(dst, state, src, msg), (dst, src, msg, state)
                    if dst in model.servers:
                        node = model.nodes[model.index[dst]]
                        assert node.on_message(dst, state, src, msg) == (state, ())
            nxt = model.next_state(world, rng.choice(actions))
            assert nxt is not None
            world = nxt
    return claims


def stdout_under_hash_seeds(script: str, seeds: tuple[str, ...] = ("0", "4242")) -> set[str]:
    """What ``script`` prints, run from the repository root under each PYTHONHASHSEED:
    one element when nothing it prints depends on the seed."""
    root = Path(__file__).resolve().parent.parent
    outs = set()
    for seed in seeds:
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", script], cwd=root, env=env, capture_output=True, text=True, check=True
        )
        outs.add(done.stdout)
    return outs


def por_figures(result: Any) -> tuple[Any, ...]:
    """What a reduced search must find alike in one process, over local workers and on
    Ray (tests/test_por_workers.py, tests/test_ray_backend.py)."""
    return (
        result.distinct_states,
        result.level_sizes,
        result.complete,
        result.stopped_by,
        sorted(v.property_name for v in result.violations),
        result.sometimes,
        result.extra["por"],
    )

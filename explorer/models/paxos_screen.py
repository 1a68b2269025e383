"""Every invariant of a Paxos world judged at once: the model's ``all_always_hold`` hook.

The engine asks each ``always`` property of a new world in turn (ten of them in the
default Multi-Paxos check). Most are cached by the world's view (the replicas' states
and the history: ``_by_view`` in explorer/models/paxos_properties.py), and a view's
verdicts are one int, two bits a condition (known, holds). So one lookup of that int
says whether every cached invariant is known to hold; the two transition properties
hold unless the world is a broken step's (a :class:`World` subclass); the few
conditions that read more than the view (the network's messages, quiescence) are asked
directly. Any doubt (a verdict not known yet, a world of a subclass, a condition that
fails) answers False, and the engine evaluates the properties one by one as before, so
the screen changes no verdict and no violation: it is only skipped work.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any

from explorer.actors import World
from explorer.engine.model import Property

__all__ = ["always_screen"]


def always_screen(
    properties: Sequence[Property[World]],
    verdicts: Callable[[World], int],
    by_world_type: Collection[str],
) -> Callable[[World], bool]:
    """A screen of ``properties``' always conditions: True only when all of them hold.

    ``verdicts(world)``: the cached verdict bits of the world's view; a condition with a
    ``view_bits`` attribute (its known and holds bits) is judged by them. Properties
    named in ``by_world_type`` hold in every world of the plain :class:`World` class.
    Every other always condition is called."""
    mask = 0
    others: list[Callable[[World], bool]] = []
    for prop in properties:
        if prop.kind != "always" or prop.name in by_world_type:
            continue
        bits: Any = getattr(prop.condition, "view_bits", None)
        if bits is not None:
            mask |= bits
        else:
            others.append(prop.condition)
    rest = tuple(others)

    def screen(world: World) -> bool:
        if type(world) is not World or verdicts(world) & mask != mask:
            return False
        for condition in rest:
            if not condition(world):
                return False
        return True

    return screen

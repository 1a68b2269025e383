"""A scripted opening: a world that starts where a fixed sequence of actions leads.

Some mistakes show only at the end of one particular run: a client's retry that crosses
a leader change, a request that reaches a replica while it campaigns, an Accept lost
before the only retry. Searched from the initial world, such a run is 12 to 15 actions
deep and the worlds around it cost far more than the budget; started from the point
where the run has been forced, the rest is a few actions and a few thousand states.

A script is a tuple of action labels as traces spell them (``timer 1 election``,
``deliver 2->0 Request(...)``), each possibly cut short: an entry names the first
enabled action (in the model's own order) whose label starts with it. Every step goes
through the model's ``next_state`` and its boundary, so the start is a reachable world
of the model: a search from it explores a subtree of the model's space (it can find a
violation; it says nothing of the runs the script excludes).

:func:`follow_script` stops at the first entry that no enabled action matches and
returns how far it got: a mutated protocol may not take the scripted run (its nodes send
other messages), and the search then starts where the run left the script, still a
reachable world. For the correct protocol every entry must match; the portfolio's tests
check that each scripted world follows its whole script.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from explorer.actors.world import World

__all__ = ["follow_script"]


def follow_script(model: Any, world: World, script: Sequence[str]) -> tuple[World, int]:
    """The world after following ``script`` from ``world``, and how many entries were
    followed (``len(script)`` unless an entry matched no enabled action)."""
    for done, entry in enumerate(script):
        step = _scripted_step(model, world, entry)
        if step is None:
            return world, done
        world = step
    return world, len(script)


def _scripted_step(model: Any, world: World, entry: str) -> World | None:
    for action in model.actions(world):
        if not model.format_action(action).startswith(entry):
            continue
        nxt = model.next_state(world, action)
        if nxt is not None and model.within_boundary(nxt):
            return nxt
    return None

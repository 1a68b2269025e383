"""Symmetry of actor worlds: renaming addresses, and the canonical member of an orbit.

A permutation of addresses is a symmetry of a model only if it is an automorphism of
its transition system that preserves the properties; docs/actors.md says when that
holds (not for Paxos replicas, whose ids break ballot ties). These functions do the
renaming; the argument that it is sound is the caller's.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from explorer.actors.network import Network
from explorer.actors.world import World


class ActorModel(Protocol):
    """What renaming needs of an actor model (explorer.actors.model.ActorModel has it)."""

    addresses: tuple[int, ...]
    index: dict[int, int]
    fire_slot: dict[tuple[int, str], int]
    net: Network


def permuted(model: ActorModel, world: World, perm: Mapping[int, int], rename: Callable[[Any], Any]) -> World:
    """``world`` with addresses renamed by ``perm`` (missing ones fixed) and every node
    state, message and history event passed through ``rename``.

    Node states (and timers, timer budgets) move to their new address; the network is
    put back in canonical order. ``rename`` must rename whatever ids and data the
    permutation touches *inside* states and messages, and re-sort anything kept sorted.
    Whether the result is a symmetry of the model is the caller's argument to make
    (docs/actors.md says when it is).
    """
    index = model.index
    moved = [0] * len(model.addresses)
    for i, addr in enumerate(model.addresses):
        moved[i] = index[perm.get(addr, addr)]
    actors: list[Any] = [None] * len(moved)
    timers: list[tuple[str, ...]] = [()] * len(moved)
    for i, j in enumerate(moved):
        actors[j] = rename(world.actors[i])
        timers[j] = world.timers[i]
    fires = list(world.fires_left)
    for (i, name), slot in model.fire_slot.items():
        fires[model.fire_slot[(moved[i], name)]] = world.fires_left[slot]
    p = perm.get
    network = model.net.renamed(world.network, perm, rename)
    return World(
        tuple(actors),
        tuple(sorted(p(c, c) for c in world.crashed)),
        tuple(timers),
        network,
        tuple(sorted(p(a, a) for a in world.isolated)),
        world.budgets,
        tuple(fires),
        tuple(rename(ev) for ev in world.history),
    )


def symmetry(
    model: ActorModel, group: Sequence[int], rename_for: Callable[[Mapping[int, int]], Callable[[Any], Any]]
) -> Callable[[World], World]:
    """A ``representative`` over every permutation of the addresses in ``group``: the
    renamed world that is least by (the group's states and the history, then the whole
    ``repr``): a function of the orbit only, the same in every process.

    ``rename_for(perm)`` gives the payload renaming for one permutation (see
    :func:`permuted`). Sound only if each permutation is an automorphism of the
    transition system that preserves the properties (docs/actors.md).
    """
    members = tuple(sorted(group))
    perms = [
        dict(zip(members, image, strict=True))
        for image in itertools.permutations(members)
        if image != members
    ]
    renames = [(perm, rename_for(perm)) for perm in perms]

    member_index = [model.index[a] for a in members]

    def quick_key(world: World, perm: Mapping[int, int] | None, rename: Callable[[Any], Any] | None) -> str:
        # A cheap part of the renamed world (the group's own states, the history):
        # most orbits are told apart by it without renaming every replica.
        if perm is None or rename is None:
            states = [world.actors[i] for i in member_index]
            return repr((states, world.history))
        states = [None] * len(members)
        for k, addr in enumerate(members):
            states[members.index(perm[addr])] = rename(world.actors[member_index[k]])
        return repr((states, tuple(rename(ev) for ev in world.history)))

    def representative(world: World) -> World:
        # the orbit's member with the least (quick key, full repr): canonical
        best_key = quick_key(world, None, None)
        candidates: list[tuple[Mapping[int, int], Callable[[Any], Any]] | None] = [None]
        for perm, rename in renames:
            key = quick_key(world, perm, rename)
            if key < best_key:
                best_key, candidates = key, [(perm, rename)]
            elif key == best_key:
                candidates.append((perm, rename))
        if len(candidates) == 1 and candidates[0] is None:
            return world
        best: World | None = None
        best_text = ""
        for cand in candidates:
            other = world if cand is None else permuted(model, world, cand[0], cand[1])
            text = repr(other)
            if best is None or text < best_text:
                best, best_text = other, text
        assert best is not None
        return best

    return representative

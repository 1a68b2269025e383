"""Incremental fingerprints of actor worlds: composed from the parts' fingerprints.

A world's fingerprint is blake2b (8 bytes) over the 64-bit fingerprints of its parts:

- its type (a :class:`~explorer.actors.world.World` subclass, such as the Paxos models'
  broken-step world, must never be taken for the plain world);
- each actor's state: :func:`explorer.engine.fingerprint.fingerprint` of the state;
- the network: the *sum* mod 2**64 of its entries' fingerprints (an entry is one
  ``((src, dst, msg), count)`` of the unordered network, one ``((src, dst), queue)`` of
  the FIFO one: ``entry_fingerprint`` in explorer/actors/network.py), so it does not
  depend on how entries are ordered, and a step that adds or removes a message moves it
  by the difference of two entries' fingerprints (:meth:`WorldFingerprints.changed`);
- the small fields together (crashed, timers, isolated, budgets, fires left);
- the history.

Each part's fingerprint is computed once per object (by identity, the object kept alive
beside it) or, for the small fields, once per value; a successor that changes one actor
and a few messages costs a few dictionary lookups and one blake2b call, not a rendering
of the whole world. Nothing depends on ``hash()`` of str or bytes or on the process:
the same world gives the same fingerprint everywhere (tests/test_fingerprint.py).
"""

from __future__ import annotations

import struct
from hashlib import blake2b
from typing import Any

from explorer.actors.memo import IdCache
from explorer.actors.network import Entries, Entry, Network
from explorer.actors.world import World
from explorer.engine.fingerprint import fingerprint

MASK = 2**64 - 1


class WorldFingerprints:
    """Fingerprints of the worlds of one actor model (``actors`` actors per world)."""

    def __init__(self, actors: int, net: Network, limit: int = 200_000) -> None:
        self.parts = IdCache(min(limit, 50_000))  # actor states, messages, histories
        # Networks are fingerprinted right after the step that made them (from their
        # parent's, see :meth:`changed`): a small cache holds them until then.
        self.networks = IdCache(8192)
        self.last_network: tuple[Entries | None, int] = (None, 0)
        self.entry_fingerprint = net.entry_fingerprint
        self.envelopes: dict[tuple[int, int, int], tuple[Any, int]] = {}
        self.pack_envelope = struct.Struct("<3Q").pack
        self.small: dict[tuple[Any, ...], int] = {}
        self.types: dict[type, int] = {}
        self.limit = limit
        self.pack = struct.Struct(f"<{4 + actors}Q").pack

    def part(self, obj: Any) -> int:
        entry = self.parts.entries.get(id(obj))
        if entry is not None and entry[0] is obj:
            fp: int = entry[1]
            return fp
        fp = fingerprint(obj)
        self.parts.put(obj, fp)
        return fp

    def envelope(self, src: int, dst: int, msg: Any) -> int:
        """The fingerprint of ``msg`` in flight from ``src`` to ``dst`` (by the message's
        identity, the message kept alive beside it)."""
        key = (src, dst, id(msg))
        entry = self.envelopes.get(key)
        if entry is not None and entry[0] is msg:
            return entry[1]
        if len(self.envelopes) >= self.limit:
            self.envelopes.clear()
        fp = int.from_bytes(
            blake2b(self.pack_envelope(src & MASK, dst & MASK, self.part(msg)), digest_size=8).digest(),
            "little",
        )
        self.envelopes[key] = (msg, fp)
        return fp

    def network(self, network: Entries) -> int:
        """Sum mod 2**64 of the entries' fingerprints (a commutative combination)."""
        last = self.last_network
        if last[0] is network:
            return last[1]
        entry = self.networks.entries.get(id(network))
        if entry is not None and entry[0] is network:
            fp: int = entry[1]
            return fp
        efp, envelope = self.entry_fingerprint, self.envelope
        fp = sum([efp(e, envelope) for e in network]) & MASK
        self.networks.put(network, fp)
        return fp

    def moved(self, fp: int, old: Entry | None, new: Entry | None) -> int:
        """A network's fingerprint ``fp`` after entry ``old`` became ``new`` (None: no entry)."""
        if old is not None:
            fp -= self.entry_fingerprint(old, self.envelope)
        if new is not None:
            fp += self.entry_fingerprint(new, self.envelope)
        return fp & MASK

    def note(self, network: Entries, fp: int) -> None:
        """``network``'s fingerprint is ``fp`` (kept for the world the step is building)."""
        self.last_network = (network, fp)

    def small_fields(self, world: World) -> int:
        key = (world.crashed, world.timers, world.isolated, world.budgets, world.fires_left)
        fp = self.small.get(key)
        if fp is None:
            if len(self.small) >= self.limit:
                self.small.clear()
            # ints and strs only, whose equality agrees with repr: a value key is safe
            fp = self.small[key] = fingerprint(key)
        return fp

    def type_tag(self, cls: type) -> int:
        fp = self.types.get(cls)
        if fp is None:
            fp = self.types[cls] = fingerprint(f"{cls.__module__}.{cls.__qualname__}")
        return fp

    def world(self, world: World) -> int:
        """The world's fingerprint (see the module docstring)."""
        entries = self.parts.entries
        fps = []
        for state in world.actors:
            entry = entries.get(id(state))
            fps.append(entry[1] if entry is not None and entry[0] is state else self.part(state))
        digest = blake2b(
            self.pack(
                self.type_tag(type(world)),
                self.small_fields(world),
                self.network(world.network),
                self.part(world.history),
                *fps,
            ),
            digest_size=8,
        ).digest()
        return int.from_bytes(digest, "little")

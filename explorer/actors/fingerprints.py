"""Incremental fingerprints of actor worlds: a linear combination of the parts' fingerprints.

A world's fingerprint is, mod 2**64, the sum of its parts' 64-bit fingerprints, each
times an odd constant of its own (:data:`WEIGHTS`):

- its type (a :class:`~explorer.actors.world.World` subclass, such as the Paxos models'
  broken-step world, must never be taken for the plain world);
- each actor's state: :func:`explorer.engine.fingerprint.fingerprint` of the state, one
  weight per address;
- the network: the *sum* mod 2**64 of its entries' fingerprints (an entry is one
  ``((src, dst, msg), count)`` of the unordered network, one ``((src, dst), queue)`` of
  the FIFO one: ``entry_fingerprint`` in explorer/actors/network.py), so it does not
  depend on how entries are ordered, and a step that adds or removes a message moves it
  by the difference of two entries' fingerprints (:meth:`WorldFingerprints.moved`);
- the small fields together (crashed, timers, isolated, budgets, fires left);
- the history (in *quotient mode* a plain world's canonical history instead:
  :meth:`WorldFingerprints.history`).

Because the combination is linear, a successor's fingerprint is its parent's plus, for
each part the step replaced, the weighted difference of the two parts' fingerprints.
The model names the world it is expanding (:meth:`WorldFingerprints.expanding`); the
fingerprint of any other world is then that world's, corrected for each field that is
not the very object of the expanded world's (compared by identity, so the answer is the
same whatever the reference: a field that differs is fingerprinted itself). A step that
changes one actor and a few messages costs a few lookups and multiplications, no hashing.

The parts' fingerprints are blake2b digests (pseudo-random 64-bit values), so two
different worlds collide only when a weighted sum of differences of such values
vanishes: as unlikely as a collision of one 64-bit hash (the weights are odd, hence
invertible mod 2**64). Each part's fingerprint is computed once per object (by identity,
the object kept alive beside it) or, for the small fields, once per value. Nothing
depends on ``hash()`` of str or bytes or on the process: the same world gives the same
fingerprint everywhere (tests/test_fingerprint.py, tests/test_actor_speed.py).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from hashlib import blake2b
from typing import Any

from explorer.actors.memo import IdCache
from explorer.actors.network import Entries, Entry, Network
from explorer.actors.world import World
from explorer.engine.fingerprint import fingerprint

MASK = 2**64 - 1


def _weight(name: str) -> int:
    """An odd 64-bit constant named ``name`` (odd: invertible mod 2**64)."""
    return int.from_bytes(blake2b(name.encode(), digest_size=8).digest(), "little") | 1


#: the weights of the type, the small fields, the network, the history and actor 0, 1, ...
TYPE_W, SMALL_W, NET_W, HISTORY_W = (_weight(f"world.{part}") for part in ("type", "small", "network", "history"))


def actor_weights(actors: int) -> tuple[int, ...]:
    return tuple(_weight(f"world.actor.{i}") for i in range(actors))


#: entries a step replaced, in order, as (entry before or None, entry after or None)
Changes = list[tuple[Entry | None, Entry | None]]

# The parts of a world's fingerprint, unweighted: type, small fields, network, history,
# then one per actor.
Parts = list[int]


class WorldFingerprints:
    """Fingerprints of the worlds of one actor model (``actors`` actors per world).

    ``canonical`` switches on quotient mode (partial-order reduction's history quotient,
    explorer/actors/footprint.py): a world of type :class:`World` is fingerprinted as if
    its history were ``canonical(history)``, so that ``world(w)`` is the plain
    fingerprint of ``w``'s quotient member, keyed steps included (explorer/actors/keyed.py).
    """

    def __init__(
        self, actors: int, net: Network, limit: int = 200_000,
        canonical: Callable[[tuple[Any, ...]], tuple[Any, ...]] | None = None,
    ) -> None:
        self._args = (actors, net, limit, canonical)
        self.parts = IdCache(min(limit, 50_000))  # actor states, messages, histories
        self.canonical = canonical
        self.histories = IdCache(min(limit, 50_000))  # quotient mode: history -> its canonical's fingerprint
        # Networks are fingerprinted right after the step that made them (from their
        # parent's, see :meth:`moved`), and an expanded world's is read by each of its
        # steps: a small cache holds them meanwhile. (Each entry keeps its network alive:
        # at 8,192 it held 7 bytes a state at the default check's peak, and missed as
        # often as at 64: once per expanded world, whose decoded network is new.)
        self.networks = IdCache(256)
        # The network the last step built, the network it was made from and the entries
        # it replaced (:meth:`note`): its fingerprint is worked out only if asked (a keyed
        # successor's is known before it is built, explorer/actors/keyed.py).
        self.last_network: tuple[Entries | None, Entries, Changes] = (None, (), [])
        self.entry_fingerprint = net.entry_fingerprint
        self.entry_change = net.entry_change
        self.envelopes: dict[tuple[int, int, int], tuple[Any, int]] = {}
        self.pack_envelope = struct.Struct("<3Q").pack
        self.small: dict[tuple[Any, ...], int] = {}
        # node steps' effects on fingerprints, by their inputs' identity (explorer/actors/keyed.py)
        self.effects: dict[tuple[Any, ...], tuple[Any, Any, Any]] = {}
        self.types: dict[type, int] = {}
        self.limit = limit
        self.weights = actor_weights(actors)
        # the world being expanded, its fingerprint and its parts (see :meth:`expanding`)
        self.base: tuple[World | None, int, Parts] = (None, 0, [])
        # The last world the codec decoded and the codec's number of its small fields
        # (:meth:`decoded`); ``base_small`` is that number when the expanded world is that
        # world, else None. The codec numbers small fields by value and never reuses a
        # number, so the keyed steps cache their small fields' change by it
        # (``small_steps``, explorer/actors/keyed.py).
        self.last_decoded: tuple[World | None, int | None] = (None, None)
        self.base_small: int | None = None
        self.small_steps: dict[tuple[Any, ...], int] = {}
        # one object per value of a step's timer outputs, kept for good (their ids are keys)
        self.timer_ops: dict[tuple[tuple[bool, str], ...], tuple[tuple[bool, str], ...]] = {}

    # Pickled (a model sent to a Ray worker), the caches stay behind: they are keyed by
    # object identity, which means nothing in another process, and struct's packers
    # cannot be pickled. The receiver starts with empty caches.
    def __getstate__(self) -> tuple[Any, ...]:
        return self._args

    def __setstate__(self, args: tuple[Any, ...]) -> None:
        self.__init__(*args)  # type: ignore[misc]

    def part(self, obj: Any) -> int:
        entry = self.parts.entries.get(id(obj))
        if entry is not None and entry[0] is obj:
            fp: int = entry[1]
            return fp
        fp = fingerprint(obj)
        self.parts.put(obj, fp)
        return fp

    def history(self, history: tuple[Any, ...], plain: bool = True) -> int:
        """The history part of a world (``plain``: of type :class:`World`): the history's
        fingerprint, or in quotient mode a plain world's canonical history's."""
        if self.canonical is None or not plain:
            return self.part(history)
        entry = self.histories.entries.get(id(history))
        if entry is not None and entry[0] is history:
            found: int = entry[1]
            return found
        canonical = self.canonical(history)
        fp = self.part(history) if canonical == history else fingerprint(canonical)
        self.histories.put(history, fp)
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

    def entry(self, entry: Entry) -> int:
        """One network entry's fingerprint (a network's is the sum of its entries')."""
        return self.entry_fingerprint(entry, self.envelope)

    def network(self, network: Entries) -> int:
        """Sum mod 2**64 of the entries' fingerprints (a commutative combination)."""
        entry = self.networks.entries.get(id(network))
        if entry is not None and entry[0] is network:
            fp: int = entry[1]
            return fp
        last = self.last_network
        if last[0] is network:
            fp = self.network(last[1])
            for old, new in last[2]:
                fp = self.moved(fp, old, new)
        else:
            efp, envelope = self.entry_fingerprint, self.envelope
            fp = sum([efp(e, envelope) for e in network]) & MASK
        self.networks.put(network, fp)
        return fp

    def moved(self, fp: int, old: Entry | None, new: Entry | None) -> int:
        """A network's fingerprint ``fp`` after entry ``old`` became ``new`` (None: no entry)."""
        return (fp + self.entry_change(old, new, self.envelope)) & MASK

    def note(self, network: Entries, parent: Entries, changes: Changes) -> None:
        """``network`` is ``parent`` with the entries ``changes`` replaced, in order (kept
        for the world the step is building: :meth:`network` works out its fingerprint
        from the parent's when asked)."""
        self.last_network = (network, parent, changes)

    def small_fields(self, world: World) -> int:
        return self.small_key((world.crashed, world.timers, world.isolated, world.budgets, world.fires_left))

    def small_key(self, key: tuple[Any, ...]) -> int:
        """The fingerprint of the small fields ``(crashed, timers, isolated, budgets,
        fires_left)``."""
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

    def parts_of(self, world: World) -> Parts:
        """The world's parts' fingerprints, unweighted (see :data:`Parts`)."""
        part = self.part
        return [
            self.type_tag(type(world)),
            self.small_fields(world),
            self.network(world.network),
            self.history(world.history, type(world) is World),
            *[part(state) for state in world.actors],
        ]

    def combine(self, parts: Parts) -> int:
        """The weighted sum of ``parts`` (see the module docstring)."""
        fp = TYPE_W * parts[0] + SMALL_W * parts[1] + NET_W * parts[2] + HISTORY_W * parts[3]
        for weight, actor in zip(self.weights, parts[4:], strict=True):
            fp += weight * actor
        return fp & MASK

    def decoded(self, world: World, network_fp: int, small: int | None) -> None:
        """``world`` was just decoded: its network's fingerprint is ``network_fp``, and
        ``small`` the codec's number of its small fields."""
        self.networks.put(world.network, network_fp)
        self.last_decoded = (world, small)

    def expanding(self, world: World) -> None:
        """``world``'s successors are about to be fingerprinted: keep its parts, so
        theirs are computed from the fields they replaced."""
        if self.base[0] is not world:
            parts = self.parts_of(world)
            self.base = (world, self.combine(parts), parts)
            decoded, small = self.last_decoded
            self.base_small = small if decoded is world else None

    def world(self, world: World) -> int:
        """The world's fingerprint: the expanded world's, corrected for every field that
        is not the very object of that world's (see the module docstring)."""
        base, fp, parts = self.base
        if base is None:
            return self.combine(self.parts_of(world))
        if world is base:
            return fp
        if type(world) is not type(base):
            fp += TYPE_W * (self.type_tag(type(world)) - parts[0])
        actors, base_actors = world.actors, base.actors
        if actors is not base_actors:
            entries = self.parts.entries
            for i, state in enumerate(actors):
                if state is not base_actors[i]:
                    entry = entries.get(id(state))
                    afp = entry[1] if entry is not None and entry[0] is state else self.part(state)
                    fp += self.weights[i] * (afp - parts[4 + i])
        if world.network is not base.network:
            fp += NET_W * (self.network(world.network) - parts[2])
        if (
            world.timers is not base.timers
            or world.budgets is not base.budgets
            or world.crashed is not base.crashed
            or world.isolated is not base.isolated
            or world.fires_left is not base.fires_left
        ):
            fp += SMALL_W * (self.small_fields(world) - parts[1])
        if world.history is not base.history or (self.canonical is not None and type(world) is not type(base)):
            fp += HISTORY_W * (self.history(world.history, type(world) is World) - parts[3])
        return fp & MASK

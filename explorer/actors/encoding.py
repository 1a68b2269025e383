"""Compact encodings of actor worlds, for the BFS frontier (the model's encode/decode hooks).

A world waiting in the frontier costs its live object graph (the World tuple, its
network tuple and entry tuples, its actors and timers tuples: several hundred bytes),
although almost every part is shared with other worlds. :class:`WorldCodec` numbers the
parts as it meets them, once per process, and encodes a world as one ``bytes`` of
part numbers:

    small fields, history, actor 0, ..., actor n-1, network entry 0, ...

where *small fields* is ``(crashed, timers, isolated, budgets, fires_left)``, after one
byte that gives the numbers' width (2 while the tables hold at most 65,536 parts, else 4). Decoding
looks the numbers up, so the decoded world is built from the very objects the codec
saw: the interned node states and messages (explorer/actors/memo.py) that the memoised
steps and the fingerprints' identity caches key on. Numbers are kept for the life of
the codec (the tables hold the parts alive), so they are never reused.

Parts are numbered by identity where the actor model shares them (node states and the
history, which it interns; messages inside network entries) and by value where it
builds them afresh (the small fields: ints and strs only, whose equality agrees with
``repr``; a network entry: its link, its count or queue, and the ids of its messages).
A world of a subclass (a Paxos broken-step world carries its problems) is kept as it is.
The codec also keeps each numbered entry's fingerprint, so a decoded world's network is
fingerprinted by summing its entries' numbers' (:meth:`WorldCodec.decode_with_parts`),
and hands on the number of its small fields, which the keyed steps cache by.

The parallel search sends encodings to other processes too (the model's ``shipped_parts``
/ ``receive_parts`` / ``decode_from`` hooks): a sender ships each part once per
destination (the parts it numbered since its last batch there, with their kinds), the
receiver makes each one its own canonical object once (interned node states and
messages, :meth:`WorldCodec.received`) into a table for that sender, and decodes the
sender's numbers through that table. A world then crosses as a few bytes, not a pickled
object graph re-linked part by part on arrival.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from typing import Any

from explorer.actors.fingerprints import MASK, WorldFingerprints
from explorer.actors.memo import StepMemo, adopt_world
from explorer.actors.network import Entry, Network
from explorer.actors.world import World

__all__ = ["EncodedWorlds", "WorldCodec"]

# The kinds of parts, as shipped to another process: how the receiver adopts each one.
SMALL, STATE, ENTRY = 0, 1, 2  # small fields as they are; interned states; network entries

Shipment = tuple[bytes, list[Any]]  # (kinds, parts): the parts numbered since a mark


class WorldCodec:
    """Numbers the parts of one model's worlds; encodes and decodes whole worlds."""

    def __init__(self, actors: int, fifo: bool, entry_fingerprint: Callable[[Entry], int] | None = None) -> None:
        self.actors = actors
        self.fifo = fifo
        # A network's fingerprint is the sum of its entries' (explorer/actors/fingerprints.py):
        # kept per numbered entry, a decoded world's network is fingerprinted from its
        # numbers (:meth:`decode_with_parts`) instead of entry by entry from the messages.
        self.entry_fingerprint = entry_fingerprint
        self.entry_fps: dict[int, int] = {}  # part number of an entry -> its fingerprint
        self.objects: list[Any] = []  # part number -> part
        self.by_id: dict[int, int] = {}  # id of an identity-numbered part -> its number
        self.by_value: dict[Any, int] = {}  # value key of a value-numbered part -> number
        self.kinds = bytearray()  # part number -> SMALL, STATE or ENTRY (for shipping)
        # A successor reuses most of its parent's entry tuples, and a decoded world's are
        # the codec's own (``objects``), so most entries are numbered by one lookup of
        # their id, without a value key: ``owned`` maps the id of every entry in
        # ``objects`` (alive as long as the codec) to its number.
        self.owned: dict[int, int] = {}
        # Worlds decoded through another process's table (the parallel search) hold that
        # table's entries: once such parts came (``received``), entries not owned are
        # looked up by identity too, kept alive beside their number (bounded). In one
        # process that cache would only hold the fresh entries of successors, each
        # encoded once: 10 bytes a state at peak on the default check, for no hit.
        self.foreign = False
        self.entry_ids: dict[int, tuple[Entry, int]] = {}
        self.entry_ids_limit = 20_000

    # Pickled (a model sent to another process), the tables stay behind: numbers and ids
    # mean nothing elsewhere.
    # (The entry fingerprint, a method of the model's fingerprints, goes with the model.)
    def __getstate__(self) -> tuple[int, bool, Callable[[Entry], int] | None]:
        return self.actors, self.fifo, self.entry_fingerprint

    def __setstate__(self, args: tuple[int, bool, Callable[[Entry], int] | None]) -> None:
        self.__init__(*args)  # type: ignore[misc]

    def _by_id(self, obj: Any) -> int:
        number = self.by_id.get(id(obj))
        if number is None:
            number = self.by_id[id(obj)] = len(self.objects)
            self.objects.append(obj)  # kept alive: its id is never another object's
            self.kinds.append(STATE)
        return number

    def _by_value(self, key: Any, obj: Any, kind: int = ENTRY) -> int:
        number = self.by_value.get(key)
        if number is None:
            number = self.by_value[key] = len(self.objects)
            # kept alive, and with it the messages whose ids an entry's key holds
            self.objects.append(obj)
            self.kinds.append(kind)
            if kind == ENTRY:
                self.owned[id(obj)] = number
                if self.entry_fingerprint is not None:
                    self.entry_fps[number] = self.entry_fingerprint(obj)
        return number

    def _entry_key(self, entry: Entry) -> tuple[Any, ...]:
        if self.fifo:
            (src, dst), queue = entry
            return (src, dst, *[id(m) for m in queue])
        (src, dst, msg), count = entry
        return (src, dst, id(msg), count)

    def encode(self, world: World) -> bytes | World:
        """The world as part numbers (a subclass's world as it is)."""
        if type(world) is not World:
            return world
        small = (world.crashed, world.timers, world.isolated, world.budgets, world.fires_left)
        numbers = [self._by_value(small, small, SMALL), self._by_id(world.history)]
        by_id = self.by_id
        for state in world.actors:
            number = by_id.get(id(state))
            numbers.append(number if number is not None else self._by_id(state))
        by_value, entry_key, owned = self.by_value, self._entry_key, self.owned
        for entry in world.network:
            number = owned.get(id(entry))
            if number is None:
                if self.foreign:
                    number = self._foreign_entry(entry)
                else:
                    key = entry_key(entry)
                    number = by_value.get(key)
                    if number is None:
                        number = self._by_value(key, entry)
            numbers.append(number)
        if len(self.objects) <= 0xFFFF:
            return b"\x02" + array("H", numbers).tobytes()
        return b"\x04" + array("I", numbers).tobytes()

    def _foreign_entry(self, entry: Entry) -> int:
        """The number of an entry the codec does not own, by identity first (see
        ``foreign``)."""
        entry_ids = self.entry_ids
        known = entry_ids.get(id(entry))
        if known is not None and known[0] is entry:
            return known[1]
        key = self._entry_key(entry)
        number = self.by_value.get(key)
        if number is None:
            number = self._by_value(key, entry)
        if len(entry_ids) >= self.entry_ids_limit:
            entry_ids.clear()
        entry_ids[id(entry)] = (entry, number)  # the entry kept alive beside its id
        return number

    def decode(self, data: bytes | World, objects: list[Any] | None = None) -> World:
        """The world :meth:`encode` gave ``data`` for; with ``objects``, the world another
        process's codec encoded, through the table :meth:`received` built for it."""
        if not isinstance(data, bytes):
            return data
        return self._world(self._numbers(data), objects if objects is not None else self.objects)

    def decode_with_parts(self, data: bytes | World) -> tuple[World, int | None, int | None]:
        """The world :meth:`encode` gave ``data`` for, its network's fingerprint (the sum
        of its entries', mod 2**64) and the number of its small fields ``(crashed,
        timers, isolated, budgets, fires_left)``: one number per value, never reused
        (each None when not known: a world of a subclass, no entry fingerprints)."""
        if not isinstance(data, bytes) or self.entry_fingerprint is None:
            return self.decode(data), None, None
        numbers = self._numbers(data)
        entry_fps = self.entry_fps
        fp = sum([entry_fps[n] for n in numbers[2 + self.actors :]]) & MASK
        return self._world(numbers, self.objects), fp, numbers[0]

    @staticmethod
    def _numbers(data: bytes) -> array[int]:
        numbers = array("H" if data[0] == 2 else "I")
        numbers.frombytes(data[1:])
        return numbers

    def _world(self, numbers: array[int], objects: list[Any]) -> World:
        crashed, timers, isolated, budgets, fires_left = objects[numbers[0]]
        split = 2 + self.actors
        return tuple.__new__(
            World,
            (
                tuple([objects[n] for n in numbers[2:split]]),
                crashed,
                timers,
                tuple([objects[n] for n in numbers[split:]]),
                isolated,
                budgets,
                fires_left,
                objects[numbers[1]],
            ),
        )


    def shipped(self, start: int) -> tuple[int, Shipment]:
        """The parts numbered from ``start`` on, with their kinds, and the next mark."""
        end = len(self.objects)
        return end, (bytes(self.kinds[start:end]), self.objects[start:end])

    @staticmethod
    def received(
        shipment: Shipment,
        table: list[Any],
        state: Callable[[Any], Any],
        entry: Callable[[Any], Any],
    ) -> None:
        """Append to ``table`` (one sender's parts, by its numbers) this process's
        equivalent of each shipped part: ``state`` for node states and histories,
        ``entry`` for network entries, small fields as they are."""
        kinds, parts = shipment
        table.extend(
            [part if kind == SMALL else state(part) if kind == STATE else entry(part) for kind, part in zip(kinds, parts, strict=True)]
        )


class EncodedWorlds:
    """The actor model's ``encode`` / ``decode`` hooks (explorer.engine.model.Model):
    worlds in the BFS frontier as numbers of their parts."""

    codec: WorldCodec
    memo: StepMemo
    net: Network
    fingerprints: WorldFingerprints

    def encode(self, state: World) -> bytes | World:
        return self.codec.encode(state)

    def decode(self, data: bytes | World) -> World:
        world, network_fp, small = self.codec.decode_with_parts(data)
        if network_fp is not None:  # (the world is decoded to be expanded, as a rule)
            self.fingerprints.decoded(world, network_fp, small)
        return world

    # The parallel search's hooks (explorer.engine.model.Model): encodings sent across.
    def shipped_parts(self, start: int) -> tuple[int, Shipment]:
        return self.codec.shipped(start)

    def receive_parts(self, shipment: Shipment, table: list[Any]) -> None:
        states, messages, net = self.memo.states, self.memo.messages, self.net

        def entry(part: Entry) -> Entry:
            return net.adopted((part,), messages.canon)[0]

        self.codec.foreign = True  # (the decoded worlds will hold the table's entries)
        self.codec.received(shipment, table, states.canon, entry)

    def decode_from(self, data: bytes | World, table: list[Any]) -> World:
        if isinstance(data, bytes):
            return self.codec.decode(data, table)
        return adopt_world(self.memo, self.net, data)  # a subclass's world, pickled whole

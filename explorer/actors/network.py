"""Network semantics: how messages in flight are stored, enumerated and changed.

Two semantics, one interface, chosen by name (:data:`NETWORKS`):

- ``"unordered"``: a multiset, stored as a tuple of ``((src, dst, msg), count)`` sorted
  by ``(src, dst, repr(msg))``: any message in flight may be delivered next;
- ``"fifo"``: per-link queues, a tuple of ``((src, dst), (msg, ...))`` sorted by link,
  non-empty links only: only the head of each link may be delivered.

Both representations are canonical (equal multisets / queues are equal tuples, in every
process: the sort key is ``repr``, never ``hash``), so worlds that hold them compare and
fingerprint by value. The world's ``network`` field holds the representation; these
classes are stateless and only say how to read and rewrite it.

For incremental fingerprints (explorer/actors/fingerprints.py) each change also says
which entry it replaced by which (``add_entry``, ``remove_entry``, ``duplicate_entry``),
and ``entry_fingerprint`` gives an entry's 64-bit fingerprint: the network's fingerprint
is the sum of its entries', so a change moves it by the difference of two entries'.
"""

from __future__ import annotations

import struct
from bisect import bisect_left
from collections.abc import Callable, Iterator, Mapping
from hashlib import blake2b
from typing import Any

from explorer.actors.world import REPRS, replace_at

NETWORKS = ("unordered", "fifo")

Entries = tuple[tuple[Any, Any], ...]
Entry = tuple[Any, Any]
Changed = tuple[Entries, Entry | None, Entry | None]  # (network, entry before, entry after)

MASK = 2**64 - 1
#: the 64-bit fingerprint of one message ``msg`` in flight from ``src`` to ``dst``
EnvelopeFingerprint = Callable[[int, int, Any], int]


def _digest(data: bytes) -> int:
    return int.from_bytes(blake2b(data, digest_size=8).digest(), "little")


def _link_of(entry: tuple[Any, Any]) -> Any:
    return entry[0]


def _entry_key(entry: tuple[Any, Any]) -> tuple[int, int, str]:
    src, dst, msg = entry[0]
    return (src, dst, REPRS.text(msg))


def _position(network: Entries, src: int, dst: int, msg: Any) -> tuple[int, bool]:
    """Where ``(src, dst, msg)`` is or belongs in the sorted entries, and whether it is
    there: ``bisect_left`` by :func:`_entry_key`, but texts are compared only within the
    link ``(src, dst)`` (networks are short; most entries are told apart by their ints)."""
    text = None
    for pos, entry in enumerate(network):
        s, d, m = entry[0]
        if s < src or (s == src and d < dst):
            continue
        if s == src and d == dst:
            if m is msg:
                return pos, True
            if text is None:
                text = REPRS.text(msg)
            other = REPRS.text(m)
            if other < text:
                continue
            return pos, other == text
        return pos, False
    return len(network), False


class UnorderedNetwork:
    """Messages in flight as a multiset: any of them may be delivered next."""

    name = "unordered"
    fifo = False

    def heads(self, network: Entries) -> Iterator[tuple[int, int, Any]]:
        """Every deliverable ``(src, dst, msg)``, once per distinct message."""
        for (src, dst, msg), _count in network:
            yield src, dst, msg

    def add(self, network: Entries, src: int, dst: int, msg: Any) -> Entries:
        return self.add_entry(network, src, dst, msg)[0]

    def add_entry(self, network: Entries, src: int, dst: int, msg: Any) -> Changed:
        """``msg`` added; returns (network, the entry before or None, the entry after)."""
        pos, found = _position(network, src, dst, msg)
        if found:
            old = network[pos]
            new = (old[0], old[1] + 1)
            return replace_at(network, pos, new), old, new
        new = ((src, dst, msg), 1)
        return (*network[:pos], new, *network[pos:]), None, new

    def remove(self, network: Entries, src: int, dst: int, msg: Any) -> Entries:
        return self.remove_entry(network, src, dst, msg)[0]

    def remove_entry(self, network: Entries, src: int, dst: int, msg: Any) -> Changed:
        """One copy of ``msg`` removed; returns (network, entry before, entry after or None)."""
        pos = _position(network, src, dst, msg)[0]
        old = network[pos]
        env, count = old
        if count == 1:
            return (*network[:pos], *network[pos + 1 :]), old, None
        new = (env, count - 1)
        return replace_at(network, pos, new), old, new

    def duplicate(self, network: Entries, src: int, dst: int, msg: Any) -> Entries:
        return self.add(network, src, dst, msg)

    def duplicate_entry(self, network: Entries, src: int, dst: int, msg: Any) -> Changed:
        return self.add_entry(network, src, dst, msg)

    @staticmethod
    def entry_fingerprint(entry: tuple[Any, Any], env_fp: EnvelopeFingerprint) -> int:
        """``count`` times the message's fingerprint: the network's sum is then the sum
        over every copy in flight (a multiset hash)."""
        (src, dst, msg), count = entry
        return (count * env_fp(src, dst, msg)) & MASK

    @staticmethod
    def entry_change(old: Entry | None, new: Entry | None, env_fp: EnvelopeFingerprint) -> int:
        """The network fingerprint's change when ``old`` became ``new`` (None: no entry):
        one message's fingerprint times the change of its count."""
        if old is None:
            assert new is not None
            (src, dst, msg), count = new
            return (count * env_fp(src, dst, msg)) & MASK
        (src, dst, msg), count = old
        return (((new[1] if new is not None else 0) - count) * env_fp(src, dst, msg)) & MASK

    @staticmethod
    def adopted(network: Entries, message: Callable[[Any], Any]) -> Entries:
        """The same network with every message replaced by ``message(msg)`` (an equal one)."""
        return tuple([((src, dst, message(msg)), count) for (src, dst, msg), count in network])

    def in_flight(self, network: Entries) -> list[tuple[int, int, Any]]:
        """Every message in flight as ``(src, dst, msg)``, one entry per copy."""
        return [env for env, count in network for _ in range(count)]

    def renamed(
        self, network: Entries, perm: Mapping[int, int], rename: Callable[[Any], Any]
    ) -> Entries:
        """The network with addresses renamed by ``perm`` and payloads by ``rename``,
        back in canonical order."""
        p = perm.get
        return tuple(
            sorted(
                (((p(src, src), p(dst, dst), rename(msg)), count) for (src, dst, msg), count in network),
                key=_entry_key,
            )
        )


class FifoNetwork:
    """Messages in flight as per-link queues: only each link's head may be delivered."""

    name = "fifo"
    fifo = True

    def heads(self, network: Entries) -> Iterator[tuple[int, int, Any]]:
        for (src, dst), queue in network:
            yield src, dst, queue[0]

    def add(self, network: Entries, src: int, dst: int, msg: Any) -> Entries:
        return self.add_entry(network, src, dst, msg)[0]

    def add_entry(self, network: Entries, src: int, dst: int, msg: Any) -> Changed:
        """``msg`` queued at the tail of its link; (network, link entry before, after)."""
        link = (src, dst)
        pos = bisect_left(network, link, key=_link_of)
        if pos < len(network) and network[pos][0] == link:
            old = network[pos]
            new = (link, (*old[1], msg))
            return replace_at(network, pos, new), old, new
        new = (link, (msg,))
        return (*network[:pos], new, *network[pos:]), None, new

    def remove(self, network: Entries, src: int, dst: int, msg: Any) -> Entries:
        return self.remove_entry(network, src, dst, msg)[0]

    def remove_entry(self, network: Entries, src: int, dst: int, msg: Any) -> Changed:
        """The head of the link removed; (network, link entry before, after or None)."""
        pos = bisect_left(network, (src, dst), key=_link_of)
        old = network[pos]
        link, queue = old
        if len(queue) == 1:
            return (*network[:pos], *network[pos + 1 :]), old, None
        new = (link, queue[1:])
        return replace_at(network, pos, new), old, new

    def duplicate(self, network: Entries, src: int, dst: int, msg: Any) -> Entries:
        return self.duplicate_entry(network, src, dst, msg)[0]

    def duplicate_entry(self, network: Entries, src: int, dst: int, msg: Any) -> Changed:
        # The copy travels right behind the original (a retransmission on one link).
        pos = bisect_left(network, (src, dst), key=_link_of)
        old = network[pos]
        link, queue = old
        new = (link, (queue[0], *queue))
        return replace_at(network, pos, new), old, new

    @staticmethod
    def entry_fingerprint(entry: tuple[Any, Any], env_fp: EnvelopeFingerprint) -> int:
        """The fingerprint of one ``((src, dst), queue)``, in queue order."""
        (src, dst), queue = entry
        fps = [env_fp(src, dst, m) for m in queue]
        return _digest(struct.pack(f"<Q{len(fps)}Q", len(fps), *fps))

    @classmethod
    def entry_change(cls, old: Entry | None, new: Entry | None, env_fp: EnvelopeFingerprint) -> int:
        """The network fingerprint's change when ``old`` became ``new`` (None: no entry)."""
        change = 0
        if old is not None:
            change -= cls.entry_fingerprint(old, env_fp)
        if new is not None:
            change += cls.entry_fingerprint(new, env_fp)
        return change & MASK

    @staticmethod
    def adopted(network: Entries, message: Callable[[Any], Any]) -> Entries:
        return tuple([(link, tuple([message(m) for m in queue])) for link, queue in network])

    def in_flight(self, network: Entries) -> list[tuple[int, int, Any]]:
        return [(src, dst, m) for (src, dst), queue in network for m in queue]

    def renamed(
        self, network: Entries, perm: Mapping[int, int], rename: Callable[[Any], Any]
    ) -> Entries:
        p = perm.get
        return tuple(
            sorted(
                (((p(src, src), p(dst, dst)), tuple(rename(m) for m in queue)) for (src, dst), queue in network),
                key=_link_of,
            )
        )


Network = UnorderedNetwork | FifoNetwork


def make_network(name: str) -> Network:
    """The semantics called ``name`` (one of :data:`NETWORKS`)."""
    if name == "unordered":
        return UnorderedNetwork()
    if name == "fifo":
        return FifoNetwork()
    raise ValueError(f"unknown network {name!r} (known: {', '.join(NETWORKS)})")

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
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from explorer.actors.world import REPRS, replace_at

NETWORKS = ("unordered", "fifo")

Entries = tuple[tuple[Any, Any], ...]


def _link_of(entry: tuple[Any, Any]) -> Any:
    return entry[0]


def _entry_key(entry: tuple[Any, Any]) -> tuple[int, int, str]:
    src, dst, msg = entry[0]
    return (src, dst, REPRS.text(msg))


class UnorderedNetwork:
    """Messages in flight as a multiset: any of them may be delivered next."""

    name = "unordered"
    fifo = False

    def heads(self, network: Entries) -> Iterator[tuple[int, int, Any]]:
        """Every deliverable ``(src, dst, msg)``, once per distinct message."""
        for (src, dst, msg), _count in network:
            yield src, dst, msg

    def add(self, network: Entries, src: int, dst: int, msg: Any) -> Entries:
        key = (src, dst, REPRS.text(msg))
        pos = bisect_left(network, key, key=_entry_key)
        if pos < len(network) and _entry_key(network[pos]) == key:
            env, count = network[pos]
            return replace_at(network, pos, (env, count + 1))
        return (*network[:pos], ((src, dst, msg), 1), *network[pos:])

    def remove(self, network: Entries, src: int, dst: int, msg: Any) -> Entries:
        pos = bisect_left(network, (src, dst, REPRS.text(msg)), key=_entry_key)
        env, count = network[pos]
        if count == 1:
            return (*network[:pos], *network[pos + 1 :])
        return replace_at(network, pos, (env, count - 1))

    def duplicate(self, network: Entries, src: int, dst: int, msg: Any) -> Entries:
        return self.add(network, src, dst, msg)

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
        link = (src, dst)
        pos = bisect_left(network, link, key=_link_of)
        if pos < len(network) and network[pos][0] == link:
            return replace_at(network, pos, (link, (*network[pos][1], msg)))
        return (*network[:pos], (link, (msg,)), *network[pos:])

    def remove(self, network: Entries, src: int, dst: int, msg: Any) -> Entries:
        pos = bisect_left(network, (src, dst), key=_link_of)
        link, queue = network[pos]
        if len(queue) == 1:
            return (*network[:pos], *network[pos + 1 :])
        return replace_at(network, pos, (link, queue[1:]))

    def duplicate(self, network: Entries, src: int, dst: int, msg: Any) -> Entries:
        # The copy travels right behind the original (a retransmission on one link).
        pos = bisect_left(network, (src, dst), key=_link_of)
        link, queue = network[pos]
        return replace_at(network, pos, (link, (queue[0], *queue)))

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

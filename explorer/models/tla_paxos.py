"""Lamport's Paxos.tla (TLA+ Examples repository), transcribed action for action.

Variables, as in the spec: per acceptor ``maxBal`` (init -1), ``maxVBal`` (init -1) and
``maxVal`` (init None), and ``msgs``, the set of every message ever sent (types 1a, 1b,
2a, 2b; never removed, so receiving is reading from the set). Actions:

- ``Phase1a(b)``: send ``[type 1a, bal b]``;
- ``Phase1b(a)``: for a 1a message ``m`` with ``m.bal > maxBal[a]``, set ``maxBal[a]`` to
  ``m.bal`` and send ``[1b, acc a, bal m.bal, mbal maxVBal[a], mval maxVal[a]]``;
- ``Phase2a(b, v)``: if no 2a message for ``b`` was sent and some quorum ``Q`` has all
  sent 1b messages for ``b``, where ``v`` is the value of the highest-``mbal`` vote
  among them (any value when none voted), send ``[2a, bal b, val v]``;
- ``Phase2b(a)``: for a 2a message ``m`` with ``m.bal >= maxBal[a]``, set ``maxBal[a]``
  and ``maxVBal[a]`` to ``m.bal``, ``maxVal[a]`` to ``m.val`` and send
  ``[2b, acc a, bal m.bal, val m.val]``.

Quorums are the majorities of the acceptors; ballots are ``0..B``. The invariant is
agreement: no two different values are chosen, a value being chosen in ballot ``b`` when
a quorum sent 2b messages for ``b`` and that value. TLC finds, for 3 acceptors and 2
values, 3,921 distinct states in 17 levels for ``B = 1`` and 185,369 in 25 for
``B = 2`` (443 and 17,153 with symmetry over acceptors and values); this model gives
the same counts.

Representation (a modelling choice for speed, not a change of the spec): a state is a
flat tuple ``maxBal[0..A) + maxVBal[0..A) + maxVal[0..A) + (msgs,)`` where ``maxVal`` uses
``-1`` for None, and ``msgs`` is an int bitmask with one bit per possible message.
:meth:`TlaPaxos.describe` renders a state in the spec's terms.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from typing import Any

from explorer.engine.model import Model, Property

__all__ = ["BUGS", "TlaPaxos"]

State = tuple[int, ...]
Action = tuple[Any, ...]

#: seeded bugs, by constructor flag
BUGS: dict[str, str] = {
    "ignore-1b-values": "Phase2a proposes any value once it has a quorum of 1b messages, "
    "ignoring the values the acceptors already voted for",
}

NONE = -1  # maxVal / mval of an acceptor that never voted


class TlaPaxos(Model[State, Action]):
    """Paxos.tla with ``acceptors`` acceptors, ``values`` values and ballots ``0..ballots``.

    ``symmetry`` is recorded in :meth:`config`; the search reduces by
    :meth:`representative` (permutations of acceptors and of values) when
    ``SearchSettings.symmetry`` is set.
    """

    #: ``--variant`` names: the correct model first, then the seeded bugs.
    VARIANTS: tuple[str, ...] = ("correct", *BUGS)

    name = "tla-paxos"

    def __init__(
        self,
        ballots: int = 1,
        symmetry: bool = False,
        acceptors: int = 3,
        values: int = 2,
        bug: str | None = None,
    ) -> None:
        if ballots < 0:
            raise ValueError("ballots must be >= 0")
        if acceptors < 1 or values < 1:
            raise ValueError("acceptors and values must be >= 1")
        if acceptors > 6:
            raise ValueError("at most 6 acceptors (symmetry enumerates their permutations)")
        if bug is not None and bug not in BUGS:
            raise ValueError(f"unknown bug {bug!r} (known: {', '.join(BUGS)})")
        self.ballots = ballots
        self.symmetry = symmetry
        self.acceptors = acceptors
        self.values = values
        self.bug = bug
        A, V, NB = acceptors, values, ballots + 1
        self._A = A
        self.quorums: list[tuple[int, ...]] = [
            q for r in range(A + 1) for q in itertools.combinations(range(A), r) if 2 * r > A
        ]

        # -- one bit per possible message ---------------------------------------------
        self.messages: list[tuple[Any, ...]] = []  # bit index -> message
        self._bit: dict[tuple[Any, ...], int] = {}

        def add(msg: tuple[Any, ...]) -> None:
            self._bit[msg] = 1 << len(self.messages)
            self.messages.append(msg)

        for b in range(NB):
            add(("1a", b))
        for a in range(A):
            for b in range(NB):
                add(("1b", a, b, -1, NONE))
                for mbal in range(b):  # an acceptor's vote is always below its 1b ballot
                    for v in range(V):
                        add(("1b", a, b, mbal, v))
        for b in range(NB):
            for v in range(V):
                add(("2a", b, v))
        for a in range(A):
            for b in range(NB):
                for v in range(V):
                    add(("2b", a, b, v))
        bit = self._bit
        self._bit1a = [bit["1a", b] for b in range(NB)]
        self._mask2a = [sum(bit["2a", b, v] for v in range(V)) for b in range(NB)]
        self._bits2a = [[(v, bit["2a", b, v]) for v in range(V)] for b in range(NB)]
        self._bit1b = {k[1:]: m for k, m in bit.items() if k[0] == "1b"}
        self._bit2b = [
            [[bit["2b", a, b, v] for v in range(V)] for b in range(NB)] for a in range(A)
        ]
        # (acceptor, ballot) -> mask of its possible 1b messages
        self._mask1b = [
            [
                sum(m for k, m in bit.items() if k[0] == "1b" and k[1] == a and k[2] == b)
                for b in range(NB)
            ]
            for a in range(A)
        ]
        self._vote_of_1b = {m: (k[3], k[4]) for k, m in bit.items() if k[0] == "1b"}
        self._mask2b_bv = [
            [(v, sum(bit["2b", a, b, v] for a in range(A))) for v in range(V)] for b in range(NB)
        ]
        self._all2b = sum(m for k, m in bit.items() if k[0] == "2b")
        self._all_values = tuple(range(V))
        self._all1b_at = [sum(self._mask1b[a][b] for a in range(A)) for b in range(NB)]
        self._cache2a: list[dict[int, list[int]]] = [{} for _ in range(NB)]
        self._agreement_cache: dict[int, bool] = {}
        self._init: State = (-1,) * A + (-1,) * A + (NONE,) * A + (0,)
        self._symmetry = AcceptorValueSymmetry(A, V, self.messages, self._bit)

    # -- the model interface ---------------------------------------------------------

    def init_states(self) -> Sequence[State]:
        return [self._init]

    def successors(self, state: State) -> Iterable[tuple[Action, State]]:
        A = self._A
        msgs = state[-1]
        out: list[tuple[Action, State]] = []
        # Phase1a(b)
        for b, bit in enumerate(self._bit1a):
            out.append((("Phase1a", b), state if msgs & bit else state[:-1] + (msgs | bit,)))
        # Phase1b(a): for every 1a message with a higher ballot than maxBal[a]
        bit1b = self._bit1b
        for a in range(A):
            max_bal = state[a]
            for b, bit in enumerate(self._bit1a):
                if b > max_bal and msgs & bit:
                    new = list(state)
                    new[a] = b
                    new[-1] = msgs | bit1b[a, b, state[A + a], state[2 * A + a]]
                    out.append((("Phase1b", a, b), tuple(new)))
        # Phase2a(b, v)
        cache2a = self._cache2a
        for b, mask2a in enumerate(self._mask2a):
            if msgs & mask2a:
                continue
            key = msgs & self._all1b_at[b]
            values = cache2a[b].get(key)
            if values is None:
                # which values Phase2a(b, .) may propose depends only on the 1b messages for
                # b, and few sets of them are reachable: memoise
                values = cache2a[b][key] = self._values_for_2a(msgs, b)
            for v in values:
                bit = self._bits2a[b][v][1]
                out.append((("Phase2a", b, v), state[:-1] + (msgs | bit,)))
        # Phase2b(a): for every 2a message with ballot >= maxBal[a]
        bits2a = self._bits2a
        for b, mask2a in enumerate(self._mask2a):
            if not msgs & mask2a:
                continue
            for v, bit in bits2a[b]:
                if not msgs & bit:
                    continue
                for a in range(A):
                    if b >= state[a]:
                        new = list(state)
                        new[a] = b
                        new[A + a] = b
                        new[2 * A + a] = v
                        new[-1] = msgs | self._bit2b[a][b][v]
                        out.append((("Phase2b", a, b, v), tuple(new)))
        return out

    def _values_for_2a(self, msgs: int, b: int) -> list[int]:
        """The values v for which Phase2a(b, v) is enabled (no 2a for b is checked by the caller)."""
        votes: list[list[tuple[int, int]] | None] = []
        for a in range(self._A):
            x = msgs & self._mask1b[a][b]
            if not x:
                votes.append(None)
                continue
            mine = []
            while x:
                low = x & -x
                mine.append(self._vote_of_1b[low])
                x ^= low
            votes.append(mine)
        allowed: set[int] = set()
        for q in self.quorums:
            q1b: list[tuple[int, int]] = []
            for a in q:
                got = votes[a]
                if got is None:
                    break
                q1b.extend(got)
            else:
                q1bv = [m for m in q1b if m[0] >= 0]
                if not q1bv or self.bug == "ignore-1b-values":
                    return list(self._all_values)
                top = max(m[0] for m in q1bv)
                allowed.update(m[1] for m in q1bv if m[0] == top)
        return sorted(allowed)

    def actions(self, state: State) -> Iterable[Action]:
        return [action for action, _ in self.successors(state)]

    def next_state(self, state: State, action: Action) -> State | None:
        for act, nxt in self.successors(state):
            if act == action:
                return nxt
        return None

    def properties(self) -> Sequence[Property[State]]:
        return (
            Property.always("agreement", self.agreement, "no two different values are chosen"),
            Property.sometimes("chosen", self.some_value_chosen, "some value is chosen"),
        )

    def chosen_values(self, state: State) -> set[int]:
        """Values chosen in ``state``: some quorum (a majority) sent 2b for one ballot and it."""
        msgs = state[-1]
        out: set[int] = set()
        if not msgs & self._all2b:
            return out
        A = self._A
        for per_value in self._mask2b_bv:
            for v, mask in per_value:
                if 2 * (msgs & mask).bit_count() > A:
                    out.add(v)
        return out

    def agreement(self, state: State) -> bool:
        votes = state[-1] & self._all2b
        if not votes:
            return True
        ok = self._agreement_cache.get(votes)
        if ok is None:
            # only the 2b messages matter, and few sets of them are reachable: memoise
            ok = self._agreement_cache[votes] = len(self.chosen_values(state)) <= 1
        return ok

    def some_value_chosen(self, state: State) -> bool:
        return bool(self.chosen_values(state))

    def action_kind(self, action: Action) -> str:
        return str(action[0])

    def format_action(self, action: Action) -> str:
        kind = action[0]
        if kind == "Phase1a":
            return f"Phase1a({action[1]})"
        if kind == "Phase1b":
            return f"Phase1b(a{action[1] + 1}, 1a({action[2]}))"
        if kind == "Phase2a":
            return f"Phase2a({action[1]}, v{action[2] + 1})"
        return f"Phase2b(a{action[1] + 1}, 2a({action[2]}, v{action[3] + 1}))"

    def config(self) -> dict[str, Any]:
        return {
            "model": self.name,
            "ballots": self.ballots,
            "acceptors": self.acceptors,
            "values": self.values,
            "symmetry": self.symmetry,
            "bug": self.bug,
        }

    def describe(self, state: State) -> dict[str, Any]:
        """The state in the spec's terms (acceptors a1.., values v1.., None for no value)."""
        return describe_state(self.messages, self._A, state)

    def representative(self, state: State) -> State:
        """The least member of the state's orbit under permutations of acceptors and of
        values (:class:`AcceptorValueSymmetry`)."""
        return self._symmetry.representative(state)


def describe_state(messages: list[tuple[Any, ...]], A: int, state: State) -> dict[str, Any]:
    """The state in the spec's terms (acceptors a1.., values v1.., None for no value)."""
    def val(v: int) -> str | None:
        return None if v == NONE else f"v{v + 1}"

    msgs = []
    for i, msg in enumerate(messages):
        if state[-1] >> i & 1:
            if msg[0] == "1a":
                msgs.append({"type": "1a", "bal": msg[1]})
            elif msg[0] == "1b":
                msgs.append(
                    {
                        "type": "1b",
                        "acc": f"a{msg[1] + 1}",
                        "bal": msg[2],
                        "mbal": msg[3],
                        "mval": val(msg[4]),
                    }
                )
            elif msg[0] == "2a":
                msgs.append({"type": "2a", "bal": msg[1], "val": val(msg[2])})
            else:
                msgs.append(
                    {"type": "2b", "acc": f"a{msg[1] + 1}", "bal": msg[2], "val": val(msg[3])}
                )
    return {
        "maxBal": {f"a{a + 1}": state[a] for a in range(A)},
        "maxVBal": {f"a{a + 1}": state[A + a] for a in range(A)},
        "maxVal": {f"a{a + 1}": val(state[2 * A + a]) for a in range(A)},
        "msgs": msgs,
    }


class AcceptorValueSymmetry:
    """Permutations of acceptors and of values, applied to states by table lookup.

    Each permutation of the message bits is a table per byte of ``msgs`` (256 entries of
    the byte's image), so renaming a state costs one lookup per byte, not per message.
    """

    def __init__(
        self, A: int, V: int, messages: list[tuple[Any, ...]], bit: dict[tuple[Any, ...], int]
    ) -> None:
        self._A = A
        nbits = len(messages)
        chunks = (nbits + 7) // 8
        self._perm_tables: list[list[list[int]]] = []
        self._perm_heads: list[tuple[tuple[int, ...], tuple[int, ...]]] = []  # (src idx, valmap)
        for p in itertools.permutations(range(A)):
            for q in itertools.permutations(range(V)):

                def image(
                    msg: tuple[Any, ...], p: tuple[int, ...] = p, q: tuple[int, ...] = q
                ) -> tuple[Any, ...]:
                    if msg[0] == "1a":
                        return msg
                    if msg[0] == "1b":
                        return (
                            "1b",
                            p[msg[1]],
                            msg[2],
                            msg[3],
                            NONE if msg[4] == NONE else q[msg[4]],
                        )
                    if msg[0] == "2a":
                        return ("2a", msg[1], q[msg[2]])
                    return ("2b", p[msg[1]], msg[2], q[msg[3]])

                images = [bit[image(m)] for m in messages]
                tables = []
                for c in range(chunks):
                    table = []
                    for byte in range(256):
                        out = 0
                        for k in range(8):
                            if byte >> k & 1 and c * 8 + k < nbits:
                                out |= images[c * 8 + k]
                        table.append(out)
                    tables.append(table)
                self._perm_tables.append(tables)
                # new[p[a]] = old[a], i.e. new[i] = old[p^-1[i]]
                inv = [0] * A
                for a in range(A):
                    inv[p[a]] = a
                src = tuple(inv) + tuple(A + i for i in inv) + tuple(2 * A + i for i in inv)
                valmap = tuple(q) + (NONE,)  # index -1 (NONE) maps to NONE
                self._perm_heads.append((src, valmap))
        self._head_cache: dict[tuple[int, ...], tuple[tuple[int, ...], list[int]]] = {}

    def min_head(self, head: tuple[int, ...]) -> tuple[tuple[int, ...], list[int]]:
        """The least image of the acceptor variables, and the permutations that give it."""
        A = self._A
        best: tuple[int, ...] | None = None
        which: list[int] = []
        for i, (src, valmap) in enumerate(self._perm_heads):
            img = tuple(head[j] for j in src[: 2 * A]) + tuple(
                valmap[head[j]] for j in src[2 * A :]
            )
            if best is None or img < best:
                best, which = img, [i]
            elif img == best:
                which.append(i)
        assert best is not None
        return best, which

    def representative(self, state: State) -> State:
        """The least member (as a tuple) of the state's orbit under permutations of
        acceptors and of values: first the least image of the acceptor variables, then
        among the permutations giving it the least image of ``msgs``."""
        head = state[:-1]
        cached = self._head_cache.get(head)
        if cached is None:
            cached = self._head_cache[head] = self.min_head(head)
        best_head, which = cached
        msgs = state[-1]
        best_msgs = -1
        tables_of = self._perm_tables
        for i in which:
            m = 0
            x = msgs
            for table in tables_of[i]:
                m |= table[x & 255]
                x >>= 8
                if not x:
                    break
            if best_msgs < 0 or m < best_msgs:
                best_msgs = m
        return best_head + (best_msgs,)

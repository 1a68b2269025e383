"""Fingerprints are stable across processes and hash seeds, and canonical for sets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from hypothesis import given, settings
from hypothesis import strategies as st

from explorer.engine.fingerprint import canonical_text, fingerprint

ROOT = Path(__file__).resolve().parent.parent


class Node(NamedTuple):
    name: str
    peers: frozenset[str]


class Pair(NamedTuple):
    left: object
    right: object


@dataclass(frozen=True)
class Box:
    item: object
    tag: str = "box"


def test_frozenset_order_does_not_matter() -> None:
    words = [f"node-{i}" for i in range(40)]
    a = frozenset(words)
    b = frozenset(reversed(words))
    assert fingerprint(a) == fingerprint(b)
    assert fingerprint(Node("x", a)) == fingerprint(Node("x", b))
    assert canonical_text(frozenset({"b", "a"})) == "frozenset({'a', 'b'})"


def test_types_are_kept_apart() -> None:
    assert fingerprint((1, 2)) != fingerprint([1, 2])
    assert fingerprint(("x", frozenset())) != fingerprint(Node("x", frozenset()))
    assert fingerprint(1) != fingerprint("1")
    assert fingerprint(None) != fingerprint("None")


values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.tuples(inner, inner)
        | st.frozensets(inner, max_size=4)
        | st.builds(Pair, inner, inner)
        | st.builds(Box, inner)
        | st.tuples(inner)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(values)
def test_equal_values_have_equal_fingerprints(value: object) -> None:
    assert 0 <= fingerprint(value) < 2**64
    rebuilt = _rebuild(value)
    assert rebuilt == value
    assert fingerprint(rebuilt) == fingerprint(value)


@settings(max_examples=300, deadline=None)
@given(values)
def test_canonical_text_is_repr_without_sets(value: object) -> None:
    text = repr(value)
    if "frozenset(" not in text and "{" not in text:
        assert canonical_text(value) == text
    assert fingerprint(value) == fingerprint(_rebuild(value))


def _reference_text(obj: object) -> str:
    """canonical_text written the slow, obvious way (every part walked)."""
    if isinstance(obj, frozenset):
        if not obj:
            return "frozenset()"
        return "frozenset({" + ", ".join(sorted(_reference_text(x) for x in obj)) + "})"
    if isinstance(obj, Pair):
        return f"Pair(left={_reference_text(obj.left)}, right={_reference_text(obj.right)})"
    if isinstance(obj, Box):
        return f"{type(obj).__qualname__}(item={_reference_text(obj.item)}, tag={obj.tag!r})"
    if isinstance(obj, tuple):
        if len(obj) == 1:
            return "(" + _reference_text(obj[0]) + ",)"
        return "(" + ", ".join(_reference_text(x) for x in obj) + ")"
    return repr(obj)


@settings(max_examples=300, deadline=None)
@given(values)
def test_canonical_text_matches_the_reference(value: object) -> None:
    assert canonical_text(value) == _reference_text(value)


def _rebuild(value: object) -> object:
    """An equal copy whose frozensets were built in reverse insertion order."""
    if isinstance(value, frozenset):
        return frozenset(reversed([_rebuild(v) for v in sorted(value, key=repr)]))
    if isinstance(value, Pair):
        return Pair(_rebuild(value.left), _rebuild(value.right))
    if isinstance(value, Box):
        return Box(_rebuild(value.item), value.tag)
    if isinstance(value, tuple):
        return tuple(_rebuild(v) for v in value)
    return value


def test_no_collisions_among_many_small_states() -> None:
    states = [
        (a, b, c, frozenset({f"k{a}", f"k{b}"}))
        for a in range(30)
        for b in range(30)
        for c in range(10)
    ]
    assert len({fingerprint(s) for s in states}) == len(states)


_SCRIPT = r"""
import json
from typing import NamedTuple
from explorer.engine.fingerprint import fingerprint
from explorer.models.tla_paxos import TlaPaxos
from explorer.engine.results import SearchSettings
from explorer.engine.search import search

class Node(NamedTuple):
    name: str
    peers: frozenset

samples = [
    Node("a", frozenset({"x", "y", "zeta", "omega"})),
    (frozenset({("k", 1), ("j", 2)}), "s", None, True),
    frozenset({frozenset({"a"}), frozenset({"b", "c"})}),
]
model = TlaPaxos(ballots=1, bug="ignore-1b-values")
bfs = search(model, SearchSettings())
sym = search(TlaPaxos(ballots=1), SearchSettings(symmetry=True))
swarm = search(model, SearchSettings(strategy="swarm", seed=11, walks=400))
print(json.dumps({
    "samples": [fingerprint(s) for s in samples],
    "bfs": [bfs.distinct_states, bfs.level_sizes, [model.format_action(a) for a in bfs.violations[0].actions]],
    "bfs_fps": [fingerprint(s) for s in bfs.violations[0].states],
    "sym": [sym.distinct_states, sym.level_sizes],
    "swarm": [swarm.walks, swarm.distinct_states, [model.format_action(a) for a in swarm.violations[0].actions]],
}))
"""


def test_stable_across_hash_seeds_and_processes() -> None:
    outputs = []
    for seed in ("0", "1", "4242"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        proc = subprocess.run(
            [sys.executable, "-c", _SCRIPT],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        outputs.append(json.loads(proc.stdout))
    assert outputs[0] == outputs[1] == outputs[2]
    assert outputs[0]["bfs"][0] > 0 and outputs[0]["sym"][0] == 443

"""Stable 64-bit fingerprints of states.

A fingerprint is blake2b (8-byte digest) over the *canonical text* of a state: its
``repr``, except that the items of frozensets (and dicts) are listed sorted by their own
canonical text. It depends only on the state's value, never on ``PYTHONHASHSEED``, the
process or the run, so fingerprints can be compared across worker processes and saved.

Supported values: ints, strs, bytes, bools, None, floats, enums, tuples, NamedTuples,
frozen dataclasses (with the default ``repr``), frozensets and dicts of those.

:func:`fingerprint` takes ``repr(state)`` (C speed for plain tuples; NamedTuple and
dataclass reprs run in Python but still beat walking the state) and falls back to
:func:`canonical_text` only when the repr shows a set or dict (``frozenset(`` or ``{``;
a str containing ``{`` just takes the slow path, which gives the same text).
(Remembering the text of shared sub-states by identity was tried: on the actor-system
Multi-Paxos model it was 1.5x slower than ``repr``, too few parts are shared.)
"""

from __future__ import annotations

import dataclasses
from hashlib import blake2b
from typing import Any

__all__ = ["canonical_text", "fingerprint", "fingerprint_text"]

_SCALARS = (int, str, bool, float, bytes, type(None))


def canonical_text(obj: Any) -> str:
    """``repr(obj)``, with set and dict items sorted: equal for equal values everywhere."""
    t = type(obj)
    if t in _SCALARS:
        return repr(obj)
    if t is frozenset or t is set:
        if not obj:
            return f"{t.__name__}()"
        return t.__name__ + "({" + ", ".join(sorted([_part(x) for x in obj])) + "})"
    if t is tuple:
        if len(obj) == 1:
            return "(" + _part(obj[0]) + ",)"
        return "(" + ", ".join([_part(x) for x in obj]) + ")"
    if isinstance(obj, tuple) and hasattr(t, "_fields"):  # NamedTuple
        inner = ", ".join([f"{name}={_part(v)}" for name, v in zip(t._fields, obj, strict=True)])
        return f"{t.__name__}({inner})"
    if t is list:
        return "[" + ", ".join([_part(x) for x in obj]) + "]"
    if t is dict:
        items = sorted([_part(k) + ": " + _part(v) for k, v in obj.items()])
        return "{" + ", ".join(items) + "}"
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        inner = ", ".join(
            [f"{f.name}={_part(getattr(obj, f.name))}" for f in dataclasses.fields(obj) if f.repr]
        )
        return f"{t.__qualname__}({inner})"
    return repr(obj)


def _part(obj: Any) -> str:
    """Canonical text of a part: its C-speed ``repr`` unless that shows a set or dict, so
    only the branches that hold sets are walked in Python."""
    text = repr(obj)
    if "frozenset(" in text or "{" in text:
        return canonical_text(obj)
    return text


def fingerprint_text(state: Any) -> str:
    """The text that is hashed for ``state``."""
    text = repr(state)
    if "frozenset(" in text or "{" in text:
        return canonical_text(state)
    return text


def fingerprint(state: Any) -> int:
    """Stable unsigned 64-bit fingerprint of a state."""
    text = repr(state)
    if "frozenset(" in text or "{" in text:
        text = canonical_text(state)
    return int.from_bytes(blake2b(text.encode(), digest_size=8).digest(), "little")

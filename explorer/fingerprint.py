"""Stable 64-bit fingerprints of states.

A fingerprint is blake2b (8-byte digest) over a canonical text encoding of the state.
It depends only on the state's value, never on ``PYTHONHASHSEED``, the process or the
run, so fingerprints can be compared across worker processes and saved.

The canonical encoding is ``repr(state)`` whenever that is canonical, which it is for
ints, strs, bools, None, floats, enums and tuples / NamedTuples / frozen dataclasses
of those. ``repr`` of a frozenset lists its items in hash order, which for strs changes
from process to process, so a state whose repr mentions ``frozenset(`` or ``{`` is
re-encoded by :func:`canonical_text`, which sorts set items by their own canonical
text. Checking the repr for those markers is a C-speed substring search, which keeps
the common case (no sets) at one ``repr`` and one hash.
"""

from __future__ import annotations

import dataclasses
from hashlib import blake2b
from typing import Any

__all__ = ["canonical_text", "fingerprint", "fingerprint_text"]


def canonical_text(obj: Any) -> str:
    """A text encoding of ``obj`` that is equal for equal values in every process."""
    t = type(obj)
    if t is frozenset or t is set:
        return "{" + ",".join(sorted(canonical_text(x) for x in obj)) + "}"
    if t is dict:
        items = sorted(canonical_text(k) + ":" + canonical_text(v) for k, v in obj.items())
        return "dict{" + ",".join(items) + "}"
    if isinstance(obj, tuple):
        inner = ",".join(canonical_text(x) for x in obj)
        if t is tuple:
            return "(" + inner + ")"
        return t.__name__ + "(" + inner + ")"  # NamedTuple: keep the type apart
    if t is list:
        return "[" + ",".join(canonical_text(x) for x in obj) + "]"
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        inner = ",".join(canonical_text(getattr(obj, f.name)) for f in dataclasses.fields(obj))
        return t.__name__ + "(" + inner + ")"
    return repr(obj)


def fingerprint_text(state: Any) -> str:
    """The text that is hashed: ``repr`` when it is canonical, else :func:`canonical_text`."""
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

"""Naming the parts of a state and of an action, for diagnostics (coverage, sanitizer).

The search engine never looks inside a state. Two diagnostics do: coverage counts how
many distinct values each part of the state takes (to say where a state space comes
from), and the determinism sanitizer says which part of a successor differed between two
executions. Both read states through a :class:`Components`:

- :meth:`Components.groups`: the state cut into a few named top-level parts that
  together make up the whole state (a node, the network, the history...);
- :meth:`Components.fields`: finer named parts (each field of each node state);
- :meth:`Components.action_info`: the class of an action (``deliver Prepare``) and the
  node it happens at (None when actions have no node).

:class:`GenericComponents` works for any model: the groups are the fields of a
NamedTuple or dataclass state (the positions of a plain tuple; the whole state
otherwise), the fields are their leaves. The actor adapter names the parts of its worlds
itself (``explorer.actors.components``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable, Iterator
from typing import Any

from explorer.engine.model import Model

#: how deep :func:`leaves` descends into nested records
MAX_FIELD_DEPTH = 4


class Components:
    """How to name the parts of a model's states and actions (override all three)."""

    def groups(self, state: Any) -> list[tuple[str, Hashable]]:
        raise NotImplementedError

    def fields(self, state: Any) -> Iterator[tuple[str, Hashable]]:
        raise NotImplementedError

    def action_info(self, action: Any) -> tuple[str, str | None]:
        raise NotImplementedError

    def describe_group(self, name: str) -> str:
        """The group's name in words, for summaries ("the client history")."""
        return name


def record_fields(value: Any) -> list[tuple[str, Any]] | None:
    """``(name, value)`` of each field of a NamedTuple or dataclass; None for others."""
    names = getattr(type(value), "_fields", None) if isinstance(value, tuple) else None
    if names is not None:
        return list(zip(names, value, strict=True))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [(f.name, getattr(value, f.name)) for f in dataclasses.fields(value)]
    return None


def leaves(prefix: str, value: Any, depth: int = 0) -> Iterator[tuple[str, Hashable]]:
    """The leaves of a record: ``prefix.field.subfield`` for nested NamedTuples and
    dataclasses, the value itself for anything else (tuples, sets, scalars)."""
    parts = record_fields(value) if depth < MAX_FIELD_DEPTH else None
    if parts is None:
        yield prefix, value
        return
    for name, part in parts:
        yield from leaves(f"{prefix}.{name}" if prefix else name, part, depth + 1)


class GenericComponents(Components):
    """Parts of any model's states: record fields (or tuple positions), leaves below."""

    def __init__(self, model: Model[Any, Any]) -> None:
        self.model = model

    def groups(self, state: Any) -> list[tuple[str, Hashable]]:
        parts = record_fields(state)
        if parts is not None:
            return parts
        if type(state) is tuple:
            return [(f"[{i}]", v) for i, v in enumerate(state)]
        return [("state", state)]

    def fields(self, state: Any) -> Iterator[tuple[str, Hashable]]:
        for name, value in self.groups(state):
            yield from leaves(name, value)

    def action_info(self, action: Any) -> tuple[str, str | None]:
        return self.model.action_kind(action), None

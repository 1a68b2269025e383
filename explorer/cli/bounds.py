"""The bounds of one ``synod check``: what the user gave, combined with the defaults.

Bounds combine: each default (the model's depth and state bounds, the number of random
walks) stays unless the user gives *that same* bound. ``--time-limit 120`` adds a time
bound to the default depth bound instead of replacing every bound by it (which made the
search unbounded: ``--time-limit 1e9`` ran for minutes). ``none`` lifts a bound:
``--depth none``, ``--max-states none``, ``--walks none``. ``--depth 0`` keeps its plain
meaning (the initial states only).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

__all__ = ["UNBOUNDED", "DefaultBounds", "bound_value", "resolve"]

#: what ``--depth none`` (``--max-states none``, ``--walks none``) parses to
UNBOUNDED = "none"


def bound_value(text: str) -> int | str:
    """argparse ``type`` of a bound: a whole number, or ``none`` for no bound."""
    word = text.strip().lower()
    if word in (UNBOUNDED, "unbounded"):
        return UNBOUNDED
    try:
        return int(word)
    except ValueError:
        raise argparse.ArgumentTypeError(f"want a whole number or 'none', got {text!r}") from None


@dataclass(frozen=True)
class DefaultBounds:
    """The defaults a check starts from (None: no such default)."""

    max_depth: int | None = None
    max_states: int | None = None
    walks: int | None = None


def resolve(given: int | str | None, default: int | None) -> int | None:
    """The bound to use: the default when not given, none for ``none``, else the value."""
    if given is None:
        return default
    if given == UNBOUNDED:
        return None
    assert isinstance(given, int)
    return given

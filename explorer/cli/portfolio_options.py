"""The options of the default check (``--world``, ``--list-worlds``, ``--portfolio``) and
the rule that tells ``synod check`` (the portfolio) from a check of one world.

Kept apart from explorer/cli/portfolio.py so that ``synod check --help`` stays light.
"""

from __future__ import annotations

import argparse
from typing import Any

PORTFOLIO_OPTIONS = frozenset(
    {"world", "list_worlds", "portfolio", "traces", "json", "junit", "strict", "workers", "seed",
     "variant", "por", "help"}
)
#: Of those, the ones that make the run a portfolio run even next to world options.
SELECTORS = ("world", "list_worlds", "portfolio")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "the default check (a portfolio of small worlds; runs when no option above selects one world)"
    )
    group.add_argument("--world", metavar="NAME", help="run only this world of the portfolio")
    group.add_argument("--list-worlds", action="store_true", help="print the portfolio's worlds and exit")
    group.add_argument(
        "--portfolio", metavar="FILE.toml|pkg.mod:NAME",
        help="your own portfolio: a TOML file or a Python list of PortfolioWorld (default: the built-in one)",
    )
    _track_given(parser)


def _track_given(parser: argparse.ArgumentParser) -> None:
    """Make every option record its name in ``namespace._given`` when the user gives it,
    so the check can tell ``synod check`` from ``synod check --model multipaxos``."""
    for action in parser._actions:
        if not action.option_strings or getattr(action, "_synod_tracked", False):
            continue
        base = type(action)

        def call(self: Any, parser: Any, namespace: Any, values: Any, option_string: Any = None,
                 _base: Any = base) -> None:
            given = set(getattr(namespace, "_given", ()))
            given.add(self.dest)
            namespace._given = given
            _base.__call__(self, parser, namespace, values, option_string)

        action.__class__ = type(base.__name__, (base,), {"__call__": call, "_synod_tracked": True})


def wants_portfolio(args: argparse.Namespace) -> bool:
    """True when this ``synod check`` runs the portfolio (see the module docstring)."""
    given: set[str] = set(getattr(args, "_given", ()))
    if given & set(SELECTORS):
        return True
    return not (given - PORTFOLIO_OPTIONS) and "variant" not in given

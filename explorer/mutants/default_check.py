"""Does the DEFAULT check catch a catalogue mistake? (``synod mutants --default-check``)

Each case of the catalogue is caught under a configuration chosen for it; a user runs
``synod check`` with none. :func:`default_check_catch` switches the mistake on in every
world of the default portfolio and runs them in order until one is violated: the world,
property and depth that caught it, or ``caught: False`` after the whole portfolio.
Multi-Paxos-only mistakes skip the Basic Paxos worlds (there they are the correct
protocol, so those worlds cannot catch them).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from explorer.models.portfolio import DEFAULT_PORTFOLIO, PortfolioWorld, with_variant
from explorer.models.portfolio_run import cpu_total, run_portfolio
from paxos_core.config import MULTI_ONLY_VARIANTS, variant_parts

__all__ = ["default_check_catch"]


def default_check_catch(
    variant: str, portfolio: Sequence[PortfolioWorld] = DEFAULT_PORTFOLIO, por: bool | None = None,
) -> dict[str, Any]:
    """``{"caught", "world", "property", "depth", "cpu_s"}`` of ``variant`` under the
    portfolio (``por``: each world reduced where that keeps its guarantee, as ``synod check``; None: its default)."""
    multi_only = all(part in MULTI_ONLY_VARIANTS for part in variant_parts(variant))
    worlds = [w for w in portfolio if not (multi_only and w.config.model == "basic")]
    outcomes = run_portfolio(with_variant(worlds, variant), stop_on_violation=True, por=por)
    last = outcomes[-1] if outcomes else None
    found = last is not None and last.verdict == "violated"
    v = last.violations[0] if found and last is not None else None
    return {
        "caught": found,
        "world": last.world.name if found and last is not None else None,
        "property": v.property_name if v else None,
        "depth": v.step if v else None,
        "cpu_s": round(cpu_total(outcomes), 2),
    }

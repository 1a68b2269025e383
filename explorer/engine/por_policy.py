"""When partial-order reduction keeps the unreduced search's guarantee (docs/por.md).

``synod check`` reduces by default, but only where the reduced search says as much as
the unreduced one would: the same verdicts, the same ``sometimes`` witnesses and the same
completeness within the bounds. :func:`reduction_lost` tells, before the search, why a
reduced search of a model under given settings would *not* (None: it would). The rules
follow docs/por.md:

- random walks and swarm are not reduced at all;
- a model without declarations (:meth:`Model.por_unavailable`) cannot be reduced;
- with no depth bound a reduced search is exact (a state or time bound leaves either
  search incomplete);
- under a depth bound only *free steps* keep a reduced search as strong as the full one
  within the bound, and they need a BFS that can extend the level it expands (one
  process in memory, local workers or Ray; not DFS, symmetry or a one-process spilling BFS:
  :func:`uses_free_steps`, the condition :func:`explorer.engine.por.reduce_model`
  applies);
- under a depth bound every ``final`` property must be extension-closed: a final that is
  judged only where a run ends or is cut could be missed by a reduced path that meets
  the cut world's stand-in earlier.

One case shows only after the search: a model that offers closures (sets whose keys are
counted steps) makes the reduced search report, under a depth cut, that the bound cut
reduced paths (``extra["por"]["depth"]``). :func:`weaker_than_unreduced` says so, and
the caller of a default reduction re-runs such a search unreduced.
"""

from __future__ import annotations

from typing import Any

from explorer.engine.model import Model
from explorer.engine.results import SearchResult, SearchSettings

__all__ = ["DEFAULT_POR", "NOT_ASKED", "WEAKER_NOTE", "default_por", "plan_reduction", "reduction_lost", "uses_free_steps", "weaker_than_unreduced"]

#: Whether ``synod check`` (the portfolio and a check of one world), ``synod mutate`` and
#: the portfolio API reduce where the reduction keeps the guarantee, when not told. On:
#: over the default portfolio it loses no verdict, witness, completeness or kill, kills
#: two mutants more (real violations past the depth bound in actions, reached through
#: free steps) and costs less CPU (docs/por.md, "The default").
DEFAULT_POR = True

#: the status of a search that was not asked to be reduced (``--no-por``, or the default off)
NOT_ASKED = "off: not asked for"

#: what a default reduction reports when :func:`weaker_than_unreduced` made the caller
#: search again unreduced
WEAKER_NOTE = "off: the reduced search was weaker within the depth bound (counted key steps); searched unreduced"


def default_por() -> bool:
    """:data:`DEFAULT_POR`, read when called (so a test can switch it)."""
    return DEFAULT_POR


def uses_free_steps(settings: SearchSettings) -> bool:
    """Whether a reduced search under ``settings`` counts free steps as no step of the
    depth bound (explorer/engine/free_steps.py; the condition of ``reduce_model``)."""
    return (
        settings.strategy == "bfs" and not settings.symmetry
        and (settings.backend == "ray" or settings.workers > 1 or settings.max_memory_mb is None)
    )


def _counted_steps_reason(settings: SearchSettings) -> str:
    if settings.strategy != "bfs":
        how = f"a {settings.strategy} search"
    elif settings.symmetry:
        how = "bfs with symmetry"
    else:
        how = "bfs with --max-memory in one process"
    return f"{how} counts every reduced step against the depth bound (free steps need a bfs that can extend its level): within the bound it would be weaker"


def reduction_lost(model: Model[Any, Any], settings: SearchSettings) -> str | None:
    """Why a reduced search of ``model`` under ``settings`` would not keep the unreduced
    search's guarantee within the bounds (None: it keeps it)."""
    if settings.strategy not in ("bfs", "dfs"):
        return f"{settings.strategy} walks are not reduced"
    reason = model.por_unavailable()
    if reason is not None:
        return reason
    if settings.max_depth is None:
        return None
    if not uses_free_steps(settings):
        return _counted_steps_reason(settings)
    cut = [p.name for p in model.properties() if p.kind == "final" and not p.extension_closed]
    if cut:
        return f"final property {cut[0]!r} is judged where the depth bound cuts a run and is not declared extension_closed"
    return None


def weaker_than_unreduced(result: SearchResult) -> bool:
    """Whether a reduced search reported that its depth bound cut reduced paths (so it is
    not a check of every path within the bound, as the unreduced one would be)."""
    por = result.extra.get("por")
    return isinstance(por, dict) and "depth" in por


def plan_reduction(model: Model[Any, Any], settings: SearchSettings, wanted: bool) -> tuple[SearchSettings, str]:
    """The settings to search ``model`` with, and the reduction's status: ``on``, or
    ``off: <why>``. ``wanted`` False never reduces; True reduces where
    :func:`reduction_lost` finds nothing against it."""
    from dataclasses import replace

    if not wanted:
        return replace(settings, por=False), NOT_ASKED
    reason = reduction_lost(model, settings)
    if reason is not None:
        return replace(settings, por=False), f"off: {reason}"
    return replace(settings, por=True), "on"

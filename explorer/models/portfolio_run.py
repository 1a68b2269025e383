"""Running a portfolio: each world searched within its own bounds, the verdicts combined.

:func:`run_world` runs one :class:`~explorer.models.portfolio.PortfolioWorld` and returns a
:class:`WorldOutcome` (picklable, so worlds fan out over processes: :func:`run_portfolio`
with ``workers``); :func:`overall_verdict` combines them, worst first: a violation beats
a world that could not be built, which beats an incomplete search, which beats "holds".
Counterexamples come back as traces (explorer.replay's format is a layer above; the
violations themselves are returned and the caller turns them into traces).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from explorer.engine.por_policy import (
    NOT_ASKED,
    WEAKER_NOTE,
    default_por,
    plan_reduction,
    weaker_than_unreduced,
)
from explorer.engine.results import SearchResult, SearchSettings, Violation
from explorer.engine.search import search
from explorer.models.config import ConfigError
from explorer.models.portfolio import PortfolioWorld
from explorer.models.registry import build_model

__all__ = ["VERDICT_ORDER", "WorldOutcome", "overall_verdict", "run_portfolio", "run_world"]

#: Verdicts from best to worst; the portfolio's verdict is its worst world's.
VERDICT_ORDER = ("holds", "incomplete", "violated")


@dataclass
class WorldOutcome:
    """What one world's search found, with the CPU time it took."""

    world: PortfolioWorld
    settings: SearchSettings
    result: SearchResult
    cpu_s: float
    properties: list[tuple[str, str, str]] = field(default_factory=list)  # (name, kind, description)
    #: the partial-order reduction: ``on``, or ``off: <why the world ran unreduced>``
    por: str = NOT_ASKED

    @property
    def verdict(self) -> str:
        """``violated``, ``holds`` (the space within the bounds exhausted) or ``incomplete``
        (a sample: a swarm pass, or a bound other than depth stopped the search)."""
        if self.result.verdict == "violated":
            return "violated"
        return "holds" if self.result.complete else "incomplete"

    @property
    def violations(self) -> list[Violation]:
        return self.result.violations


def run_world(
    world: PortfolioWorld, seed: int | None = None, collect: bool = False, por: bool | None = None,
) -> WorldOutcome:
    """Build and search one world (ConfigError if its configuration is impossible).

    ``por``: reduce the search where the reduction keeps the unreduced search's guarantee
    (explorer/engine/por_policy.py), else search it unreduced and say why in the
    outcome's ``por``; False never reduces; None: the default (``default_por()``)."""
    model = build_model(world.config)
    por = default_por() if por is None else por
    settings = world.settings(seed)
    if collect:
        settings = replace(settings, collect=True)
    settings, status = plan_reduction(model, settings, por)
    start = time.process_time()
    result = search(model, settings)
    if settings.por and weaker_than_unreduced(result):
        # closures' counted steps: the reduced search is not a check of every path
        # within the depth bound, which the unreduced one is (docs/por.md)
        settings = replace(settings, por=False)
        status = WEAKER_NOTE
        result = search(build_model(world.config), settings)
    cpu = time.process_time() - start
    props = [(p.name, str(p.kind), p.description) for p in model.properties()]
    for v in result.violations:
        # a trace needs the first and the last state only; whole paths are heavy to
        # send back from a worker process
        v.states = [v.states[0], v.states[-1]] if v.states else []
    return WorldOutcome(world, settings, result, cpu, props, status)


def _run_world_job(args: tuple[PortfolioWorld, int | None, bool, bool]) -> WorldOutcome | str:
    try:
        return run_world(*args)
    except ConfigError as exc:
        return f"world {args[0].name!r}: {exc}"


def run_portfolio(
    worlds: Sequence[PortfolioWorld],
    *,
    seed: int | None = None,
    workers: int = 1,
    stop_on_violation: bool = False,
    on_outcome: Callable[[WorldOutcome], None] | None = None,
    por: bool | None = None,
) -> list[WorldOutcome]:
    """Run every world (in order; over ``workers`` processes when > 1) and return the
    outcomes in portfolio order. ``stop_on_violation`` skips the worlds left after the
    first violation (what ``synod mutate`` needs: one kill is enough). A world whose
    configuration cannot be built raises ConfigError before any other world runs.
    ``por``: as :func:`run_world`'s."""
    por = default_por() if por is None else por
    for world in worlds:
        build_model(world.config)  # bad input first, before minutes of search
    if workers <= 1 or len(worlds) <= 1:
        outcomes: list[WorldOutcome] = []
        for world in worlds:
            outcome = run_world(world, seed, por=por)
            outcomes.append(outcome)
            if on_outcome is not None:
                on_outcome(outcome)
            if stop_on_violation and outcome.verdict == "violated":
                break
        return outcomes
    return _run_parallel(worlds, seed, workers, stop_on_violation, on_outcome, por)


def _run_parallel(
    worlds: Sequence[PortfolioWorld],
    seed: int | None,
    workers: int,
    stop_on_violation: bool,
    on_outcome: Callable[[WorldOutcome], None] | None,
    por: bool,
) -> list[WorldOutcome]:
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    done: dict[int, WorldOutcome] = {}
    with ctx.Pool(min(workers, len(worlds))) as pool:
        jobs = pool.imap_unordered(_indexed_job, [(i, (w, seed, False, por)) for i, w in enumerate(worlds)])
        for index, outcome in jobs:
            if isinstance(outcome, str):
                raise ConfigError(outcome)
            done[index] = outcome
            if on_outcome is not None:
                on_outcome(outcome)
            if stop_on_violation and outcome.verdict == "violated":
                pool.terminate()
                break
    return [done[i] for i in sorted(done)]


def _indexed_job(item: tuple[int, tuple[PortfolioWorld, int | None, bool, bool]]) -> tuple[int, WorldOutcome | str]:
    index, args = item
    return index, _run_world_job(args)


def overall_verdict(outcomes: Sequence[WorldOutcome]) -> str:
    """The worst verdict among the worlds that are exhaustive; a sample (a swarm pass, a
    DFS cut short on purpose) can only make the verdict worse by finding a violation."""
    worst = "holds"
    for outcome in outcomes:
        verdict = outcome.verdict
        if verdict == "incomplete" and outcome.world.is_sample:
            continue  # a sample is incomplete by design; it reports what it found
        if VERDICT_ORDER.index(verdict) > VERDICT_ORDER.index(worst):
            worst = verdict
    return worst


def cpu_total(outcomes: Sequence[WorldOutcome]) -> float:
    return sum(o.cpu_s for o in outcomes)


def describe_properties(outcome: WorldOutcome) -> dict[str, Any]:
    """Each property's result in one world: holds / VIOLATED / witnessed / NOT witnessed."""
    violated = {v.property_name: v.step for v in outcome.violations}
    found: dict[str, Any] = {}
    for name, kind, _ in outcome.properties:
        if name in violated:
            found[name] = f"violated after {violated[name]} steps"
        elif kind == "sometimes":
            found[name] = "witnessed" if outcome.result.sometimes.get(name) else "not witnessed"
        elif outcome.result.verdict == "violated":
            found[name] = "not reached"
        else:
            found[name] = "holds"
    return found

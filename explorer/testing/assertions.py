"""``assert_holds``: a bounded ``synod check`` from a test, with a readable failure.

    from explorer.testing import assert_holds

    def test_two_phase_commit_is_atomic():
        assert_holds("examples.two_phase_commit:Model", variant="fixed", depth=12)

It searches (BFS by default) and returns the :class:`SearchResult` when every property
holds, the space within the bounds was exhausted and every ``sometimes`` property was
witnessed. Otherwise it raises AssertionError: for a violation, with the counterexample
drawn as a sequence diagram and the path of the saved trace (``synod replay`` reads it);
for a search stopped by a bound, or a ``sometimes`` property never witnessed, saying
which. ``sanitize=True`` first runs the determinism sanitizer.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from explorer.engine.model import Model
from explorer.engine.results import SearchResult, SearchSettings, Strategy
from explorer.engine.search import search
from explorer.models.config import CheckConfig
from explorer.models.registry import build_model, check_model_name, normalize_config
from explorer.replay.diagram import render_text
from explorer.replay.trace import save_trace, trace_from_violation
from explorer.testing.run import DEFAULT_TRACES_DIR
from explorer.testing.sanitize import rebuildable_config
from explorer.testing.sanitize import sanitize as run_sanitizer

DEFAULT_MAX_STATES = 100_000


def resolve_model(
    model: Model[Any, Any] | CheckConfig | str, config: CheckConfig | None, **options: Any
) -> tuple[Model[Any, Any], CheckConfig | None]:
    """A model and the configuration that rebuilds it, from a Model instance, a
    CheckConfig, or a ``--model`` name (with CheckConfig fields as ``options``)."""
    if isinstance(model, Model):
        if options:
            raise TypeError(f"options {sorted(options)} apply to a model given by name or CheckConfig")
        return model, config if config is not None else rebuildable_config(model)
    if isinstance(model, str):
        check_model_name(model)
        model = CheckConfig(model=model, **options)
    elif options:
        model = dataclasses.replace(model, **options)
    explicit = {"variant"} if model.variant != "correct" else set()
    resolved = normalize_config(model, explicit)
    return build_model(resolved), resolved


def _violation_message(
    model: Model[Any, Any], result: SearchResult, config: CheckConfig | None,
    settings: SearchSettings, traces: str | Path | None,
) -> str:
    v = result.violations[0]
    where = "in the initial state" if v.step == 0 else f"after {v.step} steps"
    lines = [
        f"{v.kind} property {v.property_name!r} violated {where} "
        f"({result.distinct_states:,} states searched, {settings.strategy}):",
        render_text(model, v.states, v.actions, v.step, v.property_name),
    ]
    if traces is None:
        return "\n".join(lines)
    if config is None:
        lines.append(
            "no trace saved: synod replay rebuilds the model from a CheckConfig; pass "
            "config=CheckConfig(model='package.module:Name', ...)"
        )
        return "\n".join(lines)
    try:
        path = save_trace(trace_from_violation(model, config, settings, v), Path(traces))
    except OSError as exc:
        lines.append(f"no trace saved: {exc}")
    else:
        lines.append(f"trace saved to {path}; replay with: synod replay {path}")
    return "\n".join(lines)


def assert_holds(
    model: Model[Any, Any] | CheckConfig | str,
    *,
    depth: int | None = None,
    max_states: int | None = DEFAULT_MAX_STATES,
    strategy: Strategy = "bfs",
    seed: int = 0,
    symmetry: bool = False,
    config: CheckConfig | None = None,
    traces: str | Path | None = DEFAULT_TRACES_DIR,
    sanitize: bool = False,
    require_complete: bool = True,
    require_witnessed: bool = True,
    **options: Any,
) -> SearchResult:
    """Check ``model`` within the bounds; AssertionError unless it holds (module docstring).

    ``model`` is a Model, a CheckConfig, or a ``--model`` name with CheckConfig fields as
    keyword ``options`` (``variant="fixed"``, ``nodes=3``...). ``config`` names how to
    rebuild a Model instance for the trace (default: its ``config()``, when that works).
    """
    built, rebuild = resolve_model(model, config, **options)
    if sanitize:
        report = run_sanitizer(built, rebuild, seed=seed)
        if not report.deterministic:
            raise AssertionError("\n".join(report.lines()))
    settings = SearchSettings(
        strategy=strategy, max_depth=depth, max_states=max_states, seed=seed, symmetry=symmetry,
        walks=1000 if strategy in ("random", "swarm") else None,
    )
    result = search(built, settings)
    if result.violations:
        raise AssertionError(_violation_message(built, result, rebuild, settings, traces))
    if require_complete and not result.complete:
        raise AssertionError(
            f"no violation in {result.distinct_states:,} states, but the search was stopped by "
            f"{result.stopped_by or 'a bound'} before exhausting the space: not a proof within "
            "the bounds (raise max_states, lower depth, or pass require_complete=False)"
        )
    unwitnessed = sorted(name for name, seen in result.sometimes.items() if not seen)
    if require_witnessed and unwitnessed:
        raise AssertionError(
            f"sometimes properties never witnessed within the bounds: {', '.join(unwitnessed)} "
            "(the check may be vacuous; pass require_witnessed=False to allow it)"
        )
    return result

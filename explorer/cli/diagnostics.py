"""``synod check --sanitize`` and ``--coverage``: what they add around the search.

- ``--sanitize`` runs the determinism sanitizer (explorer/testing/sanitize.py) before the
  search; a model found nondeterministic is bad input: the report, one line on stderr,
  exit 2, and no search (its counts and traces would be wrong).
- ``--coverage`` wraps the model in a :class:`~explorer.engine.coverage.CoverageModel`
  for the search and prints the report after the summary (or adds ``"coverage"`` to the
  ``--json`` object).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from explorer.engine.errors import ConfigError

if TYPE_CHECKING:  # the rest is imported when a diagnostic runs (start-up stays cheap)
    from rich.console import Console
    from rich.table import Table

    from explorer.engine.coverage import CoverageModel, Tally
    from explorer.engine.coverage_report import CoverageReport
    from explorer.engine.model import Model
    from explorer.engine.results import SearchSettings
    from explorer.models.config import CheckConfig

#: rows of the per-field table (the fields with the most distinct values)
FIELD_ROWS = 15
#: columns of the per-level table (the groups with the largest multipliers)
LEVEL_GROUPS = 5


def add_arguments(group: argparse._ArgumentGroup) -> None:
    group.add_argument(
        "--sanitize", action="store_true",
        help="first re-execute sampled transitions here and under other hash seeds: "
        "exit 2 if the model is not deterministic",
    )
    group.add_argument(
        "--coverage", action="store_true",
        help="report transitions and new states per action and node, distinct values per "
        "part of the state, and what multiplies the states (bfs, dfs)",
    )


class Diagnostics:
    """The sanitizer and coverage around one ``synod check`` run."""

    def __init__(self, args: argparse.Namespace, settings: SearchSettings) -> None:
        self.want_sanitize = bool(getattr(args, "sanitize", False))
        self.want_coverage = bool(getattr(args, "coverage", False))
        self.json = bool(args.json)
        self.seed = settings.seed
        self.settings = settings
        if self.want_coverage and (settings.strategy not in ("bfs", "dfs") or settings.workers > 1):
            raise ConfigError("--coverage applies to --strategy bfs or dfs in one process (--workers 1)")
        self.sanitized: dict[str, Any] | None = None
        self.covered: CoverageModel | None = None

    def before_search(self, model: Model[Any, Any], config: CheckConfig) -> int | None:
        """Run the sanitizer when asked; an exit code when the check must stop here."""
        if not self.want_sanitize:
            return None
        from explorer.testing.sanitize import sanitize

        report = sanitize(model, config, seed=self.seed)
        self.sanitized = report.to_json()
        if self.json:
            for line in report.lines()[1:] if report.deterministic else ():
                sys.stderr.write(line + "\n")
        else:
            for line in report.lines():
                sys.stdout.write(line + "\n")
        if report.deterministic:
            return None
        if self.json:
            sys.stdout.write(json.dumps({"verdict": "nondeterministic", "sanitize": self.sanitized}) + "\n")
        d = report.difference
        assert d is not None
        sys.stderr.write(
            f"synod check: the model is not deterministic: {d.what} differs {d.where} "
            f"between {report.between[0] if report.between else '?'} and "
            f"{report.between[1] if report.between else '?'}\n"
        )
        return 2

    def search_model(self, model: Model[Any, Any]) -> Model[Any, Any]:
        """The model to search: wrapped for coverage when asked."""
        if not self.want_coverage:
            return model
        from explorer.actors.components import components_for
        from explorer.engine.coverage import CoverageModel

        self.covered = CoverageModel(
            model, components_for(model), symmetry=self.settings.symmetry,
            level_order=self.settings.strategy == "bfs", max_depth=self.settings.max_depth,
        )
        return self.covered

    def add_json(self, data: dict[str, Any]) -> None:
        if self.sanitized is not None:
            data["sanitize"] = self.sanitized
        if self.covered is not None:
            from explorer.engine.coverage_report import CoverageReport

            data["coverage"] = CoverageReport.of(self.covered).to_json()

    def print(self, console: Console) -> None:
        if self.covered is not None:
            from explorer.engine.coverage_report import CoverageReport

            print_coverage(CoverageReport.of(self.covered), console)


def _tally_table(title: str, column: str, rows: dict[str, Tally]) -> Table:
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    table.add_column(column)
    table.add_column("transitions", justify="right")
    table.add_column("new states", justify="right")
    for name, tally in rows.items():
        table.add_row(name, f"{tally.transitions:,}", f"{tally.new_states:,}")
    return table


def print_coverage(report: CoverageReport, console: Console) -> None:
    from rich.table import Table

    """The coverage report as tables, then the summary in words."""
    if report.by_class != report.by_kind:
        console.print(_tally_table("coverage: actions by kind", "kind", report.by_kind))
    console.print(_tally_table("coverage: actions by class", "action", report.by_class))
    if report.by_node:
        console.print(_tally_table("coverage: actions by node", "node", report.by_node))
    deepest = report.levels[-1] if report.levels else None
    top = [name for name, _, _ in report.top_multipliers(deepest)][:LEVEL_GROUPS] if deepest else []
    levels = Table(title="coverage: new states per level, and what multiplies them", title_justify="left")
    for column in ("depth", "new states", "growth", *(f"× {name}" for name in top)):
        levels.add_column(column, justify="right")
    for level in report.levels:
        growth = report.growth(level.depth)
        cells = [
            f"{level.groups[name].multiplier(level.new_states):.2f}" if name in level.groups else ""
            for name in top
        ]
        levels.add_row(str(level.depth), f"{level.new_states:,}", f"{growth:.2f}" if growth else "", *cells)
    console.print(levels)
    fields = Table(title="coverage: distinct values per part of the state", title_justify="left")
    fields.add_column("part")
    fields.add_column("distinct values", justify="right")
    ranked = sorted(report.field_values.items(), key=lambda kv: (-kv[1], kv[0]))
    for name, count in ranked[:FIELD_ROWS]:
        fields.add_row(name, f"{count:,}")
    if len(ranked) > FIELD_ROWS:
        fields.add_row(f"({len(ranked) - FIELD_ROWS} more, in --json)", "")
    console.print(fields)
    for line in report.summary():
        console.print(line, soft_wrap=True)

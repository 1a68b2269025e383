"""What ``synod check`` reports: the verdict line, the summary table, the ``--json``
object and the ``--junit`` XML.

All of them are built from one :class:`CheckReport`, so they never disagree.

"holds" is said only of a search that exhausted the space within its bounds. One that
ran out of a budget first (states, time, memory), or sampled it (random and swarm
walks), says so in its verdict line ("NOT EXHAUSTED", with how much it saw) and exits 0,
or 3 ("unknown") under ``--strict``. "depth" is always the number of actions on the
longest path explored; the JSON keeps TLC's count of levels (one more) as ``levels``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from explorer.engine.results import SearchResult, SearchSettings
from explorer.models.config import CheckConfig
from explorer.replay.trace import settings_to_json, synod_version


@dataclass(frozen=True)
class PropertyInfo:
    name: str
    kind: str
    description: str = ""


@dataclass(frozen=True)
class SavedViolation:
    """A violation as reported: the property, its step, the labels, the trace file."""

    property_name: str
    kind: str
    step: int
    actions: list[str]
    trace: Path | None


@dataclass
class CheckReport:
    config: CheckConfig
    settings: SearchSettings
    result: SearchResult
    properties: list[PropertyInfo]
    violations: list[SavedViolation] = field(default_factory=list)
    strict: bool = False
    interrupted: bool = False
    interrupt_exit: int = 130  # 130 after SIGINT, 143 after SIGTERM
    interrupt_label: str = "Ctrl-C (SIGINT)"

    @property
    def unwitnessed(self) -> list[str]:
        return sorted(name for name, seen in self.result.sometimes.items() if not seen)

    @property
    def exhausted(self) -> bool:
        """No violation, and every state within the bounds was explored."""
        return self.result.verdict == "holds" and self.result.complete

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return self.interrupt_exit
        if self.result.verdict == "violated":
            return 1
        if self.strict and not self.result.complete:
            return 3  # unknown: a budget ran out (or walks sampled) before a verdict
        if self.strict and self.unwitnessed:
            return 1
        return 0

    @property
    def bounds_text(self) -> str:
        """What "holds" was established for, in words."""
        s = self.settings
        parts = [f"paths of ≤ {s.max_depth} actions" if s.max_depth is not None else "no depth bound"]
        if s.max_states is not None:
            parts.append(f"≤ {s.max_states:,} states")
        if s.time_limit is not None:
            parts.append(f"≤ {s.time_limit:g} s")
        if s.max_memory_mb is not None:
            parts.append(f"≤ {s.max_memory_mb:,} MB")
        if s.walks is not None and s.strategy in ("random", "swarm"):
            parts.append(f"≤ {s.walks:,} walks")
        return ", ".join(parts)

    @property
    def completeness_text(self) -> str:
        r = self.result
        if r.complete:
            return "complete: every state within the bounds was explored"
        if r.stopped_by == "depth" and "depth" in r.extra.get("por", {}):
            return "reduced paths up to the depth bound (--por: not every path within it, docs/por.md)"
        if r.stopped_by is None and r.verdict == "violated":
            return "stopped at the first violation"
        limits = {
            "states": "the --max-states bound",
            "time": "the --time-limit bound",
            "memory": "the --max-memory bound",
            "depth": "the depth bound",
            "walks": "the number of walks (random walks sample the space, they never exhaust it)",
            "interrupted": self.interrupt_label,
        }
        by = limits.get(r.stopped_by or "", r.stopped_by or "a bound")
        return f"incomplete: stopped by {by}"

    def world_text(self) -> str:
        c = self.config
        if c.model == "tla-paxos":
            text = f"3 acceptors, 2 values, ballots 0..{c.ballots}"
        elif ":" in c.model:  # a user's model: only the generic options mean anything
            text = f"{c.nodes} nodes, faults {c.faults}, {c.network} network"
        else:
            text = (
                f"{c.nodes} nodes, {c.clients} clients × {c.ops} ops, faults {c.faults}, "
                f"{c.network} network, ballots ≤ {c.ballots}"
            )
        return text + (", symmetry reduction" if c.symmetry else "")

    def verdict_line(self) -> str:
        r = self.result
        if r.verdict == "violated" and self.violations:
            v = self.violations[0]
            where = f"trace saved to {v.trace}" if v.trace else "no trace saved"
            more = f" (+{len(self.violations) - 1} more)" if len(self.violations) > 1 else ""
            return f"VIOLATED: {v.kind} property {v.property_name!r} fails after {v.step} steps{more}; {where}"
        seen = f"{r.distinct_states:,} distinct states, {' '.join(self.depth_text)}"
        if r.walks:
            seen = f"{r.walks:,} walks, {seen}"
        if self.interrupted:
            return f"INTERRUPTED: no violation found so far ({self.bounds_text}; {seen}; {self.completeness_text})"
        if r.complete:
            return f"holds within bounds ({self.bounds_text}; {seen}; {self.completeness_text})"
        strict = " (--strict: exit 3, unknown)" if self.strict else ""
        return (
            f"NOT EXHAUSTED: no violation in what was seen, but the space within the bounds was "
            f"not exhausted ({self.bounds_text}; seen {seen}; {self.completeness_text}){strict}"
        )

    @property
    def depth_text(self) -> tuple[str, str]:
        """Label and value of the depth reached: the actions on the longest path explored
        (``--depth 8`` explored to the end reads "depth 8 actions")."""
        return "depth", f"{self.result.depth} actions"

    def warnings(self) -> list[str]:
        if self.violations and not self.strict:
            # The search stopped at the violation: what it had not reached yet says nothing
            # about vacuity (the summary table still lists each as not witnessed).
            return []
        lines = [
            f"WARNING: sometimes property {name!r} was never witnessed: the check may be vacuous"
            + (" (--strict: failing)" if self.strict else "")
            for name in self.unwitnessed
        ]
        return lines

    # -- JSON ------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        r = self.result
        first = self.violations[0] if self.violations else None
        return {
            "verdict": r.verdict,
            "complete": r.complete,
            "exhausted": self.exhausted,  # holds, and the space within the bounds was explored
            "distinct_states": r.distinct_states,
            "generated": r.generated,
            "depth": r.depth,  # actions on the longest path explored
            "levels": r.levels,  # TLC's count: states on that path, the initial one included
            "property": first.property_name if first else None,
            "step": first.step if first else None,
            "trace": str(first.trace) if first and first.trace else None,
            "violations": [
                {
                    "property": v.property_name,
                    "kind": v.kind,
                    "step": v.step,
                    "trace": str(v.trace) if v.trace else None,
                    "actions": v.actions,
                }
                for v in self.violations
            ],
            "elapsed_s": round(r.elapsed_s, 3),
            "states_per_s": round(r.states_per_s, 1),
            "sometimes": dict(sorted(r.sometimes.items())),
            "unwitnessed": self.unwitnessed,
            "stopped_by": r.stopped_by,
            "interrupted": self.interrupted,
            "walks": r.walks,
            "level_sizes": list(r.level_sizes),
            "por": r.extra.get("por"),
            # counted by the one-process BFS and DFS, only where the model has a symmetry
            "symmetry": r.extra.get("symmetry"),
            "strategy": self.settings.strategy,
            "backend": self.settings.backend,
            # the strategy's own figures: per-worker states, CPU and memory, bytes sent
            "engine": dict(r.extra),
            "search": settings_to_json(self.settings),
            "config": self.config.to_json(),
            "strict": self.strict,
            "exit_code": self.exit_code,
            "synod_version": synod_version(),
        }

    # -- rich table ------------------------------------------------------------------

    def print_summary(self, console: Console) -> None:
        r = self.result
        c = self.config
        table = Table(title="synod check", show_header=False, title_justify="left")
        table.add_column(style="bold")
        table.add_column()
        table.add_row("model", f"{c.model} (variant {c.variant})")
        table.add_row("world", self.world_text())
        s = self.settings
        where = f" on Ray ({s.address or 'local instance'})" if s.backend == "ray" else ""
        table.add_row("search", f"{s.strategy}, seed {s.seed}, {s.workers} worker(s){where}; {self.bounds_text}")
        table.add_row("distinct states", f"{r.distinct_states:,}")
        table.add_row("generated", f"{r.generated:,}")
        table.add_row(*self.depth_text)
        if r.walks:
            table.add_row("walks", f"{r.walks:,}")
        if "por" in r.extra:
            table.add_row("reduction", por_text(r.extra["por"]))
        if "symmetry" in r.extra:
            table.add_row("symmetry", symmetry_text(r.extra["symmetry"], r.generated))
        table.add_row("coverage", self.completeness_text)
        table.add_row("elapsed", f"{r.elapsed_s:,.2f} s ({r.states_per_s:,.0f} states/s)")
        for prop in self.properties:
            table.add_row(f"{prop.kind} {prop.name}", self._property_status(prop))
        console.print(table)
        style = "bold red" if r.verdict == "violated" else ("bold green" if self.exhausted else "bold yellow")
        # soft_wrap: the verdict and paths stay on one line each, so logs can be grepped
        console.print(Text(self.verdict_line(), style=style), soft_wrap=True)
        for v in self.violations:
            if v.trace:
                console.print(Text(f"replay with: synod replay {v.trace}"), soft_wrap=True)
        for line in self.warnings():
            console.print(Text(line, style="bold yellow"), soft_wrap=True)

    def _property_status(self, prop: PropertyInfo) -> Text:
        violated = next((v for v in self.violations if v.property_name == prop.name), None)
        if violated is not None:
            return Text(f"VIOLATED after {violated.step} steps", style="red")
        if prop.kind == "sometimes":
            if self.result.sometimes.get(prop.name):
                return Text("witnessed", style="green")
            return Text("NOT witnessed", style="yellow")
        if self.result.verdict == "violated" and not self.settings.collect:
            return Text("not violated before the search stopped", style="dim")
        if not self.result.complete:
            return Text("not violated in what was seen (not exhausted)", style="yellow")
        return Text("holds", style="green")

    # -- JUnit -----------------------------------------------------------------------

    def to_junit(self) -> str:
        """JUnit XML: one testcase per property (explorer/cli/junit.py)."""
        from explorer.cli.junit import junit_xml

        return junit_xml(self)


def symmetry_text(figures: dict[str, int], generated: int) -> str:
    """One line on what symmetry reduction did (``SearchResult.extra["symmetry"]``):
    counted, not estimated. A folded successor is one the search did not keep because a
    renaming of it was already known; without --symmetry it could have been a state of
    its own (or a duplicate anyway: the count is of folds, not of states saved)."""
    return (
        f"{figures['renamed']:,} of {generated:,} successors renamed to their orbit's canonical "
        f"member; {figures['folded']:,} of them folded onto a state already seen"
    )


def por_text(por: dict[str, Any]) -> str:
    """One line on what partial-order reduction did (``SearchResult.extra["por"]``)."""
    if not str(por.get("status", "")).startswith("on"):
        return f"partial-order reduction {por.get('status')}; searched unreduced"
    if "counted" in por:
        return "partial-order reduction on (" + str(por["counted"]) + ")"
    return (
        f"partial-order reduction: {por['fully_expanded']:,} of {por['expanded']:,} expanded states "
        f"fully expanded ({100 * por['share_fully_expanded']:.1f}%), {por['transitions']:,} transitions, "
        f"{por['pruned']:,} actions pruned"
    )

"""``synod check`` with no world-selecting option: run the portfolio of small worlds.

``explorer/cli/check.py`` dispatches here when the user gave none of the options that
describe one world (``--model``, ``--nodes``, ``--depth``, ...), or gave ``--world``,
``--list-worlds`` or ``--portfolio``. Each world is searched within its own bounds
(explorer.models.portfolio); the report has one row per world and the verdict is the
worst: 1 if any world is violated (every trace saved), 0 if every exhaustive world
holds (the swarm pass is a sample: it can only find, never prove). ``--strict`` also
fails (1) when an exhaustive world never witnessed one of its ``sometimes`` properties,
and answers 3 when an exhaustive world did not complete.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from explorer.cli.console import StdoutConsole
from explorer.cli.portfolio_options import (
    PORTFOLIO_OPTIONS,
)
from explorer.models.config import ConfigError
from explorer.models.portfolio import (
    DEFAULT_PORTFOLIO,
    PortfolioWorld,
    load_portfolio,
    select_world,
    with_variant,
)
from explorer.models.portfolio_run import (
    WorldOutcome,
    cpu_total,
    describe_properties,
    overall_verdict,
    run_portfolio,
)
from explorer.models.registry import build_model
from explorer.replay.trace import (
    save_trace,
    settings_to_json,
    trace_from_violation,
    write_text_atomic,
)


#: Options that may go with a portfolio run (they do not describe a world).
def selected_worlds(args: argparse.Namespace) -> tuple[PortfolioWorld, ...]:
    """The worlds this run checks, or ConfigError (one line)."""
    given: set[str] = set(getattr(args, "_given", ()))
    single = sorted(given - PORTFOLIO_OPTIONS)
    if single:
        options = ", ".join("--" + name.replace("_", "-") for name in single)
        raise ConfigError(f"{options} describe(s) one world; --world/--portfolio/--list-worlds select portfolio worlds: give one or the other")
    worlds = load_portfolio(args.portfolio) if args.portfolio is not None else DEFAULT_PORTFOLIO
    if args.world is not None:
        worlds = (select_world(worlds, args.world),)
    if args.variant is not None:
        worlds = with_variant(worlds, args.variant)
    if args.workers < 1 or args.workers > 64:
        raise ConfigError(f"--workers must be between 1 and 64, got {args.workers}")
    if args.seed < 0:
        raise ConfigError(f"--seed must be at least 0, got {args.seed}")
    if args.por is True and not args.list_worlds:
        _require_reducible(worlds)
    return worlds


def _require_reducible(worlds: tuple[PortfolioWorld, ...]) -> None:
    """An explicit ``--por`` on a world whose model declares no reduction is an error
    (ConfigError); a world whose search could not keep its guarantee reduced (a sample,
    a swarm pass) runs unreduced and says why."""
    for world in worlds:
        if world.strategy in ("bfs", "dfs"):
            reason = build_model(world.config).por_unavailable()
            if reason is not None:
                raise ConfigError(f"--por: world {world.name!r}: {reason}")


def _seed(args: argparse.Namespace) -> int | None:
    """``--seed`` re-seeds the sampled worlds; without it each keeps its own seed."""
    return args.seed if "seed" in getattr(args, "_given", ()) else None


def _por(args: argparse.Namespace) -> bool:
    """``--por`` / ``--no-por``, or the default (explorer/engine/por_policy.py)."""
    from explorer.engine.por_policy import default_por

    return default_por() if args.por is None else bool(args.por)


def config_text(world: PortfolioWorld) -> str:
    """The world's configuration, compactly: ``multipaxos 2n 1x2 q1=2 q2=1 crash=1``."""
    c = world.config
    parts = [c.model if c.variant == "correct" else f"{c.model}[{c.variant}]", f"{c.nodes}n"]
    if ":" not in c.model:
        parts.append(f"{c.clients}x{c.ops}")
        q1 = c.phase1_quorum if c.phase1_quorum is not None else c.nodes // 2 + 1
        q2 = c.phase2_quorum if c.phase2_quorum is not None else c.nodes // 2 + 1
        parts.append(f"q1={q1} q2={q2}")
    faults = ",".join(f"{k}={v}" for k, v in dataclasses.asdict(c.faults).items() if v)
    if faults:
        parts.append(faults)
    return " ".join(parts)


def list_worlds(worlds: tuple[PortfolioWorld, ...], as_json: bool) -> int:
    if as_json:
        rows = [
            {"name": w.name, "purpose": w.purpose, "search": w.describe(), "config": w.config.to_json()}
            for w in worlds
        ]
        sys.stdout.write(json.dumps({"worlds": rows}) + "\n")
        return 0
    console = StdoutConsole()
    for w in worlds:
        console.print(Text(f"{w.name}: {config_text(w)}; {w.describe()}", style="bold"), soft_wrap=True)
        console.print(f"    {w.purpose}", soft_wrap=True, highlight=False)
    return 0


# -- running and reporting ------------------------------------------------------------


@dataclasses.dataclass
class _Row:
    outcome: WorldOutcome
    traces: list[tuple[str, int, Path | None]]  # (property, step, trace path)


def _save_traces(outcome: WorldOutcome, directory: Path) -> list[tuple[str, int, Path | None]]:
    saved: list[tuple[str, int, Path | None]] = []
    if not outcome.violations:
        return saved
    model = build_model(outcome.world.config)
    for v in outcome.violations:
        trace = trace_from_violation(model, outcome.world.config, outcome.settings, v)
        path: Path | None
        try:
            path = save_trace(trace, directory)
        except OSError as exc:  # the verdict stands even if the disk is full
            sys.stderr.write(f"synod check: could not save the trace: {exc}\n")
            path = None
        saved.append((v.property_name, v.step, path))
    return saved


def _unwitnessed(rows: list[_Row]) -> list[str]:
    """``world: property`` for each ``sometimes`` property an exhaustive world never
    witnessed (a violated world stopped early, and a swarm pass is a sample: neither counts)."""
    found: list[str] = []
    for row in rows:
        o = row.outcome
        if o.world.is_sample or o.violations:
            continue
        found.extend(f"{o.world.name}: {name}" for name, seen in sorted(o.result.sometimes.items()) if not seen)
    return found


def _incomplete(rows: list[_Row]) -> list[str]:
    return [r.outcome.world.name for r in rows if r.outcome.verdict == "incomplete" and not r.outcome.world.is_sample]


def exit_code(rows: list[_Row], strict: bool) -> int:
    verdict = overall_verdict([r.outcome for r in rows])
    if verdict == "violated":
        return 1
    if strict and _unwitnessed(rows):
        return 1
    if strict and _incomplete(rows):
        return 3
    return 0


def _result_text(outcome: WorldOutcome) -> Text:
    if outcome.violations:
        v = outcome.violations[0]
        more = f" (+{len(outcome.violations) - 1})" if len(outcome.violations) > 1 else ""
        return Text(f"VIOLATED {v.property_name} after {v.step}{more}", style="bold red")
    props = describe_properties(outcome)
    missing = [n for n, s in props.items() if s == "not witnessed"]
    always = sum(1 for n, k, _ in outcome.properties if k != "sometimes")
    sometimes = sum(1 for n, k, _ in outcome.properties if k == "sometimes")
    text = f"{always} hold, {sometimes - len(missing)}/{sometimes} seen"
    if missing:
        text += f" (not: {', '.join(missing)})"
    if outcome.verdict == "incomplete":
        return Text(("sample: " if outcome.world.is_sample else "INCOMPLETE: ") + text, style="yellow")
    return Text(text, style="green")


def print_report(console: Console, rows: list[_Row], strict: bool) -> None:
    table = Table(title="synod check: the default portfolio", title_justify="left")
    for column in ("world", "configuration", "states", "depth", "complete", "por", "CPU s", "result"):
        table.add_column(column, justify="right" if column in ("states", "depth", "CPU s") else "left", overflow="fold")
    for row in rows:
        o = row.outcome
        r = o.result
        depth = str(r.depth - 1) if o.world.strategy == "bfs" else f"≤{max(r.depth - 1, 0)}"
        table.add_row(
            o.world.name, config_text(o.world), f"{r.distinct_states:,}", depth,
            "yes" if r.complete else "no", "on" if o.settings.por else "off", f"{o.cpu_s:.1f}", _result_text(o),
        )
    console.print(table)
    _print_unreduced(console, rows)
    outcomes = [r.outcome for r in rows]
    verdict = overall_verdict(outcomes)
    worlds = len(rows)
    cpu = cpu_total(outcomes)
    if verdict == "violated":
        line = Text(f"VIOLATED in {sum(1 for o in outcomes if o.verdict == 'violated')} of {worlds} worlds ({cpu:.1f} CPU-s)", style="bold red")
    elif verdict == "incomplete":
        line = Text(f"no violation, but not every world completed: {', '.join(_incomplete(rows))} ({cpu:.1f} CPU-s)", style="bold yellow")
    else:
        line = Text(
            f"holds within bounds in all {worlds} worlds (each exhaustive to its depth; a swarm "
            f"pass is a sample; {cpu:.1f} CPU-s)", style="bold green",
        )
    console.print(line, soft_wrap=True)
    for row in rows:
        for _, _, path in row.traces:
            if path is not None:
                console.print(Text(f"replay with: synod replay {path}"), soft_wrap=True)
    for name in _unwitnessed(rows):
        console.print(Text(f"WARNING: sometimes property never witnessed in {name}: the check may be vacuous there" + (" (--strict: failing)" if strict else ""), style="bold yellow"), soft_wrap=True)


def _print_unreduced(console: Console, rows: list[_Row]) -> None:
    """One line per world searched unreduced, with the reason (none for a world that
    was not asked to be reduced)."""
    from explorer.engine.por_policy import NOT_ASKED

    for row in rows:
        o = row.outcome
        if not o.settings.por and o.por != NOT_ASKED:
            console.print(Text(f"not reduced: {o.world.name}: {o.por.removeprefix('off: ')}", style="dim"), soft_wrap=True)


def world_json(row: _Row) -> dict[str, Any]:
    o = row.outcome
    r = o.result
    return {
        "name": o.world.name,
        "purpose": o.world.purpose,
        "verdict": o.verdict,
        "complete": r.complete,
        "distinct_states": r.distinct_states,
        "generated": r.generated,
        "depth": r.depth,
        "walks": r.walks,
        "elapsed_s": round(r.elapsed_s, 3),
        "cpu_s": round(o.cpu_s, 3),
        "por": o.por,
        "reduction": o.result.extra.get("por"),
        "properties": describe_properties(o),
        "violations": [
            {"property": name, "step": step, "trace": str(path) if path else None}
            for name, step, path in row.traces
        ],
        "search": settings_to_json(o.settings),
        "config": o.world.config.to_json(),
    }


def report_json(rows: list[_Row], strict: bool) -> dict[str, Any]:
    outcomes = [r.outcome for r in rows]
    return {
        "verdict": overall_verdict(outcomes),
        "complete": not _incomplete(rows),
        "cpu_s": round(cpu_total(outcomes), 3),
        "unwitnessed": _unwitnessed(rows),
        "worlds": [world_json(r) for r in rows],
        "strict": strict,
        "exit_code": exit_code(rows, strict),
    }


def to_junit(rows: list[_Row]) -> str:
    """JUnit XML: one testsuite per world, one testcase per property."""
    import xml.etree.ElementTree as ET

    root = ET.Element("testsuites", name="synod check portfolio")
    for row in rows:
        o = row.outcome
        suite = ET.SubElement(root, "testsuite", name=f"synod check {o.world.name}")
        failures = 0
        for name, status in describe_properties(o).items():
            case = ET.SubElement(suite, "testcase", classname=f"synod.{o.world.name}", name=name)
            if status.startswith("violated"):
                failures += 1
                ET.SubElement(case, "failure", message=f"{name} {status}")
            elif status in ("not witnessed", "not reached"):
                ET.SubElement(case, "skipped", message=status)
        suite.set("tests", str(len(o.properties)))
        suite.set("failures", str(failures))
        suite.set("time", f"{o.result.elapsed_s:.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def main(
    args: argparse.Namespace,
    check_dir: Callable[[Path, str], None],
    check_file: Callable[[Path, str], None],
) -> int:
    """The portfolio run of ``synod check``; ``check_dir``/``check_file`` are check.py's
    checks of ``--traces`` and ``--junit`` (done before any search)."""
    try:
        worlds = selected_worlds(args)
        for option, value in (("--traces", args.traces), ("--junit", args.junit)):
            if value == "":
                raise ConfigError(f"{option} must not be empty")
        traces_dir = Path(args.traces)
        junit = Path(args.junit) if args.junit is not None else None
        if not args.list_worlds:
            check_dir(traces_dir, "--traces")
            if junit is not None:
                check_file(junit, "--junit")
        return run(args, worlds, traces_dir, junit)
    except ConfigError as exc:
        sys.stderr.write(f"synod check: {exc}\n")
        return 2


def run(args: argparse.Namespace, worlds: tuple[PortfolioWorld, ...], traces_dir: Path, junit: Path | None) -> int:
    """Run ``worlds``; ``traces_dir`` and ``junit`` were checked by the caller."""
    if args.list_worlds:
        return list_worlds(worlds, bool(args.json))
    console = StdoutConsole(stderr=True) if args.json else StdoutConsole()

    def progress(outcome: WorldOutcome) -> None:
        if not args.json:
            console.print(f"  {outcome.world.name}: {outcome.verdict} ({outcome.cpu_s:.1f} CPU-s)", style="dim")

    try:
        outcomes = run_portfolio(worlds, seed=_seed(args), workers=args.workers, on_outcome=progress, por=_por(args))
    except KeyboardInterrupt:
        sys.stderr.write("synod check: interrupted\n")
        return 130
    except ConfigError:
        raise
    except Exception as exc:  # the model's own code raised: no verdict, say so (exit 2)
        sys.stderr.write(f"synod check: the model raised {type(exc).__name__}: {exc}\n")
        return 2
    rows = [_Row(o, _save_traces(o, traces_dir)) for o in outcomes]
    strict = bool(args.strict)
    if args.json:
        sys.stdout.write(json.dumps(report_json(rows, strict)) + "\n")
    else:
        print_report(StdoutConsole(), rows, strict)
    if junit is not None:
        write_text_atomic(junit, to_junit(rows))
    return exit_code(rows, strict)

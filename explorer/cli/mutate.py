"""``synod mutate``: the mutation score of the default check, computed on generated mutants.

Generates mutants of the protocol's source (explorer.mutants.mutate), checks each with
the default portfolio (or the one given) in its own process under a per-mutant budget
(explorer.mutants.mutate_run), and reports each as killed (by which property, in which
world, at what depth, trace saved), survived, timed out or broken (the mutated code
raises: no verdict). Survivors are listed with their diff.

Exit codes: 0 every judged mutant was killed, 1 some survived or timed out, 2 bad input.
"""

from __future__ import annotations

import argparse
import dataclasses
import html
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from rich.table import Table
from rich.text import Text

from explorer.cli.console import StdoutConsole
from explorer.engine.por_policy import default_por
from explorer.mutants.mutate import OPERATORS, Mutant, generate, sample
from explorer.mutants.mutate_run import MutantResult, MutationJob, baseline, run_mutants, score
from explorer.replay.trace import write_text_atomic

DEFAULT_TRACES_DIR = "synod-mutants"
DEFAULT_BUDGET_S = 300.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    what = parser.add_argument_group("what to mutate")
    what.add_argument("--target", default="paxos_core", metavar="PKG", help="the protocol package (default paxos_core)")
    what.add_argument("--modules", metavar="A.py,B.py", help="modules of the package to mutate (default: its logic)")
    what.add_argument("--operators", metavar="OP,OP", help=f"mutation operators (default all: {', '.join(OPERATORS)})")
    what.add_argument("--sample", type=int, metavar="N", help="check N mutants chosen by --seed (default all)")
    what.add_argument("--seed", type=int, default=0, metavar="S", help="seed of --sample (default 0)")
    what.add_argument("--mutant", action="append", default=[], metavar="ID[,ID...]",
                      help="check these mutants only (ids from --list; repeatable, or comma-separated)")
    what.add_argument("--list", action="store_true", help="list the mutants (id, operator, change) and exit")
    check = parser.add_argument_group("how to check each mutant")
    check.add_argument("--model", metavar="pkg.mod:Name", help="your own model, checked alone at synod check's default bounds")
    check.add_argument("--variant", metavar="NAME", help="the model's variant to check (your model: its correct one)")
    check.add_argument("--portfolio", metavar="FILE.toml|pkg.mod:NAME", help="the portfolio to check with (default: the default check)")
    check.add_argument("--world", metavar="NAME", help="one world of the portfolio only")
    check.add_argument("--budget", type=float, default=DEFAULT_BUDGET_S, metavar="S",
                       help=f"wall seconds per mutant before it counts as timed out (default {DEFAULT_BUDGET_S:g})")
    check.add_argument("--memory", type=int, default=4096, metavar="MB",
                       help="address space per mutant's process before it counts as timed out (default 4096; 0: no cap)")
    check.add_argument(
        "--por", action=argparse.BooleanOptionalAction, default=None,
        help="partial-order reduction in each world where it keeps the world's guarantee, as synod check "
        "(default: synod check's default)",
    )
    check.add_argument("--workers", type=int, default=1, metavar="W", help="mutants checked at once, one process each (default 1)")
    out = parser.add_argument_group("output")
    out.add_argument("--traces", default=DEFAULT_TRACES_DIR, metavar="DIR", help=f"killed mutants' traces (default ./{DEFAULT_TRACES_DIR}/)")
    out.add_argument("--json", action="store_true", help="one JSON object on stdout instead of the table")
    out.add_argument("--html", metavar="FILE", help="write a self-contained HTML report")


class UsageError(ValueError):
    """Bad input: one line on stderr, exit 2."""


def _csv(text: str | None) -> list[str] | None:
    return None if text is None else [part.strip() for part in text.split(",") if part.strip()]


def select(args: argparse.Namespace) -> tuple[list[Mutant], dict[str, str], int]:
    """The mutants to check, the original sources, and how many were generated in all."""
    if args.sample is not None and args.sample < 1:
        raise UsageError(f"--sample must be at least 1, got {args.sample}")
    if not 1 <= args.workers <= 64:
        raise UsageError(f"--workers must be between 1 and 64, got {args.workers}")
    if args.memory and not 256 <= args.memory <= 1 << 30:
        raise UsageError(f"--memory is megabytes per mutant, at least 256 (0: no cap), got {args.memory}")
    if not args.budget > 0:
        raise UsageError(f"--budget must be a positive number of seconds, got {args.budget}")
    if "." in args.target:
        raise UsageError(f"--target must be a top-level package, got {args.target!r}")
    operators = _csv(args.operators)
    unknown = sorted(set(operators or ()) - set(OPERATORS))
    if unknown:
        raise UsageError(f"unknown --operators {', '.join(unknown)} (known: {', '.join(OPERATORS)})")
    try:
        mutants, sources = generate(args.target, _csv(args.modules))
    except (ValueError, SyntaxError, OSError) as exc:
        raise UsageError(str(exc)) from None
    total = len(mutants)
    if operators:
        mutants = [m for m in mutants if m.operator in operators]
    wanted = list(dict.fromkeys(i for arg in args.mutant for i in _csv(arg) or ()))
    if wanted:
        by_id = {m.id: m for m in mutants}
        missing = [i for i in wanted if i not in by_id]
        if missing:
            raise UsageError(f"no mutant {missing[0]!r} (synod mutate --list shows them)")
        mutants = [by_id[i] for i in wanted]
    return sample(mutants, args.sample, args.seed), sources, total


def _check_job(args: argparse.Namespace) -> MutationJob:
    """The job, with the worlds checked here once so bad input costs nothing."""
    from explorer.cli.mutate_worker import worlds_for
    from explorer.models.config import ConfigError
    from explorer.models.registry import build_model

    portfolio = args.portfolio
    if portfolio is not None and portfolio.endswith(".toml") and Path(portfolio).is_file():
        # each mutant is checked in a process of its own, elsewhere: a relative path
        # must mean the file the user named here
        portfolio = str(Path(portfolio).absolute())
    job = MutationJob(
        target=args.target, portfolio=portfolio, model=args.model, variant=args.variant,
        world=args.world, budget_s=args.budget, traces=args.traces or None,
        memory_mb=args.memory or None, por=default_por() if args.por is None else bool(args.por),
    )
    if args.model and args.portfolio:
        raise UsageError("--model and --portfolio both say what to check: give one")
    try:
        for world in worlds_for(vars(job)):
            build_model(world.config)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    if args.html is not None:
        parent = Path(args.html).absolute().parent
        if not parent.is_dir() or Path(args.html).is_dir():
            raise UsageError(f"--html {args.html}: cannot write there")
    return job


def report_json(results: list[MutantResult], total: int, args: argparse.Namespace) -> dict[str, Any]:
    summary = score(results)
    return {
        "target": args.target,
        "generated": total,
        "checked": len(results),
        "sample": args.sample,
        "seed": args.seed,
        # each world reduced where that keeps its guarantee, as synod check (--no-por: none)
        "por": default_por() if args.por is None else bool(args.por),
        **summary,
        "killed_by": dict(Counter(r.property for r in results if r.status == "killed").most_common()),
        "results": [r.to_json() for r in results],
        "survivors": [r.to_json() for r in results if r.status in ("survived", "timed out")],
    }


def print_report(results: list[MutantResult], total: int) -> None:
    console = StdoutConsole()
    table = Table(title="synod mutate", title_justify="left")
    for column in ("mutant", "change", "status", "world", "property", "depth", "seconds"):
        table.add_column(column, overflow="fold", justify="right" if column in ("depth", "seconds") else "left")
    styles = {"killed": "green", "survived": "bold red", "timed out": "yellow", "broken": "dim"}
    for r in results:
        table.add_row(
            r.mutant.id, r.mutant.description, Text(r.status, style=styles[r.status]), r.world or "",
            r.property or (r.error or ""), "" if r.depth is None else str(r.depth), f"{r.wall_s:.1f}",
        )
    console.print(table)
    for r in results:
        if r.status in ("survived", "timed out"):
            console.print(Text(f"{r.status}: {r.mutant.id} ({r.mutant.description})", style="bold"))
            console.print(Text(r.diff))
    s = score(results)
    pct = "n/a" if s["score"] is None else f"{100 * s['score']:.1f}%"
    console.print(
        Text(
            f"mutation score {pct}: {s['killed']} killed, {s['survived']} survived, {s['timed_out']} timed out, "
            f"{s['broken']} broken of {len(results)} checked ({total} generated); "
            f"{s['seconds_per_mutant']} s per mutant", style="bold",
        ),
        soft_wrap=True,
    )


def report_html(data: dict[str, Any]) -> str:
    esc = html.escape
    rows = "".join(
        f"<tr class='{esc(r['status'].replace(' ', '-'))}'><td>{esc(r['id'])}</td><td>{esc(r['description'])}</td>"
        f"<td>{esc(r['status'])}</td><td>{esc(r['world'] or '')}</td><td>{esc(r['property'] or r['error'] or '')}</td>"
        f"<td>{'' if r['depth'] is None else r['depth']}</td><td>{r['wall_s']:.1f}</td></tr>"
        for r in data["results"]
    )
    survivors = "".join(
        f"<h3>{esc(r['status'])}: {esc(r['id'])}</h3><pre>{esc(r['diff'])}</pre>" for r in data["survivors"]
    )
    pct = "n/a" if data["score"] is None else f"{100 * data['score']:.1f}%"
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>synod mutate</title><style>"
        "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
        "padding:2px 6px;font-size:13px}.killed td:nth-child(3){color:green}.survived td:nth-child(3){color:red}"
        "pre{background:#f6f6f6;padding:8px}</style></head><body>"
        f"<h1>synod mutate {esc(data['target'])}</h1><p>mutation score {pct}: {data['killed']} killed, "
        f"{data['survived']} survived, {data['timed_out']} timed out, {data['broken']} broken of "
        f"{data['checked']} checked ({data['generated']} generated)</p>"
        "<table><tr><th>mutant</th><th>change</th><th>status</th><th>world</th><th>property / error</th>"
        f"<th>depth</th><th>seconds</th></tr>{rows}</table><h2>survivors</h2>{survivors or '<p>none</p>'}</body></html>\n"
    )


def run(args: argparse.Namespace) -> int:
    try:
        mutants, sources, total = select(args)
        if args.list:
            for m in mutants:
                sys.stdout.write(f"{m.id}\t{m.operator}\t{m.description}\n")
            return 0
        job = _check_job(args)
    except UsageError as exc:
        sys.stderr.write(f"synod mutate: {exc}\n")
        return 2

    def progress(result: MutantResult) -> None:
        # one line per mutant, so a run stopped half-way still says what it found
        found = f" by {result.property} in {result.world}" if result.status == "killed" else ""
        if result.depth is not None:
            found += f" at depth {result.depth}"
        error = f": {result.error}" if result.error else ""
        sys.stderr.write(f"  {result.mutant.id}: {result.status}{found}{error} ({result.wall_s:.1f} s)\n")
        sys.stderr.flush()

    base = baseline(job, sources)
    if base.status != "survived":
        why = base.error or (f"{base.property} fails in {base.world}" if base.status == "killed" else base.status)
        sys.stderr.write(f"synod mutate: the unmutated protocol does not pass the check ({why})\n")
        return 2
    job = dataclasses.replace(job, witnessed=base.extra.get("witnessed"))
    sys.stderr.write(f"  baseline: the unmutated protocol holds ({base.wall_s:.1f} s)\n")
    results = run_mutants(job, mutants, sources, workers=args.workers, on_result=progress)
    data = report_json(results, total, args)
    if args.json:
        sys.stdout.write(json.dumps(data) + "\n")
    else:
        print_report(results, total)
    if args.html:
        write_text_atomic(Path(args.html), report_html(data))
    return 0 if data["survived"] == 0 and data["timed_out"] == 0 else 1

"""``synod mutants``: run the catalogue of seeded Paxos bugs and the correct protocol.

For each case of :data:`explorer.mutants.CATALOGUE`: search the mutant (BFS at the
case's bounds, or random / swarm walks until the first hit; the one DFS case always
runs DFS) and report the property
violated, the depth of the counterexample, the distinct states and the seconds; then
check the correct protocol exhaustively at the same configuration and depth, which must
hold with every ``sometimes`` property witnessed.

Exit codes: 0 every mutant caught (BFS: by its expected property), the correct
protocol holds everywhere and (whole catalogue, BFS) each pair of ``PAIRS`` is harmful
only together; 1 otherwise, which includes any variant listed in
``NOT_CAUGHT`` when the whole catalogue runs; 2 bad input (one line on stderr, nothing
written).
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from explorer.cli.check import _check_dir_writable as check_dir_writable
from explorer.cli.check import check_backend, command_line
from explorer.cli.console import StdoutConsole
from explorer.engine.backends import session
from explorer.engine.results import BACKENDS
from explorer.models.config import CheckConfig, ConfigError
from explorer.models.paxos import MODELS as PAXOS_MODELS
from explorer.mutants import (
    CATALOGUE,
    NOT_CAUGHT,
    PAIRS,
    CaseOutcome,
    CorrectOutcome,
    MutantCase,
    build,
    catalogue_by_name,
    map_cases,
    run_case,
    run_correct,
    run_pair,
)

STRATEGY_CHOICES = ("bfs", "random", "swarm")
DEFAULT_TRACES_DIR = "traces"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--strategy", choices=STRATEGY_CHOICES, default="bfs",
        help="bfs (shortest counterexamples, default), or random / swarm walks until the first hit",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.add_argument(
        "--por", action=argparse.BooleanOptionalAction, default=None,
        help="partial-order reduction in every BFS/DFS search of the catalogue (docs/por.md; default off: "
        "the catalogue checks the unreduced search); --default-check follows synod check's default unless given",
    )
    parser.add_argument(
        "--traces", metavar="DIR", default=None,
        help="save each mutant's counterexample as a trace in DIR, as synod check does "
        "(replacing that mutant's old one there)",
    )
    # the old spelling, kept for one release: --save-traces [--traces DIR] (default traces/)
    parser.add_argument("--save-traces", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--only", metavar="NAMES", help="comma-separated mutant names (default: all)")
    parser.add_argument(
        "--seed", type=int, default=0,
        help="random/swarm seed (default 0; the DFS case always runs DFS)",
    )
    parser.add_argument(
        "--workers", type=int, default=1, metavar="W", help="processes running cases in parallel (default 1)",
    )
    parser.add_argument("--jobs", dest="workers", type=int, help=argparse.SUPPRESS)  # old spelling
    parser.add_argument(
        "--backend", choices=BACKENDS, default="local",
        help="where the --workers run: local processes (default) or ray tasks (pip install 'synod-check[ray]')",
    )
    parser.add_argument("--address", metavar="ADDR", help="ray: the cluster to join (default: a local instance)")
    parser.add_argument(
        "--skip-correct", action="store_true",
        help="do not check the correct protocol (faster; the exit code then speaks for the mutants only)",
    )
    parser.add_argument(
        "--default-check", action="store_true",
        help="add a column: does the DEFAULT check (the portfolio, not the case's own configuration) "
        "catch the mistake? (runs the portfolio per mistake: minutes)",
    )


class UsageError(ValueError):
    """Bad input: printed on one line, exit 2."""


def select_cases(only: str | None) -> list[MutantCase]:
    if not only:
        return list(CATALOGUE)
    names = [n.strip() for n in only.split(",") if n.strip()]
    known = catalogue_by_name()
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise UsageError(
            f"unknown mutant(s) {', '.join(unknown) or '(none given)'} in --only "
            f"(known: {', '.join(known)})"
        )
    return [known[n] for n in names]


def traces_dir(args: argparse.Namespace) -> Path | None:
    if not args.save_traces and args.traces is None:
        return None
    if args.traces == "":
        raise UsageError("--traces must not be empty")
    if args.strategy != "bfs":
        raise UsageError("--traces keeps shortest counterexamples: use it with --strategy bfs")
    path = Path(args.traces or DEFAULT_TRACES_DIR)
    # as synod check checks it (it tries a write: os.access says yes to root on /proc)
    check_dir_writable(path, "--traces")
    return path


def save_case_trace(outcome: CaseOutcome, directory: Path) -> Path | None:
    """Save the counterexample through the normal trace path, replacing the case's old one."""
    from explorer.replay.trace import load_trace, save_trace, trace_from_violation

    violation = outcome.violation
    if violation is None:
        return None
    case = outcome.case
    model = build(case.config)
    settings = case.settings(outcome.strategy, case.seed, por="por" in outcome.result.extra)
    trace = trace_from_violation(model, case.config, settings, violation)
    directory.mkdir(parents=True, exist_ok=True)
    new_path = save_trace(trace, directory)
    for old in sorted(directory.glob("*.json")):
        if old == new_path:
            continue
        try:
            old_trace = load_trace(old)
        except ValueError:
            continue  # not a trace of ours: leave it alone
        # Same variant of the same model family: a case that moved between Basic and
        # Multi-Paxos must not leave its old trace behind (one trace per mutant).
        if old_trace.config.variant == case.variant and old_trace.config.model in PAXOS_MODELS:
            old.unlink()
    return new_path


def _mutant_row(outcome: CaseOutcome, trace: Path | None) -> dict[str, Any]:
    from paxos_core import VARIANTS

    case = outcome.case
    return {
        "mutant": case.name,
        "strategy": outcome.strategy,
        "description": VARIANTS.get(case.variant, ""),
        "model": case.config.model,
        "expected_property": case.expected_property,
        "counterexample": case.note,  # how the catalogue's shortest one goes, in words
        "command": command_line(case.config, case.strategy, case.max_depth),
        "property": outcome.property_name,
        "caught": outcome.caught,
        "as_expected": outcome.property_name == case.expected_property,
        "depth": outcome.depth,
        "max_depth": case.max_depth,
        "distinct_states": outcome.result.distinct_states,
        "walks": outcome.result.walks,
        "seconds": round(outcome.seconds, 3),
        "trace": str(trace) if trace is not None else None,
    }


def _correct_row(outcome: CorrectOutcome) -> dict[str, Any]:
    result = outcome.result
    return {
        "mutant": outcome.case.name,
        "verdict": result.verdict,
        "property": result.violations[0].property_name if result.violations else None,
        "complete": result.complete,
        "distinct_states": result.distinct_states,
        "depth": outcome.case.correct_depth,
        "unwitnessed": outcome.unwitnessed,
        "holds": outcome.holds,
        "seconds": round(outcome.seconds, 3),
    }


def mutant_passed(row: dict[str, Any], strategy: str) -> bool:
    # BFS is deterministic: the expected property must be the one that fires. A random
    # walk may hit another property first; any violation counts as caught.
    return bool(row["caught"]) and (strategy != "bfs" or bool(row["as_expected"]))


def _table(title: str, columns: list[str], right: set[str]) -> Table:
    table = Table(title=title)
    for name in columns:
        table.add_column(name, justify="right" if name in right else "left")
    return table


def _mark(ok: bool, yes: str = "yes", no: str = "NO") -> str:
    return f"[green]{yes}[/green]" if ok else f"[red]{no}[/red]"


def _depth(value: int | None) -> str:
    return str(value) if value is not None else "-"


_NUMBERS = {"depth", "bound", "walks", "distinct states", "seconds"}


def _default_check_text(row: dict[str, Any]) -> str:
    found = row["default_check"]
    if not found["caught"]:
        return "[red]NO[/red]"
    return f"[green]yes[/green]: {found['world']}, {found['property']} @ {found['depth']}"


def _print_tables(console: Console, strategy: str, rows: list[dict[str, Any]], correct: list[dict[str, Any]]) -> None:
    bound = "walks" if strategy != "bfs" else "bound"
    with_default = any("default_check" in row for row in rows)
    table = _table(
        f"Mutants ({strategy})",
        ["mutant", "property violated", "depth", bound, "distinct states", "seconds", "caught"]
        + (["default check"] if with_default else []), _NUMBERS,
    )
    for row in rows:
        prop = row["property"] or "-"
        if row["caught"] and not row["as_expected"]:
            prop += f" (expected {row['expected_property']})"
        name = row["mutant"] if row["strategy"] == strategy else f"{row['mutant']} ({row['strategy']})"
        table.add_row(
            name, prop, _depth(row["depth"]),
            str(row["walks"] if strategy != "bfs" else row["max_depth"]),
            f"{row['distinct_states']:,}", f"{row['seconds']:.2f}", _mark(mutant_passed(row, strategy)),
            *([_default_check_text(row)] if with_default else []),
        )
    console.print(table)
    if correct:
        ctable = _table(
            "Correct protocol at each mutant's configuration (BFS, exhaustive to the depth)",
            ["configuration of", "verdict", "depth", "distinct states", "sometimes not witnessed", "seconds"],
            _NUMBERS,
        )
        for row in correct:
            verdict = row["verdict"] if row["complete"] else f"{row['verdict']} (incomplete)"
            if row["property"]:
                verdict += f": {row['property']}"
            ctable.add_row(
                row["mutant"], _mark(row["holds"], verdict, verdict), str(row["depth"]),
                f"{row['distinct_states']:,}", ", ".join(row["unwitnessed"]) or "-",
                f"{row['seconds']:.2f}",
            )
        console.print(ctable)


def _print_pairs(console: Console, pairs: list[dict[str, Any]]) -> None:
    table = _table(
        "Pairs: harmless alone, harmful together (BFS, exhaustive to the depth)",
        ["pair", "property violated", "depth", "distinct states", "each alone", "seconds", "as claimed"],
        _NUMBERS,
    )
    for row in pairs:
        table.add_row(
            row["pair"], row["property"] or "-", _depth(row["depth"]), f"{row['distinct_states']:,}",
            _mark(row["halves_hold"], "holds", "FAILS"), f"{row['seconds']:.2f}", _mark(row["ok"]),
        )
    console.print(table)


def _run_with(case: MutantCase, strategy: str, seed: int, por: bool = False) -> CaseOutcome:
    # The DFS case is out of BFS's reach in CI time: whatever --strategy says, it runs
    # its own search (the table marks it with its name).
    if case.strategy != "bfs":
        return run_case(case, case.strategy, case.seed, por)
    return run_case(case, strategy, seed, por and strategy in ("bfs", "dfs"))


def run(args: argparse.Namespace) -> int:
    try:
        cases = select_cases(args.only)
        directory = traces_dir(args)
        if args.workers < 1:
            raise UsageError(f"--workers must be at least 1, got {args.workers}")
        check_backend(args.backend, args.address)
    except (UsageError, ConfigError) as exc:
        sys.stderr.write(f"synod mutants: {exc}\n")
        return 2
    try:
        with session(args.backend, args.workers, args.address):
            return _run_cases(args, cases, directory)
    except ConfigError as exc:  # e.g. the Ray cluster cannot be joined
        sys.stderr.write(f"synod mutants: {exc}\n")
        return 2


def _default_check_por(args: argparse.Namespace) -> bool:
    from explorer.engine.por_policy import default_por

    return default_por() if args.por is None else bool(args.por)


def _run_cases(args: argparse.Namespace, cases: list[MutantCase], directory: Path | None) -> int:
    started = time.perf_counter()
    strategy, seed = args.strategy, args.seed
    outcomes: list[CaseOutcome] = map_cases(
        functools.partial(_run_with, strategy=strategy, seed=seed, por=bool(args.por)),
        cases,
        args.workers,
        args.backend,
        args.address,
    )
    rows: list[dict[str, Any]] = []
    for outcome in outcomes:
        path = save_case_trace(outcome, directory) if directory is not None else None
        rows.append(_mutant_row(outcome, path))
        if args.default_check:
            from explorer.mutants.default_check import default_check_catch

            rows[-1]["default_check"] = default_check_catch(outcome.case.variant, por=_default_check_por(args))
    correct: list[dict[str, Any]] = []
    if not args.skip_correct:
        # Cases that share a configuration and depth share one correct-protocol check.
        unique: dict[tuple[CheckConfig, int], MutantCase] = {}
        for case in cases:
            unique.setdefault(case.correct_check_key(), case)
        check = functools.partial(run_correct, por=bool(args.por))
        checked = dict(
            zip(unique, map_cases(check, list(unique.values()), args.workers, args.backend, args.address), strict=True)
        )
        for case in cases:
            row = _correct_row(checked[case.correct_check_key()])
            row["mutant"] = case.name
            correct.append(row)
    # Pairs are BFS claims about the whole catalogue: checked when all of it runs by BFS.
    pairs = [run_pair(pair, bool(args.por)) for pair in PAIRS] if not args.only and strategy == "bfs" else []
    gaps = dict(NOT_CAUGHT) if not args.only else {}
    all_caught = (
        all(mutant_passed(row, strategy) for row in rows) and not gaps and all(p["ok"] for p in pairs)
    )
    correct_holds = all(row["holds"] for row in correct)
    total = time.perf_counter() - started
    if args.json:
        print(json.dumps({
            "strategy": strategy,
            "seed": seed,
            "por": bool(args.por),
            "mutants": rows,
            "correct": correct,
            "pairs": pairs,
            "not_caught": [{"mutant": name, "why": why} for name, why in gaps.items()],
            "all_caught": all_caught,
            "correct_holds": correct_holds if correct else None,
            "elapsed_s": round(total, 3),
        }, indent=2))
    else:
        console: Console = StdoutConsole()
        if not console.is_terminal:
            console = StdoutConsole(width=150)  # logs: keep each row on one line
        _print_tables(console, strategy, rows, correct)
        if pairs:
            _print_pairs(console, pairs)
        caught = sum(mutant_passed(row, strategy) for row in rows)
        for name, why in gaps.items():
            console.print(f"[red]NOT CAUGHT[/red] {name}: {why}")
        verdict = f"{caught}/{len(rows) + len(gaps)} mutants caught"
        if pairs:
            verdict += f", {sum(p['ok'] for p in pairs)}/{len(pairs)} pairs harmful only together"
        if correct:
            verdict += "; correct protocol " + ("holds everywhere" if correct_holds else "FAILS somewhere")
        console.print(f"{verdict} ({total:.1f} s)")
    return 0 if all_caught and (correct_holds or not correct) else 1

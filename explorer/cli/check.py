"""``synod check``: model-check a protocol within bounds and report a verdict.

Exit codes: 0 holds within the bounds, 1 a property was violated (trace saved) or, with
``--strict``, a ``sometimes`` property was never witnessed, 2 bad configuration (one
line on stderr, nothing written), 130 interrupted (after printing the summary so far).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from explorer.cli import portfolio as portfolio_cli
from explorer.cli.console import StdoutConsole
from explorer.cli.progress import ProgressDisplay
from explorer.cli.report import CheckReport, PropertyInfo, SavedViolation
from explorer.engine.model import Model
from explorer.engine.results import STRATEGIES, SearchResult, SearchSettings
from explorer.engine.search import DEFAULT_WALKS, search
from explorer.models import (
    TLA_PAXOS,
    build_model,
    check_model_name,
    is_custom_model,
    normalize_config,
)
from explorer.models.config import CheckConfig, ConfigError, Faults, parse_extra
from explorer.models.paxos import DEFAULT_DEPTH as PAXOS_DEFAULT_DEPTH
from explorer.models.paxos import DEFAULT_MAX_STATES as PAXOS_DEFAULT_MAX_STATES
from explorer.replay.trace import save_trace, trace_from_violation, write_text_atomic

DEFAULT_TRACES_DIR = "synod-traces"

# Bounds applied when the user sets none of --depth/--max-states/--time-limit. The
# Paxos worlds are too big to exhaust; a depth bound that BFS completes gives an honest
# "complete within depth D" verdict (measured: multipaxos defaults, depth 8, 195,002
# states in ~40 s; basic, depth 8, 50,937 states), and the state bound caps the time
# should the models grow. tla-paxos is finite (ballots bound it).
# The Paxos models' own defaults: the shallowest depth at which every `sometimes`
# property of the default configuration is witnessed (measured in docs/actors.md).
DEFAULT_BOUNDS: dict[str, dict[str, int]] = {
    "multipaxos": {"max_depth": PAXOS_DEFAULT_DEPTH, "max_states": PAXOS_DEFAULT_MAX_STATES},
    "basic": {"max_depth": PAXOS_DEFAULT_DEPTH, "max_states": PAXOS_DEFAULT_MAX_STATES},
    TLA_PAXOS: {},
}
DEFAULT_CUSTOM_BOUNDS: dict[str, int] = {"max_states": 1_000_000}
MAX_WORKERS = 64

# CheckConfig fields and the options that set them (to tell which the user gave).
_CONFIG_OPTIONS = {
    "nodes": "nodes",
    "clients": "clients",
    "ops": "ops",
    "faults": "faults",
    "variant": "variant",
    "network": "network",
    "ballots": "ballots",
    "phase1_quorum": "phase1_quorum",
    "phase2_quorum": "phase2_quorum",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    world = parser.add_argument_group("what to check")
    world.add_argument(
        "--model", default="multipaxos", metavar="NAME",
        help="multipaxos (default), basic, tla-paxos, or package.module:Name (your own model)",
    )
    world.add_argument("--nodes", type=int, metavar="N", help="replicas, 1..64 (default 3)")
    world.add_argument("--clients", type=int, metavar="C", help="clients, 0..64 (default 2)")
    world.add_argument("--ops", type=int, metavar="K", help="operations per client (default 1)")
    world.add_argument(
        "--faults", metavar="SPEC",
        help="fault budgets, e.g. drop=1,dup=1,crash=1,partition=1, or none (default drop=1,crash=1)",
    )
    world.add_argument("--network", choices=("unordered", "fifo"), help="delivery order (default unordered)")
    world.add_argument("--ballots", type=int, metavar="B", help="bound on ballots (tla-paxos: 0..B; default 2)")
    world.add_argument(
        "--variant", metavar="NAME", help="seeded bug variant (default correct; Paxos: combine with +)"
    )
    world.add_argument("--phase1-quorum", type=int, metavar="Q", help="phase-1 quorum size (default majority)")
    world.add_argument("--phase2-quorum", type=int, metavar="Q", help="phase-2 quorum size (default majority)")
    world.add_argument("--symmetry", action="store_true", help="symmetry reduction over node ids")
    world.add_argument(
        "--extra", action="append", default=[], metavar="KEY=VALUE",
        help="a model-specific option, VALUE in JSON (Paxos: client_targets=[0,1], retries=0, "
        "forward=false, initial_leader=null, learn_directly=true); repeatable",
    )

    search = parser.add_argument_group("how to search")
    search.add_argument("--strategy", choices=STRATEGIES, default="bfs", help="default bfs")
    search.add_argument(
        "--depth", type=int, metavar="D",
        help=f"max actions on a path (default, when no bound is given: {PAXOS_DEFAULT_DEPTH} for multipaxos and basic)",
    )
    search.add_argument(
        "--max-states", type=int, metavar="S",
        help=(
            f"max distinct states (default, when no bound is given: {PAXOS_DEFAULT_MAX_STATES:,} for multipaxos"
            f" and basic, {DEFAULT_CUSTOM_BOUNDS['max_states']:,} for your model)"
        ),
    )
    search.add_argument("--time-limit", type=float, metavar="T", help="wall-time limit in seconds")
    search.add_argument("--max-memory", type=int, metavar="MB", help="memory limit of the search in MB")
    search.add_argument("--seed", type=int, default=0, metavar="S", help="random/swarm seed (default 0)")
    search.add_argument(
        "--walks", type=int, metavar="W",
        help=f"random/swarm: number of walks (default {DEFAULT_WALKS} when no bound is given)",
    )
    search.add_argument("--workers", type=int, default=1, metavar="W", help=f"processes, 1..{MAX_WORKERS} (bfs; default 1)")
    search.add_argument("--collect", action="store_true", help="keep going after a violation: one per property")

    output = parser.add_argument_group("output")
    output.add_argument(
        "--traces", default=DEFAULT_TRACES_DIR, metavar="DIR",
        help=f"where counterexample traces go (default ./{DEFAULT_TRACES_DIR}/, created on first trace)",
    )
    output.add_argument("--strict", action="store_true", help="exit 1 when a sometimes property is never witnessed")
    output.add_argument("--json", action="store_true", help="print one JSON object on stdout instead of the table")
    output.add_argument("--junit", metavar="FILE", help="write a JUnit XML report")
    portfolio_cli.add_arguments(parser)  # --world, --list-worlds, --portfolio (last: it tracks the others)


# -- configuration ---------------------------------------------------------------------


def config_from_args(args: argparse.Namespace) -> tuple[CheckConfig, set[str]]:
    """The CheckConfig the options describe, and the names of the options given."""
    explicit = {field for field, opt in _CONFIG_OPTIONS.items() if getattr(args, opt) is not None}
    values: dict[str, Any] = {"model": args.model, "symmetry": bool(args.symmetry)}
    for field, opt in _CONFIG_OPTIONS.items():
        value = getattr(args, opt)
        if value is not None:
            values[field] = Faults.parse(value) if field == "faults" else value
    if args.extra:
        explicit.add("extra")
        values["extra"] = parse_extra(args.extra)
    check_model_name(args.model)
    config = CheckConfig(**values)
    config.validate()
    return normalize_config(config, explicit), explicit


def command_line(config: CheckConfig, strategy: str = "bfs", depth: int | None = None) -> str:
    """The ``synod check`` command that checks ``config`` (with ``strategy`` to ``depth``):
    what a reader types to run a configuration they read about (``synod mutants`` prints
    one per case). Every option is spelled out, so it does not lean on defaults."""
    import json
    import shlex

    faults = ",".join(f"{k}={v}" for k, v in vars(config.faults).items() if v) or "none"
    argv = [
        "synod", "check", "--model", config.model, "--nodes", str(config.nodes),
        "--clients", str(config.clients), "--ops", str(config.ops), "--faults", faults,
        "--ballots", str(config.ballots),
    ]
    if config.network != "unordered":
        argv += ["--network", config.network]
    if config.variant != "correct":
        argv += ["--variant", config.variant]
    for option, q in (("--phase1-quorum", config.phase1_quorum), ("--phase2-quorum", config.phase2_quorum)):
        if q is not None:
            argv += [option, str(q)]
    if config.symmetry:
        argv.append("--symmetry")
    for key, value in config.extra:
        argv += ["--extra", f"{key}={json.dumps(value, separators=(',', ':'))}"]
    if strategy != "bfs":
        argv += ["--strategy", strategy]
    if depth is not None:
        argv += ["--depth", str(depth)]
    return shlex.join(argv)


def settings_from_args(args: argparse.Namespace, config: CheckConfig) -> SearchSettings:
    """SearchSettings from the options, with the model's default bounds filled in."""
    for option, value, least in (
        ("--depth", args.depth, 0),
        ("--max-states", args.max_states, 1),
        ("--max-memory", args.max_memory, 1),
        ("--seed", args.seed, 0),
        ("--walks", args.walks, 1),
        ("--workers", args.workers, 1),
    ):
        if value is not None and value < least:
            raise ConfigError(f"{option} must be at least {least}, got {value}")
    if args.workers > MAX_WORKERS:
        # each worker is a process with its own queues: --workers 10000 ran out of file
        # descriptors with a traceback
        raise ConfigError(f"--workers must be at most {MAX_WORKERS}, got {args.workers}")
    if args.time_limit is not None and not args.time_limit > 0:
        raise ConfigError(f"--time-limit must be a positive number of seconds, got {args.time_limit}")
    if args.workers > 1 and args.strategy != "bfs":
        raise ConfigError(f"--workers applies to --strategy bfs only, not {args.strategy}")
    if args.walks is not None and args.strategy not in ("random", "swarm"):
        raise ConfigError(f"--walks applies to --strategy random or swarm, not {args.strategy}")
    bounds: dict[str, Any] = {
        "max_depth": args.depth,
        "max_states": args.max_states,
        "time_limit": args.time_limit,
    }
    walks = args.walks
    if all(v is None for v in bounds.values()):
        defaults = (
            DEFAULT_CUSTOM_BOUNDS if is_custom_model(config.model)
            else DEFAULT_BOUNDS.get(config.model, {})
        )
        bounds.update(defaults)
        # The default state bound would switch off the engine's default walk count, and
        # random walks under a depth bound may never reach that many distinct states:
        # `--strategy random` alone then ran until killed.
        if args.strategy in ("random", "swarm") and walks is None:
            walks = DEFAULT_WALKS
    return SearchSettings(
        strategy=args.strategy,
        max_memory_mb=args.max_memory,
        seed=args.seed,
        walks=walks,
        workers=args.workers,
        symmetry=config.symmetry,
        collect=bool(args.collect),
        **bounds,
    )


def _check_dir_writable(path: Path, option: str) -> None:
    """The directory (or the nearest existing ancestor it will be created under) must be
    a writable directory; checked before searching so a bad path costs nothing."""
    if path.exists():
        if not path.is_dir():
            raise ConfigError(f"{option} {path} exists and is not a directory")
        if not os.access(path, os.W_OK | os.X_OK):
            raise ConfigError(f"{option} {path} is not writable")
        _probe_writable(path, option, path)
        return
    ancestor = path.absolute().parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir() or not os.access(ancestor, os.W_OK | os.X_OK):
        raise ConfigError(f"{option} {path} cannot be created ({ancestor} is not a writable directory)")
    _probe_writable(ancestor, option, path)


def _probe_writable(directory: Path, option: str, path: Path) -> None:
    # os.access says yes to root everywhere, also on /proc or a read-only mount, where
    # the trace would be lost after the search: try it (an empty directory, removed).
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".synod-probe-", dir=directory))
    except OSError as exc:
        raise ConfigError(f"{option} {path}: cannot write in {directory}: {exc.strerror or exc}") from None


def check_output_file(path: Path, option: str) -> None:
    if path.is_dir():
        raise ConfigError(f"{option} {path} is a directory")
    parent = path.absolute().parent
    if not parent.is_dir():
        raise ConfigError(f"{option} {path}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise ConfigError(f"{option} {path} is not writable")


# -- running ---------------------------------------------------------------------------


def _partial_result(display: ProgressDisplay) -> SearchResult:
    """What we know when Ctrl-C arrives outside the engine's own interrupt handling."""
    p = display.last
    return SearchResult(
        verdict="holds",
        complete=False,
        distinct_states=p.distinct_states if p else 0,
        generated=p.generated if p else 0,
        depth=p.depth if p else 0,
        elapsed_s=p.elapsed_s if p else 0.0,
        stopped_by="interrupted",
        walks=p.walks if p else 0,
    )


def run(args: argparse.Namespace) -> int:
    if portfolio_cli.wants_portfolio(args):
        return portfolio_cli.main(args, _check_dir_writable, check_output_file)
    try:
        config, _explicit = config_from_args(args)
        settings = settings_from_args(args, config)
        # Path("") is the current directory: an empty --traces would scatter traces
        # there, and an empty --junit was silently skipped.
        for option, value in (("--traces", args.traces), ("--junit", args.junit)):
            if value == "":
                raise ConfigError(f"{option} must not be empty")
        traces_dir = Path(args.traces)
        _check_dir_writable(traces_dir, "--traces")
        junit = Path(args.junit) if args.junit is not None else None
        if junit is not None:
            check_output_file(junit, "--junit")
        model: Model[Any, Any] = build_model(config)
    except ConfigError as exc:
        sys.stderr.write(f"synod check: {exc}\n")
        return 2

    properties = [PropertyInfo(p.name, p.kind, p.description) for p in model.properties()]
    title = f"synod check {config.model} ({config.variant}, {settings.strategy})"
    interrupted = False
    with ProgressDisplay(title=title) as display:
        try:
            result: SearchResult = search(model, settings, progress=display)
        except KeyboardInterrupt:
            result = _partial_result(display)
    if result.stopped_by == "interrupted":
        interrupted = True

    saved: list[SavedViolation] = []
    for violation in result.violations:
        trace = trace_from_violation(model, config, settings, violation)
        path: Path | None
        try:
            path = save_trace(trace, traces_dir)
        except OSError as exc:  # the verdict stands even if the disk is full
            sys.stderr.write(f"synod check: could not save the trace: {exc}\n")
            path = None
        saved.append(SavedViolation(violation.property_name, violation.kind, trace.step, trace.actions, path))

    report = CheckReport(
        config=config,
        settings=settings,
        result=result,
        properties=properties,
        violations=saved,
        strict=bool(args.strict),
        interrupted=interrupted,
    )
    if args.json:
        sys.stdout.write(json.dumps(report.to_json(), sort_keys=False) + "\n")
        for line in report.warnings():
            sys.stderr.write(line + "\n")
    else:
        report.print_summary(StdoutConsole())
    if junit is not None:
        write_text_atomic(junit, report.to_junit())
    return report.exit_code


__all__ = ["add_arguments", "config_from_args", "run", "settings_from_args"]

"""``synod check``: model-check a protocol within bounds and report a verdict.

Exit codes: 0 holds within the bounds, 1 a property was violated (trace saved) or, with
``--strict``, a ``sometimes`` property was never witnessed, 2 bad configuration (one
line on stderr, nothing written), 3 with ``--strict``, the search did not exhaust the
space within the bounds (a state, time or memory budget ran out, or random walks),
130 interrupted (SIGINT), 143 terminated (SIGTERM), both after printing the summary so far.

Module-level imports stay light (``synod check --help`` loads neither the models nor
rich); the search's modules are imported when it runs.
"""

from __future__ import annotations

import argparse
import dataclasses
import errno
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from explorer.cli import checkpoint_options, diagnostics, signals
from explorer.cli import portfolio_options as portfolio_cli
from explorer.cli.bounds import DefaultBounds, bound_value, resolve
from explorer.engine.errors import ConfigError
from explorer.engine.results import BACKENDS, STRATEGIES, SearchSettings
from explorer.engine.walks import DEFAULT_WALKS

if TYPE_CHECKING:
    from explorer.cli.progress import ProgressDisplay
    from explorer.cli.report import SavedViolation
    from explorer.engine.model import Model
    from explorer.engine.results import SearchResult
    from explorer.models.config import CheckConfig

DEFAULT_TRACES_DIR = "synod-traces"

# The Paxos models' own bounds, as the help text states them (explorer.models.paxos
# defines them; importing it for --help would load the whole protocol: a test keeps the
# two equal). The Paxos worlds are too big to exhaust; a depth bound that BFS completes
# gives an honest "complete within depth D" verdict (measured: multipaxos defaults,
# depth 8, 195,002 states unreduced, 158,344 with the default reduction; basic, depth 8,
# 50,937 states unreduced), and the state bound
# caps the time should the models grow. tla-paxos is finite (ballots bound it).
PAXOS_DEFAULT_DEPTH = 8
PAXOS_DEFAULT_MAX_STATES = 250_000
DEFAULT_CUSTOM_BOUNDS = DefaultBounds(max_states=1_000_000)
MAX_WORKERS = 64
POR_HELP = (
    "partial-order reduction (bfs, dfs; in the portfolio, each world where it keeps the world's guarantee): "
    "explore independent actions in one order (docs/por.md, 'The default')"
)
MAX_MEMORY_HELP = "memory bound in MB: past it the one-process bfs spills its frontier and visited set to disk, dfs its seen map; other searches stop"

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
        "--depth", type=bound_value, metavar="D",
        help=f"max actions on a path, or none (default: {PAXOS_DEFAULT_DEPTH} for multipaxos and basic)",
    )
    search.add_argument(
        "--max-states", type=bound_value, metavar="S",
        help=(
            f"max distinct states, or none (default: {PAXOS_DEFAULT_MAX_STATES:,} for multipaxos"
            f" and basic, {DEFAULT_CUSTOM_BOUNDS.max_states:,} for your model)"
        ),
    )
    search.add_argument("--time-limit", type=float, metavar="T", help="wall-time limit in seconds")
    search.add_argument("--max-memory", type=int, metavar="MB", help=MAX_MEMORY_HELP)
    search.add_argument("--seed", type=int, default=0, metavar="S", help="random/swarm seed (default 0)")
    search.add_argument(
        "--walks", type=bound_value, metavar="W",
        help=f"random/swarm: number of walks, or none (default {DEFAULT_WALKS})",
    )
    search.add_argument(
        "--workers", type=int, default=1, metavar="W",
        help=f"processes, 1..{MAX_WORKERS} (bfs; default 1); with --backend ray, Ray workers (bfs, random, swarm)",
    )
    search.add_argument(
        "--backend", choices=BACKENDS, default="local",
        help="local processes (default) or ray (pip install 'synod-check[ray]'); counts are the same",
    )
    search.add_argument(
        "--address", metavar="ADDR",
        help="ray: the cluster to join (auto, HOST:PORT, ray://HOST:PORT; default: start a local instance)",
    )
    search.add_argument("--collect", action="store_true", help="keep going after a violation: one per property")
    search.add_argument("--por", action=argparse.BooleanOptionalAction, default=None, help=POR_HELP)

    output = parser.add_argument_group("output")
    output.add_argument(
        "--traces", default=DEFAULT_TRACES_DIR, metavar="DIR",
        help=f"where counterexample traces go (default ./{DEFAULT_TRACES_DIR}/, created on first trace)",
    )
    output.add_argument(
        "--strict", action="store_true",
        help="exit 1 when a sometimes property is never witnessed, 3 when the space was not exhausted",
    )
    output.add_argument("--json", action="store_true", help="print one JSON object on stdout instead of the table")
    output.add_argument("--junit", metavar="FILE", help="write a JUnit XML report")
    checkpoint_options.add_arguments(parser)
    diagnostics.add_arguments(parser.add_argument_group("diagnostics (docs/testing.md)"))
    portfolio_cli.add_arguments(parser)  # --world, --list-worlds, --portfolio (last: it tracks the others)


# -- configuration ---------------------------------------------------------------------


def config_from_args(args: argparse.Namespace) -> tuple[CheckConfig, set[str]]:
    """The CheckConfig the options describe, and the names of the options given."""
    from explorer.models import check_model_name, normalize_config
    from explorer.models.config import CheckConfig, Faults, parse_extra

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


def default_bounds(config: CheckConfig, strategy: str) -> DefaultBounds:
    """The bounds a check of ``config`` starts from (each replaced only by its own option)."""
    from explorer.models import PAXOS_MODELS, is_custom_model

    walks = DEFAULT_WALKS if strategy in ("random", "swarm") else None
    if is_custom_model(config.model):
        return DefaultBounds(max_states=DEFAULT_CUSTOM_BOUNDS.max_states, walks=walks)
    if config.model in PAXOS_MODELS:
        return DefaultBounds(PAXOS_DEFAULT_DEPTH, PAXOS_DEFAULT_MAX_STATES, walks)
    return DefaultBounds(walks=walks)  # tla-paxos is finite: its ballots bound it


def settings_from_args(args: argparse.Namespace, config: CheckConfig) -> SearchSettings:
    """SearchSettings from the options, with the model's default bounds filled in
    (explorer.cli.bounds: bounds combine, ``none`` lifts one)."""
    for option, value, least in (
        ("--depth", args.depth, 0),
        ("--max-states", args.max_states, 1),
        ("--max-memory", args.max_memory, 1),
        ("--seed", args.seed, 0),
        ("--walks", args.walks, 1),
        ("--workers", args.workers, 1),
    ):
        if isinstance(value, int) and value < least:
            raise ConfigError(f"{option} must be at least {least}, got {value}")
    if args.workers > MAX_WORKERS:
        # each worker is a process with its own queues: --workers 10000 ran out of file
        # descriptors with a traceback
        raise ConfigError(f"--workers must be at most {MAX_WORKERS}, got {args.workers}")
    if args.time_limit is not None and not args.time_limit > 0:
        raise ConfigError(f"--time-limit must be a positive number of seconds, got {args.time_limit}")
    check_backend(args.backend, args.address, args.strategy)
    if args.workers > 1 and args.strategy != "bfs" and args.backend == "local":
        raise ConfigError(
            f"--workers applies to --strategy bfs only, not {args.strategy} (--backend ray runs walks on workers)"
        )
    if args.por is True and args.strategy not in ("bfs", "dfs"):
        raise ConfigError(f"--por applies to --strategy bfs or dfs, not {args.strategy}")
    if args.walks is not None and args.strategy not in ("random", "swarm"):
        raise ConfigError(f"--walks applies to --strategy random or swarm, not {args.strategy}")
    defaults = default_bounds(config, args.strategy)
    return SearchSettings(
        strategy=args.strategy,
        max_depth=resolve(args.depth, defaults.max_depth),
        max_states=resolve(args.max_states, defaults.max_states),
        time_limit=args.time_limit,
        max_memory_mb=args.max_memory,
        seed=args.seed,
        walks=resolve(args.walks, defaults.walks),
        workers=args.workers,
        symmetry=config.symmetry,
        collect=bool(args.collect),
        backend=args.backend,
        address=args.address,
        por=bool(args.por),
    )


def resolve_por(
    args: argparse.Namespace, model: Model[Any, Any], settings: SearchSettings,
) -> tuple[SearchSettings, str | None]:
    """The settings with the reduction decided, and what to report when the default
    reduction does not apply (None: nothing to say). ``--por`` on a model that cannot be
    reduced is a ConfigError; without ``--por``/``--no-por`` the check reduces where the
    reduced search keeps the unreduced one's guarantee (explorer/engine/por_policy.py)."""
    from explorer.engine.por_policy import default_por, plan_reduction

    if args.por is True:
        reason = model.por_unavailable()
        if reason is not None:
            raise ConfigError(f"--por: {reason}")
        return dataclasses.replace(settings, por=True), None
    if args.por is False or not default_por() or settings.strategy not in ("bfs", "dfs"):
        return dataclasses.replace(settings, por=False), None  # (walks are never reduced)
    if getattr(args, "coverage", False):
        return dataclasses.replace(settings, por=False), "off: --coverage counts the unreduced search"
    settings, status = plan_reduction(model, settings, True)
    return settings, None if settings.por else status


def check_backend(backend: str, address: str | None, strategy: str = "bfs") -> None:
    """The backend options make sense together, and Ray is there if asked for."""
    if address is not None and backend != "ray":
        raise ConfigError("--address joins a Ray cluster: use it with --backend ray")
    if address == "":
        raise ConfigError("--address must not be empty")
    if backend == "ray":
        if strategy == "dfs":
            raise ConfigError("--strategy dfs runs in one process; --backend ray takes bfs, random or swarm")
        from explorer.engine.ray_backend.cluster import require_ray

        require_ray()


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
    # the trace would be lost after the search: try it. An unnamed O_TMPFILE file leaves
    # nothing behind whatever happens to us (even SIGKILL); where the filesystem has no
    # O_TMPFILE, an empty directory, created and removed with SIGINT/SIGTERM held back
    # (a signal in between left a .synod-probe-* directory beside the traces).
    try:
        if not _probe_with_tmpfile(directory):
            with signals.deferred():
                os.rmdir(tempfile.mkdtemp(prefix=".synod-probe-", dir=directory))
    except OSError as exc:
        raise ConfigError(f"{option} {path}: cannot write in {directory}: {exc.strerror or exc}") from None


def _probe_with_tmpfile(directory: Path) -> bool:
    """Open and close an unnamed file in ``directory``; False where O_TMPFILE is unknown
    (the platform or the filesystem), OSError where writing is refused."""
    flag = getattr(os, "O_TMPFILE", None)
    if flag is None:
        return False
    try:
        os.close(os.open(directory, flag | os.O_WRONLY, 0o600))
    except OSError as exc:
        if exc.errno in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL):
            return False
        raise
    return True


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
    """What we know when a signal arrives outside the engine's own interrupt handling."""
    from explorer.engine.results import SearchResult

    p = display.last
    return SearchResult(
        verdict="holds",
        complete=False,
        distinct_states=p.distinct_states if p else 0,
        generated=p.generated if p else 0,
        levels=p.depth + 1 if p else 0,
        elapsed_s=p.elapsed_s if p else 0.0,
        stopped_by="interrupted",
        walks=p.walks if p else 0,
    )


def symmetry_note(model: Model[Any, Any], config: CheckConfig) -> str | None:
    """What to say on stderr about ``--symmetry`` (None: nothing to say)."""
    if not config.symmetry:
        return None
    from explorer.engine.run import overrides

    has = getattr(model, "has_symmetry", None)  # ActorModel: a property
    found = bool(has() if callable(has) else has) if has is not None else overrides(model, "representative")
    if found:
        return None
    return (
        f"synod check: note: --symmetry changes nothing here: model {config.model} has no "
        "symmetry to exploit (the search and its counts are those without it)"
    )


def _save_traces(
    model: Model[Any, Any], config: CheckConfig, settings: SearchSettings, result: SearchResult, traces_dir: Path
) -> list[SavedViolation]:
    """Save a trace per violation; the verdict stands even if a trace cannot be saved."""
    from explorer.cli.report import SavedViolation
    from explorer.replay.trace import save_trace, trace_from_violation

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
    return saved


def _output_paths(args: argparse.Namespace) -> tuple[Path, Path | None]:
    """``--traces`` and ``--junit``, checked before any search (ConfigError)."""
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
    return traces_dir, junit


def _run_portfolio(args: argparse.Namespace) -> int:
    if args.checkpoint is not None or args.resume is not None:
        sys.stderr.write("synod check: --checkpoint and --resume apply to a check of one world, not the portfolio\n")
        return 2
    from explorer.cli.portfolio import main as portfolio_main

    return portfolio_main(args, _check_dir_writable, check_output_file)


def run(args: argparse.Namespace) -> int:
    if portfolio_cli.wants_portfolio(args):
        return _run_portfolio(args)
    from explorer.cli.console import StdoutConsole
    from explorer.cli.progress import ProgressDisplay
    from explorer.cli.report import CheckReport, PropertyInfo
    from explorer.engine.por_policy import WEAKER_NOTE, weaker_than_unreduced
    from explorer.engine.search import search
    from explorer.models import build_model
    from explorer.replay.trace import write_text_atomic

    try:
        config, _explicit = config_from_args(args)
        settings = settings_from_args(args, config)
        traces_dir, junit = _output_paths(args)
        model: Model[Any, Any] = build_model(config)
        settings, por_note = resolve_por(args, model, settings)
        extras = diagnostics.Diagnostics(args, settings)
        plan = checkpoint_options.plan_from_args(args, config, settings, model, _check_dir_writable)
        stop = extras.before_search(model, config)
    except ConfigError as exc:
        sys.stderr.write(f"synod check: {exc}\n")
        return 2
    if stop is not None:
        return stop
    note = symmetry_note(model, config)
    if note is not None:
        sys.stderr.write(note + "\n")

    properties = [PropertyInfo(p.name, p.kind, p.description) for p in model.properties()]
    title = f"synod check {config.model} ({config.variant}, {settings.strategy})"
    with ProgressDisplay(title=title) as display:
        try:
            result: SearchResult = search(extras.search_model(model), settings, progress=display, checkpoint=plan)
            if args.por is None and plan is None and settings.por and weaker_than_unreduced(result):
                settings, por_note = dataclasses.replace(settings, por=False), WEAKER_NOTE
                result = search(extras.search_model(model), settings, progress=display)
        except KeyboardInterrupt:
            result = _partial_result(display)
        except ConfigError as exc:  # what shows only when the search starts: a Ray cluster that cannot be joined
            display.__exit__(None, None, None)
            sys.stderr.write(f"synod check: {exc}\n")
            return 2
    interrupted = result.stopped_by == "interrupted"
    if por_note is not None:  # the default reduction did not apply: say why (report row, --json "por")
        result.extra["por"] = {"status": por_note}
    if note is not None:  # no symmetry to exploit: its (zero) figures mean nothing
        result.extra.pop("symmetry", None)

    saved = _save_traces(model, config, settings, result, traces_dir)
    checkpoint_options.note_checkpoint(plan, result)

    report = CheckReport(
        config=config,
        settings=settings,
        result=result,
        properties=properties,
        violations=saved,
        strict=bool(args.strict),
        interrupted=interrupted,
        interrupt_exit=signals.exit_code(),
        interrupt_label=signals.signal_label(),
    )
    if args.json:
        import json

        data = report.to_json()
        extras.add_json(data)
        sys.stdout.write(json.dumps(data, sort_keys=False) + "\n")
        for line in report.warnings():
            sys.stderr.write(line + "\n")
    else:
        report.print_summary(StdoutConsole())
        extras.print(StdoutConsole())
    if junit is not None:
        write_text_atomic(junit, report.to_junit())
    return report.exit_code


__all__ = ["add_arguments", "check_backend", "config_from_args", "run", "settings_from_args"]

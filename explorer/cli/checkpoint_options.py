"""``synod check --checkpoint DIR``, ``--resume DIR``, ``--checkpoint-every``: the options,
and the plan they make for the engine (explorer/engine/checkpoint.py; docs/checkpoint.md).

A checkpoint's *identity* is what must agree for a resume to end exactly where the
uninterrupted run would: every field of the configuration, the search bounds that decide
the counts (strategy, depth, state bound, symmetry, --collect, --por), and the code
version (the package version, a digest of the source of paxos_core, explorer and
checker and of a custom model's module, the Python version, the byte order); for random
walks and swarm also the seed and the number of walks. Time and
memory bounds may change between sessions: they decide when a session stops, not what
the search finds.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from explorer.engine.errors import ConfigError

if TYPE_CHECKING:
    from explorer.engine.checkpoint import CheckpointPlan
    from explorer.engine.model import Model
    from explorer.engine.results import SearchSettings
    from explorer.models.config import CheckConfig

__all__ = ["add_arguments", "parse_every", "plan_from_args"]

DEFAULT_EVERY = "5m"
#: the packages whose source the code version covers (a custom model's file is added)
CODE_PACKAGES = ("paxos_core", "explorer", "checker")

_EVERY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|levels?)?\s*$", re.IGNORECASE)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("checkpoints (bfs, also with --workers or on Ray; dfs; random; swarm; docs/checkpoint.md)")
    group.add_argument(
        "--checkpoint", metavar="DIR",
        help="write checkpoints into DIR: periodically, and when Ctrl-C, SIGTERM, --time-limit (or --max-memory where it stops) stops the search",
    )
    group.add_argument(
        "--resume", metavar="DIR",
        help="continue the checkpoint in DIR (give the same check options; it keeps checkpointing there)",
    )
    group.add_argument(
        "--checkpoint-every", metavar="EVERY",
        help=f"how often: seconds (300, 90s, 10m, 2h) or BFS levels (1level, 3levels); default {DEFAULT_EVERY}",
    )


def parse_every(text: str) -> tuple[float | None, int | None]:
    """(seconds, levels) of a ``--checkpoint-every`` value; ConfigError when it is neither."""
    match = _EVERY.match(text)
    if match is None or float(match.group(1)) <= 0:
        raise ConfigError(
            f"--checkpoint-every wants a positive time (300, 90s, 10m, 2h) or a number of levels (2levels), got {text!r}"
        )
    amount, unit = float(match.group(1)), (match.group(2) or "s").lower()
    if unit.startswith("level"):
        if not amount.is_integer():
            raise ConfigError(f"--checkpoint-every: a whole number of levels, got {text!r}")
        return None, int(amount)
    return amount * {"s": 1, "m": 60, "h": 3600}[unit], None


def identity(config: CheckConfig, settings: SearchSettings, model: Model[Any, Any]) -> dict[str, Any]:
    """What a resumed checkpoint must agree with (see the module docstring)."""
    from explorer.engine.checkpoint import source_digest

    data: dict[str, Any] = {f"--{k.replace('_', '-')}" if k != "model" else "--model": v for k, v in config.to_json().items()}
    data.update(
        {
            "--strategy": settings.strategy,
            "--depth": settings.max_depth,
            "--max-states": settings.max_states,
            "--collect": settings.collect,
            "--por": settings.por,
        }
    )
    if settings.strategy in ("random", "swarm"):
        from explorer.engine.walks import walk_limit

        # which walks are run: the seeds, and how many (the default count depends on
        # whether any other bound is given)
        limit = walk_limit(settings)
        data.update({"--seed": settings.seed, "--walks": "unbounded" if limit is None else limit})
    files: list[str] = []
    module = sys.modules.get(type(model).__module__)
    module_file = getattr(module, "__file__", None)
    if module_file and not type(model).__module__.startswith(CODE_PACKAGES):
        files.append(module_file)
    data["code"] = (
        f"synod-check {_version()}, source {source_digest(CODE_PACKAGES, files)}, "
        f"python {sys.version_info[0]}.{sys.version_info[1]}, {sys.byteorder}-endian"
    )
    return data


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("synod-check")
    except PackageNotFoundError:
        return "unknown"


def plan_from_args(
    args: argparse.Namespace,
    config: CheckConfig,
    settings: SearchSettings,
    model: Model[Any, Any],
    check_dir: Callable[[Path, str], None],
) -> CheckpointPlan | None:
    """The engine's plan for these options (None without --checkpoint and --resume); a
    resumed checkpoint is read and checked here, before anything runs."""
    from explorer.engine.checkpoint import (
        DEFAULT_EVERY_S,
        FILE_NAME,
        CheckpointPlan,
        read_checkpoint,
    )
    from explorer.engine.search import check_checkpointable, check_resumable

    if args.checkpoint is None and args.resume is None:
        if args.checkpoint_every is not None:
            raise ConfigError("--checkpoint-every applies with --checkpoint DIR or --resume DIR")
        return None
    for option, value in (("--checkpoint", args.checkpoint), ("--resume", args.resume)):
        if value == "":
            raise ConfigError(f"{option} must not be empty")
    check_checkpointable(settings)
    if getattr(args, "coverage", False):
        raise ConfigError("--coverage counts one session: it does not combine with --checkpoint or --resume")
    every_s, every_levels = parse_every(args.checkpoint_every) if args.checkpoint_every else (DEFAULT_EVERY_S, None)
    if every_levels is not None and settings.strategy != "bfs":
        raise ConfigError(
            f"--checkpoint-every in levels applies to --strategy bfs ({settings.strategy} has no levels: give a time)"
        )
    directory = Path(args.checkpoint if args.checkpoint is not None else args.resume)
    check_dir(directory, "--checkpoint" if args.checkpoint is not None else "--resume")
    ident = identity(config, settings, model)
    snapshot = read_checkpoint(Path(args.resume), ident) if args.resume is not None else None
    if snapshot is not None:
        check_resumable(settings, snapshot)
    if args.resume is None and (directory / FILE_NAME).exists():
        raise ConfigError(
            f"--checkpoint {directory} holds a checkpoint already: continue it with --resume {directory}, "
            f"or remove {directory / FILE_NAME}"
        )
    return CheckpointPlan(directory, ident, every_s=every_s, every_levels=every_levels, snapshot=snapshot)


def note_checkpoint(plan: CheckpointPlan | None, result: Any) -> None:
    """Say where the checkpoint is (``--json``: ``"checkpoint"``; on stderr when the
    search stopped before its end, with how to continue). Nothing without a plan."""
    if plan is None:
        return
    result.extra["checkpoint"] = {
        "directory": str(plan.directory),
        "written": plan.written,
        "failed": len(plan.errors),
        "resumed": plan.snapshot is not None,
    }
    if plan.errors:
        sys.stderr.write(
            f"synod check: {len(plan.errors)} checkpoint write(s) failed, the last: {plan.errors[-1]}\n"
        )
    if plan.written and result.stopped_by in ("interrupted", "time", "memory"):
        sys.stderr.write(
            f"synod check: checkpoint saved in {plan.directory}; continue with the same options and "
            f"--resume {plan.directory}\n"
        )

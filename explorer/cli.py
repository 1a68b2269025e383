"""The ``synod`` command line: one entry point, one subcommand per job.

Each subcommand lives in its own module exposing ``add_arguments(parser)`` and
``run(args) -> int``; this file only dispatches. Exit codes (DESIGN.md): 0 holds,
1 violated, 2 bad input or configuration (one line on stderr), 3 unknown, 130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from rich.console import Console

SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "check": ("explorer.cli_check", "model-check a protocol within bounds"),
    "replay": ("explorer.cli_replay", "re-run a saved counterexample trace and draw it"),
    "mutants": ("explorer.cli_mutants", "run the catalogue of seeded Paxos bugs"),
    "lin": ("checker.lin.cli", "check a client history for linearizability"),
    "prove": ("checker.prove.cli", "z3 proofs: quorum intersection, inductive invariants"),
}


class StdoutConsole(Console):
    """rich's Console for stdout, except that a reader who leaves (``synod check | head``)
    raises BrokenPipeError, which ``main`` reports as 141 like every other subcommand:
    rich's own handler exits 1, which reads as "violated"."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="synod", description="Paxos under a model checker.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue  # subcommand not built yet
        p = sub.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "_run", None) is None:
        parser.print_help()
        return 2
    try:
        code: int = args._run(args)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
    except BrokenPipeError:
        # `synod ... | head`: the reader left; say nothing more, as a Unix tool does.
        _silence_stdout()
        return 141  # 128 + SIGPIPE, what a shell reports for a command killed by a closed pipe
    return code


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())



if __name__ == "__main__":
    sys.exit(main())

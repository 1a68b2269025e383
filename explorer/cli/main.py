"""The ``synod`` command line: one entry point, one subcommand per job.

Each subcommand lives in its own module exposing ``add_arguments(parser)`` and
``run(args) -> int``; this file only dispatches. Exit codes (DESIGN.md): 0 holds,
1 violated, 2 bad input or configuration (one line on stderr), 3 unknown, 4 ``replay``
diverged, 130 interrupted (SIGINT), 143 terminated (SIGTERM).

Start-up is kept cheap and safe: the signal handlers go in before anything else, and
only the chosen subcommand's module is imported (``synod check`` never loads z3, which
only ``prove`` needs). :data:`SUBCOMMANDS` is the one place the modules are named.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from explorer.cli import signals

if TYPE_CHECKING:
    import argparse

# name -> (module with add_arguments/run, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "check": ("explorer.cli.check", "model-check a protocol within bounds"),
    "replay": ("explorer.cli.replay", "re-run a saved counterexample trace and draw it"),
    "explore": ("explorer.cli.explore", "walk a model's states or a saved trace in the browser"),
    "mutants": ("explorer.cli.mutants", "run the catalogue of seeded Paxos bugs"),
    "mutate": ("explorer.cli.mutate", "generate mutants of the protocol and measure the default check on them"),
    "lin": ("checker.lin.cli", "check a client history for linearizability"),
    "prove": ("checker.prove.cli", "z3 proofs: quorum intersection, inductive invariants"),
}


def import_subcommand(name: str) -> Any:
    """The module of subcommand ``name`` (imported now, on first use)."""
    import importlib

    return importlib.import_module(SUBCOMMANDS[name][0])


def chosen_command(argv: Sequence[str]) -> str | None:
    """The subcommand ``argv`` names: its first word that is not an option (the
    top-level parser's only options, --help and --version, take no value)."""
    for word in argv:
        if word == "--":
            return None
        if not word.startswith("-"):
            return word if word in SUBCOMMANDS else None
    return None


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser, with the full options of ``command`` only (every subcommand is
    listed; the others' modules are not imported)."""
    import argparse

    class Parser(argparse.ArgumentParser):
        """argparse, but a usage error is one line on stderr and exit 2."""

        def error(self, message: str) -> None:  # type: ignore[override]
            sys.stderr.write(f"{self.prog}: error: {message}\n")
            raise SystemExit(2)

    parser = Parser(prog="synod", description="Paxos under a model checker.")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name, (_module, help_text) in SUBCOMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name == command:
            module = import_subcommand(name)
            module.add_arguments(p)
            p.set_defaults(_run=module.run)
    return parser


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed_version

    try:
        return installed_version("synod-check")
    except PackageNotFoundError:
        return "0+unknown"


def main(argv: Sequence[str] | None = None) -> int:
    done = signals.install_for_main()  # first: a signal during start-up is an interrupt, not a traceback
    try:
        return _main(argv)
    finally:
        done(argv is None)


def _main(argv: Sequence[str] | None) -> int:
    try:
        args_list = list(sys.argv[1:] if argv is None else argv)
        parser = build_parser(chosen_command(args_list))
        args = parser.parse_args(args_list)
        if args.version:
            sys.stdout.write(f"synod {version()}\n")
            return 0
        if getattr(args, "_run", None) is None:
            parser.print_help()
            return 2
        code: int = args._run(args)
    except KeyboardInterrupt as exc:  # SIGINT, or SIGTERM (signals.Terminated)
        sys.stderr.write(f"synod: interrupted by {signals.signal_label(exc)}\n")
        return signals.exit_code(exc)
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

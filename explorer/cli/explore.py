"""``synod explore``: walk a model's states in the browser, or read a saved trace.

Takes every ``synod check`` option (the same parser: ``explorer.cli.check``) to say what
model to open, or ``--trace TRACE`` to open a saved counterexample (its configuration
comes from the file, so model options are refused beside it). Starts a local web server
(``explorer.explore.server``; 127.0.0.1 unless ``--host`` says otherwise), prints the
page's URL on the first line of stdout and serves until interrupted. ``--port 0`` (the
default) picks a free port. Search options other than ``--depth`` mean nothing here and
are ignored; ``--depth`` marks the actions beyond it.

Exit codes: 2 bad input (one line on stderr, before anything is served), 130 Ctrl-C,
143 SIGTERM.
"""

from __future__ import annotations

import argparse
import signal
import sys
import webbrowser
from types import FrameType

from explorer.cli import check
from explorer.explore.server import Explorer, ExploreServer, session_from_trace, state_url
from explorer.explore.session import Session
from explorer.models import build_model
from explorer.models.config import ConfigError
from explorer.replay.trace import TraceError, load_trace

DEFAULT_MODEL = "multipaxos"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    check.add_arguments(parser)
    parser.epilog = (
        "The 'what to check' options say which model to open, as for synod check. Of the "
        "search and output options only --depth means something here (actions beyond it are "
        "marked); the others are accepted and ignored. Prints the page's URL, then serves "
        "until Ctrl-C. See docs/explore.md."
    )
    group = parser.add_argument_group("explore")
    group.add_argument("--trace", metavar="TRACE", help="open a trace saved by synod check (walk it, branch off)")
    group.add_argument("--port", type=int, default=0, metavar="P", help="TCP port (default 0: a free one)")
    group.add_argument(
        "--host", default="127.0.0.1", metavar="ADDR",
        help="address to bind (default 127.0.0.1: this machine only)",
    )
    group.add_argument("--open", action="store_true", help="open the page in the default browser")
    group.add_argument("--verbose", action="store_true", help="log every request on stderr")


class _Terminated(Exception):
    pass


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise _Terminated()


def build_session(args: argparse.Namespace) -> Session:
    """The session the options describe; ConfigError or TraceError for bad input."""
    config, explicit = check.config_from_args(args)
    check.settings_from_args(args, config)  # the search options are checked as check does
    if args.trace is not None:
        if args.trace == "":
            raise TraceError("--trace must not be empty")
        given = sorted(
            explicit
            | ({"model"} if args.model != DEFAULT_MODEL else set())
            | ({"symmetry"} if args.symmetry else set())
        )
        if given:
            raise ConfigError(
                f"--trace carries its own configuration; drop --{', --'.join(g.replace('_', '-') for g in given)}"
            )
        return session_from_trace(load_trace(args.trace), args.trace)
    model = build_model(config)
    return Session(model, config, max_depth=args.depth, source=f"--model {config.model}")


def run(args: argparse.Namespace) -> int:
    try:
        if not 0 <= args.port <= 65535:
            raise ConfigError(f"--port must be 0..65535, got {args.port}")
        session = build_session(args)
        server = ExploreServer(Explorer([session]), host=args.host, port=args.port, verbose=args.verbose)
    except (ConfigError, TraceError, ValueError) as exc:
        sys.stderr.write(f"synod explore: {exc}\n")
        return 2
    except OSError as exc:  # the port is taken, the address is not ours
        sys.stderr.write(f"synod explore: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}\n")
        return 2
    if not server.loopback:
        sys.stderr.write(
            f"synod explore: warning: listening on {args.host}: anyone who can reach it can use "
            "the explorer (it has no authentication)\n"
        )
    url = server.url.rstrip("/") + state_url(session.id, [])
    sys.stdout.write(f"{url}\n")
    sys.stdout.write(f"synod explore: {session.model.name}; serving on {server.url} until Ctrl-C\n")
    sys.stdout.flush()
    if args.open:
        webbrowser.open(url)
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        server.serve_forever()
    except _Terminated:
        return 143
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.server_close()
    return 0


__all__ = ["add_arguments", "build_session", "run"]

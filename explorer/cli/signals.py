"""SIGINT and SIGTERM for every subcommand: both stop the work the same way.

``install`` runs first thing in ``main``, before any subcommand is imported, so there is
no start-up window in which a signal prints a traceback. Ctrl-C raises
``KeyboardInterrupt`` as Python always does; SIGTERM (what ``timeout``, CI runners and
``kill`` send) raises :class:`Terminated`, a ``KeyboardInterrupt`` subclass, so every
path that already stops cleanly on Ctrl-C (the search engine returns its partial result,
atomic writes remove their temporary file) stops cleanly on SIGTERM too, and the engine
needs to know nothing about it. :func:`exit_code` tells the two apart afterwards:
130 for SIGINT, 143 for SIGTERM (128 + the signal number, what a shell reports).

:func:`deferred` holds both signals back around a few system calls that must not be cut
in half (creating and removing a probe directory): the signal is delivered, and raises,
right after the block.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from contextlib import AbstractContextManager
from types import FrameType
from typing import Any

__all__ = ["Terminated", "deferred", "exit_code", "install", "install_for_main", "received", "signal_label"]

HANDLED = (signal.SIGINT, signal.SIGTERM)

_received: list[int] = []


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived: stop as on Ctrl-C, exit 143."""


def _on_signal(signum: int, frame: FrameType | None) -> None:
    _received.append(signum)
    if signum == signal.SIGTERM:
        raise Terminated()
    raise KeyboardInterrupt()


def install() -> None:
    """Handle SIGINT and SIGTERM from now on (in the main thread).

    A signal the process was started with ignored (``nohup``, a shell's background job)
    stays ignored: that is what whoever started us asked for.
    """
    _received.clear()  # a new run (main may be called again in one process)
    for signum in HANDLED:
        if signal.getsignal(signum) is not signal.SIG_IGN:
            signal.signal(signum, _on_signal)


def install_for_main() -> Callable[[bool], None]:
    """:func:`install`, and what to do once ``main`` is done: with ``finished_cli`` (the
    process is about to exit) ignore both signals, since one arriving during the
    interpreter's shutdown could only print a traceback (the report is out already);
    otherwise (``main`` called in-process, as tests do) put the old handlers back."""
    old: dict[int, Any] = {int(s): signal.getsignal(s) for s in HANDLED}
    install()

    def done(finished_cli: bool) -> None:
        for signum, handler in old.items():
            ignore = finished_cli and handler is not signal.SIG_IGN
            signal.signal(signum, signal.SIG_IGN if ignore else (handler if handler is not None else signal.SIG_DFL))

    return done


def received() -> int | None:
    """The last signal handled, or None."""
    return _received[-1] if _received else None


def exit_code(exc: BaseException | None = None) -> int:
    """130 after SIGINT (or a bare KeyboardInterrupt), 143 after SIGTERM."""
    if isinstance(exc, Terminated) or (exc is None and received() == signal.SIGTERM):
        return 128 + signal.SIGTERM
    return 128 + signal.SIGINT


def signal_label(exc: BaseException | None = None) -> str:
    """How the report names what stopped it."""
    return "SIGTERM" if exit_code(exc) == 128 + signal.SIGTERM else "Ctrl-C (SIGINT)"


def deferred() -> AbstractContextManager[None]:
    """Hold SIGINT and SIGTERM back inside the block; a pending one is delivered (and
    raises) as the block ends, after its clean-up has run (explorer.engine.interrupts)."""
    from explorer.engine.interrupts import held_signals  # not at start-up: it loads the engine

    return held_signals()

"""Holding SIGINT and SIGTERM back around a few steps that must not be cut in half.

Creating a temporary file and learning its name, writing a trace and renaming it into
place: a signal in between left a file (or a ``.synod-probe-*`` directory) behind.
:func:`held_signals` swaps in a handler that only notes the signal, and on leaving the
block puts the old handlers back and delivers what was noted to them (a Python handler
is called, which raises as usual; the default action is re-raised, which ends the
process): the block has then either wholly happened or, on an error, cleaned up.

Blocking with ``pthread_sigmask`` is not enough: it masks one thread only, and a
process with other threads (multiprocessing's queue feeders, rich's refresh) still gets
the signal, whose Python handler then runs in the main thread inside the block.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

__all__ = ["STOP_SIGNALS", "SignalLatch", "held_signals", "latched_signals"]

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextmanager
def held_signals() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the block ends (main thread only: elsewhere no
    Python handler can run anyway, so nothing is changed)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []

    def note(signum: int, frame: FrameType | None) -> None:
        pending.append(signum)

    old: dict[int, Any] = {int(s): signal.getsignal(s) for s in STOP_SIGNALS}
    for s, handler in old.items():
        if handler is not signal.SIG_IGN:
            signal.signal(s, note)
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler if handler is not None else signal.SIG_DFL)
        for signum in dict.fromkeys(pending):  # each signal once, in order
            handler = old[signum]
            if callable(handler):
                handler(signum, None)
            elif handler == signal.SIG_DFL:
                signal.raise_signal(signum)


class SignalLatch:
    """SIGINT and SIGTERM noted instead of raised, for a search that must stop where its
    state is whole (so that a checkpoint of it can be written): the search looks at
    :attr:`pending` between two expansions and calls :meth:`deliver` there."""

    def __init__(self) -> None:
        self.pending: list[int] = []  # a list: a cheap truth test in the hot loop
        self.old: dict[int, Any] = {}

    def note(self, signum: int, frame: FrameType | None) -> None:
        self.pending.append(signum)

    def restore(self) -> None:
        """Put the handlers back (idempotent)."""
        for s, handler in self.old.items():
            signal.signal(s, handler if handler is not None else signal.SIG_DFL)
        self.old = {}

    def deliver(self) -> None:
        """Put the handlers back and hand them the first signal noted: a Python handler
        raises (KeyboardInterrupt, or the CLI's subclass for SIGTERM), the default action
        ends the process. Nothing happens (the latch stays) when no signal is pending."""
        if not self.pending:
            return
        old = self.old
        self.restore()
        signum = self.pending[0]
        self.pending.clear()
        handler = old.get(signum, signal.default_int_handler if signum == signal.SIGINT else signal.SIG_DFL)
        if callable(handler):
            handler(signum, None)
        elif handler == signal.SIG_DFL:
            signal.raise_signal(signum)


@contextmanager
def latched_signals(active: bool = True) -> Iterator[SignalLatch]:
    """Inside the block SIGINT and SIGTERM only set ``latch.pending`` (when ``active`` and
    in the main thread; otherwise the latch stays empty and nothing changes). A signal
    still pending when the block ends is delivered then: none is ever lost."""
    latch = SignalLatch()
    if not active or threading.current_thread() is not threading.main_thread():
        yield latch
        return
    latch.old = {int(s): signal.getsignal(s) for s in STOP_SIGNALS}
    for s, handler in latch.old.items():
        if handler is not signal.SIG_IGN:
            signal.signal(s, latch.note)
    try:
        yield latch
    finally:
        if latch.pending:
            latch.deliver()
        else:
            latch.restore()

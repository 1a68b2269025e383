"""Live progress of a search: a rich panel on a terminal, plain periodic lines otherwise.

Progress always goes to stderr, so stdout stays clean for the summary table or the
``--json`` object. The search engine calls the display with a
:class:`~explorer.engine.results.Progress` snapshot whenever it likes; the display throttles.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import IO

from rich.console import Console
from rich.live import Live
from rich.table import Table

from explorer.engine.results import Progress


def describe_progress(p: Progress) -> str:
    """One plain line for logs and CI output."""
    walks = f", {p.walks:,} walks" if p.walks else ""
    workers = f" ({worker_text(p.worker_states)} per worker)" if p.worker_states else ""
    return (
        f"synod: {p.distinct_states:,} distinct states{workers}, depth {p.depth}, queue {p.queue:,}"
        f"{walks}, {p.states_per_s:,.0f} states/s, {p.memory_mb:,.0f} MB, "
        f"{p.elapsed_s:,.1f}s elapsed"
    )


def worker_text(states: tuple[int, ...]) -> str:
    """The distinct states each worker owns, e.g. ``12,001 / 11,873``."""
    return " / ".join(f"{n:,}" for n in states)


def progress_table(p: Progress, title: str = "") -> Table:
    table = Table(title=title or None, show_header=False, box=None, padding=(0, 2))
    table.add_column(style="bold cyan")
    table.add_column(justify="right")
    table.add_row("distinct states", f"{p.distinct_states:,}")
    if p.worker_states:
        table.add_row(f"  on {len(p.worker_states)} workers", worker_text(p.worker_states))
    table.add_row("generated", f"{p.generated:,}")
    table.add_row("depth", str(p.depth))
    table.add_row("queue", f"{p.queue:,}")
    if p.walks:
        table.add_row("walks", f"{p.walks:,}")
    table.add_row("states/s", f"{p.states_per_s:,.0f}")
    table.add_row("memory", f"{p.memory_mb:,.0f} MB")
    table.add_row("elapsed", f"{p.elapsed_s:,.1f} s")
    return table


class ProgressDisplay:
    """Callable progress sink, used as a context manager around the search.

    ``live=None`` picks the rich panel when ``stream`` is a terminal. ``interval`` is the
    minimum time between two plain lines.
    """

    def __init__(
        self,
        *,
        title: str = "",
        live: bool | None = None,
        stream: IO[str] | None = None,
        interval: float = 2.0,
        enabled: bool = True,
    ) -> None:
        self.stream: IO[str] = stream if stream is not None else sys.stderr
        self.title = title
        self.enabled = enabled
        is_tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.live_mode = enabled and (is_tty if live is None else live)
        self.interval = interval
        self.last: Progress | None = None
        self._last_line = 0.0
        self._live: Live | None = None

    def __enter__(self) -> ProgressDisplay:
        if self.live_mode:
            console = Console(file=self.stream)
            self._live = Live(console=console, refresh_per_second=4, transient=True)
            self._live.__enter__()
        self._last_line = time.monotonic()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._live is not None:
            self._live.__exit__(exc_type, exc, tb)
            self._live = None

    def __call__(self, progress: Progress) -> None:
        self.last = progress
        if not self.enabled:
            return
        if self._live is not None:
            self._live.update(progress_table(progress, self.title))
            return
        now = time.monotonic()
        if now - self._last_line >= self.interval:
            self._last_line = now
            self.stream.write(describe_progress(progress) + "\n")
            self.stream.flush()

"""The console every subcommand prints its report on."""

from __future__ import annotations

from rich.console import Console


class StdoutConsole(Console):
    """rich's Console for stdout, except that a reader who leaves (``synod check | head``)
    raises BrokenPipeError, which ``main`` reports as 141 like every other subcommand:
    rich's own handler exits 1, which reads as "violated"."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError

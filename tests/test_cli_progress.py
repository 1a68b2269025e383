"""Progress display: plain lines off a terminal, the rich panel on one."""

from __future__ import annotations

import io

from explorer.cli.progress import ProgressDisplay, describe_progress
from explorer.engine.results import Progress

SNAPSHOT = Progress(
    distinct_states=12345, generated=40000, depth=7, queue=321, elapsed_s=2.5,
    states_per_s=4938.0, memory_mb=51.2, walks=0,
)


def test_plain_lines_carry_every_figure() -> None:
    line = describe_progress(SNAPSHOT)
    for part in ("12,345 distinct states", "depth 7", "queue 321", "4,938 states/s", "51 MB", "2.5s elapsed"):
        assert part in line


def test_plain_mode_writes_lines_and_keeps_the_last_snapshot() -> None:
    stream = io.StringIO()
    with ProgressDisplay(stream=stream, live=False, interval=0.0) as display:
        display(SNAPSHOT)
        display(SNAPSHOT)
    assert stream.getvalue().count("\n") == 2
    assert display.last == SNAPSHOT


def test_plain_mode_throttles() -> None:
    stream = io.StringIO()
    with ProgressDisplay(stream=stream, live=False, interval=3600.0) as display:
        display(SNAPSHOT)
    assert stream.getvalue() == ""


def test_live_mode_renders_the_panel() -> None:
    stream = io.StringIO()
    with ProgressDisplay(stream=stream, live=True, title="check") as display:
        assert display.live_mode
        display(SNAPSHOT)
    assert display.last == SNAPSHOT


def test_non_tty_stream_defaults_to_plain() -> None:
    assert not ProgressDisplay(stream=io.StringIO()).live_mode

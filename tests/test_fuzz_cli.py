"""Fuzzing every input surface of ``synod`` (issue 12): traces, histories in each format,
``synod check`` option values and ``synod prove quorums`` specs.

In-process through ``explorer.cli.main.main`` (a subprocess per input would cost most of
the time budget in interpreter start-up); bench/fuzz_cli.py runs >= 10,000 of the same
inputs as real subprocesses. The rule (tests/fuzz_inputs.py): a documented exit code;
exit 2 is one line on stderr, nothing on stdout, no file written; never an exception out
of ``main`` (which a real process would print as a traceback).
"""

from __future__ import annotations

import os
import random
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from explorer.cli import main
from tests.fuzz_inputs import SURFACES, judge, snapshot

EXAMPLES = {"replay": 60, "lin": 60, "check": 40, "prove": 30, "explore": 30, "mutants": 12}


@pytest.fixture
def restore_signals() -> Iterator[None]:
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    yield
    for s, handler in saved.items():
        signal.signal(s, handler)


def run_in_process(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse: usage errors (exit 2)
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def no_serving(monkeypatch: pytest.MonkeyPatch) -> None:
    """``synod explore`` on a valid input returns instead of serving (as in the bench)."""
    from explorer.explore.server import ExploreServer

    monkeypatch.setattr(ExploreServer, "serve_forever", lambda self, *a, **k: None)


@pytest.mark.parametrize("surface", sorted(SURFACES))
def test_no_input_makes_a_traceback_or_a_file(
    surface: str, capsys: pytest.CaptureFixture[str], restore_signals: None, no_serving: None
) -> None:
    @settings(
        max_examples=EXAMPLES[surface], deadline=None, database=None, derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(st.randoms(use_true_random=False))
    def one(rng: random.Random) -> None:
        with tempfile.TemporaryDirectory() as scratch:
            work = Path(scratch)
            argv = SURFACES[surface](rng, work)
            before = snapshot(work)
            cwd = os.getcwd()
            os.chdir(work)
            try:
                code, out, err = run_in_process(argv, capsys)
            finally:
                os.chdir(cwd)
            verdict = judge(argv[0], code, out, err, before, snapshot(work))
            assert verdict.ok, (argv[:12], code, err[-600:], verdict)

    one()

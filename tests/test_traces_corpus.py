"""Replays every counterexample in traces/: each must still reproduce its violation.

The corpus holds the shortest counterexample of each seeded bug, written by
``synod mutants --traces traces`` through the normal trace path. A change that blinds a
property (or changes the model so a path no longer exists) fails here.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from explorer.models import build_model
from explorer.mutants import CATALOGUE
from explorer.replay.reproduce import replay_trace
from explorer.replay.trace import Trace, load_trace

ROOT = Path(__file__).resolve().parent.parent
TRACES = sorted((ROOT / "traces").glob("*.json"))


def _load(path: Path) -> Trace:
    return load_trace(path)


def test_corpus_has_one_trace_per_mutant() -> None:
    by_variant: dict[str, list[Trace]] = {}
    for path in TRACES:
        trace = _load(path)
        by_variant.setdefault(trace.config.variant, []).append(trace)
    for case in CATALOGUE:
        traces = by_variant.get(case.variant, [])
        assert len(traces) == 1, f"traces/ should hold exactly one trace of {case.variant}"
        assert traces[0].property_name == case.expected_property
        assert traces[0].config == case.config
    assert "correct" not in by_variant


@pytest.mark.parametrize("path", TRACES, ids=lambda p: p.stem)
def test_trace_reproduces(path: Path) -> None:
    trace = _load(path)
    outcome = replay_trace(build_model(trace.config), trace)
    assert outcome.status == "reproduced", outcome.detail
    assert outcome.fail_step == trace.step
    assert outcome.fingerprint == trace.final_fingerprint


@pytest.mark.parametrize("path", TRACES, ids=lambda p: p.stem)
def test_correct_protocol_does_not_reproduce(path: Path) -> None:
    # The same actions under the correct protocol either pass or cannot be replayed:
    # the violation is the mutant's doing, not the checker's.
    trace = _load(path)
    correct = dataclasses.replace(trace.config, variant="correct")
    outcome = replay_trace(build_model(correct), dataclasses.replace(trace, config=correct))
    assert outcome.status != "reproduced", outcome.detail


def test_synod_replay_reproduces_a_corpus_trace() -> None:
    assert TRACES, "traces/ is empty: run synod mutants --traces traces"
    proc = subprocess.run(
        [sys.executable, "-m", "explorer", "replay", str(TRACES[0])],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "reproduced" in proc.stdout.lower()

"""Checking examples/two_phase_commit.py from pytest: a runnable example of docs/testing.md.

    pip install 'synod-check[hypothesis]'
    pytest examples/test_two_phase_commit.py      # from the repository root

Three ways in, from cheapest to strongest:

- ``runs``: Hypothesis draws runs (sequences of enabled actions) and the test asserts on
  each; a failure shrinks, and ``assert_properties`` saves it as a trace;
- ``assert_holds``: a bounded exhaustive check, failing with the counterexample as a
  sequence diagram and the path of its trace;
- ``sanitize=True``: the determinism sanitizer first.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from explorer.models import build_model
from explorer.models.config import CheckConfig, Faults
from explorer.testing import Run, assert_holds, runs

MODEL = "examples.two_phase_commit:Model"
FIXED = CheckConfig(model=MODEL, variant="fixed", faults=Faults(drop=1, crash=1))
fixed_model = build_model(FIXED)


@settings(max_examples=200, deadline=None)
@given(runs(fixed_model, max_steps=15, budgets={"crash": 1}, weights={"deliver": 3}))
def test_fixed_protocol_never_mixes_commit_and_abort(run: Run) -> None:
    # every always property on every state of the run, the final ones at its end;
    # a failure raises with the diagram and saves synod-traces/...-run.json
    run.assert_properties(traces="synod-traces", config=FIXED)
    # and anything else about the run, in plain Python:
    outcomes = {fixed_model.actor_state(run.final, p) for p in (1, 2, 3)}
    assert not {"committed", "aborted"} <= outcomes


def test_fixed_protocol_holds_exhaustively() -> None:
    result = assert_holds(MODEL, variant="fixed", sanitize=True, max_states=50_000)
    assert result.complete


def test_buggy_protocol_fails_with_a_diagram_and_a_trace(tmp_path: object) -> None:
    with pytest.raises(AssertionError) as failure:
        assert_holds(MODEL, variant="buggy", traces=str(tmp_path))
    message = str(failure.value)
    assert "always property 'atomicity' violated after 6 steps" in message
    assert "synod replay" in message

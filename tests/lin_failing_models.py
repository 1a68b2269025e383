"""Lin models whose own code fails, each in its own way (tests/test_lin_model_failures.py
and the fuzz inputs load them with ``synod lin --model tests.lin_failing_models:NAME``).

A counter whose step divides by zero on its third increment (mid-search, after steps
that worked), and variants that break the model contract in the other ways a model can.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from checker.lin import UNKNOWN, LinModel


def step(state: Any, inp: tuple[Any, ...], out: Any) -> Sequence[Any]:
    if inp[0] == "inc":
        if state == 2:
            return (1 // 0,)
        return (state + 1,)
    if inp[0] == "read":
        return (state,) if out is UNKNOWN or out == state else ()
    return ()


def _missing() -> Any:
    return {}["missing"]


def _bad_state(state: Any) -> str:
    raise RuntimeError("cannot\ndescribe")


def factory(init: Any) -> LinModel:
    raise ValueError(f"no model for {init}")


divides = LinModel("divides", init=lambda: 0, step=step)
unhashable = LinModel("unhashable", init=lambda: 0, step=lambda s, i, o: ([s],))
not_a_sequence = LinModel("not-a-sequence", init=lambda: 0, step=lambda s, i, o: None)  # type: ignore[arg-type,return-value]
init_fails = LinModel("init-fails", init=_missing, step=step)
describes_badly = LinModel("describes-badly", init=lambda: 0, step=step, describe_state=_bad_state)

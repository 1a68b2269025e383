"""Re-running a saved trace: rebuild each step by its label and see whether the same
property fails at the same step ("reproduced"), no longer fails ("passes"), or the run
cannot follow the trace ("diverged")."""

from __future__ import annotations

import itertools
import sys
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any, Literal

from explorer.engine.model import Model, Property
from explorer.replay.trace import Trace, state_fingerprint

ReplayStatus = Literal["reproduced", "passes", "diverged"]


@dataclass
class ReplayOutcome:
    """What re-running a trace did.

    ``states[i]`` is the state before ``actions[i]``; on divergence the lists stop where
    the run could not go on.
    """

    status: ReplayStatus
    states: list[Hashable]
    actions: list[Hashable]
    fail_step: int | None = None  # step at which the property failed (reproduced)
    diverged_at: int | None = None  # 1-based step whose action could not be replayed
    wanted: str | None = None
    enabled: list[str] = field(default_factory=list)
    detail: str = ""
    fingerprint: str = ""  # of the last state reached

    @property
    def exit_code(self) -> int:
        """1 reproduced, 0 now passes, 4 diverged (the trace no longer fits the model)."""
        return EXIT_CODES[self.status]


EXIT_CODES: dict[str, int] = {"reproduced": 1, "passes": 0, "diverged": 4}


def _find_property(model: Model[Any, Any], name: str) -> Property[Any] | None:
    return next((p for p in model.properties() if p.name == name), None)


def trace_mismatch(model: Model[Any, Any], trace: Trace) -> str | None:
    """Why ``trace`` cannot be replayed on ``model`` at all (None if it can be tried).

    A trace that names a property the model does not have (or has with another kind),
    or an initial state it does not have, was not made by this model: the trace is
    wrong for it, which ``synod replay`` reports as bad input (exit 2), not as a run
    that diverged.
    """
    prop = _find_property(model, trace.property_name)
    if prop is None:
        names = ", ".join(p.name for p in model.properties()) or "none"
        return f"the model has no property {trace.property_name!r} (it has: {names})"
    if prop.kind != trace.property_kind:
        return (
            f"the trace's property {trace.property_name!r} is {trace.property_kind!r}, "
            f"the model's is {prop.kind!r}"
        )
    # islice takes no stop past sys.maxsize; a trace may claim any index (the fuzz
    # found 2**70: a ValueError traceback)
    inits = sum(1 for _ in itertools.islice(model.init_states(), min(trace.init + 1, sys.maxsize)))
    if trace.init >= inits:
        return f"the model has {inits} initial state(s), the trace starts from #{trace.init}"
    return None


def replay_trace(model: Model[Any, Any], trace: Trace) -> ReplayOutcome:
    """Re-run ``trace`` on ``model`` one action at a time, re-finding each by label.

    A trace that :func:`trace_mismatch` rejects comes back "diverged" at step 0.
    """
    mismatch = trace_mismatch(model, trace)
    if mismatch is not None:
        return ReplayOutcome("diverged", [], [], diverged_at=0, detail=mismatch)
    state = list(model.init_states())[trace.init]
    states: list[Hashable] = [state]
    actions: list[Hashable] = []
    prop = _find_property(model, trace.property_name)
    assert prop is not None  # trace_mismatch checked
    # An invariant checked on every state: failing before the recorded step means the
    # run no longer matches the trace, even though the property still breaks.
    checks_every_state = prop.kind == "always"
    total = len(trace.actions)
    for step, label in enumerate(trace.actions, start=1):
        if checks_every_state and not prop.condition(state):
            return ReplayOutcome(
                "diverged", states, actions, fail_step=step - 1, diverged_at=step - 1,
                detail=f"{prop.name} fails already at step {step - 1}, the trace says step {total}",
                fingerprint=state_fingerprint(state),
            )
        enabled = list(model.actions(state))
        by_label = {model.format_action(a): a for a in enabled}
        if label not in by_label:
            return ReplayOutcome(
                "diverged", states, actions, diverged_at=step, wanted=label,
                enabled=sorted(by_label),
                detail=f"action {label!r} is not enabled at step {step}",
                fingerprint=state_fingerprint(state),
            )
        action = by_label[label]
        successor = model.next_state(state, action)
        if successor is None:
            return ReplayOutcome(
                "diverged", states, actions, diverged_at=step, wanted=label,
                enabled=sorted(by_label),
                detail=f"action {label!r} leads nowhere at step {step}",
                fingerprint=state_fingerprint(state),
            )
        state = successor
        actions.append(action)
        states.append(state)
    fingerprint = state_fingerprint(state)
    if prop.condition(state):
        return ReplayOutcome(
            "passes", states, actions,
            detail=f"{prop.name} holds after all {total} steps",
            fingerprint=fingerprint,
        )
    detail = f"{prop.name} fails at step {total}, as recorded"
    if trace.final_fingerprint and fingerprint != trace.final_fingerprint:
        detail += (
            f" (note: final state fingerprint {fingerprint} differs from the recorded "
            f"{trace.final_fingerprint}; the model's state shape changed)"
        )
    return ReplayOutcome("reproduced", states, actions, fail_step=total, detail=detail,
                         fingerprint=fingerprint)

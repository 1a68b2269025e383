"""Re-executing labelled actions, and shrinking counterexamples by delta debugging.

Traces store actions by label (``model.format_action``). :func:`replay_actions`
re-executes such a list from an initial state, re-finding each action by its label
among the actions enabled at that step. :func:`shrink` minimises a counterexample
(typically a long random walk) with Zeller's ddmin over its action list: a candidate
sub-list is replayed, skipping actions that are not enabled where they now fall, and
kept when the same property still fails.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

from explorer.engine.model import Model, Property
from explorer.engine.results import Violation

__all__ = ["find_action", "first_failure", "replay_actions", "shrink"]

#: at most this many candidate replays per shrink (each is one re-execution)
MAX_SHRINK_TESTS = 3000


def find_action(model: Model[Any, Any], state: Any, label: str) -> tuple[Hashable, Any] | None:
    """The enabled action labelled ``label`` in ``state`` and its successor, or None."""
    for action in model.actions(state):
        if model.format_action(action) == label:
            nxt = model.next_state(state, action)
            if nxt is not None:
                return action, nxt
    return None


def replay_actions(
    model: Model[Any, Any],
    labels: Sequence[str],
    init_index: int = 0,
) -> tuple[list[Any], list[Hashable], int | None]:
    """Re-execute labelled actions from the ``init_index``-th initial state.

    Returns ``(states, actions, first_bad_index)``: the states visited (the initial state
    first, so ``len(states) == len(actions) + 1``), the actions applied, and the index in
    ``labels`` of the first label that names no enabled action at its step (the replay
    stops there), or None when every label was applied. Properties are not checked here:
    use :func:`first_failure` on the states.
    """
    state = model.init_states()[init_index]
    states: list[Any] = [state]
    actions: list[Hashable] = []
    for i, label in enumerate(labels):
        found = find_action(model, state, label)
        if found is None:
            return states, actions, i
        action, state = found
        actions.append(action)
        states.append(state)
    return states, actions, None


def _is_run_end(model: Model[Any, Any], state: Any) -> bool:
    if not model.within_boundary(state):
        return True
    return next(iter(model.successors(state)), None) is None


def first_failure(
    model: Model[Any, Any],
    states: Sequence[Any],
    max_depth: int | None = None,
) -> tuple[Property[Any], int] | None:
    """The first property that fails along a path, and the index of the state where.

    ``always`` properties are checked on every state; ``final`` properties on the last
    state when the run ends there (no enabled successor, outside the boundary, or
    ``len(states) - 1 == max_depth``).
    """
    props = list(model.properties())
    always = [p for p in props if p.kind == "always"]
    for i, state in enumerate(states):
        for prop in always:
            if not prop.condition(state):
                return prop, i
    final = [p for p in props if p.kind == "final"]
    if final and states:
        last = states[-1]
        at_bound = max_depth is not None and len(states) - 1 >= max_depth
        if at_bound or _is_run_end(model, last):
            for prop in final:
                if not prop.condition(last):
                    return prop, len(states) - 1
    return None


def shrink(
    model: Model[Any, Any],
    violation: Violation,
    max_depth: int | None = None,
    max_tests: int = MAX_SHRINK_TESTS,
) -> Violation:
    """A counterexample no longer than ``violation`` for the same property (ddmin).

    For an ``always`` property the shrunk path ends at the first state where it fails.
    For a ``final`` property the shrunk path must end where a run ends (no enabled
    action, outside the boundary); when the original ended at the depth bound, any path
    of at most ``max_depth`` steps whose last state fails the property is accepted too.
    """
    name = violation.property_name
    prop = next((p for p in model.properties() if p.name == name), None)
    if prop is None:
        return violation
    init = model.init_states()[violation.init_index]
    lenient_final = prop.kind == "final" and (
        not violation.states or not _is_run_end(model, violation.states[-1])
    )
    tests = 0

    def attempt(labels: Sequence[str]) -> tuple[list[str], list[Any], list[Hashable]] | None:
        """Replay ``labels`` leniently; the executed path if it still shows the failure."""
        nonlocal tests
        tests += 1
        state = init
        states: list[Any] = [state]
        actions: list[Hashable] = []
        done: list[str] = []
        if prop.kind == "always" and not prop.condition(state):
            return done, states, actions
        for label in labels:
            found = find_action(model, state, label)
            if found is None:
                continue  # not enabled here any more: skip it
            action, state = found
            actions.append(action)
            states.append(state)
            done.append(label)
            if prop.kind == "always" and not prop.condition(state):
                return done, states, actions
        if prop.kind == "final" and not prop.condition(state):
            if _is_run_end(model, state) or (
                lenient_final and (max_depth is None or len(actions) <= max_depth)
            ):
                return done, states, actions
        return None

    labels = [model.format_action(a) for a in violation.actions]
    best = attempt(labels)
    if best is None:
        return violation  # does not reproduce by labels: keep the original
    current = best[0]
    n = 2
    while len(current) >= 2 and tests < max_tests:
        chunk = -(-len(current) // n)
        reduced = False
        for start in range(0, len(current), chunk):
            if tests >= max_tests:
                break
            candidate = current[:start] + current[start + chunk :]
            found = attempt(candidate)
            if found is not None and len(found[0]) < len(current):
                best, current = found, found[0]
                n = max(n - 1, 2)
                reduced = True
                break
        if not reduced:
            if n >= len(current):
                break
            n = min(len(current), n * 2)
    # one more attempt from nothing (an initial state may already fail)
    if current:
        found = attempt([])
        if found is not None:
            best = found
    _, states, actions = best
    return Violation(violation.property_name, violation.kind, actions, states, violation.init_index)

"""Small models for the CLI and trace tests, loaded as ``--model tests.test_cli_toy_models:Name``.

``Counter`` counts x and y up to ``--nodes``; its variants switch the properties so each
CLI path has a model that takes it:

- ``correct``: everything holds;
- ``bug``: the invariant ``x_small`` breaks once x reaches 2 (same actions as correct,
  so a ``bug`` trace replayed with ``correct`` "now passes");
- ``vacuous``: a ``sometimes`` property that is never witnessed;
- ``final-bug``: a ``final`` property that breaks in the run's last state;
- ``two-bugs``: both ``bug`` and ``final-bug`` (for ``--collect``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from explorer.engine.model import Model, Property
from explorer.models import build_model
from explorer.models.config import CheckConfig

CounterState = tuple[int, int]


class Counter(Model[CounterState, str]):
    VARIANTS = ("correct", "bug", "vacuous", "final-bug", "two-bugs")
    name = "counter"

    def __init__(self, config: CheckConfig) -> None:
        self.bound = config.nodes
        self.variant = config.variant

    def init_states(self) -> Sequence[CounterState]:
        return [(0, 0)]

    def actions(self, state: CounterState) -> list[str]:
        x, y = state
        return [a for a, ok in (("inc x", x < self.bound), ("inc y", y < self.bound)) if ok]

    def next_state(self, state: CounterState, action: str) -> CounterState | None:
        x, y = state
        return (x + 1, y) if action == "inc x" else (x, y + 1)

    def format_action(self, action: str) -> str:
        return action

    def properties(self) -> Sequence[Property[CounterState]]:
        limit = 2 if self.variant in ("bug", "two-bugs") else self.bound + 1
        props: list[Property[CounterState]] = [
            Property.always("x_small", lambda s: s[0] < limit, "x stays below its limit"),
            Property.sometimes("y_reaches_bound", lambda s: s[1] == self.bound),
        ]
        if self.variant == "vacuous":
            props.append(Property.sometimes("never", lambda s: False, "cannot happen"))
        if self.variant in ("final-bug", "two-bugs"):
            props.append(Property.final("unbalanced_end", lambda s: s[0] != s[1]))
        return props

    def history(self, state: CounterState) -> list[dict[str, Any]]:
        return [{"x": state[0], "y": state[1]}]


class Interrupting(Counter):
    """A Counter whose exploration is cut short by Ctrl-C (raised after a few expansions)."""

    VARIANTS = ("correct",)

    def __init__(self, config: CheckConfig) -> None:
        super().__init__(config)
        self.calls = 0

    def actions(self, state: CounterState) -> list[str]:
        self.calls += 1
        if self.calls > 5:
            raise KeyboardInterrupt
        return super().actions(state)


def zero_argument_factory() -> Counter:
    return Counter(CheckConfig(model="tests.test_cli_toy_models:zero_argument_factory"))


def not_a_model() -> int:
    return 42


NOT_CALLABLE = 3


def test_counter_variants_build_through_the_registry() -> None:
    base = "tests.test_cli_toy_models:Counter"
    model = build_model(CheckConfig(model=base, variant="bug"))
    assert [p.name for p in model.properties()] == ["x_small", "y_reaches_bound"]
    assert list(model.actions((0, 0))) == ["inc x", "inc y"]
    assert model.next_state((0, 0), "inc x") == (1, 0)

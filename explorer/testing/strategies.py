"""A Hypothesis strategy drawing runs of any model.

``runs(model, max_steps=40)`` draws a :class:`~explorer.testing.run.Run`: first a
length, then at each step one of the enabled successors, by index. Hypothesis shrinks a
failing run by shortening it and lowering the indices (towards each state's first
enabled action), and its example database replays it, because every choice is an
integer draw. Parameters:

- ``budgets``: ``{action kind: n}``, at most ``n`` actions of that kind per run (e.g.
  ``{"crash": 1, "drop": 2}``); kinds not named are unlimited. They come on top of the
  model's own fault budgets.
- ``weights``: ``{action kind: w}``, integer weights (default 1; 0 leaves the kind out):
  an action of weight 3 is three times as likely as one of weight 1.

Kinds are ``model.action_kind(action)`` (for actor models: deliver, drop, dup, timer,
crash, restart, partition, heal). A run ends early where nothing is enabled or the
state is outside the model's boundary.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

try:
    from hypothesis import strategies as st
except ImportError as exc:  # the one module of explorer that needs it
    raise ImportError(
        "explorer.testing.runs needs Hypothesis: pip install 'synod-check[hypothesis]'"
    ) from exc

from explorer.engine.model import Model
from explorer.testing.run import Run


def _check(name: str, table: Mapping[str, int] | None) -> dict[str, int]:
    out = dict(table or {})
    for kind, n in out.items():
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise ValueError(f"{name}[{kind!r}] must be an int >= 0, got {n!r}")
    return out


def runs(
    model: Model[Any, Any],
    *,
    max_steps: int = 20,
    min_steps: int = 0,
    budgets: Mapping[str, int] | None = None,
    weights: Mapping[str, int] | None = None,
) -> st.SearchStrategy[Run]:
    """Runs of ``model`` of ``min_steps..max_steps`` actions (see the module docstring)."""
    if not 0 <= min_steps <= max_steps:
        raise ValueError(f"want 0 <= min_steps <= max_steps, got {min_steps} and {max_steps}")
    limits = _check("budgets", budgets)
    weight_of = _check("weights", weights)
    inits = list(model.init_states())
    if not inits:
        raise ValueError(f"model {model.name!r} has no initial state")

    @st.composite
    def draw_run(draw: st.DrawFn) -> Run:
        steps = draw(st.integers(min_steps, max_steps))
        init = draw(st.integers(0, len(inits) - 1)) if len(inits) > 1 else 0
        state = inits[init]
        states: list[Hashable] = [state]
        actions: list[Hashable] = []
        used: dict[str, int] = {}
        while len(actions) < steps and model.within_boundary(state):
            slots: list[tuple[int, Hashable, Hashable, str]] = []  # (cumulative weight, ...)
            total = 0
            for action, nxt in model.successors(state):
                kind = model.action_kind(action)
                w = weight_of.get(kind, 1)
                if w and used.get(kind, 0) < limits.get(kind, steps + 1):
                    total += w
                    slots.append((total, action, nxt, kind))
            if not slots:
                break
            pick = draw(st.integers(0, total - 1))
            _, action, state, kind = next(s for s in slots if pick < s[0])
            used[kind] = used.get(kind, 0) + 1
            actions.append(action)
            states.append(state)
        return Run(model, init, tuple(states), tuple(actions))

    return draw_run()

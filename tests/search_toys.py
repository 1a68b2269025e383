"""Small models for the search-engine tests."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from explorer.engine.model import Model, Property

Grid = tuple[int, int]


class GridModel(Model[Grid, str]):
    """Two counters 0..n, each step increments one: (n+1)^2 states, level k has k+1.

    ``bad`` (an always property that fails in that state) and ``finals`` (final
    properties) are test knobs; ``symmetric`` makes (x, y) and (y, x) one class.
    """

    name = "grid"

    def __init__(
        self,
        n: int = 4,
        bad: Grid | None = None,
        final_ok: Callable[[Grid], bool] | None = None,
        boundary: int | None = None,
        sometimes: Callable[[Grid], bool] | None = None,
        symmetric_bad: bool = False,
    ) -> None:
        self.symmetric_bad = symmetric_bad
        self.n = n
        self.bad = bad
        self.final_ok = final_ok
        self.boundary = boundary
        self.sometimes = sometimes

    def init_states(self) -> Sequence[Grid]:
        return [(0, 0)]

    def actions(self, state: Grid) -> Iterable[str]:
        return ["x+1", "y+1"]

    def next_state(self, state: Grid, action: str) -> Grid | None:
        x, y = state
        if action == "x+1":
            return (x + 1, y) if x < self.n else None
        return (x, y + 1) if y < self.n else None

    def properties(self) -> Sequence[Property[Grid]]:
        props: list[Property[Grid]] = []
        if self.bad is not None:
            bad = self.bad
            if self.symmetric_bad:  # invariant under swapping x and y, as symmetry needs
                props.append(Property.always("not-bad", lambda s: bad not in (s, s[::-1])))
            else:
                props.append(Property.always("not-bad", lambda s: s != bad))
        if self.final_ok is not None:
            props.append(Property.final("final-ok", self.final_ok))
        if self.sometimes is not None:
            props.append(Property.sometimes("sometimes", self.sometimes))
        return props

    def within_boundary(self, state: Grid) -> bool:
        return self.boundary is None or state[0] + state[1] <= self.boundary

    def representative(self, state: Grid) -> Grid:
        return (min(state), max(state))

    def format_action(self, action: str) -> str:
        return action


class KeyedGridModel(GridModel):
    """:class:`GridModel` with keyed successors: fingerprints first, a state built only
    when the engine asks (``next_state``). ``built`` counts the builds in every process
    (shared memory: the workers are forked), so a test can tell that only new states were."""

    def __init__(self, n: int = 4, **knobs: Any) -> None:
        import multiprocessing

        super().__init__(n, **knobs)
        self.built = multiprocessing.get_context("fork").Value("q", 0)

    def next_state(self, state: Grid, action: str) -> Grid | None:
        with self.built.get_lock():
            self.built.value += 1
        return super().next_state(state, action)

    def keyed_successors(self, state: Grid, symmetry: bool) -> Iterable[tuple[str, int, Grid | None]]:
        if symmetry:
            yield from super().keyed_successors(state, symmetry)
            return
        x, y = state
        for action, nxt in (("x+1", (x + 1, y)), ("y+1", (x, y + 1))):
            if max(nxt) <= self.n:
                yield action, self.fingerprint(nxt), None


class LockModel(Model[tuple[int, ...], tuple[str, int]]):
    """A combination lock among noise: the bad state needs digits 1, 2, 3 set in that
    order (each ``set`` only works on the next slot); ``noise`` actions toggle a
    harmless bit. Random walks find it with long paths; shrinking must get it to 3 steps.
    """

    name = "lock"

    def init_states(self) -> Sequence[tuple[int, ...]]:
        return [(0, 0)]

    def actions(self, state: tuple[int, ...]) -> Iterable[tuple[str, int]]:
        return [("set", 1), ("set", 2), ("set", 3), ("noise", 0), ("noise", 1), ("reset", 0)]

    def next_state(self, state: tuple[int, ...], action: tuple[str, int]) -> tuple[int, ...] | None:
        progress, noise = state
        kind, arg = action
        if kind == "set":
            return (progress + 1, noise) if arg == progress + 1 else None
        if kind == "noise":
            return (progress, noise ^ (1 << arg))
        return (0, noise) if progress else None

    def properties(self) -> Sequence[Property[tuple[int, ...]]]:
        return [Property.always("locked", lambda s: s[0] < 3)]

    def format_action(self, action: tuple[str, int]) -> str:
        return f"{action[0]}({action[1]})"


class Interrupting(GridModel):
    """Raises KeyboardInterrupt (as Ctrl-C would) after ``after`` expansions."""

    def __init__(self, after: int, n: int = 50) -> None:
        super().__init__(n=n)
        self.after = after
        self.calls = 0

    def successors(self, state: Grid) -> Iterable[tuple[str, Grid]]:
        self.calls += 1
        if self.calls > self.after:
            raise KeyboardInterrupt
        return list(super().successors(state))

    def actions(self, state: Grid) -> Iterable[str]:
        self.calls += 1
        if self.calls > self.after:
            raise KeyboardInterrupt
        return super().actions(state)


class SignalsOnce(GridModel):
    """Sends ``signum`` to the process that built it when the state ``(after, 0)`` is
    expanded: exactly once, by whichever process (this one, or the parallel worker that
    owns that state), without a shared lock (a worker killed while holding one hung the
    next search). A deterministic stand-in for Ctrl-C (or ``timeout``'s SIGTERM) in the
    middle of a search, whatever the machine's speed."""

    def __init__(self, signum: int, after: int, n: int = 3000) -> None:
        import os

        super().__init__(n=n)
        self.signum, self.trigger = signum, (after, 0)
        self.target = os.getpid()

    def successors(self, state: Grid) -> Iterable[tuple[str, Grid]]:
        import os

        if state == self.trigger:
            os.kill(self.target, self.signum)
        return super().successors(state)


def check_path(model: Model[Any, Any], states: Sequence[Any], actions: Sequence[Any]) -> None:
    """Assert the path starts at an initial state and each action leads to the next state."""
    assert len(states) == len(actions) + 1
    assert states[0] in list(model.init_states())
    for i, action in enumerate(actions):
        assert model.next_state(states[i], action) == states[i + 1]

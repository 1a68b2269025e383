"""Small models for the checkpoint, resume and spilling tests (tests/test_checkpoint.py).

``Cube``: a flag and three counters 0..n; the flag never changes, so its two initial
states are two components (a DFS resumes in the middle of the first and must still do
the second); ``c`` wraps to 0 (cycles: DFS meets states again, higher up). Knobs: a bad
state (an ``always`` property), a ``final`` property, and ``signal_at``, which raises
SIGINT (a real signal, as Ctrl-C sends) on the n-th expansion (``signal_at_step``: on
the n-th step a random walk takes; ``signal_on``: to the process that built the model,
when the given state is expanded, in whichever worker process owns it; then, with
``wait_for``, it waits until that file exists before it goes on; with ``signal_once``, a
file path, a random walk reaching the state sends it instead, once: the first process
to create that file).

``Gated``: a Cube for a ``synod check`` subprocess (``--model tests.checkpoint_toys:Gated``)
that, on its ``SYNOD_TEST_GATE_AT``-th expansion, waits until the file named by
``SYNOD_TEST_GATE`` exists: the test sends its signal first and opens the gate after,
so the search cannot end before the signal arrives, whatever the machine's speed; and
that raises SIGINT on its ``SYNOD_TEST_SIGNAL_STEP``-th random-walk step, or sends it
to the process that built it when it expands the state ``SYNOD_TEST_SIGNAL_ON``
(``f,a,b,c``; in whichever worker process owns it).
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from explorer.engine.checkpoint import CheckpointPlan
from explorer.engine.model import Model, Property
from explorer.models.config import CheckConfig

State = tuple[int, int, int, int]


class Cube(Model[State, str]):
    name = "cube"

    def __init__(
        self,
        n: int = 6,
        bad: State | None = None,
        final_ok: Callable[[State], bool] | None = None,
        signal_at: int | None = None,
        signal_at_step: int | None = None,
        signal_on: State | None = None,
        wait_for: Path | None = None,
        signal_once: Path | None = None,
    ) -> None:
        self.n, self.bad, self.final_ok, self.signal_at = n, bad, final_ok, signal_at
        self.signal_at_step = signal_at_step
        self.signal_on, self.creator, self.wait_for = signal_on, os.getpid(), wait_for
        self.signal_once = signal_once
        self.expansions = 0
        self.steps = 0

    def init_states(self) -> Sequence[State]:
        return [(0, 0, 0, 0), (1, 0, 0, 0)]

    def actions(self, state: State) -> Iterable[str]:
        return ["a", "b", "c"]

    def next_state(self, state: State, action: str) -> State | None:
        self.steps += 1
        if self.steps == self.signal_at_step:
            signal.raise_signal(signal.SIGINT)
        f, a, b, c = state
        if action == "a":
            nxt = (f, a + 1, b, c) if a < self.n else None
        elif action == "b":
            nxt = (f, a, b + 1, c) if b < self.n else None
        else:
            nxt = (f, a, b, c + 1 if c < self.n else 0)
        if self.signal_once is not None and nxt == self.signal_on:
            try:
                os.close(os.open(self.signal_once, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            except FileExistsError:
                return nxt
            os.kill(self.creator, signal.SIGINT)
        return nxt

    def successors(self, state: State) -> Iterable[tuple[str, State]]:
        self.expansions += 1
        if self.expansions == self.signal_at:
            signal.raise_signal(signal.SIGINT)
        if state == self.signal_on:
            os.kill(self.creator, signal.SIGINT)
            while self.wait_for is not None and not self.wait_for.exists():
                time.sleep(0.01)  # the test opens the gate on an event: no timing assumed
        return super().successors(state)

    def properties(self) -> Sequence[Property[State]]:
        props: list[Property[State]] = [Property.sometimes("corner", lambda s: s[1:] == (self.n,) * 3)]
        if self.bad is not None:
            bad = self.bad
            props.append(Property.always("not-bad", lambda s: s != bad))
        if self.final_ok is not None:
            props.append(Property.final("final-ok", self.final_ok))
        return props


class Gated(Cube):
    """See the module docstring; ``--nodes`` is n, the bad state is (1, n, n-1, 2)."""

    VARIANTS = ("correct",)

    def __init__(self, config: CheckConfig) -> None:
        n = config.nodes
        super().__init__(n=n, bad=(1, n, n - 1, 2))
        self.gate = Path(os.environ.get("SYNOD_TEST_GATE", "/nonexistent-gate"))
        self.gate_at = int(os.environ.get("SYNOD_TEST_GATE_AT", "0"))
        self.signal_at_step = int(os.environ.get("SYNOD_TEST_SIGNAL_STEP", "0")) or None
        signal_on = os.environ.get("SYNOD_TEST_SIGNAL_ON")
        if signal_on:
            f, a, b, c = (int(x) for x in signal_on.split(","))
            self.signal_on = (f, a, b, c)

    def successors(self, state: State) -> Iterable[tuple[str, State]]:
        if self.expansions + 1 == self.gate_at:
            while not self.gate.exists():  # the model waits, not the test
                time.sleep(0.01)
        return super().successors(state)

    def format_action(self, action: Any) -> str:
        return str(action)


class KeepingPlan(CheckpointPlan):
    """A checkpoint plan that also keeps the bytes of every checkpoint it writes, in order
    (``kept``): what a resume from each of them must end as."""

    kept: list[bytes]

    def write(self, *args: Any, **kwargs: Any) -> None:
        super().write(*args, **kwargs)
        self.kept = [*getattr(self, "kept", []), self.path.read_bytes()]

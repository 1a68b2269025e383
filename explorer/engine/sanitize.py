"""The determinism sanitizer: re-execute sampled transitions and compare.

The explorer assumes a model is a function: the same state gives the same enabled
actions in the same order and the same successors, in every process. A node that reads
a clock or a random source, iterates a set of strings (its order depends on
``PYTHONHASHSEED``) or uses ``hash()`` of a str breaks that in silence: counts, traces
and verdicts become wrong. This module is the protocol-agnostic half of the check:

- :func:`sample_walks`: seeded random walks through the model (a walk is an initial
  state's index and the labels of the actions taken);
- :func:`record_walk`: re-execute a walk by its labels and record, at each step, the
  state's fingerprint and every successor as ``(label, fingerprint)`` in the order
  ``model.successors`` gives them;
- :func:`first_difference`: the first step at which two recordings of the same walk
  differ, and what differed (the state, the action order, or an action's successor);
- :func:`field_texts`: the named fields of the state a walk reaches (optionally one more
  action beyond), so a report can say which part of the state differed.

Running the recordings in other processes (under other hash seeds) needs the model
rebuilt there, which only the layers above the engine can do (explorer.testing.sanitize).
"""

from __future__ import annotations

import random
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from explorer.engine.components import Components
from explorer.engine.fingerprint import canonical_text, fingerprint
from explorer.engine.model import Model

#: how much of a value a report shows
TEXT_LIMIT = 160


@dataclass(frozen=True)
class Walk:
    init: int
    labels: tuple[str, ...]

    def to_json(self) -> list[Any]:
        return [self.init, list(self.labels)]

    @staticmethod
    def from_json(data: Any) -> Walk:
        return Walk(int(data[0]), tuple(str(x) for x in data[1]))


@dataclass(frozen=True)
class StepRecord:
    """One step of a recorded walk: the state, and each successor ``(label, fp)``."""

    state: str
    successors: tuple[tuple[str, str], ...]

    def to_json(self) -> list[Any]:
        return [self.state, [list(pair) for pair in self.successors]]

    @staticmethod
    def from_json(data: Any) -> StepRecord:
        return StepRecord(str(data[0]), tuple((str(a), str(b)) for a, b in data[1]))


@dataclass(frozen=True)
class Difference:
    """Where two executions of one walk part ways."""

    walk: Walk
    step: int  # actions taken before the differing state (0: an initial state)
    what: str  # "state", "initial states", "action order", "successor", "walk"
    action: str | None  # the action whose successor differed
    first: str  # what the first execution saw
    second: str  # what the other one saw

    @property
    def path(self) -> tuple[str, ...]:
        return self.walk.labels[: self.step]

    @property
    def where(self) -> str:
        return "from an initial state" if self.step == 0 else f"after {self.step} steps"


def _fp(state: Hashable) -> str:
    return f"{fingerprint(state):016x}"


def _successors(model: Model[Any, Any], state: Any) -> list[tuple[str, Any]]:
    return [(model.format_action(a), nxt) for a, nxt in model.successors(state)]


def sample_walks(model: Model[Any, Any], walks: int, depth: int, seed: int) -> list[Walk]:
    """``walks`` seeded random walks of at most ``depth`` actions (they end earlier where
    nothing is enabled or the state is outside the model's boundary)."""
    master = random.Random(seed)
    inits = list(model.init_states())
    out: list[Walk] = []
    for _ in range(walks):
        rng = random.Random(master.getrandbits(64))
        init = rng.randrange(len(inits)) if inits else 0
        if not inits:
            break
        state = inits[init]
        labels: list[str] = []
        while len(labels) < depth and model.within_boundary(state):
            options = _successors(model, state)
            if not options:
                break
            label, state = options[rng.randrange(len(options))]
            labels.append(label)
        out.append(Walk(init, tuple(labels)))
    return out


def record_walk(model: Model[Any, Any], walk: Walk) -> list[StepRecord]:
    """Re-execute ``walk`` by its labels; one record per state reached. The recording
    stops early where the walk's next label is not among the successors (an execution
    that differs from the one that sampled the walk)."""
    inits = list(model.init_states())
    records = [StepRecord("initial states", tuple(("init", _fp(s)) for s in inits))]
    if walk.init >= len(inits):
        return records
    state = inits[walk.init]
    for step in range(len(walk.labels) + 1):
        options = _successors(model, state)
        records.append(StepRecord(_fp(state), tuple((label, _fp(nxt)) for label, nxt in options)))
        if step == len(walk.labels):
            break
        chosen = next((nxt for label, nxt in options if label == walk.labels[step]), None)
        if chosen is None:
            break
        state = chosen
    return records


def _short(text: str) -> str:
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 3] + "..."


def _compare_step(walk: Walk, step: int, a: StepRecord, b: StepRecord) -> Difference | None:
    if a.state != b.state:
        return Difference(walk, step, "state", None, a.state, b.state)
    labels_a = [label for label, _ in a.successors]
    labels_b = [label for label, _ in b.successors]
    if labels_a != labels_b:
        return Difference(
            walk, step, "action order", None, _short(", ".join(labels_a)), _short(", ".join(labels_b))
        )
    for (label, fp_a), (_, fp_b) in zip(a.successors, b.successors, strict=True):
        if fp_a != fp_b:
            return Difference(walk, step, "successor", label, fp_a, fp_b)
    return None


def first_difference(
    walk: Walk, first: Sequence[StepRecord], second: Sequence[StepRecord]
) -> Difference | None:
    """The first step where two recordings of ``walk`` differ (None: they agree)."""
    if first[:1] != second[:1]:
        a, b = first[0], second[0]
        return Difference(walk, 0, "initial states", None, _short(str(a.successors)), _short(str(b.successors)))
    for step, (a, b) in enumerate(zip(first[1:], second[1:], strict=False)):
        diff = _compare_step(walk, step, a, b)
        if diff is not None:
            return diff
    if len(first) != len(second):
        step = min(len(first), len(second)) - 1
        return Difference(walk, step, "walk", None, f"{len(first) - 1} steps", f"{len(second) - 1} steps")
    return None


def field_texts(
    model: Model[Any, Any], components: Components, walk: Walk, step: int, action: str | None
) -> dict[str, str]:
    """The fields of the state after ``walk``'s first ``step`` actions (and then
    ``action``, when given), as canonical text; empty when the execution cannot get there."""
    inits = list(model.init_states())
    if walk.init >= len(inits):
        return {}
    state = inits[walk.init]
    for label in (*walk.labels[:step], *((action,) if action is not None else ())):
        state = next((nxt for lab, nxt in _successors(model, state) if lab == label), None)
        if state is None:
            return {}
    return {name: canonical_text(value) for name, value in components.fields(state)}


def differing_fields(first: dict[str, str], second: dict[str, str]) -> list[tuple[str, str, str]]:
    """``(field, first text, second text)`` of each field that differs, in field order."""
    names = list(first) + [n for n in second if n not in first]
    return [
        (name, _short(first.get(name, "(absent)")), _short(second.get(name, "(absent)")))
        for name in names
        if first.get(name) != second.get(name)
    ]

"""One run of a model (what :func:`explorer.testing.run` draws), its properties, its trace.

A :class:`Run` is an initial state and the actions taken from it, with every state on
the way. :meth:`Run.violation` checks the model's properties along it (``always`` on
every state, ``final`` on the last); :meth:`Run.assert_properties` turns a violation
into an AssertionError carrying the sequence diagram and the saved trace's path;
:func:`save_run` writes a run as a Synod trace that ``synod replay`` reads.

``synod replay`` rebuilds the model from a :class:`CheckConfig`, so saving needs one
that names the model (``CheckConfig(model="package.module:Name", ...)``): passed as
``config=``, or what ``model.config()`` returns when it rebuilds the model.
"""

from __future__ import annotations

import json
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from explorer.engine.model import Model, Property
from explorer.engine.results import SearchSettings, Violation
from explorer.engine.shrink import shrink as ddmin
from explorer.models.config import CheckConfig
from explorer.replay.diagram import render_text
from explorer.replay.trace import (
    save_trace,
    trace_filename,
    trace_from_violation,
    write_text_atomic,
)
from explorer.testing.sanitize import rebuildable_config

DEFAULT_TRACES_DIR = "synod-traces"


@dataclass(frozen=True, eq=False)
class Run:
    """``actions[i]`` leads from ``states[i]`` to ``states[i + 1]``."""

    model: Model[Any, Any]
    init: int
    states: tuple[Hashable, ...]
    actions: tuple[Hashable, ...]

    @property
    def labels(self) -> list[str]:
        return [self.model.format_action(a) for a in self.actions]

    @property
    def final(self) -> Hashable:
        return self.states[-1]

    @property
    def steps(self) -> int:
        """Actions taken (a property, not ``len``: an empty run is still a run)."""
        return len(self.actions)

    def __repr__(self) -> str:
        # what Hypothesis prints for a falsifying example: the steps, readable
        labels = "; ".join(self.labels) or "no action"
        return f"Run({self.model.name}, init {self.init}, {self.steps} steps: {labels})"

    def prefix(self, steps: int) -> Run:
        """The run cut after its first ``steps`` actions."""
        return Run(self.model, self.init, self.states[: steps + 1], self.actions[:steps])

    def violation(self) -> Violation | None:
        """The first property of the model this run breaks (``always`` at the first state
        where it fails, ``final`` at the last state), cut there; None if none."""
        props = list(self.model.properties())
        for step, state in enumerate(self.states):
            for prop in props:
                if prop.kind == "always" and not prop.condition(state):
                    return self._violation(prop, step)
        for prop in props:
            if prop.kind == "final" and not prop.condition(self.final):
                return self._violation(prop, self.steps)
        return None

    def _violation(self, prop: Property[Any], step: int) -> Violation:
        cut = self.prefix(step)
        return Violation(prop.name, prop.kind, list(cut.actions), list(cut.states), self.init)

    def diagram(self, property_name: str | None = None) -> str:
        """The run as a sequence diagram (actor models) or a numbered action list."""
        fail = self.steps if property_name is not None else None
        return render_text(self.model, self.states, self.actions, fail, property_name)

    def shrunk(self) -> Run:
        """The run cut at its first violation and minimised by delta debugging over its
        action labels (explorer.engine.shrink); the run itself when it breaks nothing."""
        found = self.violation()
        if found is None:
            return self
        small = ddmin(self.model, found, max_depth=self.steps)
        return Run(self.model, self.init, tuple(small.states), tuple(small.actions))

    def assert_properties(
        self,
        traces: str | Path | None = DEFAULT_TRACES_DIR,
        config: CheckConfig | None = None,
        shrink: bool = True,
    ) -> None:
        """Raise AssertionError when the run breaks a property of the model, with the
        diagram of the run up to the failure and the trace saved under ``traces``
        (None: no trace). With ``shrink`` the run reported is :meth:`shrunk` (Hypothesis
        shrinks by its draws, which gets close; delta debugging over the labels finishes).

        The trace's file name has no fingerprint in it (``...-<property>-run.json``): each
        failing example Hypothesis tries while shrinking overwrites it, so the file left
        is the run Hypothesis reports last, the shrunk one."""
        found = self.violation()
        if found is None:
            return
        cut = self.shrunk() if shrink else self.prefix(found.step)
        found = cut.violation() or found
        where = "in the initial state" if found.step == 0 else f"after {found.step} steps"
        message = [f"{found.kind} property {found.property_name!r} violated {where}:", cut.diagram(found.property_name)]
        if traces is not None:
            message.append(_save_note(cut, traces, found.property_name, config))
        raise AssertionError("\n".join(message))


def _save_note(run: Run, traces: str | Path, property_name: str, config: CheckConfig | None) -> str:
    try:
        path = save_run(run, traces, property_name, config=config, stable_name=True)
    except (ValueError, OSError) as exc:
        return f"no trace saved: {exc}"
    return f"trace saved to {path}; replay with: synod replay {path}"


def save_run(
    run: Run,
    directory: str | Path = DEFAULT_TRACES_DIR,
    property_name: str | None = None,
    *,
    config: CheckConfig | None = None,
    stable_name: bool = False,
) -> Path:
    """Write ``run`` as a trace of the model's ``property_name`` (default: the first
    property the run breaks); returns the file's path. ``synod replay`` on it reports
    "reproduced" when that property fails after the run's last step. The file is named
    as ``synod check`` names traces, or, with ``stable_name``, without the final state's
    fingerprint (``...-run.json``: a later run of the same property overwrites it)."""
    if property_name is None:
        found = run.violation()
        if found is None:
            raise ValueError("the run breaks no property of the model: name one with property_name=")
        property_name = found.property_name
        run = run.prefix(found.step)
    prop = next((p for p in run.model.properties() if p.name == property_name), None)
    if prop is None or prop.kind not in ("always", "final"):
        raise ValueError(f"the model has no always or final property {property_name!r}")
    config = config if config is not None else rebuildable_config(run.model)
    if config is None:
        raise ValueError(
            "synod replay rebuilds the model from a CheckConfig: pass config=CheckConfig("
            "model='package.module:Name', ...), or give the model a config() that names it"
        )
    settings = SearchSettings(strategy="random", max_depth=run.steps)
    violation = Violation(prop.name, prop.kind, list(run.actions), list(run.states), run.init)
    trace = trace_from_violation(run.model, config, settings, violation)
    if not stable_name:
        return save_trace(trace, Path(directory))
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / (trace_filename(trace).rsplit("-", 1)[0] + "-run.json")
    write_text_atomic(path, json.dumps(trace.to_json(), indent=2) + "\n")
    return path

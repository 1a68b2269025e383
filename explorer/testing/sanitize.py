"""The determinism sanitizer, whole: sample walks, re-execute them here and in other
processes under other hash seeds, compare, and say where and what differed.

Executions compared (the first difference found is reported):

1. the walks recorded twice in this process (catches clocks, random sources, state
   kept between calls);
2. the walks recorded in two subprocesses under ``PYTHONHASHSEED`` 0 and 1 (catches set
   iteration order and ``hash()`` of strs, independently of this process's own seed);
3. this process against the first subprocess.

The subprocesses rebuild the model from its :class:`CheckConfig` (explorer/models/
registry.py), so they need one: ``synod check`` has it; the Python API derives it from
``model.config()`` or takes it as an argument, and skips the subprocesses (saying so)
when there is none. The static pass (explorer/engine/sanitize_static.py) adds warnings.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any

from explorer.actors.components import components_for
from explorer.engine.errors import ConfigError
from explorer.engine.model import Model
from explorer.engine.sanitize import (
    Difference,
    StepRecord,
    Walk,
    differing_fields,
    field_texts,
    first_difference,
    record_walk,
    sample_walks,
)
from explorer.engine.sanitize_static import StaticWarning, scan_model
from explorer.models.config import CheckConfig
from explorer.models.registry import build_model

DEFAULT_WALKS = 20
DEFAULT_DEPTH = 30
HASH_SEEDS = (0, 1)
#: a safety bound on one subprocess (it re-executes a few thousand transitions)
CHILD_TIMEOUT_S = 600.0

Records = list[list[StepRecord]]


@dataclass
class SanitizeReport:
    """What the sanitizer did and found."""

    walks: int
    transitions: int  # successors computed per execution
    executions: list[str]
    difference: Difference | None = None
    between: tuple[str, str] | None = None
    fields: list[tuple[str, str, str]] = field(default_factory=list)
    static: list[StaticWarning] = field(default_factory=list)
    skipped: str | None = None  # why the subprocesses did not run

    @property
    def deterministic(self) -> bool:
        return self.difference is None

    def lines(self) -> list[str]:
        """The report in words: the verdict, then the details of a difference."""
        done = " and ".join(self.executions)
        head = (
            f"sanitize: {self.transitions:,} transitions of {self.walks} seeded walks, "
            f"executed {done}"
        )
        out = [head + (": deterministic" if self.deterministic else ": NOT DETERMINISTIC")]
        if self.skipped:
            out.append(f"sanitize: no subprocess check ({self.skipped})")
        d = self.difference
        if d is not None and self.between is not None:
            out.append(f"  first difference {d.where}, between {self.between[0]} and {self.between[1]}:")
            if d.action is not None:
                out.append(f"  action: {d.action}")
            out.append(f"  {d.what} differs: {d.first}  vs  {d.second}")
            for name, a, b in self.fields:
                out.append(f"  field {name}: {a}  vs  {b}")
            path = " ; ".join(d.path) if d.path else "(the initial state)"
            out.append(f"  path to the state: {path}")
        out.extend(f"warning: {w}" for w in self.static)
        return out

    def to_json(self) -> dict[str, Any]:
        d = self.difference
        return {
            "deterministic": self.deterministic,
            "walks": self.walks,
            "transitions": self.transitions,
            "executions": self.executions,
            "skipped": self.skipped,
            "difference": None if d is None or self.between is None else {
                "between": list(self.between),
                "step": d.step,
                "what": d.what,
                "action": d.action,
                "path": list(d.path),
                "first": d.first,
                "second": d.second,
                "fields": [{"field": n, "first": a, "second": b} for n, a, b in self.fields],
            },
            "static_warnings": [str(w) for w in self.static],
        }


def rebuildable_config(model: Model[Any, Any]) -> CheckConfig | None:
    """The CheckConfig ``model.config()`` describes, when it rebuilds a model (else None)."""
    try:
        config = CheckConfig.from_json(model.config())
        build_model(config)
    except (ConfigError, TypeError, ValueError):
        return None
    return config


def _child_env(seed: int) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONHASHSEED"] = str(seed)
    # what this process can import, the child can (tests' toy models, the cwd)
    paths = [p or os.getcwd() for p in sys.path if os.path.isdir(p or os.getcwd())]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


def run_child(
    config: CheckConfig, walks: list[Walk], seed: int, explain: Any = None
) -> tuple[Records, dict[str, str] | None]:
    """Records of ``walks`` (and the explained fields) from a subprocess under ``seed``."""
    request = {"config": config.to_json(), "walks": [w.to_json() for w in walks], "explain": explain}
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "explorer.testing.sanitize_child"],
            input=json.dumps(request), capture_output=True, text=True,
            env=_child_env(seed), timeout=CHILD_TIMEOUT_S, check=False,
        )
    except subprocess.TimeoutExpired:
        raise ConfigError(f"the sanitizer's subprocess did not answer within {CHILD_TIMEOUT_S:g} s") from None
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise ConfigError(f"the sanitizer's subprocess failed: {last}")
    answer = json.loads(proc.stdout)
    if "error" in answer:
        raise ConfigError(f"the sanitizer's subprocess cannot build the model: {answer['error']}")
    records = [[StepRecord.from_json(r) for r in walk] for walk in answer["records"]]
    return records, answer["fields"]


def _first(walks: list[Walk], a: Records, b: Records) -> Difference | None:
    for walk, ra, rb in zip(walks, a, b, strict=True):
        diff = first_difference(walk, ra, rb)
        if diff is not None:
            return diff
    return None


def _explain_request(d: Difference) -> list[Any]:
    return [d.walk.to_json(), d.step, d.action]


def sanitize(
    model: Model[Any, Any],
    config: CheckConfig | None = None,
    *,
    walks: int = DEFAULT_WALKS,
    depth: int = DEFAULT_DEPTH,
    seed: int = 0,
    subprocesses: bool = True,
) -> SanitizeReport:
    """Check ``model`` for nondeterminism (see the module docstring). ``config`` rebuilds
    the model in the subprocesses (default: from ``model.config()``, when it can)."""
    components = components_for(model)
    sample = sample_walks(model, walks, depth, seed)
    first = [record_walk(model, w) for w in sample]
    second = [record_walk(model, w) for w in sample]
    report = SanitizeReport(
        walks=len(sample),
        transitions=sum(len(r.successors) for rec in first for r in rec[1:]),
        executions=["twice in this process"],
        static=scan_model(model),
    )
    diff = _first(sample, first, second)
    if diff is not None:
        report.difference, report.between = diff, ("run 1", "run 2 in this process")
        a = field_texts(model, components, diff.walk, diff.step, diff.action)
        b = field_texts(model, components, diff.walk, diff.step, diff.action)
        report.fields = differing_fields(a, b)
        return report
    if config is None and subprocesses:
        config = rebuildable_config(model)
        if config is None:
            report.skipped = "the model cannot be rebuilt from model.config(); pass config="
    if config is None or not subprocesses:
        return report
    report.executions.append(f"in subprocesses under PYTHONHASHSEED={','.join(map(str, HASH_SEEDS))}")
    children = {s: run_child(config, sample, s)[0] for s in HASH_SEEDS}
    s0, s1 = HASH_SEEDS
    for (name_a, rec_a, seed_a), (name_b, rec_b, seed_b) in (
        ((f"PYTHONHASHSEED={s0}", children[s0], s0), (f"PYTHONHASHSEED={s1}", children[s1], s1)),
        (("this process", first, None), (f"PYTHONHASHSEED={s0}", children[s0], s0)),
    ):
        diff = _first(sample, rec_a, rec_b)
        if diff is None:
            continue
        report.difference, report.between = diff, (name_a, name_b)
        request = _explain_request(diff)
        fa = (run_child(config, [], seed_a, request)[1] if seed_a is not None
              else field_texts(model, components, diff.walk, diff.step, diff.action))
        fb = run_child(config, [], seed_b, request)[1]
        report.fields = differing_fields(fa or {}, fb or {})
        return report
    return report

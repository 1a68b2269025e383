"""Counterexample traces: JSON files that rebuild and re-run a violation exactly.

A trace holds everything needed to reproduce a run from the file alone: the full model
configuration, the search settings (including the seed), the action labels in order,
the property that failed and the step at which it failed, the client history when the
model records one, the Synod version and a fingerprint of the final state. Replay
rebuilds the model from the configuration and re-finds each action by its label among
the actions enabled at that step (labels come from ``Model.format_action``).

Schema (version 1)::

    {
      "format": "synod-trace",
      "schema": 1,
      "synod_version": "0.1.0",
      "config": {... CheckConfig.to_json() ...},
      "search": {"strategy": "bfs", "max_depth": null, ..., "seed": 0, ...},
      "property": {"name": "agreement", "kind": "always", "description": "..."},
      "step": 7,                      # number of actions; the property fails after them
      "init": 0,                      # index of the initial state in model.init_states()
      "actions": ["...", ...],        # len(actions) == step
      "history": null or [...],       # model.history(final_state), when the model has one
      "final_fingerprint": "0123456789abcdef"
    }
"""

from __future__ import annotations

import dataclasses
import enum
import json
import os
import re
import tempfile
from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from explorer.engine.fingerprint import fingerprint
from explorer.engine.interrupts import held_signals
from explorer.engine.model import Model
from explorer.engine.results import BACKENDS, STRATEGIES, SearchSettings, Violation
from explorer.models import check_model_name
from explorer.models.config import CheckConfig, ConfigError

TRACE_FORMAT = "synod-trace"
SCHEMA_VERSION = 1
PROPERTY_KINDS_IN_TRACES = ("always", "final")


class TraceError(ValueError):
    """A trace file that cannot be used; the CLI prints it on one line, exit 2."""


def synod_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("synod-check")
    except PackageNotFoundError:
        return "0+unknown"


# -- fingerprints ------------------------------------------------------------------------


def state_fingerprint(state: Hashable) -> str:
    """The engine's stable 64-bit fingerprint of a state (``explorer.engine.fingerprint``), as
    16 hex digits: the same in every process and under any PYTHONHASHSEED."""
    return f"{fingerprint(state):016x}"


# -- search settings as JSON -----------------------------------------------------------

_SETTINGS_TYPES: dict[str, tuple[type, ...]] = {
    "strategy": (str,),
    "max_depth": (int, type(None)),
    "max_states": (int, type(None)),
    "time_limit": (int, float, type(None)),
    "max_memory_mb": (int, type(None)),
    "seed": (int,),
    "walks": (int, type(None)),
    "workers": (int,),
    "symmetry": (bool,),
    "collect": (bool,),
    "shrink": (bool,),
    "backend": (str,),
    "address": (str, type(None)),
    "por": (bool,),
}


def settings_to_json(settings: SearchSettings) -> dict[str, Any]:
    return dataclasses.asdict(settings)


def settings_from_json(data: Any) -> SearchSettings:
    if not isinstance(data, dict):
        raise TraceError("trace 'search' must be a JSON object")
    known = {f.name for f in dataclasses.fields(SearchSettings)}
    unknown = set(data) - known
    if unknown:
        raise TraceError(f"trace 'search' has unknown keys: {', '.join(sorted(unknown))}")
    for name, value in data.items():
        types = _SETTINGS_TYPES.get(name, (object,))
        wants_bool = types == (bool,)
        if (isinstance(value, bool) and not wants_bool) or not isinstance(value, types):
            raise TraceError(f"trace 'search.{name}' has the wrong type: {value!r}")
    if data.get("strategy", "bfs") not in STRATEGIES:
        raise TraceError(f"trace 'search.strategy' is unknown: {data['strategy']!r}")
    if data.get("backend", "local") not in BACKENDS:
        raise TraceError(f"trace 'search.backend' is unknown: {data['backend']!r}")
    return SearchSettings(**data)


# -- the trace itself ------------------------------------------------------------------


@dataclass
class Trace:
    config: CheckConfig
    settings: SearchSettings
    property_name: str
    property_kind: str
    actions: list[str]
    init: int = 0
    property_description: str = ""
    history: Any = None
    final_fingerprint: str = ""
    synod_version: str = field(default_factory=synod_version)

    @property
    def step(self) -> int:
        return len(self.actions)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": TRACE_FORMAT,
            "schema": SCHEMA_VERSION,
            "synod_version": self.synod_version,
            "config": self.config.to_json(),
            "search": settings_to_json(self.settings),
            "property": {
                "name": self.property_name,
                "kind": self.property_kind,
                "description": self.property_description,
            },
            "step": self.step,
            "init": self.init,
            "actions": list(self.actions),
            "history": self.history,
            "final_fingerprint": self.final_fingerprint,
        }


def _json_default(value: Any) -> Any:
    if isinstance(value, frozenset | set):
        return sorted((_json_default_item(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, enum.Enum):
        return value.name
    return repr(value)


def _json_default_item(value: Any) -> Any:
    return json.loads(json.dumps(value, default=_json_default))


def model_history(model: Model[Any, Any], state: Hashable) -> Any:
    """The client history of ``state`` as JSON, when the model offers a ``history`` hook."""
    hook = getattr(model, "history", None)
    if not callable(hook):
        return None
    return _json_default_item(hook(state))


def trace_from_violation(
    model: Model[Any, Any],
    config: CheckConfig,
    settings: SearchSettings,
    violation: Violation,
) -> Trace:
    """Build the trace of ``violation`` (labels, history, final fingerprint)."""
    inits = list(model.init_states())
    first = violation.states[0] if violation.states else None
    init = getattr(violation, "init_index", None)
    if not isinstance(init, int) or not 0 <= init < len(inits) or inits[init] != first:
        init = next((i for i, s in enumerate(inits) if s == first), 0)
    final = violation.states[-1] if violation.states else inits[init]
    description = next(
        (p.description for p in model.properties() if p.name == violation.property_name), ""
    )
    return Trace(
        config=config,
        settings=settings,
        property_name=violation.property_name,
        property_kind=violation.kind,
        property_description=description,
        actions=[model.format_action(a) for a in violation.actions],
        init=init,
        history=model_history(model, final),
        final_fingerprint=state_fingerprint(final),
    )


def _slug(text: str) -> str:
    # "+" joins combined variants (a+b) and is safe on every filesystem
    return re.sub(r"[^A-Za-z0-9_.+-]+", "-", text).strip("-.") or "x"


def trace_filename(trace: Trace) -> str:
    """``<model>-<variant>-<property>-<fingerprint8>.json``, safe on every filesystem."""
    parts = (trace.config.model, trace.config.variant, trace.property_name)
    return "-".join(_slug(p) for p in parts) + f"-{trace.final_fingerprint[:8] or '0'}.json"


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file in the same directory + rename,
    so a reader never sees half a file. SIGINT and SIGTERM are held back meanwhile (a
    file is small; a signal between creating the temporary file and knowing its name
    would leave it behind): the file is then either wholly there or not at all."""
    with held_signals():
        _write_text_atomic(Path(path), text)


def _write_text_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp creates 0600; a report or trace is for others to read (CI artifacts).
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def save_trace(trace: Trace, directory: Path) -> Path:
    """Write ``trace`` into ``directory`` (created if needed); returns the file's path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / trace_filename(trace)
    write_text_atomic(path, json.dumps(trace.to_json(), indent=2, sort_keys=False) + "\n")
    return path


_REQUIRED: dict[str, tuple[type, ...]] = {
    "format": (str,),
    "schema": (int,),
    "synod_version": (str,),
    "config": (dict,),
    "search": (dict,),
    "property": (dict,),
    "step": (int,),
    "init": (int,),
    "actions": (list,),
    "history": (object,),
    "final_fingerprint": (str,),
}


def trace_from_json(data: Any) -> Trace:
    """Validate a parsed trace thoroughly; TraceError says what is wrong, on one line."""
    if not isinstance(data, dict):
        raise TraceError("a trace must be a JSON object")
    if data.get("format") != TRACE_FORMAT:
        raise TraceError(f"not a Synod trace (format is {data.get('format')!r}, want {TRACE_FORMAT!r})")
    schema = data.get("schema")
    if schema != SCHEMA_VERSION or isinstance(schema, bool):
        raise TraceError(f"unsupported trace schema version {schema!r} (this Synod reads {SCHEMA_VERSION})")
    missing = [k for k in _REQUIRED if k not in data]
    if missing:
        raise TraceError(f"trace lacks keys: {', '.join(missing)}")
    unknown = sorted(set(data) - set(_REQUIRED))
    if unknown:
        raise TraceError(f"trace has unknown keys: {', '.join(unknown)}")
    for key, types in _REQUIRED.items():
        value = data[key]
        if (isinstance(value, bool) and bool not in types) or not isinstance(value, types):
            raise TraceError(f"trace {key!r} has the wrong type: {type(value).__name__}")
    try:
        config = CheckConfig.from_json(data["config"], require_all=True)
        config.validate()
        check_model_name(config.model)
    except (ConfigError, TypeError) as exc:
        raise TraceError(f"trace configuration: {exc}") from None
    settings = settings_from_json(data["search"])
    prop = data["property"]
    if set(prop) - {"name", "kind", "description"} or not isinstance(prop.get("name"), str):
        raise TraceError("trace 'property' must be {name, kind, description}")
    if prop.get("kind") not in PROPERTY_KINDS_IN_TRACES:
        raise TraceError(f"trace property kind must be always or final, got {prop.get('kind')!r}")
    description = prop.get("description", "")
    if not isinstance(description, str):
        raise TraceError("trace 'property.description' must be a string")
    actions = data["actions"]
    if not all(isinstance(a, str) for a in actions):
        raise TraceError("trace 'actions' must be a list of action labels (strings)")
    if data["step"] != len(actions):
        raise TraceError(f"trace 'step' is {data['step']} but it has {len(actions)} actions")
    if data["init"] < 0:
        raise TraceError("trace 'init' must be >= 0")
    if data["history"] is not None and not isinstance(data["history"], list):
        raise TraceError(f"trace 'history' must be a list of events or null, got {type(data['history']).__name__}")
    if not re.fullmatch(r"[0-9a-f]{16}", data["final_fingerprint"]):
        raise TraceError("trace 'final_fingerprint' must be 16 lowercase hex digits")
    return Trace(
        config=config,
        settings=settings,
        property_name=prop["name"],
        property_kind=prop["kind"],
        property_description=description,
        actions=list(actions),
        init=data["init"],
        history=data["history"],
        final_fingerprint=data["final_fingerprint"],
        synod_version=data["synod_version"],
    )


def load_trace(path: str | os.PathLike[str]) -> Trace:
    """Read and validate a trace file; any problem is a one-line TraceError."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TraceError(f"no such trace file: {os.fspath(path)}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TraceError(f"cannot read trace {os.fspath(path)}: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TraceError(f"trace {os.fspath(path)} is not JSON: {exc}") from None
    except RecursionError:
        # 100,000 nested "[" printed a RecursionError traceback and exited 1, the code
        # for "reproduced": a broken file must read as a broken file.
        raise TraceError(f"trace {os.fspath(path)} is nested too deeply to be a trace") from None
    try:
        return trace_from_json(data)
    except TraceError as exc:
        raise TraceError(f"{os.fspath(path)}: {exc}") from None
    except RecursionError:  # a value within JSON's nesting limit, too deep for our walk
        raise TraceError(f"{os.fspath(path)}: a value is nested too deeply to be a trace") from None

"""One model opened in the explorer: states reached by paths of action labels, on demand.

A :class:`Session` holds a model (built from the ``synod check`` options or from a
saved trace), and answers "what is the state after these actions?" by walking from the
initial state and re-finding each action by its label among the actions enabled there,
as replay does. Nothing is precomputed: each state is computed when a page asks for it
and kept in a bounded cache keyed by its path, so a space of any size can be walked.

The session id is a digest of the configuration and the trace, so the same options
give the same URLs in every run of the server (a shared link can be reopened).

Models are not thread-safe (the Paxos properties share a snapshot of the last world),
so every use of the model goes through the session's lock.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

from explorer.engine.model import Model, Property
from explorer.models.config import CheckConfig
from explorer.replay.trace import Trace

CACHE_LIMIT = 20_000  # states kept (each path prefix once)


class PathError(ValueError):
    """A path that does not lead to a state: the page shows it, the API answers 404."""

    def __init__(self, message: str, step: int, enabled: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.step = step
        self.enabled = list(enabled)


@dataclass
class Step:
    """The state a path leads to, and the action (by label) that led there."""

    state: Hashable
    action: Hashable | None
    values: dict[str, bool] = field(default_factory=dict)  # property name -> holds here


def session_id(config: dict[str, Any], init: int, trace: Sequence[str] | None) -> str:
    """A digest of what the session shows (stable across processes: no ``hash()``)."""
    text = json.dumps({"config": config, "init": init, "trace": trace}, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


class Session:
    """A model, its initial state and (optionally) a trace to walk."""

    def __init__(
        self,
        model: Model[Any, Any],
        config: CheckConfig | None,
        *,
        trace: Trace | None = None,
        max_depth: int | None = None,
        source: str = "",
    ) -> None:
        self.model = model
        self.config = config
        self.trace = trace
        self.max_depth = max_depth
        self.source = source
        self.lock = threading.RLock()
        init = trace.init if trace is not None else 0
        inits = list(model.init_states())
        if not inits:
            raise ValueError(f"model {model.name!r} has no initial state")
        if init >= len(inits):
            raise ValueError(f"the model has {len(inits)} initial state(s), the trace starts from #{init}")
        self.init = init
        self.properties: tuple[Property[Any], ...] = tuple(model.properties())
        self.always = tuple(p for p in self.properties if p.kind == "always")
        config_json = config.to_json() if config is not None else model.config()
        self.id = session_id(config_json, init, trace.actions if trace is not None else None)
        self._cache: OrderedDict[tuple[str, ...], Step] = OrderedDict()
        self._cache[()] = self._step(inits[init], None)

    def _step(self, state: Hashable, action: Hashable | None) -> Step:
        values = {p.name: bool(p.condition(state)) for p in self.always}
        return Step(state, action, values)

    def enabled(self, state: Hashable) -> list[tuple[str, Hashable, Hashable]]:
        """``(label, action, successor)`` of every enabled action, in the model's order."""
        return [(self.model.format_action(a), a, nxt) for a, nxt in self.model.successors(state)]

    def walk(self, labels: Sequence[str]) -> list[Step]:
        """The steps along ``labels`` (the initial state first); PathError if one is not enabled."""
        with self.lock:
            steps = [self._cache[()]]
            for k, label in enumerate(labels, start=1):
                key = tuple(labels[:k])
                step = self._cache.get(key)
                if step is None:
                    step = self._advance(steps[-1].state, label, k)
                    self._cache[key] = step
                    if len(self._cache) > CACHE_LIMIT:
                        self._evict()
                else:
                    self._cache.move_to_end(key)
                steps.append(step)
            return steps

    def _advance(self, state: Hashable, label: str, k: int) -> Step:
        successors = self.enabled(state)
        for name, action, nxt in successors:
            if name == label:
                return self._step(nxt, action)
        names = [name for name, _, _ in successors]
        shown = "; ".join(names[:8]) + (f"; ... ({len(names)} in all)" if len(names) > 8 else "")
        raise PathError(
            f"step {k}: action {label!r} is not enabled here (enabled: {shown or 'none'})", k, names
        )

    def _evict(self) -> None:
        # Oldest first, never the initial state.
        while len(self._cache) > CACHE_LIMIT:
            key = next(iter(self._cache))
            if key == ():
                self._cache.move_to_end(key)
                continue
            del self._cache[key]

    def info(self) -> dict[str, Any]:
        """What the page shows about the session itself (JSON)."""
        trace = None
        if self.trace is not None:
            trace = {
                "actions": list(self.trace.actions),
                "property": self.trace.property_name,
                "kind": self.trace.property_kind,
                "step": self.trace.step,
                "source": self.source,
            }
        config = self.config.to_json() if self.config is not None else self.model.config()
        return {
            "session": self.id,
            "model": self.model.name,
            "config": config,
            "max_depth": self.max_depth,
            "properties": [
                {"name": p.name, "kind": p.kind, "description": p.description} for p in self.properties
            ],
            "trace": trace,
        }

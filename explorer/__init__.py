"""Synod's model checker.

The names users write against, importable from here (loaded on first use, so that
``import explorer`` stays cheap for the command line)::

    from explorer import Model, Property, search, SearchSettings   # the engine
    from explorer import ActorModel, World, Faults                 # the actor adapter
    from explorer import CheckConfig, build_model                  # configurations, --model

Where everything lives: engine/ (protocol-agnostic search), actors/ (the actor-system
adapter), models/ (built-in models, the registry), mutants/ (seeded mistakes),
replay/ (traces, replay, diagrams), testing/ (Hypothesis runs, ``assert_holds``, the
determinism sanitizer), cli/ (the ``synod`` command).
"""

from __future__ import annotations

import importlib
from typing import Any

_PUBLIC = {
    "Model": "explorer.engine.model",
    "Property": "explorer.engine.model",
    "search": "explorer.engine.search",
    "SearchSettings": "explorer.engine.results",
    "SearchResult": "explorer.engine.results",
    "Violation": "explorer.engine.results",
    "fingerprint": "explorer.engine.fingerprint",
    "ConfigError": "explorer.engine.errors",
    "ActorModel": "explorer.actors.model",
    "World": "explorer.actors.world",
    "Faults": "explorer.actors.faults",
    "CheckConfig": "explorer.models.config",
    "build_model": "explorer.models.registry",
}

__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'explorer' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)

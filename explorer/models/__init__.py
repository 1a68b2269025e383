"""Built-in models and the registry behind ``--model``.

- registry.py: from a :class:`CheckConfig` (config.py) to a model: the built-in names
  and ``package.module:Name`` for a user's own;
- paxos.py: Basic and Multi-Paxos (paxos_core inside the actor world), with their
  properties in paxos_properties.py;
- tla_paxos.py: a hand-written mirror of Lamport's Paxos.tla (cross-checked with TLC).
"""

from explorer.models.registry import (
    BUILTIN_MODELS,
    PAXOS_MODELS,
    TLA_PAXOS,
    build_model,
    check_model_name,
    is_custom_model,
    load_factory,
    normalize_config,
)

__all__ = [
    "BUILTIN_MODELS",
    "PAXOS_MODELS",
    "TLA_PAXOS",
    "build_model",
    "check_model_name",
    "is_custom_model",
    "load_factory",
    "normalize_config",
]

"""The model registry: from a :class:`CheckConfig` to a :class:`Model`.

Built-in models are named (``multipaxos``, ``basic``, ``tla-paxos``); any other name of
the form ``package.module:Name`` loads a user's model. ``Name`` is looked up in the
module (imported with the current directory on ``sys.path``) and must be callable:

- if it accepts one positional argument it is called as ``Name(config)`` with the
  :class:`CheckConfig` (so the model can honour ``--nodes``, ``--variant``, ...);
- otherwise it is called as ``Name()``.

A ``Model`` subclass works either way (its ``__init__`` decides), and so does a plain
factory function. The result must be a :class:`Model` instance. A model that supports
``--variant`` lists its variant names in a ``VARIANTS`` attribute (on the class or the
factory); the first is checked when ``--variant`` is not given. Without ``VARIANTS``,
only the default variant ``correct`` is accepted.

Every problem (unknown name, import error, wrong type, bad option for the model) is a
:class:`ConfigError`, which the CLI prints on one line with exit code 2.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
from collections.abc import Callable
from typing import Any

from explorer.engine.model import Model
from explorer.models.config import CheckConfig, ConfigError, Faults
from explorer.models.user_modules import import_user_module

PAXOS_MODELS = ("multipaxos", "basic")
TLA_PAXOS = "tla-paxos"
BUILTIN_MODELS = (*PAXOS_MODELS, TLA_PAXOS)

_CUSTOM_MODEL = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*:[A-Za-z_][\w]*$")

# tla-paxos mirrors Paxos.tla: 3 acceptors, no clients, no faults, no variants.
# These options mean nothing to it, so setting them is an error rather than ignored.
_TLA_FIXED: dict[str, Any] = {"nodes": 3, "clients": 0, "ops": 0, "faults": Faults()}


def is_custom_model(name: str) -> bool:
    return ":" in name


def check_model_name(name: str) -> None:
    """Raise ConfigError unless ``name`` is a built-in model or a ``package.module:Name``."""
    if name in BUILTIN_MODELS:
        return
    if is_custom_model(name):
        if not _CUSTOM_MODEL.match(name):
            raise ConfigError(f"--model {name!r} is not of the form package.module:Name")
        return
    raise ConfigError(
        f"unknown model {name!r} (known: {', '.join(BUILTIN_MODELS)}, or package.module:Name)"
    )


def normalize_config(config: CheckConfig, explicit: set[str] | frozenset[str] = frozenset()) -> CheckConfig:
    """Pin the options a model ignores, so traces and summaries say what was checked.

    ``explicit`` names the options the user set on the command line: setting one that
    the model ignores is an error rather than silently dropped.
    """
    if is_custom_model(config.model):
        # A user's model names its variants; without --variant the first is checked.
        variants = getattr(load_factory(config.model), "VARIANTS", None)
        if "variant" not in explicit and variants:
            return dataclasses.replace(config, variant=str(list(variants)[0]))
        return config
    if config.model != TLA_PAXOS:
        return config
    for name, fixed in _TLA_FIXED.items():
        if name in explicit and getattr(config, name) != fixed:
            raise ConfigError(
                f"tla-paxos mirrors Paxos.tla and has no --{name} option "
                f"(it is fixed at {fixed or 'none'})"
            )
    for name in ("phase1_quorum", "phase2_quorum", "network"):
        if name in explicit:
            raise ConfigError(f"tla-paxos has majority quorums only; --{name.replace('_', '-')} does not apply")
    if config.extra:
        raise ConfigError("tla-paxos has no --extra options")
    return dataclasses.replace(config, **_TLA_FIXED)


def load_factory(name: str) -> Callable[..., Any]:
    """Import ``package.module:Name`` (cwd on sys.path) and return the callable ``Name``."""
    check_model_name(name)
    module_name, _, attr = name.partition(":")
    module = import_user_module(module_name, purpose=f" for --model {name}")
    factory = getattr(module, attr, None)
    if factory is None:
        raise ConfigError(f"module {module_name!r} has no attribute {attr!r} (--model {name})")
    if not callable(factory):
        raise ConfigError(f"--model {name}: {attr!r} is not a Model subclass or factory")
    return factory


def _wants_config(factory: Callable[..., Any]) -> bool:
    """True when ``factory`` takes one positional argument (the CheckConfig)."""
    try:
        signature = inspect.signature(factory)
    except (TypeError, ValueError):
        return False
    positional = [
        p
        for p in signature.parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    if any(p.kind == p.VAR_POSITIONAL for p in signature.parameters.values()):
        return False
    return len(positional) >= 1 and (
        positional[0].default is inspect.Parameter.empty
        or len(positional) == 1
    )


def _check_variant(config: CheckConfig, variants: Any, what: str) -> None:
    if variants is None:
        if config.variant != "correct":
            raise ConfigError(f"{what} has no variants; unknown --variant {config.variant!r}")
        return
    names = [str(v) for v in variants]
    if config.variant not in names:
        raise ConfigError(
            f"unknown --variant {config.variant!r} for {what} (known: {', '.join(names)})"
        )


def _build_custom(config: CheckConfig) -> Model[Any, Any]:
    factory = load_factory(config.model)
    _check_variant(config, getattr(factory, "VARIANTS", None), config.model)
    try:
        model = factory(config) if _wants_config(factory) else factory()
    except ConfigError:
        raise
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"--model {config.model}: {exc}") from None
    if not isinstance(model, Model):
        raise ConfigError(
            f"--model {config.model} returned {type(model).__name__}, not an explorer.engine.model.Model"
        )
    return model


def build_model(config: CheckConfig) -> Model[Any, Any]:
    """The model ``config`` describes; ConfigError for anything that cannot be built."""
    config.validate()
    check_model_name(config.model)
    if is_custom_model(config.model):
        return _build_custom(config)
    if config.model == TLA_PAXOS:
        from explorer.models.tla_paxos import TlaPaxos

        _check_variant(config, getattr(TlaPaxos, "VARIANTS", None), TLA_PAXOS)
        bug = None if config.variant == "correct" else config.variant
        try:
            return TlaPaxos(ballots=config.ballots, symmetry=config.symmetry, bug=bug)
        except ConfigError:
            raise
        except ValueError as exc:
            raise ConfigError(f"tla-paxos: {exc}") from None
    from explorer.models.paxos import build as build_paxos

    try:
        model: Model[Any, Any] = build_paxos(config)
    except ConfigError:
        raise
    except ValueError as exc:
        raise ConfigError(f"{config.model}: {exc}") from None
    return model

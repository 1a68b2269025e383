"""Configuration of one check: everything needed to rebuild the model and the search.

A :class:`CheckConfig` is what ``synod check`` parses from its options, what a trace
stores (``to_json``) and what ``synod replay`` rebuilds the model from (``from_json``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from explorer.actors.faults import FAULT_KINDS, Faults
from explorer.actors.network import NETWORKS
from explorer.engine.errors import ConfigError

__all__ = ["FAULT_KINDS", "NETWORKS", "CheckConfig", "ConfigError", "Faults", "extra_pairs", "parse_extra"]


# Upper bounds on the world's size: far beyond what any search can explore, low enough
# that building the model is instant (--nodes 1000 took 31 s before the first state).
MAX_NODES = 64
MAX_CLIENTS = 64
# Far beyond any world a search gets through, and low enough that building the model
# stays instant: --ops 10^30 built a client schedule forever, tla-paxos --ballots 10^30
# its messages (hangs found by bench/fuzz_cli.py).
MAX_OPS = 1000
MAX_BALLOTS = 1000


@dataclass(frozen=True)
class CheckConfig:
    """The model half of a check (what to build); search settings live beside it."""

    model: str = "multipaxos"
    nodes: int = 3
    clients: int = 2
    ops: int = 1
    faults: Faults = field(default_factory=lambda: Faults(drop=1, crash=1))
    variant: str = "correct"
    network: str = "unordered"  # or "fifo"
    ballots: int = 2  # bound on ballot rounds (tla-paxos: ballots 0..B)
    symmetry: bool = False
    phase1_quorum: int | None = None  # None: majority
    phase2_quorum: int | None = None  # None: majority
    extra: tuple[tuple[str, Any], ...] = ()  # model-specific options, sorted pairs

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["faults"] = asdict(self.faults)
        data["extra"] = dict(self.extra)
        return data

    @staticmethod
    def from_json(data: dict[str, Any], *, require_all: bool = False) -> CheckConfig:
        """Rebuild a configuration from ``to_json`` output, checking every type.

        ``require_all`` (used for traces) also rejects a configuration with missing keys,
        so a trace cannot silently fall back on defaults that may have changed since.
        """
        if not isinstance(data, dict):
            raise ConfigError("configuration must be a JSON object")
        known = {f.name for f in fields(CheckConfig)}
        unknown = set(data) - known
        if unknown:
            raise ConfigError(f"unknown configuration keys: {', '.join(sorted(unknown))}")
        if require_all and known - set(data):
            raise ConfigError(
                f"configuration lacks keys: {', '.join(sorted(known - set(data)))}"
            )
        values = dict(data)
        for name, expected in _FIELD_TYPES.items():
            if name in values and not _has_type(values[name], expected):
                raise ConfigError(f"configuration {name!r} must be {expected}, got {values[name]!r}")
        if "faults" in values:
            faults = values["faults"]
            if (
                not isinstance(faults, dict)
                or set(faults) - set(FAULT_KINDS)
                or not all(_has_type(v, "int") for v in faults.values())
            ):
                raise ConfigError("configuration 'faults' must map drop/dup/crash/partition to ints")
            values["faults"] = Faults(**faults)
        if "extra" in values:
            values["extra"] = extra_pairs(dict(values["extra"]))
        return CheckConfig(**values)

    def validate(self) -> None:
        """Reject configurations no model can check (one-line ConfigError)."""
        if not self.model:
            raise ConfigError("--model must not be empty")
        if self.nodes < 1:
            raise ConfigError(f"--nodes must be at least 1, got {self.nodes}")
        if self.nodes > MAX_NODES:
            raise ConfigError(f"--nodes must be at most {MAX_NODES}, got {self.nodes}")
        if self.clients < 0:
            raise ConfigError(f"--clients must be >= 0, got {self.clients}")
        if self.clients > MAX_CLIENTS:
            raise ConfigError(f"--clients must be at most {MAX_CLIENTS}, got {self.clients}")
        if not 0 <= self.ops <= MAX_OPS:
            raise ConfigError(f"--ops must be 0..{MAX_OPS}, got {self.ops}")
        if not 0 <= self.ballots <= MAX_BALLOTS:
            raise ConfigError(f"--ballots must be 0..{MAX_BALLOTS}, got {self.ballots}")
        for kind in FAULT_KINDS:
            if getattr(self.faults, kind) < 0:
                raise ConfigError(f"fault budget {kind} must be >= 0, got {getattr(self.faults, kind)}")
        if self.network not in NETWORKS:
            raise ConfigError(
                f"unknown --network {self.network!r} (known: {', '.join(NETWORKS)})"
            )
        if not self.variant:
            raise ConfigError("--variant must not be empty")
        for option, quorum in (
            ("--phase1-quorum", self.phase1_quorum),
            ("--phase2-quorum", self.phase2_quorum),
        ):
            if quorum is not None and not 1 <= quorum <= self.nodes:
                raise ConfigError(
                    f"{option} {quorum} is impossible with {self.nodes} nodes (want 1..{self.nodes})"
                )


# JSON types of CheckConfig fields, checked when a configuration is read from a file.
_FIELD_TYPES: dict[str, str] = {
    "model": "str",
    "nodes": "int",
    "clients": "int",
    "ops": "int",
    "faults": "dict",
    "variant": "str",
    "network": "str",
    "ballots": "int",
    "symmetry": "bool",
    "phase1_quorum": "int or null",
    "phase2_quorum": "int or null",
    "extra": "dict",
}


def extra_pairs(extra: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    """``CheckConfig.extra`` from a mapping: sorted pairs, JSON lists as tuples (hashable)."""
    return tuple(sorted((key, _lists_to_tuples(value)) for key, value in extra.items()))


def parse_extra(items: list[str]) -> tuple[tuple[str, Any], ...]:
    """``--extra KEY=VALUE`` options as ``CheckConfig.extra``. VALUE is JSON when it parses
    as JSON (``[0,1]``, ``0``, ``false``), else the plain string."""
    import json

    extra: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(f"--extra takes KEY=VALUE (e.g. retries=0), got {item!r}")
        if key in extra:
            raise ConfigError(f"--extra {key} is given twice")
        try:
            extra[key] = json.loads(text)
        except ValueError:
            extra[key] = text
        except RecursionError:
            raise ConfigError(f"--extra {key}: the value is nested too deeply") from None
    try:
        return extra_pairs(extra)
    except RecursionError:
        raise ConfigError("--extra: a value is nested too deeply") from None


def _lists_to_tuples(value: Any) -> Any:
    """``value`` with every JSON list (recursively) as a tuple.

    ``to_json`` writes tuples as lists; turning them back keeps a configuration read
    from a trace equal to the one written, and hashable.
    """
    if isinstance(value, list):
        return tuple(_lists_to_tuples(item) for item in value)
    return value


def _has_type(value: Any, expected: str) -> bool:
    # bool is an int subclass in Python; a JSON true is never a node count.
    if expected == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if expected == "int or null":
        return value is None or _has_type(value, "int")
    if expected == "str":
        return isinstance(value, str)
    if expected == "bool":
        return isinstance(value, bool)
    if expected == "dict":
        return isinstance(value, dict)
    raise AssertionError(expected)

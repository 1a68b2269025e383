"""Configuration of one check: everything needed to rebuild the model and the search.

A :class:`CheckConfig` is what ``synod check`` parses from its options, what a trace
stores (``to_json``) and what ``synod replay`` rebuilds the model from (``from_json``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any


class ConfigError(ValueError):
    """A configuration that cannot be checked; the CLI prints it on one line, exit 2."""


FAULT_KINDS = ("drop", "dup", "crash", "partition")


@dataclass(frozen=True)
class Faults:
    """Fault budgets for one run: how many of each fault the explorer may inject."""

    drop: int = 0
    dup: int = 0
    crash: int = 0
    partition: int = 0

    @staticmethod
    def parse(text: str) -> Faults:
        """Parse ``drop=1,dup=1,crash=1,partition=1`` (missing kinds are 0; ``none`` is all 0)."""
        text = text.strip()
        if text in ("", "none"):
            return Faults()
        values: dict[str, int] = {}
        for part in text.split(","):
            name, sep, num = part.partition("=")
            name = name.strip()
            if name not in FAULT_KINDS:
                raise ConfigError(
                    f"unknown fault {name!r} in --faults (known: {', '.join(FAULT_KINDS)})"
                )
            if not sep or not num.strip().isdigit():
                raise ConfigError(f"--faults wants NAME=COUNT with COUNT >= 0, got {part!r}")
            values[name] = int(num)
        return Faults(**values)

    def __str__(self) -> str:
        return ",".join(f"{k}={v}" for k, v in asdict(self).items())


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
    def from_json(data: dict[str, Any]) -> CheckConfig:
        if not isinstance(data, dict):
            raise ConfigError("configuration must be a JSON object")
        known = {f.name for f in fields(CheckConfig)}
        unknown = set(data) - known
        if unknown:
            raise ConfigError(f"unknown configuration keys: {', '.join(sorted(unknown))}")
        values = dict(data)
        if "faults" in values:
            faults = values["faults"]
            if not isinstance(faults, dict) or set(faults) - set(FAULT_KINDS):
                raise ConfigError("configuration 'faults' must map drop/dup/crash/partition to ints")
            values["faults"] = Faults(**faults)
        if "extra" in values:
            values["extra"] = tuple(sorted(dict(values["extra"]).items()))
        return CheckConfig(**values)

"""Fault budgets and the fault actions they allow.

A fault is one of :data:`FAULT_KINDS`: drop a message in flight, duplicate one, crash
a server, or isolate a partition group. :class:`Faults` holds how many of each the
explorer may inject in one run; the world carries what is left (``budgets``, in the
order of :data:`FAULT_KINDS`). Restarts and heals are free: they undo a fault.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass

from explorer.actors.world import Crash, Heal, Partition, Restart
from explorer.engine.errors import ConfigError

FAULT_KINDS = ("drop", "dup", "crash", "partition")
DROP, DUP, CRASH, PARTITION = range(4)  # positions in a world's ``budgets``

Budgets = tuple[int, int, int, int]


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
            # isdigit() alone accepts non-ASCII digits ("١") and superscripts.
            if not sep or not (num.strip().isascii() and num.strip().isdigit()):
                raise ConfigError(f"--faults wants NAME=COUNT with COUNT >= 0, got {part!r}")
            if name in values:
                raise ConfigError(f"--faults gives {name!r} twice, in {text!r}")
            values[name] = int(num)
        return Faults(**values)

    def __str__(self) -> str:
        return ",".join(f"{k}={v}" for k, v in asdict(self).items())

    def budgets(self) -> Budgets:
        """The world's initial ``budgets``."""
        return (self.drop, self.dup, self.crash, self.partition)


def spend(budgets: Budgets, which: int) -> Budgets:
    """``budgets`` with one fault of kind ``which`` (e.g. :data:`DROP`) used."""
    b = list(budgets)
    b[which] -= 1
    return (b[0], b[1], b[2], b[3])


def node_fault_actions(
    servers: Iterable[int],
    crashed: tuple[int, ...],
    isolated: tuple[int, ...],
    budgets: Budgets,
    partition_groups: Iterable[tuple[int, ...]],
) -> list[Crash | Restart | Partition | Heal]:
    """The crash, restart, partition and heal actions enabled in a world.

    A live server may crash while the crash budget lasts; a crashed one may restart;
    with the network whole a partition group may be cut off while the partition budget
    lasts; a cut-off group may heal. (Drops and duplicates act on messages: the actor
    model enumerates them beside deliveries.)
    """
    out: list[Crash | Restart | Partition | Heal] = []
    if budgets[CRASH]:
        for s in servers:
            if s not in crashed:
                out.append(Crash(s))
    for s in crashed:
        out.append(Restart(s))
    if isolated:
        out.append(Heal(isolated))
    elif budgets[PARTITION]:
        for g in partition_groups:
            out.append(Partition(g))
    return out

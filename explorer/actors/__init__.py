"""The actor-system adapter: sans-IO nodes, a network and faults, as one checkable Model.

- world.py: the :class:`World` (the whole system's state) and the actions;
- network.py: network semantics (unordered multiset, FIFO links);
- faults.py: fault budgets and the fault actions they allow;
- symmetry.py: address renaming and orbit representatives;
- footprint.py: what each action reads and writes, the persistent sets of
  partial-order reduction, :class:`Reads` (what a property reads);
- model.py: :class:`ActorModel`, which puts them together;
- components.py: the world's parts by name (for coverage and the sanitizer);
- script.py: a scripted opening (a world that starts where fixed actions lead).
"""

from explorer.actors.faults import FAULT_KINDS, Faults
from explorer.actors.footprint import Reads
from explorer.actors.model import ActorModel
from explorer.actors.network import NETWORKS
from explorer.actors.world import (
    ACTION_KINDS,
    ActorAction,
    Crash,
    Deliver,
    Drop,
    Duplicate,
    FireTimer,
    Heal,
    Node,
    Partition,
    Restart,
    World,
    to_jsonable,
)

__all__ = [
    "ACTION_KINDS",
    "FAULT_KINDS",
    "NETWORKS",
    "ActorAction",
    "ActorModel",
    "Crash",
    "Deliver",
    "Drop",
    "Duplicate",
    "Faults",
    "FireTimer",
    "Heal",
    "Node",
    "Partition",
    "Reads",
    "Restart",
    "World",
    "to_jsonable",
]

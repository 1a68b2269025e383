"""What a search is asked to do, and what it reports back.

Shared by the search engine (``explorer.engine.search``), the trace writer and the CLI.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any, Literal

Strategy = Literal["bfs", "dfs", "random", "swarm"]
STRATEGIES: tuple[str, ...] = ("bfs", "dfs", "random", "swarm")
Backend = Literal["local", "ray"]
BACKENDS: tuple[str, ...] = ("local", "ray")


@dataclass(frozen=True)
class SearchSettings:
    """Bounds and strategy of one search. ``None`` means unbounded."""

    strategy: Strategy = "bfs"
    max_depth: int | None = None  # number of actions on a path
    max_states: int | None = None  # distinct states
    time_limit: float | None = None  # seconds of wall time
    max_memory_mb: int | None = None  # resident memory of the search process
    seed: int = 0  # random and swarm
    walks: int | None = None  # random and swarm: number of walks (None: until other bounds)
    workers: int = 1  # processes (bfs) or, on Ray, actors (bfs) and task slots (random, swarm)
    symmetry: bool = False
    collect: bool = False  # keep searching after a violation, collecting one per property
    shrink: bool = True  # delta-debug random/swarm counterexamples before reporting
    backend: Backend = "local"  # where the workers run: local processes, or Ray actors and tasks
    address: str | None = None  # Ray: the cluster to join (None: start a local instance)
    por: bool = False  # partial-order reduction (bfs, dfs; docs/por.md)


@dataclass
class Violation:
    """A property that failed, with the path that shows it.

    ``actions[i]`` leads from ``states[i]`` to ``states[i+1]``; the property fails in
    ``states[-1]``, reached after ``len(actions)`` steps.
    """

    property_name: str
    kind: str  # "always" or "final"
    actions: list[Hashable]
    states: list[Hashable]
    init_index: int = 0  # which of model.init_states() the path starts from

    @property
    def step(self) -> int:
        return len(self.actions)


@dataclass
class Progress:
    """A snapshot for live progress displays."""

    distinct_states: int
    generated: int
    depth: int  # actions on the longest path so far (BFS: the level being generated)
    queue: int
    elapsed_s: float
    states_per_s: float
    memory_mb: float
    walks: int = 0
    worker_states: tuple[int, ...] = ()  # distributed BFS: distinct states owned by each worker


@dataclass
class SearchResult:
    """The outcome of a search within its bounds."""

    verdict: Literal["holds", "violated"]
    complete: bool  # the whole space within the bounds was explored
    distinct_states: int
    generated: int  # successor states computed (TLC's "states generated")
    levels: int  # states on the longest path explored, the initial one included (TLC's level count)
    elapsed_s: float
    violations: list[Violation] = field(default_factory=list)
    sometimes: dict[str, bool] = field(default_factory=dict)  # name -> witnessed
    stopped_by: str | None = None  # "states", "time", "memory", "depth", "walks", "interrupted"
    walks: int = 0  # random and swarm
    level_sizes: list[int] = field(default_factory=list)  # bfs: distinct new states per level
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def depth(self) -> int:
        """Actions on the longest path explored: the one meaning of "depth" (``--depth 8``
        explored to depth 8); ``levels`` is one more, as TLC counts."""
        return max(self.levels - 1, 0)

    @property
    def states_per_s(self) -> float:
        return self.distinct_states / self.elapsed_s if self.elapsed_s > 0 else 0.0

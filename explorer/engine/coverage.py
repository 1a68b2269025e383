"""Coverage: which actions produce the states, and which parts of the state multiply them.

:class:`CoverageModel` wraps a model and counts as the search runs, so the search engine
needs no hook and pays nothing when coverage is off. It sees every ``successors`` call:

- per action kind, action class (``deliver Promise``) and node: the transitions taken
  and the new states they produced (a state is new the first time any transition
  reaches it; the transitions out of a state are counted when it is expanded at a
  depth shallower than before: once under BFS, so re-executing a counterexample path
  counts nothing twice, again when DFS re-expands a state it met higher up, and not at
  all for a state on the depth bound, which DFS only peeks at);
- per field of the state (``explorer.engine.components``): the distinct values taken;
- per BFS level and per group of the state: the distinct values, and the
  *multiplier*: the level's new states divided by the distinct states they would be
  with that group forgotten. A multiplier of 4.1 for the client history at depth 8
  means: erase the history from the states first reached at depth 8 and 4.1 times
  fewer distinct states remain; it is what bounding or abstracting the history would
  save there.

Counts are exact (sets of values and of 64-bit hashes of small-int vectors), and
deterministic: they depend on the exploration order only through which transition
reaches a state first, which the engine fixes. Under BFS a level's sets are dropped as
soon as the level is complete; memory is the largest level times the number of groups.
Coverage applies to the strategies that expand states through ``successors`` (BFS in
one process and DFS); the caller checks that.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from explorer.engine.components import Components
from explorer.engine.model import Model, Property


@dataclass
class Tally:
    """Transitions taken and new states produced (by one action kind, class or node)."""

    transitions: int = 0
    new_states: int = 0

    def to_json(self) -> dict[str, int]:
        return {"transitions": self.transitions, "new_states": self.new_states}


@dataclass
class _OpenLevel:
    """A BFS level still growing: its new states' group values and projections."""

    new_states: int = 0
    values: dict[str, set[int]] = field(default_factory=dict)  # group -> value ids
    projections: dict[str, set[tuple[int, ...]]] = field(default_factory=dict)  # group -> projections


@dataclass(frozen=True)
class GroupAtLevel:
    values: int  # distinct values of the group among the level's new states
    projected: int  # distinct new states of the level once the group is forgotten

    def multiplier(self, new_states: int) -> float:
        return new_states / self.projected if self.projected else 1.0


@dataclass(frozen=True)
class LevelCoverage:
    depth: int
    new_states: int
    groups: dict[str, GroupAtLevel]


class CoverageModel(Model[Any, Any]):
    """``model`` with every expansion counted (see the module docstring)."""

    def __init__(
        self,
        model: Model[Any, Any],
        components: Components,
        *,
        symmetry: bool = False,
        level_order: bool = True,
        max_depth: int | None = None,
    ) -> None:
        self.inner = model
        self.components = components
        self.name = model.name
        self.symmetry = symmetry
        self.level_order = level_order  # BFS: a level is final once a deeper one expands
        # DFS looks at a state on the depth bound (has it successors?) without expanding it
        self.max_depth = max_depth
        self.depth_of: dict[int, int] = {}
        self.expanded: dict[int, int] = {}  # fingerprint -> depth it was expanded at
        self.by_kind: dict[str, Tally] = {}
        self.by_class: dict[str, Tally] = {}
        self.by_node: dict[str, Tally] = {}
        self.field_values: dict[str, set[Hashable]] = {}
        self.group_ids: dict[str, dict[Hashable, int]] = {}
        self.open_levels: dict[int, _OpenLevel] = {}
        self.levels: dict[int, LevelCoverage] = {}

    # -- counting -----------------------------------------------------------------------

    def _fp(self, state: Any) -> int:
        return self.inner.fingerprint(self.inner.representative(state) if self.symmetry else state)

    def _admit(self, state: Any, depth: int) -> bool:
        """Note ``state`` first reached at ``depth``; False if it was known."""
        fp = self._fp(state)
        known = self.depth_of.get(fp)
        if known is not None:
            if depth < known:
                self.depth_of[fp] = depth  # DFS met it higher up: it will be expanded there
            return False
        self.depth_of[fp] = depth
        values = self.field_values
        for name, value in self.components.fields(state):
            seen = values.get(name)
            if seen is None:
                seen = values[name] = set()
            seen.add(value)
        level = self.open_levels.get(depth)
        if level is None:
            level = self.open_levels[depth] = _OpenLevel()
        level.new_states += 1
        names: list[str] = []
        ids: list[int] = []
        for name, value in self.components.groups(state):
            table = self.group_ids.get(name)
            if table is None:
                table = self.group_ids[name] = {}
            ident = table.get(value)
            if ident is None:
                ident = table[value] = len(table)
            names.append(name)
            ids.append(ident)
        for i, name in enumerate(names):
            level.values.setdefault(name, set()).add(ids[i])
            # the state with group i forgotten: the other groups' ids, kept as the tuple
            # itself (a hash of it could merge two projections and miscount)
            level.projections.setdefault(name, set()).add((*ids[:i], *ids[i + 1 :]))
        return True

    def _close_levels(self, upto: int) -> None:
        for depth in sorted(d for d in self.open_levels if d <= upto):
            level = self.open_levels.pop(depth)
            self.levels[depth] = LevelCoverage(
                depth,
                level.new_states,
                {
                    name: GroupAtLevel(len(level.values[name]), len(level.projections[name]))
                    for name in level.values
                },
            )

    def _count(self, action: Any, new: bool) -> None:
        cls, node = self.components.action_info(action)
        keys: list[tuple[dict[str, Tally], str]] = [
            (self.by_kind, self.inner.action_kind(action)),
            (self.by_class, cls),
        ]
        if node is not None:
            keys.append((self.by_node, node))
        for table, key in keys:
            tally = table.get(key)
            if tally is None:
                tally = table[key] = Tally()
            tally.transitions += 1
            if new:
                tally.new_states += 1

    def finish(self) -> list[LevelCoverage]:
        """Close every level still open; the levels in depth order."""
        if self.open_levels:
            self._close_levels(max(self.open_levels))
        return [self.levels[d] for d in sorted(self.levels)]

    # -- the Model interface, delegated ---------------------------------------------------

    def init_states(self) -> Sequence[Any]:
        states = self.inner.init_states()
        for state in states:
            self._admit(state, 0)
        return states

    def successors(self, state: Any) -> Iterable[tuple[Any, Any]]:
        fp = self._fp(state)
        depth = self.depth_of.get(fp, 0)
        before = self.expanded.get(fp)
        if (before is not None and before <= depth) or (
            self.max_depth is not None and depth >= self.max_depth
        ):
            yield from self.inner.successors(state)
            return
        self.expanded[fp] = depth
        if self.level_order:
            self._close_levels(depth)
        for action, nxt in self.inner.successors(state):
            self._count(action, nxt != state and self._admit(nxt, depth + 1))
            yield action, nxt

    def actions(self, state: Any) -> Iterable[Any]:
        return self.inner.actions(state)

    def next_state(self, state: Any, action: Any) -> Any:
        return self.inner.next_state(state, action)

    def properties(self) -> Sequence[Property[Any]]:
        return self.inner.properties()

    def within_boundary(self, state: Any) -> bool:
        return self.inner.within_boundary(state)

    def representative(self, state: Any) -> Any:
        return self.inner.representative(state)

    def action_kind(self, action: Any) -> str:
        return self.inner.action_kind(action)

    def format_action(self, action: Any) -> str:
        return self.inner.format_action(action)

    def config(self) -> dict[str, Any]:
        return self.inner.config()

    def fingerprint(self, state: Any) -> int:
        return self.inner.fingerprint(state)

    def adopt(self, state: Any) -> Any:
        return self.inner.adopt(state)

    def __getattr__(self, name: str) -> Any:
        # model-specific hooks (history, ...) read through the wrapper
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

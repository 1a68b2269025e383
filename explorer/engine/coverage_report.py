"""What coverage says, as data (``--json``) and in plain words.

Built from a finished :class:`~explorer.engine.coverage.CoverageModel`. The summary
names the largest contributors: the level's growth, the groups of the state with the
largest multipliers at the deepest level (what to bound or abstract), the action
classes that produced most new states, and the fields with the most distinct values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from explorer.engine.coverage import CoverageModel, LevelCoverage, Tally

#: multipliers below this are not worth naming
NOTABLE_MULTIPLIER = 1.05
#: how many contributors of each kind the summary names
TOP = 3


@dataclass
class CoverageReport:
    total_new_states: int
    by_kind: dict[str, Tally]
    by_class: dict[str, Tally]
    by_node: dict[str, Tally]
    field_values: dict[str, int]
    group_values: dict[str, int]
    levels: list[LevelCoverage]
    group_words: dict[str, str]

    @staticmethod
    def of(model: CoverageModel) -> CoverageReport:
        levels = model.finish()
        groups = sorted(model.group_ids)
        return CoverageReport(
            total_new_states=len(model.depth_of),
            by_kind=_sorted_tallies(model.by_kind),
            by_class=_sorted_tallies(model.by_class),
            by_node=dict(sorted(model.by_node.items(), key=lambda kv: _node_key(kv[0]))),
            field_values={name: len(v) for name, v in model.field_values.items()},
            group_values={name: len(model.group_ids[name]) for name in groups},
            levels=levels,
            group_words={name: model.components.describe_group(name) for name in groups},
        )

    # -- reading ------------------------------------------------------------------------

    def growth(self, depth: int) -> float | None:
        """New states at ``depth`` over new states at ``depth - 1`` (None at depth 0)."""
        by_depth = {lv.depth: lv.new_states for lv in self.levels}
        before = by_depth.get(depth - 1)
        if not before or depth not in by_depth:
            return None
        return by_depth[depth] / before

    def top_multipliers(self, level: LevelCoverage) -> list[tuple[str, float, int]]:
        """``(group, multiplier, states with it forgotten)``, largest first (ties by name)."""
        rows = [
            (name, g.multiplier(level.new_states), g.projected) for name, g in level.groups.items()
        ]
        rows.sort(key=lambda r: (-r[1], r[0]))
        return [r for r in rows if r[1] >= NOTABLE_MULTIPLIER]

    def summary(self) -> list[str]:
        """The largest contributors in plain words, one sentence a line."""
        lines: list[str] = []
        if not self.levels:
            return ["no state was explored"]
        deepest = self.levels[-1]
        d = deepest.depth
        growth = self.growth(d)
        sizes = ", ".join(f"{lv.new_states:,}" for lv in self.levels)
        line = f"{self.total_new_states:,} states over depths 0..{d} (new per level: {sizes})"
        if growth is not None:
            line += f"; the last level is {growth:.1f} times the one before"
        lines.append(line + ".")
        top = self.top_multipliers(deepest)
        for name, mult, projected in top[:TOP]:
            lines.append(
                f"{_capital(self.group_words.get(name, name))} multiplies states by {mult:.1f} "
                f"at depth {d} (forgotten, the {deepest.new_states:,} new states there would "
                f"be {projected:,})."
            )
        if not top:
            lines.append(f"No single part of the state multiplies the states at depth {d}.")
        produced = sorted(self.by_class.items(), key=lambda kv: (-kv[1].new_states, kv[0]))
        total = sum(t.new_states for t in self.by_class.values())
        for cls, tally in produced[:TOP]:
            if total and tally.new_states:
                lines.append(
                    f"'{cls}' actions produced {100 * tally.new_states / total:.0f}% of the new "
                    f"states ({tally.new_states:,} of {total:,}, from {tally.transitions:,} transitions)."
                )
        fields = sorted(self.field_values.items(), key=lambda kv: (-kv[1], kv[0]))
        varied = [f"{name} ({n:,})" for name, n in fields[:TOP] if n > 1]
        if varied:
            lines.append("The fields with the most distinct values: " + ", ".join(varied) + ".")
        return lines

    def to_json(self) -> dict[str, Any]:
        return {
            "new_states": self.total_new_states,
            "actions": {
                "by_kind": {k: t.to_json() for k, t in self.by_kind.items()},
                "by_class": {k: t.to_json() for k, t in self.by_class.items()},
                "by_node": {k: t.to_json() for k, t in self.by_node.items()},
            },
            "distinct_values": {"groups": self.group_values, "fields": self.field_values},
            "levels": [
                {
                    "depth": lv.depth,
                    "new_states": lv.new_states,
                    "growth": self.growth(lv.depth),
                    "groups": {
                        name: {
                            "values": g.values,
                            "multiplier": round(g.multiplier(lv.new_states), 3),
                        }
                        for name, g in sorted(lv.groups.items())
                    },
                }
                for lv in self.levels
            ],
            "summary": self.summary(),
        }


def _sorted_tallies(table: dict[str, Tally]) -> dict[str, Tally]:
    return dict(sorted(table.items(), key=lambda kv: (-kv[1].transitions, kv[0])))


def _node_key(name: str) -> tuple[int, str]:
    return (int(name), "") if name.isdigit() else (1 << 30, name)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]

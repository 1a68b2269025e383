"""Message sequence diagrams of a run, in the ASCII style of DESIGN.md.

One column per client and replica (clients first, as people draw Paxos), one row per
step. A delivery is an arrow from sender to receiver with the message beside it::

    step  Clients  Replicas
           3  4    0  1  2
       1   #--------->|  |   deliver Request(client=3, seq=1, op=('put', 'x', 1))
       2   |  |    #->|  |   deliver Prepare(ballot=(1, 0), slot=0)
       3   |  |    |  X  |   crash 1
    !! 4   |  |    |<----#   deliver Promise(...)   <- property 'agreement' violated

Marks: ``#`` the sender, ``>``/``<`` the receiver, ``x`` the end of a dropped message,
``=`` a duplicated one, ``*`` a timer firing, ``X`` a crash (the column turns ``:``
until the restart, ``R``), ``%`` the isolated side of a partition and ``~`` a heal.
Client history events an action caused (invoke, completion) are noted after the label.

:func:`render_terminal` gives a rich renderable (coloured); :func:`render_html` gives one
self-contained HTML page (inline CSS, no external assets). A model that is not an
:class:`~explorer.actors.ActorModel` is drawn as a numbered list of action labels.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from rich.text import Text

from explorer.actors import ActorModel, World
from explorer.engine.model import Model
from paxos_core.events import Invoke

COLUMN_WIDTH = 4

# style class -> (rich style, CSS colour)
STYLES: dict[str, tuple[str, str]] = {
    "header": ("bold", "#e0e0e0"),
    "lane": ("dim", "#6c6c6c"),
    "deliver": ("cyan", "#4fc3f7"),
    "drop": ("yellow", "#ffd54f"),
    "dup": ("magenta", "#ce93d8"),
    "timer": ("blue", "#90caf9"),
    "crash": ("bold red", "#ef5350"),
    "restart": ("green", "#81c784"),
    "partition": ("yellow", "#ffb74d"),
    "heal": ("green", "#a5d6a7"),
    "history": ("italic", "#bdbdbd"),
    "step": ("dim", "#9e9e9e"),
    "fail": ("bold white on red", "#ffffff"),
    "plain": ("", "#e0e0e0"),
}

Segment = tuple[str, str]  # (text, style class)
Row = list[Segment]


def _history_note(model: ActorModel, before: World | None, after: World | None) -> str:
    """The client events an action appended to the history, as a short note."""
    if before is None or after is None or len(after.history) <= len(before.history):
        return ""
    notes = []
    for ev in after.history[len(before.history) :]:
        if isinstance(ev, Invoke):
            notes.append(f"client {ev.client} invokes #{ev.seq} {' '.join(map(str, ev.op))}")
        else:
            notes.append(f"client {ev.client} gets #{ev.seq} -> {ev.result!r}")
    return "  [" + "; ".join(notes) + "]"


class _Lanes:
    """The column geometry of one diagram."""

    def __init__(self, model: ActorModel) -> None:
        self.order: tuple[int, ...] = (*model.clients, *model.servers)
        self.x: dict[int, int] = {}
        pos = 1
        for addr in model.clients:
            self.x[addr] = pos
            pos += COLUMN_WIDTH
        if model.clients and model.servers:
            # air between the groups, and room for the "Clients" title above them
            pos = max(pos + COLUMN_WIDTH // 2, 1 + len("Clients") + 2)
        for addr in model.servers:
            self.x[addr] = pos
            pos += COLUMN_WIDTH
        self.width = pos

    def blank(self, down: frozenset[int]) -> list[str]:
        chars = [" "] * self.width
        for addr, x in self.x.items():
            chars[x] = ":" if addr in down else "|"
        return chars

    def arrow(self, chars: list[str], src: int, dst: int, body: str, head: str) -> None:
        """Draw ``src`` to ``dst``: ``#`` at the sender, ``head`` beside the receiver."""
        xs, xd = self.x[src], self.x[dst]
        if xs == xd:  # a message to oneself: a small loop
            chars[xs] = "#"
            if xs + 1 < len(chars):
                chars[xs + 1] = "@"
            return
        chars[xs] = "#"
        step = 1 if xd > xs else -1
        for x in range(xs + step, xd - step, step):
            chars[x] = body
        if head == ">":
            chars[xd - step] = ">" if step == 1 else "<"
        else:
            chars[xd - step] = head


def _actor_rows(
    model: ActorModel,
    states: Sequence[Any],
    actions: Sequence[Any],
    fail_step: int | None,
    property_name: str | None,
) -> list[Row]:
    lanes = _Lanes(model)
    rows: list[Row] = []
    # headers: group titles, then addresses centred on their columns
    titles = [" "] * (lanes.width + len("Replicas"))
    for label, group in (("Clients", model.clients), ("Replicas", model.servers)):
        if group:
            start = lanes.x[group[0]]
            for k, ch in enumerate(label):
                titles[start + k] = ch
    rows.append([("step ", "step"), ("".join(titles).rstrip(), "header")])
    ids = [" "] * (lanes.width + 4)
    for addr, x in lanes.x.items():
        for k, ch in enumerate(str(addr)):
            ids[x + k] = ch
    rows.append([("     ", "step"), ("".join(ids).rstrip(), "header")])

    down: set[int] = set()
    first = states[0] if states else None
    if isinstance(first, World):
        down = set(first.crashed)
        note = _history_note(model, World((), (), (), (), (), (0, 0, 0, 0), (), ()), first)
        if note:
            rows.append([("   0 ", "step"), ("".join(lanes.blank(frozenset(down))), "lane"), ("start" + note, "history")])
    if fail_step == 0:
        rows.append(_fail_row(property_name, 0))
    for i, action in enumerate(actions):
        kind = model.action_kind(action)
        chars = lanes.blank(frozenset(down))
        label = model.format_action(action)
        if kind in ("deliver", "drop", "dup"):
            src, dst, msg = action[0], action[1], action[2]
            if kind == "deliver":
                lanes.arrow(chars, src, dst, "-", ">")
            elif kind == "drop":
                lanes.arrow(chars, src, dst, "-", "x")
            else:
                lanes.arrow(chars, src, dst, "=", ">")
            label = ("" if kind == "deliver" else kind + " ") + model.format_message(msg)
        elif kind == "timer":
            chars[lanes.x[action[0]]] = "*"
        elif kind == "crash":
            chars[lanes.x[action[0]]] = "X"
            down.add(action[0])
        elif kind == "restart":
            chars[lanes.x[action[0]]] = "R"
            down.discard(action[0])
        elif kind in ("partition", "heal"):
            members = set(action[0])
            for addr, x in lanes.x.items():
                if addr in members:
                    chars[x] = "%" if kind == "partition" else "~"
        before = states[i] if i < len(states) else None
        after = states[i + 1] if i + 1 < len(states) else None
        note = _history_note(
            model,
            before if isinstance(before, World) else None,
            after if isinstance(after, World) else None,
        )
        failing = fail_step is not None and i + 1 == fail_step
        prefix = f"!!{i + 1:>2} " if failing else f"{i + 1:>4} "
        row: Row = [
            (prefix, "fail" if failing else "step"),
            ("".join(chars), kind if kind in STYLES else "plain"),
            ("  " + label, "fail" if failing else kind if kind in STYLES else "plain"),
        ]
        if note:
            row.append((note, "history"))
        rows.append(row)
        if failing:
            rows.append(_fail_row(property_name, i + 1))
    return rows


def _fail_row(property_name: str | None, step: int) -> Row:
    what = f"property {property_name!r}" if property_name else "the property"
    where = "in the initial state" if step == 0 else f"after step {step}"
    return [("     ", "step"), (f"^^ {what} violated {where}", "fail")]


def _list_rows(
    model: Model[Any, Any],
    actions: Sequence[Any],
    fail_step: int | None,
    property_name: str | None,
) -> list[Row]:
    rows: list[Row] = [[("step ", "step"), ("action", "header")]]
    if fail_step == 0:
        rows.append(_fail_row(property_name, 0))
    for i, action in enumerate(actions):
        failing = fail_step is not None and i + 1 == fail_step
        prefix = f"!!{i + 1:>2} " if failing else f"{i + 1:>4} "
        rows.append([(prefix, "fail" if failing else "step"), (model.format_action(action), "fail" if failing else "plain")])
        if failing:
            rows.append(_fail_row(property_name, i + 1))
    return rows


def diagram_rows(
    model: Model[Any, Any],
    states: Sequence[Any],
    actions: Sequence[Any],
    fail_step: int | None = None,
    property_name: str | None = None,
) -> list[Row]:
    """The diagram as rows of ``(text, style class)`` segments (shared by both renderers).

    ``actions[i]`` leads from ``states[i]`` to ``states[i + 1]``; ``fail_step`` is the
    number of actions after which the property failed (0: the initial state), or None.
    """
    if isinstance(model, ActorModel):
        return _actor_rows(model, states, actions, fail_step, property_name)
    return _list_rows(model, actions, fail_step, property_name)


def render_text(
    model: Model[Any, Any],
    states: Sequence[Any],
    actions: Sequence[Any],
    fail_step: int | None = None,
    property_name: str | None = None,
) -> str:
    """The diagram as plain text (no colours), one line per row."""
    rows = diagram_rows(model, states, actions, fail_step, property_name)
    return "\n".join("".join(text for text, _ in row).rstrip() for row in rows)


def render_terminal(
    model: Model[Any, Any],
    states: Sequence[Any],
    actions: Sequence[Any],
    fail_step: int | None = None,
    property_name: str | None = None,
) -> Text:
    """The diagram as a rich :class:`~rich.text.Text` (print it with a rich Console)."""
    text = Text(no_wrap=True, overflow="ignore")
    for k, row in enumerate(diagram_rows(model, states, actions, fail_step, property_name)):
        if k:
            text.append("\n")
        for segment, style in row:
            text.append(segment, style=STYLES.get(style, STYLES["plain"])[0] or None)
    return text


def _about_html(about: Sequence[tuple[str, str]]) -> str:
    if not about:
        return ""
    rows = "".join(
        f"<tr><th>{html.escape(label)}</th><td>{html.escape(text)}</td></tr>\n" for label, text in about
    )
    return f'<table class="about">\n{rows}</table>\n'


_CSS = """
body { background: #1e1e1e; color: #e0e0e0; font-family: ui-monospace, Menlo, Consolas, monospace; margin: 2em; }
h1 { font-size: 1.1em; font-weight: normal; }
pre { line-height: 1.35; font-size: 14px; }
table.about { border-collapse: collapse; margin-bottom: 1.5em; font-size: 13px; }
table.about th { text-align: left; color: #9e9e9e; font-weight: normal; padding: 0.1em 1.2em 0.1em 0; vertical-align: top; }
table.about td { color: #e0e0e0; padding: 0.1em 0; }
.fail { background: #c62828; color: #ffffff; font-weight: bold; }
"""


def render_html(
    model: Model[Any, Any],
    states: Sequence[Any],
    actions: Sequence[Any],
    fail_step: int | None = None,
    property_name: str | None = None,
    title: str | None = None,
    about: Sequence[tuple[str, str]] = (),
) -> str:
    """The same diagram as one self-contained HTML page (inline CSS, no external assets);
    ``about`` (label, text) pairs say what run it is, above the diagram."""
    rows = diagram_rows(model, states, actions, fail_step, property_name)
    css_rules = [_CSS.strip()]
    for name, (_, colour) in STYLES.items():
        if name != "fail":
            css_rules.append(f".{name} {{ color: {colour}; }}")
    lines = []
    for row in rows:
        parts = [
            f'<span class="{style}">{html.escape(segment)}</span>' for segment, style in row
        ]
        lines.append("".join(parts))
    heading = title or (
        f"{getattr(model, 'name', 'model')}: "
        + (f"property {property_name!r} violated" if property_name else "run")
    )
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{html.escape(heading)}</title>\n<style>\n" + "\n".join(css_rules) + "\n</style>\n"
        f"</head>\n<body>\n<h1>{html.escape(heading)}</h1>\n{_about_html(about)}<pre>\n"
        + "\n".join(lines)
        + "\n</pre>\n</body>\n</html>\n"
    )

"""The timeline of a lin page: one lane per client, one bar per operation (SVG).

Sized for reading, not for fitting: each position of the event order gets at least
:data:`MIN_PX_PER_EVENT` pixels, so a short operation among 50 clients is still a bar and
not a 3-pixel sliver, and the timeline scrolls (both ways) inside its own box with the
client labels held at its left edge. The operation that could not be placed is marked
three ways: its own colour and outline, a band of the same colour across every lane at
its interval (visible whichever lane one looks at), and its client's label. Every bar
has an anchor (``id="op-N"``) that the page's lists link to; the page's script centres
the marked bar in the box when it loads.
"""

from __future__ import annotations

import html
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from checker.lin.history import Operation
from checker.lin.models import LinModel

MAX_OPS_DRAWN = 400  # per timeline
MAX_ROWS = 64  # clients per timeline
MIN_PX_PER_EVENT = 9.0  # one position of the event order, at least
MIN_WIDTH = 1000  # the lanes' width when the history is short
LABEL_WIDTH = 64
ROW_H = 22

FILL = {"blocked": "#f04438", "candidate": "#fdb022", "prefix": "#75e0a7", "other": "#d0d5dd"}


def op_anchor(op: Operation) -> str:
    """The id of ``op``'s bar (unique in a page: parts are disjoint)."""
    return f"op-{op.id}"


def _esc(s: object) -> str:
    return html.escape(str(s), quote=True)


@dataclass
class Timeline:
    """The drawn timeline: its markup, the operations that have a bar (the lists link
    only to those), and what was left out."""

    markup: str
    drawn: set[int]
    cut: list[str]


def _window(ops: Sequence[Operation], focus: Operation | None) -> tuple[list[Operation], list[str]]:
    """At most MAX_OPS_DRAWN operations by invocation, centred on ``focus``."""
    ordered = sorted(ops, key=lambda o: o.call)
    if len(ordered) <= MAX_OPS_DRAWN:
        return ordered, []
    centre = ordered.index(focus) if focus in ordered else 0
    lo = max(0, min(centre - MAX_OPS_DRAWN // 2, len(ordered) - MAX_OPS_DRAWN))
    note = (
        f"timeline shows operations {lo + 1}-{lo + MAX_OPS_DRAWN} of {len(ordered)} "
        "(by invocation), around the operation that could not be placed"
    )
    return ordered[lo : lo + MAX_OPS_DRAWN], [note]


def role_of(op: Operation, focus: Operation | None, prefix_ids: set[int], candidate_ids: set[int]) -> str:
    if focus is not None and op.id == focus.id:
        return "blocked"
    if op.id in candidate_ids:
        return "candidate"
    if op.id in prefix_ids:
        return "prefix"
    return "other"


def draw_timeline(
    ops: Sequence[Operation],
    model: LinModel,
    focus: Operation | None,
    prefix_ids: set[int],
    candidate_ids: set[int],
) -> Timeline:
    """The timeline of ``ops`` (bounded: MAX_OPS_DRAWN operations, MAX_ROWS clients)."""
    ordered, cut = _window(ops, focus)
    if not ordered:
        return Timeline("<p class=note>no operations</p>", set(), cut)
    t0 = min(o.call for o in ordered)
    t1 = max(max(o.call, o.ret if o.ret is not None else o.call) for o in ordered) + 1
    rows: dict[Hashable, int] = {}
    for o in ordered:
        if o.process not in rows and len(rows) < MAX_ROWS:
            rows[o.process] = len(rows)
    hidden = sum(1 for o in ordered if o.process not in rows)
    if hidden:
        cut.append(f"{hidden} operations of clients beyond the first {MAX_ROWS} are not drawn")
    scale = max(MIN_PX_PER_EVENT, MIN_WIDTH / max(1, t1 - t0))
    width = int((t1 - t0) * scale) + 10
    height = ROW_H * len(rows) + 10
    lanes = [f'<svg class="lanes" width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">']
    for r in range(len(rows)):
        y = r * ROW_H + 15
        lanes.append(f'<line x1="0" x2="{width}" y1="{y}" y2="{y}" stroke="#eee"/>')
    if focus is not None and focus.process in rows and focus in ordered:
        x, w = _span(focus, t0, t1, scale)
        lanes.append(f'<rect class="focus-band" x="{x:.1f}" y="0" width="{w:.1f}" height="{height}"/>')
    drawn: set[int] = set()
    for o in ordered:
        if o.process in rows:
            lanes.append(_bar(o, rows[o.process], t0, t1, scale, model, role_of(o, focus, prefix_ids, candidate_ids)))
            drawn.add(o.id)
    lanes.append("</svg>")
    labels = [f'<svg class="labels" width="{LABEL_WIDTH}" height="{height}" xmlns="http://www.w3.org/2000/svg">']
    for proc, r in rows.items():
        mark = ' class="focus-client"' if focus is not None and proc == focus.process else ""
        labels.append(f'<text x="4" y="{r * ROW_H + 19}"{mark}>p{_esc(proc)}</text>')
    labels.append("</svg>")
    markup = f'<div class="timeline"><div class="timeline-rows">{"".join(labels)}{"".join(lanes)}</div></div>'
    return Timeline(markup, drawn, cut)


def _span(o: Operation, t0: int, t1: int, scale: float) -> tuple[float, float]:
    end = t1 if o.ret is None else o.ret
    return (o.call - t0) * scale, max(5.0, (end - o.call) * scale)


def _bar(o: Operation, row: int, t0: int, t1: int, scale: float, model: LinModel, role: str) -> str:
    x, w = _span(o, t0, t1, scale)
    y = row * ROW_H + 5
    label = model.describe_operation(o)
    dash = ' stroke-dasharray="4 2" stroke="#667085"' if o.ret is None else ""
    if role == "blocked":
        dash = ' stroke="#7a271a" stroke-width="2"'
    where = f" (line {o.line})" if o.line else ""
    bar = (
        f'<rect id="{op_anchor(o)}" class="op {role}" x="{x:.1f}" y="{y}" width="{w:.1f}" height="18" '
        f'rx="3" fill="{FILL[role]}"{dash}><title>{_esc(label)}{where}</title></rect>'
    )
    if w > 40:
        bar += f'<text x="{x + 3:.1f}" y="{y + 13}">{_esc(label[: int(w / 7)])}</text>'
    return bar

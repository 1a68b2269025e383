"""A self-contained HTML page for a linearizability result, bounded in size and time.

For each refuted part the page leads with what failed: the operation that could not be
placed, in a box, then a short table of the operations around it (the candidates there,
the operations concurrent with it, the end of the longest linearizable prefix), each
linking to its bar; then the timeline (:mod:`checker.lin.html_timeline`), which scrolls
in a box of its own and is centred on the failing operation when the page loads; then
the whole prefix, folded. Everything is capped (operations drawn, rows, prefix entries,
parts, neighbours) so that a history of any size renders in linear time into a page of
bounded size; the page says what was cut. (Porcupine's visualiser enumerates partial
linearizations and can take minutes and gigabytes on kv c50-bad; this page never does.)
"""

from __future__ import annotations

import html

from checker.lin.history import Operation
from checker.lin.html_timeline import FILL as _FILL
from checker.lin.html_timeline import (
    MAX_OPS_DRAWN,
    MAX_ROWS,
    Timeline,
    draw_timeline,
    op_anchor,
    role_of,
)
from checker.lin.models import LinModel
from checker.lin.search import LinResult, PartWitness

__all__ = ["MAX_NEIGHBOURS", "MAX_OPS_DRAWN", "MAX_PARTS_SHOWN", "MAX_PREFIX_SHOWN", "MAX_ROWS", "render_html"]

MAX_PREFIX_SHOWN = 200  # entries of a linearization
MAX_PARTS_SHOWN = 8  # refuted parts with a timeline
MAX_NEIGHBOURS = 40  # rows of the "around the failure" table
PREFIX_TAIL = 6  # the prefix's last entries among the neighbours

_CSS = """
body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em} h2{font-size:1.15em;margin-top:1.6em}
.ok{color:#17803d} .bad{color:#b42318} .unk{color:#8a6d00}
table{border-collapse:collapse} td,th{padding:2px 8px;border-bottom:1px solid #eee;text-align:left}
.note{color:#666;font-style:italic}
ol,.ops td{font-family:ui-monospace,monospace;font-size:12.5px}
li.blocked{color:#b42318;font-weight:bold}
.failure{border:2px solid #f04438;background:#fef3f2;padding:.5em .8em;border-radius:6px;
 font-family:ui-monospace,monospace}
.ops tr.blocked td{color:#b42318;font-weight:bold}
.swatch{display:inline-block;width:.9em;height:.9em;border-radius:2px;vertical-align:-.1em}
.timeline{overflow:auto;max-height:70vh;max-width:100%;border:1px solid #ddd;margin:.6em 0}
.timeline-rows{display:flex;width:max-content}
svg.labels{position:sticky;left:0;background:#fff;z-index:1;border-right:1px solid #ddd}
svg text{font:11px ui-monospace,monospace} svg.lanes text{pointer-events:none}
text.focus-client{fill:#b42318;font-weight:bold}
rect.focus-band{fill:#fee4e2}
rect.op:target{stroke:#101828;stroke-width:3}
"""

# Centre each timeline on its failing operation (inside its own box: the page itself
# stays at the top, where the failure is named); a link to a bar centres that bar the
# same way (a plain fragment jump would leave it at the box's left edge, under the
# sticky client labels). data-ready tells a test the page is drawn and centred.
_SCRIPT = """
function centre(bar) {
  const box = bar.closest(".timeline");
  const b = box.getBoundingClientRect(), r = bar.getBoundingClientRect();
  const labels = box.querySelector("svg.labels").getBoundingClientRect().width;
  box.scrollLeft += r.left - b.left - labels - (b.width - labels) / 2 + r.width / 2;
  box.scrollTop += r.top - b.top - b.height / 2 + r.height / 2;
}
function follow() {
  const bar = location.hash && document.getElementById(location.hash.slice(1));
  if (bar && bar.closest(".timeline")) centre(bar);
}
addEventListener("hashchange", follow);
addEventListener("click", (e) => {
  const a = e.target.closest && e.target.closest('a[href^="#op-"]');
  if (a && a.getAttribute("href") === location.hash) follow();  // the same link again
});
addEventListener("load", () => {
  for (const bar of document.querySelectorAll(".timeline rect.op.blocked")) centre(bar);
  follow();  // opened at a link to a bar (view.html#op-12): that one
  document.body.dataset.ready = "1";
});
"""

_ROLE_TEXT = {
    "blocked": "cannot be placed",
    "candidate": "other candidate",
    "prefix": "in the prefix",
    "other": "concurrent, not placed",
}


def _esc(s: object) -> str:
    return html.escape(str(s), quote=True)


def _link(op: Operation, text: str, timeline: Timeline) -> str:
    if op.id in timeline.drawn:
        return f'<a href="#{op_anchor(op)}">{_esc(text)}</a>'
    return _esc(text)


def neighbours(w: PartWitness) -> list[Operation]:
    """The operations around the failure, in invocation order: the one that could not
    be placed, the other candidates there, every operation whose interval overlaps the
    failing one's, and the last entries of the prefix (at most MAX_NEIGHBOURS)."""
    chosen: dict[int, Operation] = {}
    if w.blocked is not None:
        chosen[w.blocked.id] = w.blocked
    for o in w.candidates:
        chosen.setdefault(o.id, o)
    if w.blocked is not None:
        lo, hi = w.blocked.call, w.blocked.ret
        for o in w.part_ops:
            if (hi is None or o.call <= hi) and (o.ret is None or o.ret >= lo):
                chosen.setdefault(o.id, o)
    for o in w.prefix[-PREFIX_TAIL:]:
        chosen.setdefault(o.id, o)
    ordered = sorted(chosen.values(), key=lambda o: o.call)
    if len(ordered) > MAX_NEIGHBOURS and w.blocked is not None:
        at = ordered.index(w.blocked)
        lo = max(0, min(at - MAX_NEIGHBOURS // 2, len(ordered) - MAX_NEIGHBOURS))
        ordered = ordered[lo : lo + MAX_NEIGHBOURS]
    return ordered[:MAX_NEIGHBOURS]


def _neighbour_table(w: PartWitness, model: LinModel, timeline: Timeline) -> str:
    prefix_pos = {o.id: i + 1 for i, o in enumerate(w.prefix)}
    cand = {o.id for o in w.candidates}
    rows = ['<table class="ops"><tr><th></th><th>client</th><th>operation</th><th>line</th><th>role</th></tr>']
    for o in neighbours(w):
        role = role_of(o, w.blocked, set(prefix_pos), cand)
        text = _ROLE_TEXT[role] + (f" (#{prefix_pos[o.id]})" if role == "prefix" else "")
        rows.append(
            f'<tr class="{role}"><td><span class="swatch" style="background:{_FILL[role]}"></span></td>'
            f"<td>p{_esc(o.process)}</td><td>{_link(o, model.describe_operation(o), timeline)}</td>"
            f"<td>{o.line or ''}</td><td>{_esc(text)}</td></tr>"
        )
    rows.append("</table>")
    return "".join(rows)


def _prefix_list(w: PartWitness, model: LinModel, timeline: Timeline) -> str:
    shown = w.prefix[-MAX_PREFIX_SHOWN:]
    skipped = len(w.prefix) - len(shown)
    out = [f"<details><summary>The longest linearizable prefix found ({len(w.prefix)} operations), in order</summary>"]
    if skipped:
        out.append(f"<p class=note>the first {skipped} entries of the prefix are not listed</p>")
    out.append(f'<ol start="{skipped + 1}">')
    out.extend(f"<li>{_link(o, model.describe_operation(o), timeline)}</li>" for o in shown)
    if w.blocked is not None:
        where = f" (line {w.blocked.line})" if w.blocked.line else ""
        out.append(
            f'<li class="blocked">cannot be placed: '
            f"{_link(w.blocked, model.describe_operation(w.blocked), timeline)}{where}</li>"
        )
    out.append("</ol></details>")
    return "".join(out)


def _witness_section(w: PartWitness, model: LinModel) -> str:
    name = "The history" if w.label is None else f"Part {w.label!r}"
    timeline = draw_timeline(
        w.part_ops, model, w.blocked, {o.id for o in w.prefix}, {o.id for o in w.candidates}
    )
    out = [f"<h2>{_esc(name)}: not linearizable</h2>"]
    if w.blocked is not None:
        where = f" (line {w.blocked.line})" if w.blocked.line else ""
        out.append(
            f'<p class="failure">cannot be placed: '
            f"{_link(w.blocked, model.describe_operation(w.blocked), timeline)}{_esc(where)}</p>"
        )
    out.append(
        f"<p>Longest linearizable prefix found: {len(w.prefix)} of {len(w.part_ops)} operations. "
        f"State after it: <code>{_esc(w.state_text)}</code>.</p>"
    )
    out.append("<h3>Around the failure</h3>")
    out.append(_neighbour_table(w, model, timeline))
    if len(w.candidates) > MAX_NEIGHBOURS:
        out.append(f"<p class=note>{len(w.candidates)} candidates; the table lists those nearest the failure</p>")
    out.append(timeline.markup)
    out.extend(f"<p class=note>{_esc(c)}</p>" for c in timeline.cut)
    out.append(_prefix_list(w, model, timeline))
    return "".join(out)


def render_html(result: LinResult, model: LinModel, title: str = "") -> str:
    """The whole page as a string."""
    verdict_cls = {"linearizable": "ok", "not linearizable": "bad"}.get(result.verdict, "unk")
    st = result.stats
    ops = result.history.ops if result.history is not None else []
    body = [
        f"<h1>{_esc(title or 'Linearizability')}: "
        f'<span class="{verdict_cls}">{_esc(result.verdict)}</span></h1>',
        "<table>",
        f"<tr><th>model</th><td>{_esc(model.name)}</td></tr>",
        f"<tr><th>operations</th><td>{len(ops)}</td></tr>",
        f"<tr><th>parts</th><td>{st.parts} ({st.parts_linearizable} linearizable, "
        f"{st.parts_refuted} refuted)</td></tr>",
        f"<tr><th>search</th><td>{st.steps} steps, {st.cache_hits} cache hits, "
        f"{st.elapsed_s:.3f} s</td></tr>",
    ]
    if result.reason:
        body.append(f"<tr><th>why unknown</th><td>{_esc(result.reason)}</td></tr>")
    body.append("</table>")
    body.append(
        "<p class=note>Colours: red, the operation that could not be placed (with a band "
        "across every client at its interval); green, in the longest linearizable prefix; "
        "orange, other candidates at that point; dashed, no known completion. The timeline "
        "scrolls; it opens centred on the failure.</p>"
    )
    for w in result.witnesses[:MAX_PARTS_SHOWN]:
        body.append(_witness_section(w, model))
    if len(result.witnesses) > MAX_PARTS_SHOWN:
        body.append(
            f"<p class=note>{len(result.witnesses) - MAX_PARTS_SHOWN} more refuted parts are "
            "not shown</p>"
        )
    if not result.witnesses:
        timeline = draw_timeline(ops, model, None, set(), set())
        body.append("<h2>History</h2>")
        body.append(timeline.markup)
        body.extend(f"<p class=note>{_esc(c)}</p>" for c in timeline.cut)
    return (
        "<!DOCTYPE html><html><head><meta charset=utf-8>"
        f"<title>{_esc(title or 'linearizability')}</title><style>{_CSS}</style>"
        f"<script>{_SCRIPT}</script></head>"
        f"<body>{''.join(body)}</body></html>\n"
    )

"""A self-contained HTML page for a linearizability result, bounded in size and time.

The page draws the history as a timeline (one row per client) and, for each refuted
part, the longest linearizable prefix found with the operation that could not be placed.
Everything is capped (operations drawn, rows, prefix entries, parts) so that a history
of any size renders in linear time into a page of bounded size; the page says what was
cut. (Porcupine's visualiser enumerates partial linearizations and can take minutes and
gigabytes on kv c50-bad; this page never does.)
"""

from __future__ import annotations

import html
from collections.abc import Hashable, Sequence

from checker.lin.history import Operation
from checker.lin.models import LinModel
from checker.lin.search import LinResult, PartWitness

MAX_OPS_DRAWN = 400  # per timeline
MAX_ROWS = 64  # clients per timeline
MAX_PREFIX_SHOWN = 200  # entries of a linearization
MAX_PARTS_SHOWN = 8  # refuted parts with a timeline

_CSS = """
body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em} h2{font-size:1.15em;margin-top:1.6em}
.ok{color:#17803d} .bad{color:#b42318} .unk{color:#8a6d00}
table{border-collapse:collapse} td,th{padding:2px 8px;border-bottom:1px solid #eee;text-align:left}
.note{color:#666;font-style:italic}
ol{font-family:ui-monospace,monospace;font-size:12.5px}
li.blocked{color:#b42318;font-weight:bold}
svg text{font:11px ui-monospace,monospace}
"""


def _esc(s: object) -> str:
    return html.escape(str(s), quote=True)


def _timeline(
    ops: Sequence[Operation],
    model: LinModel,
    focus: Operation | None,
    prefix_ids: set[int],
    candidate_ids: set[int],
) -> tuple[str, list[str]]:
    """An SVG timeline of at most MAX_OPS_DRAWN operations around ``focus``."""
    cut: list[str] = []
    ordered = sorted(ops, key=lambda o: o.call)
    if len(ordered) > MAX_OPS_DRAWN:
        centre = ordered.index(focus) if focus in ordered else 0
        lo = max(0, min(centre - MAX_OPS_DRAWN // 2, len(ordered) - MAX_OPS_DRAWN))
        cut.append(
            f"timeline shows operations {lo + 1}-{lo + MAX_OPS_DRAWN} of {len(ordered)} "
            "(by invocation), around the operation that could not be placed"
        )
        ordered = ordered[lo : lo + MAX_OPS_DRAWN]
    if not ordered:
        return "<p class=note>no operations</p>", cut
    t0 = min(o.call for o in ordered)
    t1 = max(max(o.call, o.ret if o.ret is not None else o.call) for o in ordered) + 1
    rows: dict[Hashable, int] = {}
    for o in ordered:
        if o.process not in rows and len(rows) < MAX_ROWS:
            rows[o.process] = len(rows)
    hidden = sum(1 for o in ordered if o.process not in rows)
    if hidden:
        cut.append(f"{hidden} operations of clients beyond the first {MAX_ROWS} are not drawn")
    width, left, row_h = 1100, 70, 22
    scale = (width - left - 10) / max(1, t1 - t0)
    height = row_h * len(rows) + 10
    parts = [f'<svg width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">']
    for proc, r in rows.items():
        y = r * row_h + 5
        parts.append(f'<text x="2" y="{y + 14}">p{_esc(proc)}</text>')
        parts.append(f'<line x1="{left}" x2="{width}" y1="{y + 10}" y2="{y + 10}" stroke="#eee"/>')
    for o in ordered:
        if o.process not in rows:
            continue
        y = rows[o.process] * row_h + 5
        x = left + (o.call - t0) * scale
        end = t1 if o.ret is None else o.ret
        w = max(3.0, (end - o.call) * scale)
        if focus is not None and o.id == focus.id:
            fill = "#f04438"
        elif o.id in candidate_ids:
            fill = "#fdb022"
        elif o.id in prefix_ids:
            fill = "#75e0a7"
        else:
            fill = "#d0d5dd"
        dash = ' stroke-dasharray="4 2" stroke="#667085"' if o.ret is None else ""
        label = model.describe_operation(o)
        parts.append(
            f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="18" rx="3" fill="{fill}"{dash}>'
            f"<title>{_esc(label)}{f' (line {o.line})' if o.line else ''}</title></rect>"
        )
        if w > 60:
            parts.append(
                f'<text x="{x + 3:.1f}" y="{y + 13}" clip-path="none">{_esc(label[:int(w / 7)])}</text>'
            )
    parts.append("</svg>")
    return "".join(parts), cut


def _witness_section(w: PartWitness, model: LinModel) -> str:
    name = "The history" if w.label is None else f"Part {w.label!r}"
    out = [f"<h2>{_esc(name)}: not linearizable</h2>"]
    prefix = w.prefix
    shown = prefix[-MAX_PREFIX_SHOWN:]
    skipped = len(prefix) - len(shown)
    out.append(
        f"<p>Longest linearizable prefix found: {len(prefix)} of {len(w.part_ops)} operations. "
        f"State after it: <code>{_esc(w.state_text)}</code>.</p>"
    )
    if skipped:
        out.append(f"<p class=note>the first {skipped} entries of the prefix are not listed</p>")
    out.append(f'<ol start="{skipped + 1}">')
    out.extend(f"<li>{_esc(model.describe_operation(o))}</li>" for o in shown)
    if w.blocked is not None:
        out.append(
            f'<li class="blocked">cannot be placed: {_esc(model.describe_operation(w.blocked))}'
            f"{f' (line {w.blocked.line})' if w.blocked.line else ''}</li>"
        )
    out.append("</ol>")
    if w.candidates:
        cands = ", ".join(_esc(model.describe_operation(o)) for o in w.candidates[:20])
        more = f" and {len(w.candidates) - 20} more" if len(w.candidates) > 20 else ""
        out.append(f"<p>Other candidates at that point (each led nowhere): {cands}{more}</p>")
    svg, cut = _timeline(
        w.part_ops, model, w.blocked, {o.id for o in prefix}, {o.id for o in w.candidates}
    )
    out.append(svg)
    out.extend(f"<p class=note>{_esc(c)}</p>" for c in cut)
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
        "<p class=note>Colours: red, the operation that could not be placed; green, in the "
        "longest linearizable prefix; orange, other candidates at that point; dashed, no "
        "known completion.</p>"
    )
    for w in result.witnesses[:MAX_PARTS_SHOWN]:
        body.append(_witness_section(w, model))
    if len(result.witnesses) > MAX_PARTS_SHOWN:
        body.append(
            f"<p class=note>{len(result.witnesses) - MAX_PARTS_SHOWN} more refuted parts are "
            "not shown</p>"
        )
    if not result.witnesses:
        svg, cut = _timeline(ops, model, None, set(), set())
        body.append("<h2>History</h2>")
        body.append(svg)
        body.extend(f"<p class=note>{_esc(c)}</p>" for c in cut)
    return (
        "<!DOCTYPE html><html><head><meta charset=utf-8>"
        f"<title>{_esc(title or 'linearizability')}</title><style>{_CSS}</style></head>"
        f"<body>{''.join(body)}</body></html>\n"
    )

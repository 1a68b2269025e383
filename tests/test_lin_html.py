"""The lin page stays usable on a history of 50 clients (issue 12): the failing operation
is marked (colour, outline, a band across every lane, its client's label) and listed
first, with the operations around it, each linking to its bar; the timeline scrolls in
its own box and every bar is wide enough to see. Checked by parsing the page; the
browser test (tests/test_lin_html_browser.py) checks the scrolling itself."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from checker.lin import check, parse_history
from checker.lin.html import MAX_NEIGHBOURS, render_html
from checker.lin.html_timeline import MIN_PX_PER_EVENT
from checker.lin.models import make_model
from explorer.cli import main
from tests.lin_histories import many_clients_stale_read


class Page(HTMLParser):
    """Elements with their attributes and the text inside links, in document order."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.ids: dict[str, int] = {}
        self.links: list[tuple[str, str, int]] = []  # (href, text, position)
        self._open_link: list[Any] | None = None
        self._in_details = 0
        self.in_details: set[int] = set()
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        pos = len(self.elements)
        self.elements.append((tag, a))
        if "id" in a:
            assert a["id"] not in self.ids, f"duplicate id {a['id']}"
            self.ids[a["id"]] = pos
        if tag == "details":
            self._in_details += 1
        if tag == "a":
            self._open_link = [a.get("href", ""), "", pos]
            if self._in_details:
                self.in_details.add(pos)

    def handle_endtag(self, tag: str) -> None:
        if tag == "details":
            self._in_details -= 1
        if tag == "a" and self._open_link is not None:
            self.links.append((self._open_link[0], self._open_link[1], self._open_link[2]))
            self._open_link = None

    def handle_data(self, data: str) -> None:
        if self._open_link is not None:
            self._open_link[1] += data

    def with_class(self, name: str, tag: str | None = None) -> list[tuple[int, dict[str, str]]]:
        return [
            (i, a) for i, (t, a) in enumerate(self.elements)
            if name in a.get("class", "").split() and (tag is None or t == tag)
        ]


@pytest.fixture(scope="module")
def fifty_clients() -> tuple[Page, str, int]:
    text, stale_line = many_clients_stale_read()
    history = parse_history(text, "json", "c50.json")
    result = check(history, make_model("register"))
    assert result.verdict == "not linearizable"
    page = render_html(result, make_model("register"), "c50.json")
    return Page(page), page, stale_line


def test_the_failing_operation_is_marked_three_ways(fifty_clients: tuple[Page, str, int]) -> None:
    page, text, stale_line = fifty_clients
    (blocked,) = page.with_class("blocked", "rect")
    _, attrs = blocked
    assert attrs["id"].startswith("op-") and "op" in attrs["class"].split()
    assert attrs["fill"] == "#f04438" and attrs.get("stroke-width") == "2"
    (band,) = page.with_class("focus-band", "rect")
    assert band[1]["x"] == attrs["x"] and band[1]["y"] == "0"  # across every lane, at its interval
    (client,) = page.with_class("focus-client", "text")
    assert page.elements[client[0]] == ("text", client[1])
    assert f"cannot be placed: <a href=\"#{attrs['id']}\">p1 read() -&gt; 1</a> (line {stale_line})" in text


def test_the_timeline_scrolls_and_no_bar_is_a_sliver(fifty_clients: tuple[Page, str, int]) -> None:
    page, text, _ = fifty_clients
    assert re.search(r"\.timeline\{overflow:auto;max-height:70vh", text)
    assert "svg.labels{position:sticky;left:0" in text  # client labels stay while it scrolls
    bars = page.with_class("op", "rect")
    assert len(bars) == 300
    assert min(float(a["width"]) for _, a in bars) >= 5.0
    (lanes,) = page.with_class("lanes", "svg")
    assert float(lanes[1]["width"]) >= 600 * MIN_PX_PER_EVENT  # 300 operations, 600 events
    rows = page.with_class("labels", "svg")[0][0]
    labels = [a for t, a in page.elements[rows + 1 : rows + 60] if t == "text"]
    assert len(labels) == 50


def test_the_operations_around_the_failure_link_to_their_bars(fifty_clients: tuple[Page, str, int]) -> None:
    page, text, _ = fifty_clients
    (table,) = page.with_class("ops", "table")
    (timeline,) = page.with_class("timeline", "div")
    assert table[0] < timeline[0]  # listed before the timeline, near the top of the page
    near = [(href, label) for href, label, pos in page.links if table[0] < pos < timeline[0]]
    assert ("#" + page.with_class("blocked", "rect")[0][1]["id"], "p1 read() -> 1") in near
    # a sequential history: the failing read and the end of the prefix before it
    assert [label for _, label in near] == [
        "p45 read() -> 145", "p46 write(147)", "p47 read() -> 147", "p48 write(149)",
        "p49 read() -> 149", "p0 write(151)", "p1 read() -> 1",
    ]
    for href, _label, _pos in page.links:
        assert href.startswith("#") and href[1:] in page.ids, href  # every link has its bar
    (details,) = [i for i, (t, _) in enumerate(page.elements) if t == "details"]
    assert details > timeline[0] and len(page.in_details) == 152  # the whole prefix, folded, linked


def test_the_neighbours_are_bounded(tmp_path: Path) -> None:
    events: list[dict[str, object]] = [{"process": 0, "type": "invoke", "f": "read"}]
    for p in range(1, 120):  # 119 reads all concurrent with the failing one (reads: a quick refutation)
        events.append({"process": p, "type": "invoke", "f": "read"})
    events += [{"process": p, "type": "ok", "result": None} for p in range(1, 120)]
    events.append({"process": 0, "type": "ok", "result": -5})
    h = parse_history(json.dumps({"events": events}), "json")
    result = check(h, make_model("register"))
    page = Page(render_html(result, make_model("register")))
    (table,) = page.with_class("ops", "table")
    rows = [a for i, (t, a) in enumerate(page.elements) if t == "tr" and i > table[0] and a.get("class")]
    assert len(rows) == MAX_NEIGHBOURS and any(a["class"] == "blocked" for a in rows)


def test_concurrent_operations_are_listed_around_the_failure(tmp_path: Path) -> None:
    events = [
        {"process": 0, "type": "invoke", "f": "write", "value": 1},
        {"process": 0, "type": "ok"},
        {"process": 1, "type": "invoke", "f": "read"},  # the read that cannot be placed...
        {"process": 2, "type": "invoke", "f": "write", "value": 2},  # ...overlaps these two
        {"process": 3, "type": "invoke", "f": "write", "value": 3},
        {"process": 2, "type": "ok"},
        {"process": 3, "type": "ok"},
        {"process": 1, "type": "ok", "result": 9},
        {"process": 4, "type": "invoke", "f": "read"},  # after it: not a neighbour
        {"process": 4, "type": "ok", "result": 3},
    ]
    path = tmp_path / "h.json"
    path.write_text(json.dumps({"model": "register", "events": events}))
    out = tmp_path / "v.html"
    assert main(["lin", str(path), "--html", str(out)]) == 1
    page = Page(out.read_text())
    (table,) = page.with_class("ops", "table")
    (timeline,) = page.with_class("timeline", "div")
    near = [label for _, label, pos in page.links if table[0] < pos < timeline[0]]
    assert set(near) >= {"p1 read() -> 9", "p2 write(2)", "p3 write(3)", "p0 write(1)"}
    assert "p4 read() -> 3" not in near

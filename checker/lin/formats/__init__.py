"""The history formats the linearizability checker reads, one module each, and the
dispatcher that picks one (``parse_history(text, fmt="auto")``):

- ``json``: Synod's own history, ``{"events": [...]}``, or a trace saved by ``synod check``
  (:mod:`~checker.lin.formats.synod_json`);
- ``etcd``: Porcupine's Jepsen etcd logs (``INFO  jepsen.util - P :type :f value``;
  :mod:`~checker.lin.formats.etcd`);
- ``kv``: Porcupine's key-value EDN lines (one map per line, with ``:key``);
- ``jepsen``: Jepsen EDN histories (a vector or a list of maps, or maps one after another), read with
  Knossos's conventions (both :mod:`~checker.lin.formats.jepsen`);
- ``porcupine``: not a format of its own: etcd or kv, whichever the text is (as ``auto``).

Every reader builds its :class:`~checker.lin.history.History` with a
:class:`~checker.lin.history.HistoryBuilder`; every problem raises
:class:`~checker.lin.history.HistoryError` naming the line.
"""

from __future__ import annotations

from checker.lin.formats.etcd import parse_etcd
from checker.lin.formats.jepsen import parse_jepsen, parse_kv
from checker.lin.formats.synod_json import parse_synod_json
from checker.lin.history import History, HistoryError

FORMATS = ("auto", "json", "etcd", "kv", "jepsen", "porcupine")


def detect_format(text: str) -> str:
    """Guess the format from the first characters: ``json``, ``etcd``, ``kv``,
    ``jepsen`` or ``empty``."""
    body = text.lstrip()
    if not body:
        return "empty"
    if body.startswith("INFO"):
        return "etcd"
    if body[0] == "(":  # a Knossos history: a top-level EDN list (JSON has no lists)
        rest = body[1:].lstrip()
        if rest[:1] == ")":
            return "jepsen"
        if rest[:1] == "{":
            rest = rest[1:].lstrip()
            if rest[:1] in (":", "}"):
                return "kv" if ":key" in body.split("\n", 1)[0] else "jepsen"
        return "unknown"
    if body[0] in "[{":
        rest = body[1:].lstrip()
        if body[0] == "[" and rest[:1] in ("{", "]"):
            rest = rest[1:].lstrip()
        if rest[:1] == '"' or rest[:1] == "}" or body[0] == "[" and rest[:1] in ('"', "]", ""):
            return "json"
        if rest[:1] == ":":
            first_line = body.split("\n", 1)[0]
            return "kv" if ":key" in first_line else "jepsen"
    if body.startswith(";"):
        return "jepsen"
    return "unknown"


def parse_history(text: str, fmt: str = "auto", source: str = "<history>") -> History:
    """Parse ``text`` in format ``fmt`` (one of :data:`FORMATS`)."""
    if fmt not in FORMATS:
        raise HistoryError(
            source, None, f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})"
        )
    if fmt == "auto" or fmt == "porcupine":
        fmt = detect_format(text)
        if fmt == "empty":
            return History([], source, "empty")
        if fmt == "unknown":
            raise HistoryError(
                source,
                1,
                "cannot tell the format (not Synod JSON, an etcd log or EDN); use --format",
            )
    if fmt == "json":
        return parse_synod_json(text, source)
    if fmt == "etcd":
        return parse_etcd(text, source)
    if fmt == "kv":
        return parse_kv(text, source)
    return parse_jepsen(text, source)

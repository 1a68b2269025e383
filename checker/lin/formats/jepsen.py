"""Jepsen and Knossos EDN histories, and Porcupine's key-value EDN lines (format ``kv``).

A history is a vector or a list of event maps, or maps one after another (``{:process P, :type
:invoke|:ok|:fail|:info, :f F, :value V}``, with ``:key`` in the kv lines). Files of flat
maps, one a line, take a regular-expression fast path (:func:`_flat_lines`); anything
else goes through :class:`~checker.lin.edn.EDNReader`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from checker.lin.edn import EDNError, EDNReader, Keyword
from checker.lin.history import UNKNOWN, History, HistoryBuilder, HistoryError


def _kw(v: Any) -> str | None:
    return v.name if isinstance(v, Keyword) else None


def _edn_input(f: str, event: Mapping[Any, Any], source: str, line: int) -> tuple[Any, ...]:
    key: tuple[Any, ...] = ()
    if Keyword("key") in event:
        key = (event[Keyword("key")],)
    value = event.get(Keyword("value"))
    if f in ("read", "get"):
        return (f, *key)
    if f == "cas":
        if not (isinstance(value, tuple) and len(value) == 2):
            raise HistoryError(source, line, "a cas value must be [old new]")
        return (f, *key, value[0], value[1])
    return (f, *key, value)


_FLAT_VALUE = r':[^\s,{}\[\]()"#;]+|-?\d+|nil|true|false|"[^"\\\n]*"'
_FLAT_PAIR_RE = re.compile(r'(:[^\s,{}\[\]()"#;]+)[\s,]+(' + _FLAT_VALUE + r")(?:[\s,]+|(?=\}))")
_FLAT_MAP_RE = re.compile(r"\{[\s,]*(?:" + _FLAT_PAIR_RE.pattern + r")*\}")
_KEYWORDS: dict[str, Keyword] = {}


def _flat_value(tok: str) -> Any:
    c = tok[0]
    if c == ":":
        kw = _KEYWORDS.get(tok)
        if kw is None:
            kw = _KEYWORDS[tok] = Keyword(tok[1:])
        return kw
    if c == '"':
        return tok[1:-1]
    if tok == "nil":
        return None
    if tok == "true":
        return True
    if tok == "false":
        return False
    return int(tok)


def _flat_lines(text: str) -> list[tuple[int, Any]] | None:
    """Fast path for one flat map per line (Porcupine's kv files): maps of keyword keys
    to keywords, integers, nil, booleans and plain strings. None if any line is not."""
    out: list[tuple[int, Any]] = []
    full = _FLAT_MAP_RE.fullmatch
    pairs = _FLAT_PAIR_RE.findall
    for lineno, line in enumerate(text.split("\n"), 1):
        line = line.strip()
        if not line:
            continue
        if full(line) is None:
            return None
        out.append((lineno, {_flat_value(k): _flat_value(v) for k, v in pairs(line)}))
    return out


def _edn_events(text: str, source: str) -> list[tuple[int, Any]]:
    flat = _flat_lines(text)
    if flat is not None:
        return flat
    try:
        reader = EDNReader(text)
        elements = reader.sequence_elements()  # a vector or list of maps: one line each
        return elements if elements is not None else list(reader.forms())
    except EDNError as e:
        raise HistoryError(source, e.line, e.problem) from None
    except RecursionError:
        raise HistoryError(source, None, "EDN nested too deeply") from None


def parse_jepsen(text: str, source: str = "<jepsen>", fmt: str = "jepsen") -> History:
    """Jepsen EDN (a vector or a list of maps, or one map per line) with Knossos's conventions:
    ``:fail`` did not happen (dropped with its invocation); ``:info`` may or may not
    have happened (pending forever); a read that returned nil matches any state;
    ``:nemesis`` events are ignored; a cas value is ``[old new]``. With ``:key``
    (Porcupine's kv lines) the key becomes the operation's first argument."""
    b = HistoryBuilder(source)
    forms = _edn_events(text, source)
    for line, event in forms:
        if not isinstance(event, dict):
            raise HistoryError(source, line, f"expected an EDN map, found {event!r}"[:200])
        process = event.get(Keyword("process"))
        if _kw(process) == "nemesis":
            continue
        if process is None or isinstance(process, tuple | dict | frozenset):
            raise HistoryError(source, line, "event without a valid :process")
        typ = _kw(event.get(Keyword("type")))
        if typ not in ("invoke", "ok", "fail", "info"):
            raise HistoryError(source, line, ":type must be :invoke, :ok, :fail or :info")
        f_raw = event.get(Keyword("f"))
        f = _kw(f_raw) or (f_raw if isinstance(f_raw, str) else None)
        if not f:
            raise HistoryError(source, line, "event without an :f keyword")
        if typ == "invoke":
            b.invoke(process, _edn_input(f, event, source, line), line)
            continue
        b.check_completes(process, f, line)
        if typ == "fail":
            b.never_happened(process, line)
        elif typ == "info":
            b.unknown(process, line)
        elif f in ("read", "get"):
            value = event.get(Keyword("value"))
            b.complete(process, UNKNOWN if value is None and fmt == "jepsen" else value, line)
        elif f == "cas":
            b.complete(process, True, line)
        else:
            b.complete(process, "ok", line)
    return b.history(fmt)


def parse_kv(text: str, source: str = "<kv>") -> History:
    """Porcupine's key-value EDN lines (``{:process P, :type :invoke|:ok, :f :get|:put|
    :append, :key "k", :value "v"}``); an invocation never completed is pending."""
    return parse_jepsen(text, source, fmt="kv")

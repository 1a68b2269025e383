"""Client histories for the linearizability checker, and the parsers that read them.

A :class:`History` is a list of :class:`Operation` s. Each operation has an *input*
(a tuple ``(f, *args)``, e.g. ``("read",)``, ``("write", 3)``, ``("cas", "k", 1, 2)``),
an *output* (the result the client saw, or :data:`UNKNOWN`), and a real-time interval
``[call, ret]`` measured in event positions. ``ret is None`` means the operation never
completed: it may take effect at any moment after ``call``, or never.

Formats read here (``parse_history(text, fmt="auto")``):

- ``json``: Synod's own history, ``{"events": [...]}`` (schema in docs/linearizability.md);
- ``etcd``: Porcupine's Jepsen etcd logs (``INFO  jepsen.util - P :type :f value``);
- ``kv``: Porcupine's key-value EDN lines (one map per line, with ``:key``);
- ``jepsen``: Jepsen EDN histories (a vector of maps, or maps one after another), read with
  Knossos's conventions.

Every problem in the input raises :class:`HistoryError` naming the line.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


class _Unknown:
    """The output of an operation whose result nobody saw: it matches anything."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "?"

    def __reduce__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()
"""Output of an operation with unknown outcome (timed out, crashed, never returned)."""


class HistoryError(ValueError):
    """Malformed history input. ``str(err)`` is one line: ``source:line: problem``."""

    def __init__(self, source: str, line: int | None, problem: str) -> None:
        where = f"{source}:{line}" if line else source
        super().__init__(f"{where}: {problem}")
        self.source = source
        self.line = line
        self.problem = problem


@dataclass(frozen=True, slots=True)
class Operation:
    """One client operation: what was asked, what came back, and when."""

    id: int
    process: Hashable
    input: tuple[Any, ...]
    output: Any
    call: int
    ret: int | None  # None: never completed (pending until the end of time)
    line: int = 0  # source line of the invocation (0 when not from a file)

    @property
    def pending(self) -> bool:
        return self.ret is None


@dataclass
class History:
    """Operations in invocation order, plus where they came from."""

    ops: list[Operation] = field(default_factory=list)
    source: str = "<history>"
    format: str = ""
    model_hint: str | None = None  # a model the file asks for (Synod JSON "model")
    init_hint: Any = None  # an initial value the file asks for (Synod JSON "init")
    has_init_hint: bool = False

    def __len__(self) -> int:
        return len(self.ops)


# --------------------------------------------------------------------------- EDN reader


@dataclass(frozen=True, slots=True)
class Keyword:
    """An EDN keyword such as ``:ok`` (kept apart from the string ``"ok"``)."""

    name: str

    def __repr__(self) -> str:
        return ":" + self.name


@dataclass(frozen=True, slots=True)
class Symbol:
    """An EDN symbol (rare in histories; kept so a history with one still parses)."""

    name: str

    def __repr__(self) -> str:
        return self.name


class EDNError(ValueError):
    def __init__(self, line: int, problem: str) -> None:
        super().__init__(problem)
        self.line = line
        self.problem = problem


_STRING_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}
_INT_RE = re.compile(r"[+-]?\d+N?\Z")
_FLOAT_RE = re.compile(r"[+-]?\d+(\.\d*)?([eE][+-]?\d+)?M?\Z")
_ESCAPE_RE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)", re.S)
# One regex alternative per token kind; the lexer is re.match in a loop (C speed).
_TOKEN_RE = re.compile(
    r"""(?P<ws>(?:[\s,]+|;[^\n]*)+)
    |(?P<str>"(?:[^"\\]|\\.)*")
    |(?P<open>\#\{|[(\[{])
    |(?P<close>[)\]}])
    |(?P<disc>\#_)
    |(?P<tag>\#[^\s,()\[\]{}"#]+)
    |(?P<char>\\.[^\s,()\[\]{}"]*)
    |(?P<atom>[^\s,()\[\]{}";\#\\][^\s,()\[\]{}";]*)""",
    re.X | re.S,
)
_DISCARD = object()  # what a #_ form reads as
_CLOSERS = {"{": "}", "#{": "}", "[": "]", "(": ")"}


class EDNReader:
    """A small reader for the EDN subset histories use: maps, vectors, lists, sets,
    keywords, strings, numbers, nil/true/false, symbols, ``#tag value`` (tag dropped),
    ``#_`` discard and ``;`` comments. Maps become dicts, vectors/lists tuples, sets
    frozensets. Each top-level form's starting line is reported by :meth:`forms`."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.newlines = [m.start() for m in re.finditer("\n", text)]
        self.tokens: list[tuple[str, str, int]] = []
        pos, n = 0, len(text)
        match = _TOKEN_RE.match
        append = self.tokens.append
        while pos < n:
            m = match(text, pos)
            if m is None:
                c = text[pos]
                problem = "unterminated string" if c == '"' else f"unexpected character {c!r}"
                raise EDNError(self.line_of(pos), problem)
            kind = m.lastgroup
            if kind != "ws":
                append((kind, m.group(), pos))  # type: ignore[arg-type]
            pos = m.end()
        self.i = 0

    def line_of(self, pos: int) -> int:
        return bisect.bisect_left(self.newlines, pos) + 1

    def _line(self) -> int:
        if self.i < len(self.tokens):
            return self.line_of(self.tokens[self.i][2])
        return len(self.newlines) + 1

    def forms(self) -> Iterable[tuple[int, Any]]:
        """Yield ``(line, value)`` for each top-level form."""
        while self.i < len(self.tokens):
            line = self._line()
            form = self.read()
            if form is not _DISCARD:
                yield line, form

    def vector_elements(self) -> list[tuple[int, Any]] | None:
        """If the whole text is one vector, its elements with their lines, else None."""
        tokens = self.tokens
        if not tokens or tokens[0][1] != "[":
            return None
        start = self._line()
        self.i = 1
        out: list[tuple[int, Any]] = []
        while True:
            if self.i >= len(tokens):
                raise EDNError(start, "unclosed collection (missing ']')")
            if tokens[self.i][1] == "]":
                self.i += 1
                break
            line = self._line()
            item = self.read()
            if item is not _DISCARD:
                out.append((line, item))
        if self.i < len(tokens):
            self.i = 0
            return None
        return out

    def read(self) -> Any:
        tokens = self.tokens
        if self.i >= len(tokens):
            raise EDNError(self._line(), "unexpected end of input")
        kind, tok, pos = tokens[self.i]
        self.i += 1
        if kind == "atom":
            return self._atom(tok, pos)
        if kind == "str":
            return self._string(tok, pos)
        if kind == "open":
            items = self._read_seq(_CLOSERS[tok], pos)
            try:
                if tok == "{":
                    if len(items) % 2:
                        raise EDNError(self.line_of(pos), "map with an odd number of forms")
                    return dict(zip(items[::2], items[1::2], strict=True))
                if tok == "#{":
                    return frozenset(items)
            except TypeError:
                raise EDNError(self.line_of(pos), "unhashable map key or set element") from None
            return tuple(items)
        if kind == "close":
            raise EDNError(self.line_of(pos), f"unexpected {tok!r}")
        if kind == "disc":
            self.read()
            return _DISCARD
        if kind == "tag":  # e.g. #inst "...": the tag is dropped, the value kept
            return self.read()
        return tok[1:]  # a character literal

    def _read_seq(self, close: str, start: int) -> list[Any]:
        items: list[Any] = []
        tokens = self.tokens
        while True:
            if self.i >= len(tokens):
                raise EDNError(self.line_of(start), f"unclosed collection (missing {close!r})")
            if tokens[self.i][1] == close:
                self.i += 1
                return items
            item = self.read()
            if item is not _DISCARD:
                items.append(item)

    def _string(self, tok: str, pos: int) -> str:
        body = tok[1:-1]
        if "\\" not in body:
            return body

        def unescape(m: re.Match[str]) -> str:
            esc = m.group(1)
            if esc in _STRING_ESCAPES:
                return _STRING_ESCAPES[esc]
            if len(esc) == 5:
                return chr(int(esc[1:], 16))
            raise EDNError(self.line_of(pos), f"bad string escape \\{esc}")

        return _ESCAPE_RE.sub(unescape, body)

    def _atom(self, tok: str, pos: int) -> Any:
        if tok == "nil":
            return None
        if tok == "true":
            return True
        if tok == "false":
            return False
        if tok[0] == ":":
            if len(tok) == 1:
                raise EDNError(self.line_of(pos), "empty keyword")
            return Keyword(tok[1:])
        if _INT_RE.match(tok):
            return int(tok.rstrip("N"))
        if tok[0] in "+-0123456789" and _FLOAT_RE.match(tok):
            return float(tok.rstrip("M"))
        if tok[0] in "0123456789":
            raise EDNError(self.line_of(pos), f"bad number {tok!r}")
        return Symbol(tok)


def read_edn(text: str) -> list[tuple[int, Any]]:
    """All top-level EDN forms of ``text`` with their starting lines."""
    return list(EDNReader(text).forms())


# ------------------------------------------------------------------- building histories


class _Builder:
    """Pairs invocations with completions per process (the shared core of every parser)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.time = 0
        # process -> (call time, input, line)
        self.open: dict[Hashable, tuple[int, tuple[Any, ...], int]] = {}
        self.done: list[tuple[int, Hashable, tuple[Any, ...], Any, int | None, int]] = []

    def invoke(self, process: Hashable, inp: tuple[Any, ...], line: int) -> None:
        if process in self.open:
            prev_line = self.open[process][2]
            raise HistoryError(
                self.source,
                line,
                f"process {process!r} invokes again while its operation from line "
                f"{prev_line} is still open",
            )
        self.open[process] = (self.time, inp, line)
        self.time += 1

    def _take(self, process: Hashable, line: int, kind: str) -> tuple[int, tuple[Any, ...], int]:
        try:
            return self.open.pop(process)
        except KeyError:
            raise HistoryError(
                self.source,
                line,
                f"{kind} completion for process {process!r} with no open invocation",
            ) from None

    def complete(self, process: Hashable, output: Any, line: int) -> tuple[Any, ...]:
        call, inp, call_line = self._take(process, line, "an")
        self.done.append((call, process, inp, output, self.time, call_line))
        self.time += 1
        return inp

    def peek(self, process: Hashable, line: int) -> tuple[Any, ...]:
        if process not in self.open:
            raise HistoryError(
                self.source, line, f"completion for process {process!r} with no open invocation"
            )
        return self.open[process][1]

    def check_completes(self, process: Hashable, f: str, line: int) -> None:
        """An EDN completion's ``:f`` must name the operation ``process`` has open."""
        opened = self.peek(process, line)
        if opened[0] != f:
            raise HistoryError(
                self.source, line, f"completion :{f} does not match the open :{opened[0]}"
            )

    def never_happened(self, process: Hashable, line: int) -> None:
        self._take(process, line, "a :fail")

    def unknown(self, process: Hashable, line: int) -> None:
        """The outcome is unknown: pending until the end of time, output matches anything."""
        call, inp, call_line = self._take(process, line, "an :info")
        self.done.append((call, process, inp, UNKNOWN, None, call_line))

    def history(self, fmt: str) -> History:
        rows = list(self.done)
        for process, (call, inp, line) in self.open.items():
            rows.append((call, process, inp, UNKNOWN, None, line))
        rows.sort(key=lambda r: r[0])
        ops = [
            Operation(i, process, inp, out, call, ret, line)
            for i, (call, process, inp, out, ret, line) in enumerate(rows)
        ]
        return History(ops, self.source, fmt)


# ------------------------------------------------------------------------- etcd logs

_ETCD_RE = re.compile(
    r"^INFO\s+jepsen\.util\s+-\s+(\d+)\s+:(invoke|ok|fail|info)\s+:(read|write|cas)\s*(.*?)\s*$"
)


def _etcd_value(text: str, source: str, line: int) -> Any:
    if text in ("nil", ""):
        return None
    if text == ":timed-out":
        return Keyword("timed-out")
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    m = re.fullmatch(r"\[\s*(-?\d+|nil)\s+(-?\d+|nil)\s*\]", text)
    if m:
        a, b = m.groups()
        return (None if a == "nil" else int(a), None if b == "nil" else int(b))
    raise HistoryError(source, line, f"bad value {text!r} (expected nil, an integer or [old new])")


def parse_etcd(text: str, source: str = "<etcd>") -> History:
    """Porcupine's Jepsen etcd logs, with the corpus semantics (corpus README):
    ``:fail :cas`` is a cas that really failed (output False); ``:fail`` of a read is a
    read with unknown result inside its interval; ``:info`` leaves the operation pending
    forever; an invocation never completed is pending; ``nil`` is the initial value."""
    b = _Builder(source)
    for lineno, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        m = _ETCD_RE.match(raw)
        if not m:
            raise HistoryError(
                source, lineno, "not an etcd log line ('INFO  jepsen.util - P :type :f value')"
            )
        proc_s, typ, f, val_s = m.groups()
        proc = int(proc_s)
        val = _etcd_value(val_s, source, lineno)
        if typ == "invoke":
            if f == "read":
                inp: tuple[Any, ...] = ("read",)
            elif f == "write":
                if not isinstance(val, int):
                    raise HistoryError(source, lineno, "a write needs an integer value")
                inp = ("write", val)
            else:
                if not isinstance(val, tuple):
                    raise HistoryError(source, lineno, "a cas needs a value [old new]")
                inp = ("cas", val[0], val[1])
            b.invoke(proc, inp, lineno)
            continue
        b.check_completes(proc, f, lineno)
        if typ == "ok":
            if f == "read":
                if isinstance(val, tuple | Keyword):
                    raise HistoryError(source, lineno, "a read returns nil or an integer")
                b.complete(proc, val, lineno)
            else:
                b.complete(proc, True if f == "cas" else None, lineno)
        elif typ == "fail":
            if f == "cas":
                b.complete(proc, False, lineno)
            elif f == "read":
                b.complete(proc, UNKNOWN, lineno)
            else:
                b.never_happened(proc, lineno)
        else:
            b.unknown(proc, lineno)
    return b.history("etcd")


# ------------------------------------------------------------------ Jepsen / kv EDN


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
        elements = reader.vector_elements()  # a vector of maps: one line each
        return elements if elements is not None else list(reader.forms())
    except EDNError as e:
        raise HistoryError(source, e.line, e.problem) from None
    except RecursionError:
        raise HistoryError(source, None, "EDN nested too deeply") from None


def parse_jepsen(text: str, source: str = "<jepsen>", fmt: str = "jepsen") -> History:
    """Jepsen EDN (a vector of maps or one map per line) with Knossos's conventions:
    ``:fail`` did not happen (dropped with its invocation); ``:info`` may or may not
    have happened (pending forever); a read that returned nil matches any state;
    ``:nemesis`` events are ignored; a cas value is ``[old new]``. With ``:key``
    (Porcupine's kv lines) the key becomes the operation's first argument."""
    b = _Builder(source)
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


# --------------------------------------------------------------------- Synod JSON

SYNOD_HISTORY_FORMAT = "synod-history"
SYNOD_HISTORY_VERSION = 1
#: a counterexample saved by ``synod check`` (explorer/trace.py); its ``"history"`` holds
#: the client events of the run, ``{"type": "invoke"|"complete", "client", "seq", "op"|
#: "result"}``, and ``config.model`` says which model judges them
SYNOD_TRACE_FORMAT = "synod-trace"
TRACE_LIN_MODELS = {"multipaxos": "synod-kv", "basic": "consensus"}
_TYPES = ("invoke", "ok", "info", "fail")


def _json_scalar(v: Any) -> Any:
    """JSON arrays become tuples so that values are hashable (model states)."""
    if isinstance(v, list):
        return tuple(_json_scalar(x) for x in v)
    if isinstance(v, dict):
        raise ValueError("objects are not allowed as values")
    return v


def history_from_events(
    events: Iterable[Mapping[str, Any]],
    source: str = "<events>",
    lines: Sequence[int] | None = None,
) -> History:
    """Build a history from Synod events (the ``"events"`` of the JSON format).

    Each event is a mapping: ``{"process": P, "type": "invoke", "f": F, "key"?: K,
    "value"?: V}`` starts an operation, whose input is ``(F, K, V)`` (K only when
    present; for ``"cas"`` V is ``[expected, new]`` and is spread into the input; for
    ``"get"``/``"read"`` V is ignored); ``{"process": P, "type": "ok", "result": R}``
    completes it with output R; ``"info"`` means the outcome is unknown (it may take
    effect any time after the invocation, or never); ``"fail"`` means it certainly did
    not take effect (dropped). An invocation with no completion is treated as ``info``.
    ``lines`` optionally gives each event's source line for error messages.
    """
    b = _Builder(source)
    for i, ev in enumerate(events):
        line = lines[i] if lines is not None and i < len(lines) else 0
        where = line or None

        def bad(problem: str, i: int = i, where: int | None = where) -> HistoryError:
            return HistoryError(source, where, problem if where else f"event {i}: {problem}")

        if not isinstance(ev, Mapping):
            raise bad("an event must be an object")
        process = ev.get("process")
        if not isinstance(process, int | str) or isinstance(process, bool):
            raise bad('"process" must be an integer or a string')
        typ = ev.get("type")
        if typ not in _TYPES:
            raise bad('"type" must be one of "invoke", "ok", "info", "fail"')
        if typ == "invoke":
            f = ev.get("f")
            if not isinstance(f, str) or not f:
                raise bad('an invoke needs "f", a non-empty string')
            try:
                inp: list[Any] = [f]
                if "key" in ev:
                    inp.append(_json_scalar(ev["key"]))
                if f == "cas":
                    val = ev.get("value")
                    if not (isinstance(val, list) and len(val) == 2):
                        raise bad('a cas needs "value": [expected, new]')
                    inp.extend(_json_scalar(x) for x in val)
                elif f not in ("get", "read") and "value" in ev:
                    inp.append(_json_scalar(ev["value"]))
            except ValueError as e:
                raise bad(str(e)) from None
            b.invoke(process, tuple(inp), line)
            continue
        opened = b.peek(process, line)
        if "f" in ev and ev["f"] != opened[0]:
            raise bad(f'completion "f" {ev["f"]!r} does not match the open {opened[0]!r}')
        if typ == "fail":
            b.never_happened(process, line)
        elif typ == "info":
            b.unknown(process, line)
        else:
            try:
                result = _json_scalar(ev.get("result"))
            except ValueError as e:
                raise bad(str(e)) from None
            b.complete(process, result, line)
    return b.history("json")


def invoke_event(process: int | str, op: Sequence[Any]) -> dict[str, Any]:
    """The Synod JSON event for a client invoking ``op``, as paxos_core clients emit it:
    ``("get", key)``, ``("put", key, value)`` or ``("cas", key, expected, new)``."""
    f, *args = op
    ev: dict[str, Any] = {"process": process, "type": "invoke", "f": f}
    if f in ("get", "put", "cas", "append") and args:
        ev["key"] = args.pop(0)
    if f == "cas":
        ev["value"] = list(args)
    elif args:
        ev["value"] = args[0]
    return ev


def ok_event(process: int | str, result: Any) -> dict[str, Any]:
    """The event for an operation that returned ``result`` (get: value or None,
    put: "ok", cas: True/False)."""
    return {"process": process, "type": "ok", "result": result}


def info_event(process: int | str) -> dict[str, Any]:
    """The event for an operation whose outcome is unknown (timed out, crashed)."""
    return {"process": process, "type": "info"}


def _event_lines(text: str, count: int) -> list[int] | None:
    """Line of each element of the top-level "events" array (for error messages)."""
    m = re.search(r'"events"\s*:\s*\[', text)
    if not m:
        return None
    dec = json.JSONDecoder()
    pos = m.end()
    lines: list[int] = []
    ws = re.compile(r"[\s,]*")
    while len(lines) < count:
        pos = ws.match(text, pos).end()  # type: ignore[union-attr]
        if pos >= len(text) or text[pos] == "]":
            return None
        lines.append(text.count("\n", 0, pos) + 1)
        try:
            _, pos = dec.raw_decode(text, pos)
        except ValueError:
            return None
    return lines


def parse_synod_json(text: str, source: str = "<json>") -> History:
    """Synod's JSON history: ``{"format": "synod-history", "version": 1, "model"?: M,
    "init"?: V, "events": [...]}`` (or a bare array of events)."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise HistoryError(source, e.lineno, f"invalid JSON: {e.msg}") from None
    except RecursionError:
        raise HistoryError(source, None, "invalid JSON: nested too deeply") from None
    model_hint = None
    init: Any = None
    has_init = False
    if isinstance(doc, list):
        events = doc
        lines = None
    elif isinstance(doc, dict) and doc.get("format") == SYNOD_TRACE_FORMAT:
        return _trace_history(doc, source)
    elif isinstance(doc, dict):
        if "events" not in doc or not isinstance(doc["events"], list):
            raise HistoryError(source, 1, 'a Synod history is an object with an "events" array')
        fmt = doc.get("format", SYNOD_HISTORY_FORMAT)
        if fmt != SYNOD_HISTORY_FORMAT:
            raise HistoryError(source, 1, f'"format" must be {SYNOD_HISTORY_FORMAT!r}')
        version = doc.get("version", SYNOD_HISTORY_VERSION)
        # JSON true == 1 in Python; a boolean is not a version number
        if isinstance(version, bool) or version != SYNOD_HISTORY_VERSION:
            raise HistoryError(source, 1, f"unsupported version {version!r} (this reader knows 1)")
        events = doc["events"]
        model_hint = doc.get("model")
        if model_hint is not None and not isinstance(model_hint, str):
            raise HistoryError(source, 1, '"model" must be a string')
        if "init" in doc:
            has_init = True
            try:
                init = _json_scalar(doc["init"])
            except ValueError:
                raise HistoryError(source, 1, '"init" must be a JSON scalar or array') from None
    else:
        raise HistoryError(source, 1, 'a Synod history is an object with an "events" array')
    lines = _event_lines(text, len(events))
    h = history_from_events(events, source, lines)
    h.model_hint = model_hint
    h.init_hint = init
    h.has_init_hint = has_init
    return h


def _trace_history(doc: Mapping[str, Any], source: str) -> History:
    """The client history recorded in a ``synod check`` trace, as Synod events; the
    trace's model names the linearizability model (Multi-Paxos: synod-kv, Basic Paxos:
    consensus)."""
    recorded = doc.get("history")
    if recorded is None:
        raise HistoryError(source, None, "this trace recorded no client history (its model keeps none)")
    if not isinstance(recorded, list):
        raise HistoryError(source, None, 'a trace\'s "history" must be a list of events')
    events: list[dict[str, Any]] = []
    for i, ev in enumerate(recorded):
        if not isinstance(ev, Mapping) or ev.get("type") not in ("invoke", "complete"):
            raise HistoryError(source, None, f'history event {i}: "type" must be "invoke" or "complete"')
        client = ev.get("client")
        if not isinstance(client, int) or isinstance(client, bool):
            raise HistoryError(source, None, f'history event {i}: "client" must be an integer')
        if ev["type"] == "invoke":
            op = ev.get("op")
            if not isinstance(op, list) or not op or not isinstance(op[0], str):
                raise HistoryError(source, None, f'history event {i}: "op" must be a list starting with a name')
            events.append(invoke_event(client, op))
        else:
            events.append(ok_event(client, ev.get("result")))
    config = doc.get("config")
    model = config.get("model") if isinstance(config, Mapping) else None
    h = history_from_events(events, source)
    h.model_hint = TRACE_LIN_MODELS.get(model) if isinstance(model, str) else None
    return h


def history_to_json(history: History, model: str | None = None) -> str:
    """Write ``history`` as a Synod JSON history, one event per line (lines in error
    messages then point at the event). Unknown outputs are written as ``info``."""
    events: list[tuple[int, dict[str, Any]]] = []
    for op in history.ops:
        f = op.input[0]
        ev: dict[str, Any] = {"process": op.process, "type": "invoke", "f": f}
        args = list(op.input[1:])
        if f in ("get", "put", "append") or (f == "cas" and len(args) == 3):
            ev["key"] = args.pop(0)
        if f == "cas":
            ev["value"] = args
        elif args:
            ev["value"] = args[0]
        events.append((op.call, ev))
        if op.ret is None or op.output is UNKNOWN:
            events.append(
                (op.ret if op.ret is not None else 1 << 62, {"process": op.process, "type": "info"})
            )
        else:
            events.append((op.ret, {"process": op.process, "type": "ok", "result": op.output}))
    events.sort(key=lambda e: e[0])
    head: dict[str, Any] = {"format": SYNOD_HISTORY_FORMAT, "version": SYNOD_HISTORY_VERSION}
    if model:
        head["model"] = model
    body = ",\n".join("  " + json.dumps(ev) for _, ev in events)
    return json.dumps(head)[:-1] + ', "events": [\n' + body + "\n]}\n"


# ------------------------------------------------------------------ format detection

FORMATS = ("auto", "json", "etcd", "kv", "jepsen", "porcupine")


def detect_format(text: str) -> str:
    """Guess the format from the first characters: ``json``, ``etcd``, ``kv``,
    ``jepsen`` or ``empty``."""
    body = text.lstrip()
    if not body:
        return "empty"
    if body.startswith("INFO"):
        return "etcd"
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

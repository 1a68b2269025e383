"""A small EDN reader: the subset Jepsen and Knossos histories use.

EDN (extensible data notation) is Clojure's data syntax; Jepsen writes its histories in it.
:class:`EDNReader` tokenises with one regular expression and reads maps, vectors, lists,
sets, keywords, strings, numbers, nil/true/false, symbols, ``#tag value`` (tag dropped),
``#_`` discard and ``;`` comments. Keywords and symbols stay apart from strings
(:class:`Keyword`, :class:`Symbol`). Errors are :class:`EDNError` with a line number; the
history readers turn them into :class:`~checker.lin.history.HistoryError`.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


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

    def sequence_elements(self) -> list[tuple[int, Any]] | None:
        """If the whole text is one vector ``[...]`` or one list ``(...)`` (Jepsen writes
        the first, Knossos either), its elements with their lines, else None."""
        tokens = self.tokens
        if not tokens or tokens[0][1] not in ("[", "("):
            return None
        close = _CLOSERS[tokens[0][1]]
        start = self._line()
        self.i = 1
        out: list[tuple[int, Any]] = []
        while True:
            if self.i >= len(tokens):
                raise EDNError(start, f"unclosed collection (missing {close!r})")
            if tokens[self.i][1] == close:
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

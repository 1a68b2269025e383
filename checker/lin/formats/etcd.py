"""Porcupine's Jepsen etcd logs (``INFO  jepsen.util - P :type :f value``, one event a line).

The logs came to Porcupine from Horn and Kroening's checker, recorded by Jepsen against
etcd: one register, initially nil, with read, write and cas. The semantics are the
corpus README's; :func:`parse_etcd` documents them.
"""

from __future__ import annotations

import re
from typing import Any

from checker.lin.edn import Keyword
from checker.lin.history import UNKNOWN, History, HistoryBuilder, HistoryError

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
    b = HistoryBuilder(source)
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

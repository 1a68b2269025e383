"""Client histories for the linearizability checker: what every history reader builds.

A :class:`History` is a list of :class:`Operation` s. Each operation has an *input*
(a tuple ``(f, *args)``, e.g. ``("read",)``, ``("write", 3)``, ``("cas", "k", 1, 2)``),
an *output* (the result the client saw, or :data:`UNKNOWN`), and a real-time interval
``[call, ret]`` measured in event positions. ``ret is None`` means the operation never
completed: it may take effect at any moment after ``call``, or never.

:class:`HistoryBuilder` pairs invocations with completions per process; every reader in
:mod:`checker.lin.formats` is a loop around one. :func:`history_from_events` builds a
history from Synod's events (the ``"events"`` of its JSON format), and
:func:`invoke_event`, :func:`ok_event` and :func:`info_event` write those events.
Reading a file in some format is :func:`checker.lin.formats.parse_history`.

Every problem in the input raises :class:`HistoryError` naming the line.
"""

from __future__ import annotations

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


# ------------------------------------------------------------------- building histories


class HistoryBuilder:
    """Pairs invocations with completions per process: the shared core of every reader.

    A reader calls :meth:`invoke` and then one of :meth:`complete` (it returned),
    :meth:`unknown` (nobody knows) or :meth:`never_happened` (it certainly did not take
    effect) per operation, and :meth:`history` at the end; an invocation left open is
    pending forever. Times are event positions, so real-time order is the file's order.
    """

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


# --------------------------------------------------------------------- Synod events

_TYPES = ("invoke", "ok", "info", "fail")


def json_value(v: Any) -> Any:
    """JSON arrays become tuples so that values are hashable (model states)."""
    if isinstance(v, list):
        return tuple(json_value(x) for x in v)
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
    b = HistoryBuilder(source)
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
                    inp.append(json_value(ev["key"]))
                if f == "cas":
                    val = ev.get("value")
                    if not (isinstance(val, list) and len(val) == 2):
                        raise bad('a cas needs "value": [expected, new]')
                    inp.extend(json_value(x) for x in val)
                elif f not in ("get", "read") and "value" in ev:
                    inp.append(json_value(ev["value"]))
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
                result = json_value(ev.get("result"))
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

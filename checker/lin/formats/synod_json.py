"""Synod's own JSON history, the client history of a ``synod check`` trace, and the writer.

A Synod history is ``{"format": "synod-history", "version": 1, "model"?: M, "init"?: V,
"events": [...]}`` (or a bare array of events; the schema is in docs/linearizability.md);
its events are read by :func:`checker.lin.history.history_from_events`. A trace saved by
``synod check`` carries its run's client events under ``"history"``.
:func:`history_to_json` writes any history back as a Synod history.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from checker.lin.history import (
    UNKNOWN,
    History,
    HistoryError,
    history_from_events,
    invoke_event,
    json_value,
    ok_event,
)

SYNOD_HISTORY_FORMAT = "synod-history"
SYNOD_HISTORY_VERSION = 1
#: a counterexample saved by ``synod check`` (explorer/trace.py); its ``"history"`` holds
#: the client events of the run, ``{"type": "invoke"|"complete", "client", "seq", "op"|
#: "result"}``, and ``config.model`` says which model judges them
SYNOD_TRACE_FORMAT = "synod-trace"
TRACE_LIN_MODELS = {"multipaxos": "synod-kv", "basic": "consensus"}


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
                init = json_value(doc["init"])
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

"""Histories for the linearizability checker's page tests (tests/test_lin_html.py and the
browser test): many clients, one stale read, so the failing operation is a sliver."""

from __future__ import annotations

import json
from typing import Any


def many_clients_stale_read(clients: int = 50, rounds: int = 6, stale_round: int = 3) -> tuple[str, int]:
    """A register history of ``clients`` clients taking turns, even ones writing, odd
    ones reading the last value written; in round ``stale_round`` client 1's read
    returns a value overwritten long before. Returns the Synod JSON text and the line of the stale read's invocation."""
    events: list[dict[str, Any]] = []
    last = 0
    stale_line = 0
    for r in range(rounds):
        for p in range(clients):
            value = r * clients + p + 1
            if p % 2 == 0:
                events.append({"process": p, "type": "invoke", "f": "write", "value": value})
                events.append({"process": p, "type": "ok"})
                last = value
                continue
            stale = r == stale_round and p == 1
            events.append({"process": p, "type": "invoke", "f": "read"})
            if stale:
                stale_line = len(events) + 1  # one event a line, after the opening line
            events.append({"process": p, "type": "ok", "result": 1 if stale else last})
    text = '{"model": "register", "events": [\n' + ",\n".join(json.dumps(e) for e in events) + "\n]}\n"
    return text, stale_line

"""The sanitizer's other process: rebuild the model, re-execute the walks, print records.

Run as ``python -m explorer.testing.sanitize_child`` with one JSON object on stdin::

    {"config": {... CheckConfig.to_json() ...},
     "walks": [[init, [label, ...]], ...],
     "explain": null or [[init, [label, ...]], step, action or null]}

and prints one JSON object on stdout: ``{"records": [[step record, ...] per walk],
"fields": {name: text} or null}``, or ``{"error": "..."}`` when the model cannot be
built. The parent (explorer.testing.sanitize) starts it under another PYTHONHASHSEED.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from explorer.actors.components import components_for
from explorer.engine.errors import ConfigError
from explorer.engine.sanitize import Walk, field_texts, record_walk
from explorer.models.config import CheckConfig
from explorer.models.registry import build_model


def answer(request: dict[str, Any]) -> dict[str, Any]:
    try:
        model = build_model(CheckConfig.from_json(request["config"]))
    except ConfigError as exc:
        return {"error": str(exc)}
    walks = [Walk.from_json(w) for w in request["walks"]]
    records = [[r.to_json() for r in record_walk(model, walk)] for walk in walks]
    fields = None
    if request.get("explain") is not None:
        walk_data, step, action = request["explain"]
        fields = field_texts(model, components_for(model), Walk.from_json(walk_data), step, action)
    return {"records": records, "fields": fields}


def main() -> int:
    request = json.loads(sys.stdin.read())
    sys.stdout.write(json.dumps(answer(request)) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

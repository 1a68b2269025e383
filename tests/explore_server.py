"""Test helper: an explorer server in this process, on a free loopback port, in a thread."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from explorer.explore.server import Explorer, ExploreServer, encode_path, session_from_trace
from explorer.explore.session import Session
from explorer.models import build_model
from explorer.models.config import CheckConfig
from explorer.replay.trace import Trace, load_trace

ROOT = Path(__file__).resolve().parent.parent
TRACES = ROOT / "traces"
AGREEMENT_TRACE = TRACES / "multipaxos-fill-holes-with-own-agreement-13a7dce4.json"
LINEARIZABLE_TRACE = TRACES / "multipaxos-local-reads-linearizable-7b5907b1.json"


def trace_session(path: Path) -> tuple[Session, Trace]:
    trace = load_trace(path)
    return session_from_trace(trace, path.name), trace


def config_session(config: CheckConfig) -> Session:
    return Session(build_model(config), config)


@contextmanager
def serving(*sessions: Session) -> Iterator[ExploreServer]:
    """A running server; the socket listens once the constructor returns, so requests
    made after this yields queue until the thread accepts them (no sleep, no polling)."""
    server = ExploreServer(Explorer(list(sessions)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def get(server: ExploreServer, path: str) -> tuple[int, Any]:
    """GET ``path``; (status, parsed JSON or text)."""
    return request(server, path)


def request(server: ExploreServer, path: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    url = server.url.rstrip("/") + path
    if body is not None:
        headers = {"Content-Type": "application/json", **(headers or {})}
    req = urllib.request.Request(url, data=body, headers=headers or {}, method="POST" if body is not None else "GET")
    try:
        with urllib.request.urlopen(req, timeout=60) as response:
            status, raw, ctype = response.status, response.read(), response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        status, raw, ctype = exc.code, exc.read(), exc.headers.get("Content-Type", "")
    if ctype.startswith("application/json"):
        return status, json.loads(raw)
    return status, raw.decode("utf-8")


def state_path(session: Session, labels: list[str]) -> str:
    return f"/api/s/{session.id}/state/" + encode_path(labels)

"""The explorer's HTTP server: one static page and a small JSON API over sessions.

Standard library only (``http.server.ThreadingHTTPServer``): the explorer serves one
user on the loopback interface, a handful of requests per click, so a framework would
add a dependency and nothing the page needs. Routes:

==========================================  =============================================
``GET /``                                   redirect to the first session's initial state
``GET /s/<id>/<label>/<label>/...``         the page (the path is the state's stable URL)
``GET /static/<file>``                      the page's script and style sheet
``GET /api/sessions``                       every open session (JSON)
``GET /api/s/<id>``                         one session: model, configuration, properties, trace
``GET /api/s/<id>/state/<label>/...``       the state a path of action labels leads to (JSON)
``POST /api/traces``                        open a trace file (its JSON as the body): a new session
==========================================  =============================================

Each label is one URL path segment, percent-encoded (``encodeURIComponent``). Errors are
JSON ``{"error": "one line"}`` with a 4xx status (400 a malformed path or body, 404 an
unknown session or an action that is not enabled, 413 a body too large); an unexpected
failure is a 500 with one line, and the server keeps serving (never a traceback).
"""

from __future__ import annotations

import json
import re
import sys
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from explorer.explore.session import PathError, Session
from explorer.explore.view import state_view
from explorer.models import build_model
from explorer.models.config import ConfigError
from explorer.replay.reproduce import trace_mismatch
from explorer.replay.trace import Trace, TraceError, trace_from_json

MAX_BODY = 4 * 1024 * 1024
STATIC_TYPES = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}
# Everything the page loads comes from this server (no external network resources).
CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'"
LOOPBACK_NAMES = {"127.0.0.1", "localhost", "[::1]"}
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def encode_path(labels: list[str]) -> str:
    """The URL path segments of ``labels`` (as the page's ``encodeURIComponent`` spells them)."""
    return "/".join(quote(label, safe="-_.!~*'()") for label in labels)


def state_url(session_id: str, labels: list[str]) -> str:
    return f"/s/{session_id}/" + encode_path(labels)


def decode_path(raw: str) -> list[str]:
    """Action labels from URL path segments; ApiError(400) for a malformed path."""
    if raw in ("", "/"):
        return []
    segments = raw.strip("/").split("/") if raw.endswith("/") else raw.lstrip("/").split("/")
    labels = []
    for k, segment in enumerate(segments, start=1):
        if segment == "":
            raise ApiError(400, f"malformed path: step {k} is an empty action label")
        if _BAD_ESCAPE.search(segment):
            raise ApiError(400, f"malformed path: step {k} has a broken %-escape: {segment[:60]!r}")
        try:
            labels.append(unquote(segment, errors="strict"))
        except UnicodeDecodeError:
            raise ApiError(400, f"malformed path: step {k} is not UTF-8 once %-decoded") from None
    return labels


def session_from_trace(trace: Trace, source: str) -> Session:
    """A session walking ``trace``; ConfigError or TraceError if it cannot be opened."""
    model = build_model(trace.config)
    mismatch = trace_mismatch(model, trace)
    if mismatch is not None:
        raise TraceError(f"{source}: {mismatch}")
    return Session(model, trace.config, trace=trace, source=source)


class Explorer:
    """The sessions a server offers (the first is where ``/`` leads)."""

    def __init__(self, sessions: list[Session]) -> None:
        if not sessions:
            raise ValueError("the explorer needs a session")
        self.sessions: dict[str, Session] = {}
        self.order: list[str] = []
        self.lock = threading.Lock()
        for session in sessions:
            self.add(session)
        self.static = {name: _read_static(name) for name in STATIC_TYPES}

    def add(self, session: Session) -> Session:
        """Register ``session`` (an equal one already open is reused)."""
        with self.lock:
            if session.id not in self.sessions:
                self.sessions[session.id] = session
                self.order.append(session.id)
            return self.sessions[session.id]

    def session(self, session_id: str) -> Session:
        found = self.sessions.get(session_id)
        if found is None:
            raise ApiError(404, f"no session {session_id!r} on this server (open the trace again, or start from /)")
        return found

    def open_trace(self, body: bytes, source: str) -> dict[str, Any]:
        """``POST /api/traces``: validate the trace, open (or reuse) its session."""
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ApiError(400, f"{source}: not a JSON trace: {exc}") from None
        try:
            session = self.add(session_from_trace(trace_from_json(data), source))
        except (TraceError, ConfigError, ValueError) as exc:
            message = str(exc)  # name the file once (some errors already do)
            raise ApiError(400, message if message.startswith(source) else f"{source}: {message}") from None
        return {"session": session.id, "url": state_url(session.id, []), "info": session.info()}


def _read_static(name: str) -> bytes:
    return resources.files("explorer.explore").joinpath("static", name).read_bytes()


class ExploreHandler(BaseHTTPRequestHandler):
    server: ExploreServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._answer(self._get)

    def do_POST(self) -> None:  # noqa: N802
        self._answer(self._post)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (http.server's name)
        if self.server.verbose:
            sys.stderr.write(f"synod explore: {self.address_string()} {format % args}\n")

    # -- routing ---------------------------------------------------------------------

    def _answer(self, route: Any) -> None:
        try:
            self._check_origin()
            status, content_type, body, headers = route()
        except ApiError as exc:
            status, content_type, body, headers = self._error(exc.status, exc.message)
        except PathError as exc:
            status, content_type, body, headers = self._error(404, str(exc), step=exc.step)
        except Exception as exc:  # never a traceback: one line, and keep serving
            sys.stderr.write(f"synod explore: internal error on {self.path[:200]}: {type(exc).__name__}: {exc}\n")
            status, content_type, body, headers = self._error(500, f"internal error: {type(exc).__name__}: {exc}")
        if status >= 400 and self.command == "POST":
            # the body may be unread: this connection cannot carry another request
            self.close_connection = True
            headers = {**headers, "Connection": "close"}
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Security-Policy", CSP)
        self.send_header("X-Content-Type-Options", "nosniff")
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _check_origin(self) -> None:
        """On loopback, answer only requests addressed to loopback names: a web page
        elsewhere cannot reach the explorer by pointing its own DNS name at 127.0.0.1."""
        if not self.server.loopback:
            return
        host = (self.headers.get("Host") or "").strip().lower()
        name = host.rsplit(":", 1)[0] if not host.startswith("[") else host.split("]")[0] + "]"
        if name not in LOOPBACK_NAMES:
            raise ApiError(403, f"this explorer answers requests to localhost only, not to {host[:80]!r}")

    @staticmethod
    def _json(status: int, data: Any) -> tuple[int, str, bytes, dict[str, str]]:
        return status, "application/json", json.dumps(data).encode("utf-8"), {}

    def _error(self, status: int, message: str, **extra: Any) -> tuple[int, str, bytes, dict[str, str]]:
        return self._json(status, {"error": message, "status": status, **extra})

    def _get(self) -> tuple[int, str, bytes, dict[str, str]]:
        path = urlsplit(self.path).path
        app = self.server.app
        if path == "/":
            first = app.sessions[app.order[0]]
            return HTTPStatus.FOUND, "text/plain", b"", {"Location": state_url(first.id, [])}
        if path.startswith("/s/"):
            return 200, STATIC_TYPES["index.html"], app.static["index.html"], {}
        if path.startswith("/static/"):
            name = path[len("/static/"):]
            if name not in STATIC_TYPES:
                raise ApiError(404, f"no static file {name[:80]!r}")
            return 200, STATIC_TYPES[name], app.static[name], {}
        if path == "/api/sessions":
            return self._json(200, [app.sessions[sid].info() for sid in app.order])
        if path.startswith("/api/s/"):
            return self._session_get(path[len("/api/s/"):])
        raise ApiError(404, f"no such page: {path[:120]}")

    def _session_get(self, rest: str) -> tuple[int, str, bytes, dict[str, str]]:
        session_id, _, tail = rest.partition("/")
        session = self.server.app.session(session_id)
        if tail == "":
            return self._json(200, session.info())
        if tail == "state" or tail.startswith("state/"):
            labels = decode_path(tail[len("state"):])
            return self._json(200, state_view(session, labels))
        raise ApiError(404, f"no such API route: /api/s/{session_id}/{tail[:80]}")

    def _post(self) -> tuple[int, str, bytes, dict[str, str]]:
        path = urlsplit(self.path).path
        if path != "/api/traces":
            raise ApiError(404, f"no such API route: POST {path[:120]}")
        if (self.headers.get("Content-Type") or "").split(";")[0].strip() != "application/json":
            # a form or a no-cors fetch from another site cannot send this type
            raise ApiError(415, "POST /api/traces wants Content-Type: application/json")
        length_text = self.headers.get("Content-Length")
        if length_text is None or not length_text.isdigit():
            raise ApiError(411, "POST /api/traces needs a Content-Length")
        length = int(length_text)
        if length > MAX_BODY:
            raise ApiError(413, f"trace too large ({length} bytes; at most {MAX_BODY})")
        body = self.rfile.read(length)
        source = self.headers.get("X-Trace-Name") or "uploaded trace"
        return self._json(200, self.server.app.open_trace(body, source[:200]))


class ExploreServer(ThreadingHTTPServer):
    """A threading HTTP server bound to ``(host, port)`` serving ``app``; port 0 picks a free one."""

    daemon_threads = True

    def __init__(self, app: Explorer, host: str = "127.0.0.1", port: int = 0, verbose: bool = False) -> None:
        self.app = app
        self.verbose = verbose
        self.loopback = host in ("127.0.0.1", "localhost", "::1") or host.startswith("127.")
        super().__init__((host, port), ExploreHandler)

    @property
    def url(self) -> str:
        address = self.server_address
        host = address[0].decode() if isinstance(address[0], bytes) else str(address[0])
        port = address[1]
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}/"

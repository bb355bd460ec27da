"""The emulator's HTTP listener: one threaded ``http.server`` on loopback that hands each
request to a router (Web API, response URLs, test API). The sandbox page serves through one
too."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> tuple[bytes, str]:
        if isinstance(self.body, bytes):
            return self.body, self.headers.get("Content-Type", "application/octet-stream")
        return json.dumps(self.body).encode(), "application/json; charset=utf-8"


Router = Callable[[HttpRequest], HttpAnswer]
_log = logging.getLogger(__name__)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    # HTTP/1.0: one request per connection, so stopping never waits on an idle keep-alive.
    protocol_version = "HTTP/1.0"
    server_version = "SlackEmulator/1"
    disable_nagle_algorithm = True

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        request = HttpRequest(self.command, parts.path, parts.query, dict(self.headers), body)
        try:
            answer = self.server.router(request)
        except Exception as exc:  # noqa: BLE001 - a bug answers 500, never hangs up
            _log.exception("%s failed on %s %s", self.server.name, self.command, parts.path)
            answer = HttpAnswer(500, {"ok": False, "error": "fatal_error", "detail": repr(exc)})
        payload, content_type = answer.encoded()
        self.send_response(answer.status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in answer.headers.items():
            if name.lower() != "content-type":
                self.send_header(name, value)
        self.end_headers()
        try:
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            return  # the client hung up before its answer; nothing is left to tell it

    do_GET = _serve
    do_POST = _serve

    def log_message(self, format: str, *args: Any) -> None:
        return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], router: Router, name: str) -> None:
        self.router = router
        self.name = name
        super().__init__(address, _Handler)


class HttpListener:
    """Serves ``router`` on ``host:port`` from a background thread called ``name``."""

    def __init__(
        self, host: str, port: int, router: Router, *, name: str = "slack-emulator-http"
    ) -> None:
        self._server = _Server((host, port), router, name)
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=name,
            daemon=True,
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=10)
        self._server.server_close()

"""The base of the local HTTP fakes: a quiet threading server on loopback, HTTP/1.1 keep-alive
without Nagle's delay, JSON helpers, a switch to fail the next requests on purpose, and
optionally TLS (for clients that refuse a bearer token over plain http)."""

from __future__ import annotations

import json
import re
import ssl
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

LOOPBACK = "127.0.0.1"


@dataclass
class Fault:
    """Answer requests matching ``method`` and the ``path`` regex with ``status`` (``times``
    times; -1 for ever) instead of serving them."""

    status: int
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    method: str | None = None
    path: str = ""
    times: int = 1

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and bool(re.search(self.path, path))


class FaultList:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.times != 0 and fault.matches(method, path):
                    if fault.times > 0:
                        fault.times -= 1
                    return fault
        return None


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024
    """Connections waiting to be accepted: a tick probes a thousand targets at once."""
    tls: ssl.SSLContext | None = None

    def get_request(self) -> tuple[Any, Any]:
        sock, address = super().get_request()
        if self.tls is None:
            return sock, address
        # The handshake happens on the request's own thread (``JsonHandler.setup``), so a slow
        # client cannot hold up the accepting one.
        return self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), address

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hung up early is expected in these tests


class JsonHandler(BaseHTTPRequestHandler):
    disable_nagle_algorithm = True
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        if isinstance(self.request, ssl.SSLSocket):
            self.request.do_handshake()
        super().setup()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    @property
    def owner(self) -> Any:
        return self.server.owner  # type: ignore[attr-defined]

    def body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def json_body(self) -> Any:
        raw = self.body()
        return json.loads(raw) if raw else {}

    def send(
        self,
        status: int,
        payload: Any = None,
        headers: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> None:
        if isinstance(payload, bytes):
            raw = payload
        else:
            raw = b"" if payload is None else json.dumps(payload).encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        given = {name.lower() for name in (headers or {})}
        if (raw or payload is not None) and "content-type" not in given:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        if raw:
            self.wfile.write(raw)

    def fault(self) -> bool:
        """Serve a planned fault for this request, if one matches; True if it did."""
        fault = self.owner.faults.take(self.command, self.path)
        if fault is None:
            return False
        self.body()
        self.send(fault.status, fault.body, dict(fault.headers))
        return True


class FakeServer:
    """Owns a ``QuietServer`` on a free loopback port, served from a daemon thread."""

    def __init__(
        self, handler: type[BaseHTTPRequestHandler], *, tls: ssl.SSLContext | None = None
    ) -> None:
        self.faults = FaultList()
        self.lock = threading.Lock()
        self._httpd = QuietServer((LOOPBACK, 0), handler)
        self._httpd.tls = tls
        self._httpd.owner = self  # type: ignore[attr-defined]
        self.port: int = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        scheme = "http" if self._httpd.tls is None else "https"
        return f"{scheme}://{LOOPBACK}:{self.port}"

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

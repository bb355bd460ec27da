"""A recording, fault-injecting HTTP proxy in front of a real stand-in (moto, Azurite).

Requests pass through unchanged unless a planned ``Fault`` matches, which is then answered
in the service's own wire format (e.g. a 503 ``SlowDown`` in S3's XML, a 403 in RDS's). Every
request's method and path is recorded, so a test can assert that a call was never made. An
answer's body may be rewritten on its way back (``rewrite``), to show what the stand-in cannot
produce by itself but the real service documents.
"""

from __future__ import annotations

import http.client
from collections.abc import Callable
from urllib.parse import urlsplit

from tests.support.http_fake import FakeServer, JsonHandler

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "expect", "host"}


class FaultProxy(FakeServer):
    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream_host = parts.hostname or "127.0.0.1"
        self.upstream_port = parts.port or 80
        self.requests: list[tuple[str, str]] = []
        self.rewrite: Callable[[str, str, bytes], bytes] | None = None
        """(method, path, body) -> the body the client gets instead."""
        super().__init__(_ProxyHandler)

    def calls(self, method: str, fragment: str) -> int:
        """How many recorded requests had ``method`` and ``fragment`` in path or query."""
        with self.lock:
            return sum(1 for m, p in self.requests if m == method and fragment in p)

    def reset(self) -> None:
        self.faults.clear()
        self.rewrite = None
        with self.lock:
            self.requests.clear()


class _ProxyHandler(JsonHandler):
    """One client connection: it keeps one upstream connection, closed when the client goes."""

    _upstream: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self._upstream is None:
            owner: FaultProxy = self.owner
            self._upstream = http.client.HTTPConnection(
                owner.upstream_host, owner.upstream_port, timeout=60
            )
        return self._upstream

    def _drop_connection(self) -> None:
        if self._upstream is not None:
            self._upstream.close()
            self._upstream = None

    def finish(self) -> None:
        self._drop_connection()
        super().finish()

    def _forward(self) -> None:
        owner: FaultProxy = self.owner
        body = self.body() if self.command not in ("GET", "HEAD", "DELETE") else b""
        if self.command == "DELETE" and self.headers.get("Content-Length"):
            body = self.body()
        # A query-protocol API (RDS, CloudWatch) names its action in a form body: match on it too.
        seen = self.path + ("\n" + body[:2000].decode("latin-1") if body else "")
        with owner.lock:
            owner.requests.append((self.command, seen))
        fault = owner.faults.take(self.command, seen)
        if fault is not None:
            self.send(fault.status, fault.body, dict(fault.headers), content_type="text/xml")
            return
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
        headers["Host"] = f"{owner.upstream_host}:{owner.upstream_port}"
        for attempt in range(2):
            conn = self._connection()
            try:
                conn.request(self.command, self.path, body=body or None, headers=headers)
                answer = conn.getresponse()
                payload = answer.read()
                if owner.rewrite is not None:
                    payload = owner.rewrite(self.command, self.path, payload)
                break
            except (ConnectionError, http.client.HTTPException):
                self._drop_connection()
                if attempt:
                    raise
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in _HOP_BY_HOP and name.lower() != "content-length":
                self.send_header(name, value)
        if self.command == "HEAD":
            self.send_header("Content-Length", answer.getheader("Content-Length") or "0")
        else:
            self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_PATCH = _forward

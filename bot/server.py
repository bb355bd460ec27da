"""The bot's own HTTP server: /health, /live, /ready, /metrics, and /slack/events in HTTP
mode. Bound to PHOENIX_HTTP_HOST (loopback by default), never 0.0.0.0 unless asked.

It is cheroot (CherryPy's WSGI server) embedded in the bot's process, beside the scheduler,
runner and reporter threads: a pool of worker threads answers requests concurrently, an
HTTP/1.1 connection is kept alive between requests, request headers are limited in size, a
connection that sends nothing (or too slowly) for ``timeout`` seconds is closed, and
``stop()`` is graceful: it stops accepting, lets the requests in flight finish (up to
``shutdown_grace``) and then returns — what a pod needs on SIGTERM. The body of a Slack
request is limited by the Slack edge itself (``bot.slack_edge``), which answers and logs it;
no other path reads a body.

The server routes /slack/events to the Slack edge and every other path to the health routes
(``bot.health_routes``: /health, /live, /ready, /metrics).
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from cheroot import wsgi

log = logging.getLogger(__name__)

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

SLACK_PATH = "/slack/events"


@dataclass(frozen=True)
class HttpLimits:
    """How much the server takes on. Slack's requests are a few KiB; a modal's submission, the
    largest, stays far below the body limit."""

    threads: int = 16
    """Requests answered at once; more wait in the accept queue."""
    max_body: int = 1 << 20
    """Bytes of a Slack request's body (the edge answers 413 above it)."""
    max_header: int = 16 << 10
    """Bytes of a request's line and headers (the server answers 413 above it)."""
    timeout: float = 10.0
    """Seconds a connection may stay silent (mid-request or kept alive) before it is closed."""
    shutdown_grace: float = 10.0
    """Seconds ``stop()`` waits for the requests in flight to finish; then their connections
    are shut (a Python thread cannot be killed: ``stop()`` returns when the last one ends)."""


class BotServer:
    """``with BotServer(...) as server:`` serves until the block ends."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        routes: WsgiApp,
        slack: WsgiApp | None = None,
        limits: HttpLimits = HttpLimits(),
    ) -> None:
        self._routes = routes
        self._slack = slack
        server = _Server(
            (host, port),
            self._wsgi,
            numthreads=limits.threads,
            max=limits.threads,
            request_queue_size=64,
            timeout=limits.timeout,  # type: ignore[arg-type]  # cheroot takes seconds as float
            shutdown_timeout=limits.shutdown_grace,  # type: ignore[arg-type]
            server_name="cloudphoenix",
        )
        server.max_request_header_size = limits.max_header
        server.error_log = _error_log  # type: ignore[method-assign]
        server.prepare()  # binds now: a port in use is an OSError for the caller
        self._server = server
        self.port: int = server.bind_addr[1]
        self.url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(target=server.serve, name="bot-http", daemon=True)
        self._stopped = False

    def start(self) -> BotServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, finish the requests in flight (up to the grace), close."""
        if self._stopped:
            return
        self._stopped = True
        self._server.stop()
        self._thread.join(timeout=self._server.shutdown_timeout + 5)

    def __enter__(self) -> BotServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _wsgi(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "") == SLACK_PATH and self._slack is not None:
            return self._slack(environ, start_response)
        return self._routes(environ, start_response)


class _Server(wsgi.Server):
    @staticmethod
    def bind_socket(socket_: socket.socket, bind_addr: Any) -> socket.socket:
        """cheroot's, closing the socket when the address is taken (cheroot 11 leaves it open
        for the garbage collector)."""
        try:
            bound: socket.socket = wsgi.Server.bind_socket(socket_, bind_addr)
        except OSError:
            socket_.close()
            raise
        return bound


def _error_log(msg: str = "", level: int = logging.INFO, traceback: bool = False) -> None:
    """cheroot's own messages (a client that hung up, a TLS handshake that failed) in our log;
    a traceback only when cheroot says it has one (an application that raised)."""
    log.log(level if traceback else logging.DEBUG, "http server: %s", msg, exc_info=traceback)

"""The bot's own HTTP server: /health, /live, /ready, /metrics, and /slack/events in HTTP
mode. Bound to PHOENIX_HTTP_HOST (loopback by default), never 0.0.0.0 unless asked.

/metrics is Prometheus text of the replica's ``Metrics`` (score, level, points per signal,
evaluations and skipped ticks, incidents, runs and stages, Slack errors and rate-limit waits,
leadership); without them, a minimal text of the reporter's counters and the store.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from types import TracebackType
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.metrics import Metrics
from bot.reporter.slack import SlackReporter
from engine.errors import StoreError
from engine.store import Store

log = logging.getLogger("bot.server")

StartResponse = Callable[..., Any]


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return None


class BotServer:
    """``with BotServer(...) as server:`` serves until the block ends."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        store: Store,
        reporter: SlackReporter,
        app: App | None = None,
        connected: Callable[[], bool] = lambda: True,
        metrics: Metrics | None = None,
        config_loaded: Callable[[], bool] = lambda: True,
    ) -> None:
        self._store = store
        self._reporter = reporter
        self._metrics_registry = metrics
        self._config_loaded = config_loaded
        self._slack = SlackRequestHandler(app) if app is not None else None
        self._connected = connected
        self._server = make_server(
            host, port, self._wsgi, server_class=_ThreadingServer, handler_class=_QuietHandler
        )
        self.port = self._server.server_port
        self.url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="bot-http",
            daemon=True,
        )

    def start(self) -> BotServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)
        self._server.server_close()

    def __enter__(self) -> BotServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _store_up(self) -> bool:
        try:
            self._store.ping()
        except StoreError:
            return False
        return True

    def _wsgi(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/slack/events" and self._slack is not None:
            answer: Iterable[bytes] = self._slack(environ, start_response)
            return answer
        if path in ("/health", "/live"):
            return _text(start_response, "200 OK", "ok\n")
        if path == "/ready":
            problems = []
            if not self._store_up():
                problems.append("store unavailable")
            if not self._connected():
                problems.append("not connected to Slack")
            if not self._config_loaded():
                problems.append("configuration not loaded")
            if problems:
                return _text(start_response, "503 Service Unavailable", "; ".join(problems) + "\n")
            return _text(start_response, "200 OK", "ready\n")
        if path == "/metrics":
            return _text(start_response, "200 OK", self._metrics(), "text/plain; version=0.0.4")
        return _text(start_response, "404 Not Found", "not found\n")

    def _metrics(self) -> str:
        if self._metrics_registry is not None:
            return self._metrics_registry.text().decode()
        stats = self._reporter.stats
        lines = []
        for name, value, help_text in (
            ("phoenix_slack_posts_total", stats.posts, "Messages posted."),
            ("phoenix_slack_edits_total", stats.edits, "Messages edited (chat.update)."),
            ("phoenix_slack_coalesced_total", stats.coalesced, "Updates replaced before sent."),
            ("phoenix_slack_rate_limited_total", stats.rate_limited, "429 answers honoured."),
            ("phoenix_slack_failures_total", stats.failures, "Slack calls that failed."),
        ):
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} counter", f"{name} {value}"]
        up = 1 if self._store_up() else 0
        lines += [
            "# HELP phoenix_store_up Whether the state store answers.",
            "# TYPE phoenix_store_up gauge",
            f"phoenix_store_up {up}",
        ]
        return "\n".join(lines) + "\n"


def _text(
    start_response: StartResponse, status: str, body: str, kind: str = "text/plain"
) -> list[bytes]:
    data = body.encode()
    start_response(status, [("Content-Type", kind), ("Content-Length", str(len(data)))])
    return [data]

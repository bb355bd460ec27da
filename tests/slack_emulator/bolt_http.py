"""Serve a Bolt app in HTTP mode on loopback (``App.start`` would bind 0.0.0.0)."""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return None


class BoltHttpServer:
    """``with BoltHttpServer(app) as server:`` serves ``server.url`` (/slack/events)."""

    def __init__(self, app: App) -> None:
        self._server: WSGIServer = make_server(
            "127.0.0.1", 0, SlackRequestHandler(app), handler_class=_QuietHandler
        )
        self.url = f"http://127.0.0.1:{self._server.server_port}/slack/events"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> BoltHttpServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)
        self._server.server_close()

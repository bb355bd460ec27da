"""Serve a Bolt app in HTTP mode on loopback (``App.start`` would bind 0.0.0.0), through
the bot's own server and Bolt's WSGI adapter: the emulator's side of HTTP mode, tested apart
from the bot's edge."""

from __future__ import annotations

from types import TracebackType

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.server import BotServer


class BoltHttpServer:
    """``with BoltHttpServer(app) as server:`` serves ``server.url`` (/slack/events)."""

    def __init__(self, app: App) -> None:
        self._server = BotServer("127.0.0.1", 0, routes=SlackRequestHandler(app))
        self.url = f"{self._server.url}/slack/events"

    def __enter__(self) -> BoltHttpServer:
        self._server.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.stop()

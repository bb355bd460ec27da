"""The bot's HTTP side, composed: the health routes (with the store's and Slack's state), the
Slack edge in HTTP mode, and the server they run on, sized by the settings."""

from __future__ import annotations

from collections.abc import Callable

from slack_sdk.errors import SlackApiError, SlackClientError

from bot.health_routes import HealthRoutes
from bot.server import BotServer, HttpLimits
from bot.slack_edge import OurApp, SlackEdge
from bot.slack_state import SlackState
from bot.wiring.phoenix import Phoenix


class CannotServe(Exception):
    """The HTTP side cannot start; the message is one line naming the setting."""


def build_server(phoenix: Phoenix, socket_connected: Callable[[], bool] | None) -> BotServer:
    """The server of ``phoenix``, bound and not yet started. ``socket_connected`` is the Socket
    Mode connection's state; None in HTTP mode."""
    settings = phoenix.settings
    slack_state = SlackState(
        phoenix.client, connected=socket_connected, every=settings.slack_check_interval
    )
    routes = HealthRoutes(
        store=phoenix.store,
        reporter=phoenix.reporter,
        slack_problem=slack_state.problem,
        metrics=phoenix.metrics,
    )
    limits = HttpLimits(threads=settings.http_threads, shutdown_grace=settings.http_shutdown_grace)
    edge: SlackEdge | None = None
    if settings.mode == "http":
        assert settings.slack_signing_secret is not None
        try:
            ours = OurApp.of(phoenix.client)
        except (SlackApiError, SlackClientError, OSError) as exc:
            raise CannotServe(f"SLACK_BOT_TOKEN: auth.test did not answer: {exc}") from None
        secret = settings.slack_signing_secret.get_secret_value()
        edge = SlackEdge(phoenix.app, secret, ours, max_body=limits.max_body)
    try:
        return BotServer(
            settings.http_host, settings.http_port, routes=routes, slack=edge, limits=limits
        )
    except OSError as exc:
        where = f"{settings.http_host}:{settings.http_port}"
        raise CannotServe(f"PHOENIX_HTTP_PORT: cannot listen on {where}: {exc}") from None

"""The Bolt app: its listeners (from the handlers' tables), the services in every request's
context, and the one error handler.

The error handler maps an error type to a sentence a person can act on, plus an error id;
the log line with that id holds the trace. Users never see a stack trace.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.followups import Followups
from engine.errors import PhoenixError, RunError, StoreError
from engine.incidents.approvals import DirectoryUnavailable
from handlers import actions, blocks, commands, home, views
from handlers.context import SERVICES_KEY, Services
from handlers.ids import COMMAND

log = logging.getLogger("bot.app")

_SENTENCES: tuple[tuple[type[BaseException], str], ...] = (
    (StoreError, "CloudPhoenix cannot reach its state store right now; nothing was changed."),
    (DirectoryUnavailable, "CloudPhoenix cannot check the approver groups with Slack right now."),
    (RunError, "That run cannot do this in the state it is in."),
    (SlackApiError, "Slack refused one of CloudPhoenix's calls."),
    (PhoenixError, "CloudPhoenix could not do that."),
)


def sentence_for(error: BaseException) -> str:
    for kind, sentence in _SENTENCES:
        if isinstance(error, kind):
            return sentence
    return "Something went wrong inside CloudPhoenix."


def build_app(
    services: Services,
    client: WebClient,
    *,
    followups: Followups,
    signing_secret: str = "",
) -> App:
    """The app, every listener registered. ``signing_secret`` is needed in HTTP mode only.

    A listener runs on the thread that answers Slack, up to its ack, and Bolt sends the ack
    when the listener returns (``process_before_response``); what comes after the ack goes to
    the ``followups`` threads, so an ack never waits for a store write, a Web API call or
    another request's work. (Bolt's default instead runs the whole listener on its executor
    and polls every 10 ms for the ack, and a burst queues acks behind other clicks' work.)
    """
    on_error = _error_handler(services)
    app = App(
        client=client,
        signing_secret=signing_secret,
        process_before_response=True,
        ssl_check_enabled=True,
        url_verification_enabled=True,
    )
    with_followups = replace(services, followup=followups.runner(on_error, client))

    def with_services(context: dict[str, Any], next: Callable[[], None]) -> None:
        context[SERVICES_KEY] = with_followups
        next()

    app.use(with_services)
    app.command(COMMAND)(commands.on_phoenix)
    for action_id, action in actions.LISTENERS.items():
        app.action(action_id.value)(action)
    for callback_id, submitted in views.LISTENERS.items():
        app.view(callback_id.value)(submitted)
    for event_type, listener in home.LISTENERS.items():
        app.event(event_type.value)(listener)
    app.error(on_error)
    return app


def _error_handler(services: Services) -> Callable[[Exception, dict[str, Any], WebClient], None]:
    def on_error(error: Exception, body: dict[str, Any], client: WebClient) -> None:
        error_id = f"E{secrets.token_hex(4).upper()}"
        log.error(
            "listener failed (error id %s)", error_id, exc_info=error, extra={"error_id": error_id}
        )
        user, channel = _who_and_where(body)
        if user is None:
            return
        text = f"{sentence_for(error)} (error id {error_id})"
        try:
            client.chat_postEphemeral(
                channel=channel or services.channel, user=user, **blocks.notice(text).as_kwargs()
            )
        except Exception:
            log.exception("could not tell the user about error %s", error_id)

    return on_error


def _who_and_where(body: dict[str, Any]) -> tuple[str | None, str | None]:
    user = body.get("user_id")
    if user is None and isinstance(body.get("user"), dict):
        user = body["user"].get("id")
    channel = body.get("channel_id")
    if channel is None and isinstance(body.get("channel"), dict):
        channel = body["channel"].get("id")
    return (
        user if isinstance(user, str) else None,
        channel if isinstance(channel, str) else None,
    )

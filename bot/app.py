"""The Bolt app: its listeners (from the handlers' tables), the services in every request's
context, and the one error handler.

The error handler maps an error type to a sentence a person can act on, plus an error id;
the log line with that id holds the trace. Users never see a stack trace. Two kinds of
request are Slack's mistake (or a forger's), not ours, and are answered without a trace or a
Slack call: a payload a listener cannot read (``UnreadablePayload``: 400, or for a slash
command a 200 whose ephemeral text says so, which is how Slack shows an answer to its user)
and a request no listener takes (an unknown action or view: 404). Each is logged once, by
its kind and ids, never its content.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from slack_bolt import App, BoltResponse
from slack_bolt.error import BoltUnhandledRequestError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.followups import Followups
from engine.errors import DirectoryUnavailable, PhoenixError, RunError, StoreError
from handlers import actions, blocks, commands, home, views
from handlers.context import SERVICES_KEY, Services
from handlers.ids import COMMAND
from handlers.payloads import UnreadablePayload

log = logging.getLogger(__name__)

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
) -> App:
    """The app, every listener registered.

    In HTTP mode a request reaches the app only through ``bot.slack_edge``, which has checked
    its signature and hands on the payload as read (Bolt's own check would see the payload,
    not the raw body, and fail); Socket Mode needs no signature.

    A listener runs on the thread that answers Slack, up to its ack, and Bolt sends the ack
    when the listener returns (``process_before_response``); what comes after the ack goes to
    the ``followups`` threads, so an ack never waits for a store write, a Web API call or
    another request's work. (Bolt's default instead runs the whole listener on its executor
    and polls every 10 ms for the ack, and a burst queues acks behind other clicks' work.)
    """
    on_error = _error_handler(services)
    app = App(
        client=client,
        request_verification_enabled=False,
        raise_error_for_unhandled_request=True,
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


ErrorHandler = Callable[[Exception, dict[str, Any], WebClient], BoltResponse | None]


def _error_handler(services: Services) -> ErrorHandler:
    def on_error(error: Exception, body: dict[str, Any], client: WebClient) -> BoltResponse | None:
        if isinstance(error, UnreadablePayload):
            return answer_unreadable(error)
        if isinstance(error, BoltUnhandledRequestError):
            return _not_taken(body)
        error_id = f"E{secrets.token_hex(4).upper()}"
        log.error(
            "listener failed (error id %s)", error_id, exc_info=error, extra={"error_id": error_id}
        )
        user, channel = _who_and_where(body)
        if user is None:
            return None
        text = f"{sentence_for(error)} (error id {error_id})"
        try:
            client.chat_postEphemeral(
                channel=channel or services.channel, user=user, **blocks.notice(text).as_kwargs()
            )
        except Exception:
            log.exception("could not tell the user about error %s", error_id)
        return None

    return on_error


# Slack does not retry an event answered with this header (api.slack.com/apis/events-api#retries):
# the same request would be refused again.
_NO_RETRY = {"x-slack-no-retry": "1"}


def answer_unreadable(error: UnreadablePayload) -> BoltResponse:
    """Slack's answer to a payload that cannot be read, logged once (by kind, not content)."""
    log.warning("refused a Slack payload: %s", error, extra={"payload_kind": error.kind})
    if error.kind != "slash command":
        return BoltResponse(status=400, body=str(error), headers=_NO_RETRY)
    text = "CloudPhoenix could not read that command as Slack sent it; nothing was done."
    return BoltResponse(
        status=200,
        body=json.dumps({"response_type": "ephemeral", "text": text}),
        headers={"content-type": "application/json;charset=utf-8"},
    )


def _not_taken(body: dict[str, Any]) -> BoltResponse:
    """An unknown action, view or command: Bolt found no listener for it. The log names the
    kind of request only: the ids in it are Slack's sender's to choose."""
    kind = "slash command" if "command" in body else str(body.get("type", "request"))[:40]
    log.warning("no listener takes this %s", kind, extra={"payload_kind": kind})
    return BoltResponse(
        status=404, body="CloudPhoenix has no listener for this request", headers=_NO_RETRY
    )


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

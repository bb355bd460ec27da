"""The body of a request Slack posts to /slack/events, read into one of the payloads the bot
takes (``handlers.payloads``), or refused with the reason.

Slack posts three shapes (https://api.slack.com/interactivity/handling#payloads,
https://api.slack.com/apis/events-api#receiving-events): a slash command as form fields, an
interaction as one form field ``payload`` holding JSON, and an Events API delivery (or the
URL's verification challenge) as a JSON body. What is handed on is the payload as its model
dumps it — the fields the bot and Bolt read, typed as Slack documents them, nothing else — so
no odd field in a forged or mangled body can reach code that trusts Slack's shapes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from handlers.payloads import (
    Click,
    EventCallback,
    SlashCommand,
    Submission,
    UnreadablePayload,
    UrlVerification,
    ViewClosed,
    read,
)

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"

_KINDS: dict[str, type[Click | Submission | ViewClosed | EventCallback | UrlVerification]] = {
    "block_actions": Click,
    "view_submission": Submission,
    "view_closed": ViewClosed,
    "event_callback": EventCallback,
    "url_verification": UrlVerification,
}
_NAME = re.compile(r"[a-z_]{1,40}")


class NotTaken(Exception):
    """A well-formed payload of a kind the bot has no listener for (a shortcut, an options
    request): refused with 404, as Bolt refuses what no listener matches."""


@dataclass(frozen=True)
class SlackBody:
    kind: str
    """``slash_command``, ``ssl_check`` or the payload's ``type``."""
    payload: dict[str, Any]
    """The payload as its model dumps it."""
    team_id: str | None
    app_id: str | None


def read_body(raw: bytes, media_type: str) -> SlackBody:
    """``raw`` (of content type ``media_type``, form or JSON) as the payload it carries.

    Raises ``UnreadablePayload`` for a body that is not one of Slack's shapes and ``NotTaken``
    for a kind the bot does not take; neither quotes the body."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UnreadablePayload("request", "the body is not UTF-8") from None
    if media_type == JSON:
        return _payload(_json_object(text, "the JSON body"))
    fields = dict(parse_qsl(text, keep_blank_values=True))
    if "payload" in fields:
        return _payload(_json_object(fields["payload"], "the payload field"))
    if fields.get("ssl_check") == "1":
        return SlackBody("ssl_check", fields, None, None)
    command = read(SlashCommand, fields, "slash command")
    return SlackBody("slash_command", _dump(command), command.team_id, command.api_app_id)


def _json_object(text: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        raise UnreadablePayload("request", f"{what} is not JSON") from None
    if not isinstance(value, dict):
        raise UnreadablePayload("request", f"{what} is not a JSON object")
    return value


def _payload(data: dict[str, Any]) -> SlackBody:
    kind = data.get("type")
    if not isinstance(kind, str):
        raise UnreadablePayload("request", "type: missing or not a string")
    model = _KINDS.get(kind)
    if model is None:
        shown = kind if _NAME.fullmatch(kind) else "an unknown type"
        raise NotTaken(f"CloudPhoenix takes no {shown} requests")
    payload = read(model, data, kind)
    team, app = _whose(payload)
    return SlackBody(kind, _dump(payload), team, app)


def _whose(
    payload: Click | Submission | ViewClosed | EventCallback | UrlVerification,
) -> tuple[str | None, str | None]:
    """The workspace and app a payload is for (Slack's own rule for a modal opened from a
    Slack Connect channel: the view's ``app_installed_team_id`` names the installing one)."""
    if isinstance(payload, UrlVerification):
        return None, None
    if isinstance(payload, EventCallback):
        return payload.team_id, payload.api_app_id
    view = getattr(payload, "view", None)
    if view is not None and view.app_installed_team_id:
        return view.app_installed_team_id, payload.api_app_id
    return payload.team_id or payload.user.team_id, payload.api_app_id


def _dump(model: Any) -> dict[str, Any]:
    dumped: dict[str, Any] = model.model_dump(mode="json", exclude_none=True)
    return dumped

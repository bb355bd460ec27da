"""The payloads Slack sends an app, shaped as Slack shapes them, and the envelopes that
carry them (Socket Mode) or are posted (HTTP mode)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Literal

from sandbox.slack.records import EnvelopeType
from sandbox.slack.state import Workspace

Json = dict[str, Any]
Tamper = Literal["forged", "stale", "future"]


@dataclass(frozen=True)
class Envelope:
    """One delivery: what Socket Mode wraps in an envelope and HTTP mode posts as a body."""

    envelope_id: str
    type: EnvelopeType
    payload: Json
    label: str
    accepts_response_payload: bool
    retry_attempt: int | None = None
    retry_reason: str | None = None
    tamper: Tamper | None = None

    def to_socket_message(self) -> Json:
        message: Json = {
            "envelope_id": self.envelope_id,
            "payload": self.payload,
            "type": self.type,
            "accepts_response_payload": self.accepts_response_payload,
        }
        if self.type == "events_api":
            message["retry_attempt"] = self.retry_attempt or 0
            message["retry_reason"] = self.retry_reason or ""
        return message


def user_object(ws: Workspace, user_id: str) -> Json:
    user = ws.directory.users[user_id]
    return {"id": user.id, "username": user.name, "name": user.name, "team_id": ws.identity.team_id}


def team_object(ws: Workspace) -> Json:
    return {"id": ws.identity.team_id, "domain": ws.identity.team_domain}


def slash_command(
    ws: Workspace,
    *,
    command: str,
    text: str,
    user: str,
    channel: str,
    response_url: str,
    trigger_id: str,
    verification_token: str,
) -> Json:
    """A slash command; Slack sends every field as a string (form fields in HTTP mode)."""
    identity = ws.identity
    return {
        "token": verification_token,
        "team_id": identity.team_id,
        "team_domain": identity.team_domain,
        "channel_id": channel,
        "channel_name": ws.directory.channels[channel].name,
        "user_id": user,
        "user_name": ws.directory.users[user].name,
        "command": command,
        "text": text,
        "api_app_id": identity.app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }


def block_actions(
    ws: Workspace,
    *,
    user: str,
    action: Json,
    container: Json,
    trigger_id: str,
    verification_token: str,
    channel: str | None = None,
    message: Json | None = None,
    view: Json | None = None,
    response_url: str | None = None,
) -> Json:
    payload: Json = {
        "type": "block_actions",
        "user": user_object(ws, user),
        "api_app_id": ws.identity.app_id,
        "token": verification_token,
        "container": container,
        "trigger_id": trigger_id,
        "team": team_object(ws),
        "enterprise": None,
        "is_enterprise_install": False,
        "state": {"values": {}},
        "actions": [{**action, "action_ts": f"{time.time():.6f}"}],
    }
    if channel is not None:
        payload["channel"] = {"id": channel, "name": ws.directory.channels[channel].name}
    if message is not None:
        payload["message"] = message
    if view is not None:
        payload["view"] = view
    if response_url is not None:
        payload["response_url"] = response_url
    return payload


def view_submission(
    ws: Workspace, *, user: str, view: Json, trigger_id: str, verification_token: str
) -> Json:
    return {
        "type": "view_submission",
        "team": team_object(ws),
        "user": user_object(ws, user),
        "api_app_id": ws.identity.app_id,
        "token": verification_token,
        "trigger_id": trigger_id,
        "view": view,
        "response_urls": [],
        "enterprise": None,
        "is_enterprise_install": False,
    }


def event_callback(ws: Workspace, event: Json, *, event_id: str, verification_token: str) -> Json:
    identity = ws.identity
    now = int(time.time())
    return {
        "token": verification_token,
        "team_id": identity.team_id,
        "api_app_id": identity.app_id,
        "event": {"event_ts": f"{time.time():.6f}", **event},
        "type": "event_callback",
        "event_id": event_id,
        "event_time": now,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": identity.team_id,
                "user_id": identity.bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-sandbox-{event_id}",
    }

"""manifest.yml matches the code: every command, event, action and view the bot registers is
declared there, and everything declared there is registered; its bot scopes are exactly the
ones the Web API calls in bot/ and handlers/ need."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from handlers import actions, home, views
from handlers.ids import COMMAND, ActionId, CallbackId, EventType

ROOT = Path(__file__).resolve().parents[2]

# Web API method (as slack_sdk spells it) -> the bot scope it needs (None: no scope).
SCOPES: dict[str, str | None] = {
    "chat_postMessage": "chat:write",
    "chat_update": "chat:write",
    "chat_postEphemeral": "chat:write",
    "chat_delete": "chat:write",
    "views_open": None,
    "views_update": None,
    "views_push": None,
    "views_publish": None,
    "usergroups_users_list": "usergroups:read",
    "users_info": "users:read",
    "conversations_info": "channels:read",
    # Slack's upload flow: files.getUploadURLExternal and files.completeUploadExternal, which
    # slack_sdk's files_upload_v2 calls, each need files:write.
    "files_upload_v2": "files:write",
    "files_getUploadURLExternal": "files:write",
    "files_completeUploadExternal": "files:write",
}


def manifest() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "manifest.yml").read_text())
    return data


def test_commands_are_declared_both_ways() -> None:
    declared = {c["command"] for c in manifest()["features"]["slash_commands"]}
    assert declared == {COMMAND}


def test_events_are_declared_both_ways() -> None:
    data = manifest()
    declared = set(data["settings"]["event_subscriptions"]["bot_events"])
    assert declared == {e.value for e in EventType}
    assert set(home.LISTENERS) == set(EventType)
    home_tab = data["features"]["app_home"]["home_tab_enabled"]
    assert home_tab == (EventType.APP_HOME_OPENED in home.LISTENERS)


def test_actions_and_views_have_listeners_and_interactivity_is_on() -> None:
    assert set(actions.LISTENERS) == set(ActionId)
    assert set(views.LISTENERS) == set(CallbackId)
    assert manifest()["settings"]["interactivity"]["is_enabled"] is True


def test_socket_mode_is_the_default() -> None:
    assert manifest()["settings"]["socket_mode_enabled"] is True


def test_scopes_are_exactly_those_the_code_uses() -> None:
    called: set[str] = set()
    for folder in ("bot", "handlers"):
        for path in (ROOT / folder).rglob("*.py"):
            called |= set(
                re.findall(
                    r"\.(chat_\w+|views_\w+|usergroups_\w+|users_\w+|conversations_\w+|files_\w+)\(",
                    path.read_text(),
                )
            )
    unknown = called - set(SCOPES)
    assert not unknown, f"add these methods to SCOPES: {unknown}"
    needed = {SCOPES[m] for m in called} - {None}
    needed.add("commands")
    assert set(manifest()["oauth_config"]["scopes"]["bot"]) == needed

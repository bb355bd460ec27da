"""The test API over HTTP (/_emulator/...), as a browser page or a bot in another process
would drive it."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from sandbox.slack import Emulator

pytestmark = pytest.mark.integration


def call(emulator: Emulator, route: str, body: dict[str, Any] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        emulator.control_url + route,
        data=data,
        method="POST" if body is not None else "GET",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_drive_the_bot_and_read_the_channel_over_http(slack: Emulator) -> None:
    delivery = call(
        slack, "slash_command", {"command": "/phoenix", "text": "status", "user": "UALICE"}
    )
    assert delivery["on_time"] is True

    [proposal] = call(slack, "wait", {"channel": "#incidents", "count": 1, "timeout": 5})
    assert proposal["action_ids"] == ["approve", "snooze", "decline"]
    click = call(
        slack, "click", {"action_id": "approve", "user": "UBOB", "message_ts": proposal["ts"]}
    )
    assert click["on_time"] is True
    replies = call(
        slack, "wait", {"channel": "CINCIDENTS", "thread_ts": proposal["ts"], "count": 1}
    )
    assert [m["text"] for m in replies] == ["Stage 1/3 started"]
    thread = call(slack, f"messages?channel=%23incidents&thread_ts={proposal['ts']}")
    assert [m["text"] for m in thread] == ["Approved by <@UBOB>", "Stage 1/3 started"]
    assert thread[0]["edit_count"] == 1


def test_directory_and_journal_over_http(emulator: Emulator) -> None:
    user = call(emulator, "users", {"name": "dana", "approver": True})["id"]
    call(emulator, "usergroups", {"handle": "oncall", "members": [user]})
    emulator.web_client().chat_postMessage(channel="#general", text="hello")

    state = call(emulator, "state")
    assert any(u["id"] == user and u["approver"] for u in state["users"])
    assert any(g["handle"] == "oncall" for g in state["usergroups"])
    [posted] = call(emulator, "calls?method=chat.postMessage")
    assert posted["args"] == {"channel": "#general", "text": "hello"}
    assert call(emulator, "changes?since=0&timeout=1")["version"] >= 1


def test_rate_budgets_over_http(emulator: Emulator) -> None:
    call(
        emulator,
        "rate_budget",
        {"method": "chat.postMessage", "per_second": 0.1, "burst": 1, "scope": "channel"},
    )
    client = emulator.web_client()
    client.chat_postMessage(channel="#general", text="1")
    with pytest.raises(Exception, match="ratelimited"):
        client.chat_postMessage(channel="#general", text="2")

    limits = call(emulator, "rate_limits")
    assert [b["method"] for b in limits["breaches"]] == ["chat.postMessage"]


def test_bad_requests_are_answered_not_crashed(emulator: Emulator) -> None:
    with pytest.raises(urllib.error.HTTPError) as missing:
        call(emulator, "slash_command", {"command": "/phoenix"})
    assert missing.value.code == 400
    missing.value.close()
    with pytest.raises(urllib.error.HTTPError) as unknown:
        call(emulator, "no-such-route")
    assert unknown.value.code == 404
    unknown.value.close()
    with pytest.raises(urllib.error.HTTPError) as timeout:
        call(emulator, "wait", {"channel": "#general", "count": 1, "timeout": 0.05})
    assert timeout.value.code == 408
    timeout.value.close()

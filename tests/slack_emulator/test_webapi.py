"""The Web API through the real slack_sdk WebClient (and raw HTTP where slack_sdk would not
send what we need to check)."""

from __future__ import annotations

import json
import urllib.request
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from sandbox.slack import Emulator

pytestmark = pytest.mark.integration


def raw_post(url: str, body: bytes, content_type: str, token: str | None = None) -> Any:
    headers = {"Content-Type": content_type}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def test_auth_test_answers_the_bot_identity(emulator: Emulator) -> None:
    answer = emulator.web_client().auth_test()

    assert answer["user_id"] == "UPHOENIXBOT"
    assert answer["bot_id"] == "BPHOENIXBOT"
    assert answer["team_id"] == "TSANDBOX1"


def test_tokens_are_checked(emulator: Emulator) -> None:
    with pytest.raises(SlackApiError) as wrong:
        WebClient(token="xoxb-wrong", base_url=emulator.api_url).auth_test()
    assert wrong.value.response["error"] == "invalid_auth"
    with pytest.raises(SlackApiError) as missing:
        WebClient(base_url=emulator.api_url).auth_test()
    assert missing.value.response["error"] == "not_authed"
    with pytest.raises(SlackApiError) as app_token:
        emulator.web_client(token=emulator.app_token).chat_postMessage(channel="#general", text="x")
    assert app_token.value.response["error"] == "not_allowed_token_type"
    with pytest.raises(SlackApiError) as bot_token:
        emulator.web_client().apps_connections_open(app_token=emulator.bot_token)
    assert bot_token.value.response["error"] == "not_allowed_token_type"


def test_apps_connections_open_hands_out_a_loopback_websocket_url(emulator: Emulator) -> None:
    url = emulator.web_client().apps_connections_open(app_token=emulator.app_token)["url"]

    assert url.startswith(f"ws://127.0.0.1:{emulator.socket_port}/link/?ticket=")


def test_form_encoded_bodies_with_the_token_in_the_body_are_accepted(emulator: Emulator) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "form *body*"}}]
    body = urlencode(
        {
            "token": emulator.bot_token,
            "channel": "CINCIDENTS",
            "text": "form",
            "blocks": json.dumps(blocks),
        }
    ).encode()

    answer = raw_post(
        emulator.api_url + "chat.postMessage", body, "application/x-www-form-urlencoded"
    )

    assert answer["ok"] is True
    [message] = emulator.messages("#incidents")
    assert message.blocks[0]["text"]["text"] == "form *body*"


def test_json_bodies_need_the_token_in_the_authorization_header(emulator: Emulator) -> None:
    body = json.dumps({"token": emulator.bot_token, "channel": "#general", "text": "x"}).encode()

    assert raw_post(emulator.api_url + "chat.postMessage", body, "application/json")["error"] == (
        "not_authed"
    )
    answer = raw_post(
        emulator.api_url + "chat.postMessage", body, "application/json", emulator.bot_token
    )
    assert answer["ok"] is True


def test_post_update_and_thread_follow_slack_shapes(emulator: Emulator) -> None:
    client = emulator.web_client()
    posted = client.chat_postMessage(channel="#incidents", text="Stage 1 running")
    assert posted["channel"] == "CINCIDENTS"
    assert posted["message"]["bot_id"] == "BPHOENIXBOT"

    reply = client.chat_postMessage(channel="CINCIDENTS", thread_ts=posted["ts"], text="detail")
    nested = client.chat_postMessage(channel="CINCIDENTS", thread_ts=reply["ts"], text="more")
    updated = client.chat_update(channel="CINCIDENTS", ts=posted["ts"], text="Stage 1 done")

    assert updated["text"] == "Stage 1 done"
    assert nested["message"]["thread_ts"] == posted["ts"]
    thread = emulator.thread("#incidents", posted["ts"])
    assert [m.text for m in thread] == ["Stage 1 done", "detail", "more"]
    assert emulator.message(posted["ts"]).edit_count == 1
    assert len(emulator.messages("#incidents")) == 1


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda c: c.chat_postMessage(channel="#nowhere", text="x"), "channel_not_found"),
        (lambda c: c.chat_update(channel="#general", ts="1.000001", text="x"), "message_not_found"),
        (
            lambda c: c.chat_postMessage(channel="#general", text="x", thread_ts="1.1"),
            "thread_not_found",
        ),
        (lambda c: c.chat_postMessage(channel="#general", text="x" * 40_001), "msg_too_long"),
        (
            lambda c: c.chat_postEphemeral(channel="#general", user="UNOBODY", text="x"),
            "user_not_found",
        ),
        (lambda c: c.users_info(user="UNOBODY"), "user_not_found"),
        (lambda c: c.conversations_info(channel="CNOPE"), "channel_not_found"),
        (lambda c: c.usergroups_users_list(usergroup="SNOPE"), "no_such_subteam"),
        (
            lambda c: c.views_open(
                trigger_id="1.2.3",
                view={"type": "modal", "blocks": [], "title": {"type": "plain_text", "text": "t"}},
            ),
            "invalid_trigger_id",
        ),
        (lambda c: c.api_call("conversations.kick"), "unknown_method"),
    ],
)
def test_errors_are_slacks(emulator: Emulator, call: object, error: str) -> None:
    with pytest.raises(SlackApiError) as caught:
        call(emulator.web_client())  # type: ignore[operator]
    assert caught.value.response["error"] == error


def test_users_groups_and_channels(emulator: Emulator) -> None:
    client = emulator.web_client()
    dana = emulator.add_user("dana", approver=True)
    group = emulator.add_usergroup("incident-commanders", ["UCAROL", dana])

    assert client.usergroups_users_list(usergroup="SAPPROVERS")["users"] == ["UALICE", "UBOB"]
    assert client.usergroups_users_list(usergroup=group)["users"] == ["UCAROL", dana]
    info = client.users_info(user="UALICE")["user"]
    assert info["name"] == "alice"
    assert info["profile"]["real_name"] == "Alice Archer"
    assert client.conversations_info(channel="CINCIDENTS")["channel"]["name"] == "incidents"
    approvers = [u["id"] for u in emulator.users() if u["approver"]]
    assert approvers == ["UALICE", "UBOB", dana]


def test_ephemeral_messages_are_per_user(emulator: Emulator) -> None:
    client = emulator.web_client()
    answer = client.chat_postEphemeral(channel="#incidents", user="UBOB", text="only Bob")

    [seen] = emulator.ephemeral("UBOB")
    assert seen.ts == answer["message_ts"]
    assert seen.text == "only Bob"
    assert emulator.ephemeral("UALICE") == []


def test_views_publish_and_update_with_hash(emulator: Emulator) -> None:
    client = emulator.web_client()
    home = {"type": "home", "blocks": [{"type": "divider"}]}
    published = client.views_publish(user_id="UBOB", view=home)["view"]

    updated = client.views_update(view_id=published["id"], hash=published["hash"], view=home)
    with pytest.raises(SlackApiError) as stale:
        client.views_update(view_id=published["id"], hash=published["hash"], view=home)

    assert updated["view"]["id"] == published["id"]
    assert stale.value.response["error"] == "hash_conflict"
    assert emulator.home_view("UBOB") is not None


def test_every_call_is_recorded_without_its_token(emulator: Emulator) -> None:
    client = emulator.web_client()
    client.chat_postMessage(channel="#general", text="hello")
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="#nowhere", text="x")

    calls = emulator.calls("chat.postMessage")
    assert [c.ok for c in calls] == [True, False]
    assert calls[0].args == {"channel": "#general", "text": "hello"}
    assert calls[1].response["error"] == "channel_not_found"
    assert all("token" not in c.args for c in emulator.calls())

"""Payload shapes, triggers, response URLs, ephemeral clicks and reconnects."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from websockets.sync.client import connect

from sandbox.slack import Emulator, ManualClock

pytestmark = pytest.mark.integration

MODAL: dict[str, Any] = {
    "type": "modal",
    "title": {"type": "plain_text", "text": "Silence"},
    "submit": {"type": "plain_text", "text": "Silence"},
    "blocks": [
        {
            "type": "input",
            "block_id": "how_long",
            "label": {"type": "plain_text", "text": "For"},
            "element": {
                "type": "static_select",
                "action_id": "duration",
                "options": [
                    {"text": {"type": "plain_text", "text": "1 hour"}, "value": "1h"},
                    {"text": {"type": "plain_text", "text": "1 day"}, "value": "1d"},
                ],
            },
        },
        {
            "type": "input",
            "block_id": "why",
            "optional": True,
            "label": {"type": "plain_text", "text": "Reason"},
            "element": {"type": "plain_text_input", "action_id": "reason"},
        },
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": "preview",
                    "text": {"type": "plain_text", "text": "Preview"},
                }
            ],
        },
    ],
}


def post_json(url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read())


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def offline(clock: ManualClock) -> Iterator[Emulator]:
    """An emulator no app is connected to: every delivery fails at once, payloads are kept."""
    with Emulator(clock=clock) as emu:
        yield emu


def test_nothing_connected_is_dispatch_failed_and_the_user_is_told(offline: Emulator) -> None:
    delivery = offline.run_slash_command("/phoenix", "status", user="UALICE", channel="CGENERAL")

    assert delivery.error == "dispatch_failed"
    assert delivery.payload["command"] == "/phoenix"
    assert delivery.payload["channel_name"] == "general"
    [notice] = offline.ephemeral("UALICE", "#general")
    assert notice.text == '/phoenix failed with the error "dispatch_failed"'


def test_triggers_are_single_use_and_expire_after_3_seconds(
    offline: Emulator, clock: ManualClock
) -> None:
    client = offline.web_client()
    trigger = offline.issue_trigger("UALICE")
    opened = client.views_open(trigger_id=trigger, view=MODAL)["view"]
    assert opened["type"] == "modal"
    assert opened["root_view_id"] == opened["id"]
    with pytest.raises(SlackApiError) as reused:
        client.views_open(trigger_id=trigger, view=MODAL)
    assert reused.value.response["error"] == "exchanged_trigger_id"

    stale = offline.issue_trigger("UALICE")
    clock.advance(3.5)
    with pytest.raises(SlackApiError) as expired:
        client.views_open(trigger_id=stale, view=MODAL)
    assert expired.value.response["error"] == "expired_trigger_id"


def test_select_and_submission_payloads_take_slacks_shapes(offline: Emulator) -> None:
    client = offline.web_client()
    view = client.views_open(trigger_id=offline.issue_trigger("UBOB"), view=MODAL)["view"]

    click = offline.click("preview", user="UBOB", view_id=view["id"])
    submitted = offline.submit_view(user="UBOB", values={"duration": "1d"})

    assert click.payload["container"] == {"type": "view", "view_id": view["id"]}
    assert click.payload["view"]["id"] == view["id"]
    values = submitted.payload["view"]["state"]["values"]
    assert values["how_long"]["duration"]["selected_option"]["value"] == "1d"
    assert values["why"]["reason"] == {"type": "plain_text_input", "value": None}
    assert submitted.label == "view_submission:"
    with pytest.raises(ValueError, match="no option 'forever'"):
        offline.submit_view(user="UBOB", values={"duration": "forever"})


def test_views_push_stacks_modals_up_to_three(offline: Emulator) -> None:
    client = offline.web_client()
    client.views_open(trigger_id=offline.issue_trigger("UBOB"), view=MODAL)
    pushed = client.views_push(trigger_id=offline.issue_trigger("UBOB"), view=MODAL)["view"]
    client.views_push(trigger_id=offline.issue_trigger("UBOB"), view=MODAL)

    with pytest.raises(SlackApiError) as full:
        client.views_push(trigger_id=offline.issue_trigger("UBOB"), view=MODAL)

    assert full.value.response["error"] == "push_limit_reached"
    stack = offline.open_views("UBOB")
    assert len(stack) == 3
    assert stack[1].id == pushed["id"]
    assert pushed["previous_view_id"] == stack[0].id


def test_a_response_url_takes_five_posts_within_30_minutes(
    offline: Emulator, clock: ManualClock
) -> None:
    url = offline.run_slash_command("/phoenix", user="UALICE").payload["response_url"]
    second = offline.run_slash_command("/phoenix", user="UALICE").payload["response_url"]

    answers = [post_json(url, {"text": f"update {n}"})[0] for n in range(6)]
    clock.advance(1801)
    expired = post_json(second, {"text": "too late"})

    assert answers == [200, 200, 200, 200, 200, 404]
    assert expired == (404, {"ok": False, "error": "expired_url"})
    texts = [e.text for e in offline.ephemeral("UALICE") if e.source == "response_url"]
    assert texts == [f"update {n}" for n in range(5)]


def test_a_response_url_refuses_invalid_blocks(offline: Emulator) -> None:
    url = offline.run_slash_command("/phoenix", user="UALICE").payload["response_url"]

    status, body = post_json(url, {"text": "x", "blocks": [{"type": "header"}]})

    assert status == 400
    assert body["error"] == "invalid_blocks"
    assert "header is missing the required field 'text'" in body["errors"][0]


def test_an_ack_with_invalid_blocks_is_a_failure_the_user_sees(slack: Emulator) -> None:
    delivery = slack.run_slash_command("/phoenix", "badack", user="UALICE")

    assert delivery.failed
    assert delivery.error is not None
    assert delivery.error.startswith("invalid_blocks: section needs 'text' or 'fields'")
    [notice] = slack.ephemeral("UALICE")
    assert notice.text == '/phoenix failed with the error "invalid_blocks"'


def test_ephemeral_buttons_can_be_clicked_by_their_owner_only(slack: Emulator) -> None:
    blocks = [
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": "snooze",
                    "value": "inc-7",
                    "text": {"type": "plain_text", "text": "Snooze"},
                }
            ],
        }
    ]
    ts = slack.web_client().chat_postEphemeral(
        channel="#incidents", user="UCAROL", text="Snooze?", blocks=blocks
    )["message_ts"]

    with pytest.raises(LookupError):
        slack.click("snooze", user="UALICE", message_ts=ts)
    delivery = slack.click("snooze", user="UCAROL", message_ts=ts)

    assert delivery.payload["container"]["is_ephemeral"] is True
    slack.wait_for(lambda: slack.ephemeral("UCAROL")[0].text == "Snoozed for 1h", what="replace")
    assert slack.messages("#incidents") == []


def test_refresh_requests_move_envelopes_to_the_new_connection(emulator: Emulator) -> None:
    client = emulator.web_client()
    first_url = client.apps_connections_open(app_token=emulator.app_token)["url"]
    with connect(first_url, open_timeout=2) as first:
        assert json.loads(first.recv(timeout=2))["type"] == "hello"
        emulator.wait_for_socket_connection()

        assert emulator.request_socket_reconnect(grace=0.2) == 1
        assert json.loads(first.recv(timeout=2)) == {
            "type": "disconnect",
            "reason": "refresh_requested",
            "debug_info": {"host": "applink-sandbox"},
        }
        assert emulator.socket_connections() == 0
        second_url = client.apps_connections_open(app_token=emulator.app_token)["url"]
        with connect(second_url, open_timeout=2) as second:
            second.recv(timeout=2)
            emulator.wait_for_socket_connection()
            emulator.ack_deadline = 2.0
            acked: list[dict[str, Any]] = []

            def app() -> None:
                envelope = json.loads(second.recv(timeout=2))
                acked.append(envelope)
                second.send(
                    json.dumps({"envelope_id": envelope["envelope_id"], "payload": {"text": "hi"}})
                )

            thread = threading.Thread(target=app)
            thread.start()
            delivery = emulator.run_slash_command("/phoenix", user="UBOB")
            thread.join()

    assert delivery.on_time
    assert acked[0]["type"] == "slash_commands"
    assert acked[0]["accepts_response_payload"] is True
    assert emulator.ephemeral("UBOB")[0].text == "hi"


def test_a_response_url_can_post_in_channel_and_into_a_thread(offline: Emulator) -> None:
    url = offline.run_slash_command("/phoenix", user="UALICE").payload["response_url"]
    parent = offline.web_client().chat_postMessage(channel="#incidents", text="incident")["ts"]

    shown = post_json(url, {"response_type": "in_channel", "text": "for everyone"})
    threaded = post_json(
        url, {"response_type": "in_channel", "text": "in thread", "thread_ts": parent}
    )
    missing = post_json(url, {"response_type": "in_channel", "text": "x", "thread_ts": "1.2"})

    assert (shown[0], threaded[0]) == (200, 200)
    assert missing == (400, {"ok": False, "error": "thread_not_found", "errors": []})
    assert [m.text for m in offline.messages("#incidents")] == ["incident", "for everyone"]
    assert [m.text for m in offline.replies("#incidents", parent)] == ["in thread"]

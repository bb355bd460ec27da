"""A real Bolt app over Socket Mode (slack_bolt's built-in client) against the emulator."""

from __future__ import annotations

import pytest

from sandbox.slack import Delivery, Emulator
from tests.slack_emulator.phoenix_app import PhoenixApp

pytestmark = pytest.mark.integration


def test_the_app_connects_through_apps_connections_open_and_is_greeted(slack: Emulator) -> None:
    assert slack.socket_connections() == 1
    opened = slack.calls("apps.connections.open")
    assert opened == [] or opened[0].response["url"].startswith("ws://127.0.0.1:")
    assert slack.unmatched_socket_messages() == []


def test_slash_command_is_acked_and_the_proposal_is_posted(
    slack: Emulator, phoenix: PhoenixApp
) -> None:
    delivery = slack.run_slash_command("/phoenix", "status", user="UALICE", channel="#incidents")

    assert delivery.on_time
    assert delivery.transport == "socket_mode"
    assert delivery.ack_latency is not None
    assert delivery.ack_latency < 3.0
    [proposal] = slack.wait_for_messages("#incidents", 1)
    assert proposal.text == "Level 2 proposal"
    assert proposal.action_ids == ["approve", "snooze", "decline"]
    assert phoenix.seen == ["command:status"]


def test_ack_text_becomes_an_ephemeral_message_for_the_caller(slack: Emulator) -> None:
    delivery = slack.run_slash_command("/phoenix", "help", user="UCAROL")

    assert delivery.ack_payload == {"text": "Usage: /phoenix status | approve | help"}
    [notice] = slack.ephemeral("UCAROL", "#incidents")
    assert notice.text.startswith("Usage:")
    assert notice.source == "ack"
    assert slack.ephemeral("UALICE") == []
    assert slack.messages("#incidents") == []


def test_clicking_approve_edits_the_message_and_starts_a_thread(slack: Emulator) -> None:
    slack.run_slash_command("/phoenix", "status", user="UALICE")
    [proposal] = slack.wait_for_messages("#incidents", 1)

    delivery = slack.click("approve", user="UBOB", message_ts=proposal.ts)

    assert delivery.on_time
    assert delivery.label == "block_actions:approve"
    [reply] = slack.wait_for_messages("#incidents", 1, thread_ts=proposal.ts)
    assert reply.text == "Stage 1/3 started"
    assert reply.thread_ts == proposal.ts
    edited = slack.message(proposal.ts)
    assert edited.text == "Approved by <@UBOB>"
    assert edited.edit_count == 1
    assert edited.edits[0].text == "Level 2 proposal"
    assert edited.reply_count == 1
    assert [m.ts for m in slack.thread("#incidents", proposal.ts)] == [proposal.ts, reply.ts]


def test_a_click_carries_what_bolt_needs(slack: Emulator) -> None:
    slack.run_slash_command("/phoenix", "status", user="UALICE")
    [proposal] = slack.wait_for_messages("#incidents", 1)

    delivery = slack.click("approve", user="UBOB", message_ts=proposal.ts, value="inc-1")

    payload = delivery.payload
    assert payload["type"] == "block_actions"
    assert payload["actions"][0]["action_id"] == "approve"
    assert payload["actions"][0]["value"] == "inc-1"
    assert payload["actions"][0]["block_id"] == "decision"
    assert payload["container"]["message_ts"] == proposal.ts
    assert payload["response_url"].startswith(slack.base_url)
    with pytest.raises(LookupError):
        slack.click("approve", user="UBOB", message_ts=proposal.ts, value="inc-999")
    with pytest.raises(LookupError):
        slack.click("no-such-action", user="UBOB", message_ts=proposal.ts)


def test_response_url_replaces_and_deletes_the_original(slack: Emulator) -> None:
    slack.run_slash_command("/phoenix", "status", user="UALICE")
    [first] = slack.wait_for_messages("#incidents", 1)

    slack.click("snooze", user="UALICE", message_ts=first.ts)
    slack.wait_for(lambda: slack.message(first.ts).text == "Snoozed for 1h", what="snooze")
    assert slack.message(first.ts).edits[0].via == "response_url"

    slack.run_slash_command("/phoenix", "status", user="UALICE")
    second = slack.wait_for_messages("#incidents", 2)[1]
    slack.click("decline", user="UALICE", message_ts=second.ts)
    slack.wait_for(lambda: len(slack.messages("#incidents")) == 1, what="delete_original")
    assert [m.ts for m in slack.messages("#incidents")] == [first.ts]
    assert [c.response["ok"] for c in slack.calls("response_url")] == [True, True]


def test_response_url_from_a_slash_command_posts_an_ephemeral_message(slack: Emulator) -> None:
    slack.run_slash_command("/phoenix", "later", user="UBOB")

    [notice] = slack.wait_for_ephemeral("UBOB", 1)
    assert notice.text == "Checked: all signals green"
    assert notice.source == "response_url"


def test_modal_submission_with_errors_keeps_it_open_then_closes_it(
    slack: Emulator, phoenix: PhoenixApp
) -> None:
    slack.run_slash_command("/phoenix", "approve", user="UALICE")
    [modal] = slack.wait_for(lambda: slack.open_views("UALICE"), what="the modal")
    assert modal.callback_id == "approve_modal"

    wrong = slack.submit_view(user="UALICE", values={"env_name": "staging"})
    assert wrong.on_time
    assert wrong.ack_payload == {
        "response_action": "errors",
        "errors": {"env": "Type production to confirm"},
    }
    [still_open] = slack.open_views("UALICE")
    assert still_open.errors == {"env": "Type production to confirm"}

    right = slack.submit_view(user="UALICE", values={"env": {"env_name": "production"}})
    assert right.on_time
    assert slack.open_views("UALICE") == []
    [approved] = slack.wait_for_messages("#incidents", 1)
    assert approved.text == "DR failover approved by <@UALICE>"
    assert phoenix.seen == ["command:approve", "view:staging", "view:production"]


def test_a_required_input_left_empty_cannot_be_submitted(slack: Emulator) -> None:
    slack.run_slash_command("/phoenix", "approve", user="UALICE")
    slack.wait_for(lambda: slack.open_views("UALICE"), what="the modal")

    with pytest.raises(ValueError, match="required input 'env_name'"):
        slack.submit_view(user="UALICE", values={})
    with pytest.raises(LookupError):
        slack.submit_view(user="UALICE", values={"nope": "x"})


def test_opening_app_home_publishes_the_home_view(slack: Emulator, phoenix: PhoenixApp) -> None:
    delivery = slack.open_app_home("UCAROL")

    assert delivery.on_time
    assert delivery.type == "events_api"
    assert delivery.payload["event"]["type"] == "app_home_opened"
    home = slack.wait_for(lambda: slack.home_view("UCAROL"), what="App Home")
    assert home.type == "home"
    assert home.blocks[0]["text"]["text"] == "Score 0, level 0"
    assert "event:app_home_opened" in phoenix.seen


def test_an_ack_later_than_the_deadline_is_recorded_as_a_failure(slack: Emulator) -> None:
    slack.ack_deadline = 0.3

    delivery = slack.run_slash_command("/phoenix", "slow 0.6", user="UALICE")

    assert not delivery.on_time
    assert delivery.failed
    assert delivery.error == "operation_timeout"
    assert slack.ack_failures() == [slack.delivery(delivery.envelope_id)]
    [notice] = slack.ephemeral("UALICE")
    assert notice.source == "slack"
    assert notice.text == '/phoenix failed with the error "operation_timeout"'

    def late_ack() -> Delivery | None:
        found = slack.delivery(delivery.envelope_id)
        return found if found.acked else None

    late = slack.wait_for(late_ack, what="the late ack")
    assert late.ack_latency is not None
    assert late.ack_latency >= 0.3
    assert not late.on_time


def test_socket_mode_refuses_tampering_which_only_http_mode_has(slack: Emulator) -> None:
    with pytest.raises(ValueError, match="HTTP mode"):
        slack.run_slash_command("/phoenix", "help", user="UALICE", tamper="forged")

"""What Slack refuses, the emulator refuses: through the real WebClient, with the problem
named."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk.errors import SlackApiError

from sandbox.slack import Emulator

pytestmark = pytest.mark.integration


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def rejected(emulator: Emulator, blocks: list[Any]) -> list[str]:
    with pytest.raises(SlackApiError) as caught:
        emulator.web_client().chat_postMessage(channel="#incidents", text="x", blocks=blocks)
    assert caught.value.response["error"] == "invalid_blocks"
    return list(caught.value.response["errors"])


def test_too_many_blocks(emulator: Emulator) -> None:
    [problem] = rejected(emulator, [section("x")] * 51)
    assert "no more than 50 blocks" in problem
    assert problem.endswith("[json-pointer:/blocks]")


def test_section_text_over_3000_characters(emulator: Emulator) -> None:
    [problem] = rejected(emulator, [section("x" * 3001)])
    assert "at most 3000 characters (got 3001)" in problem
    assert "[json-pointer:/blocks/0/text/text]" in problem


def test_header_must_be_short_plain_text(emulator: Emulator) -> None:
    problems = rejected(
        emulator,
        [
            {"type": "header", "text": {"type": "plain_text", "text": "h" * 151}},
            {"type": "header", "text": {"type": "mrkdwn", "text": "*bold*"}},
        ],
    )
    assert any("header text" in p and "at most 150" in p for p in problems)
    assert any("/blocks/1/text/type" in p and "plain_text" in p for p in problems)


def test_duplicate_action_ids_and_long_button_text(emulator: Emulator) -> None:
    button = {"type": "button", "action_id": "approve", "text": {"type": "plain_text", "text": "A"}}
    long_button = {**button, "action_id": "other", "text": {"type": "plain_text", "text": "b" * 76}}
    problems = rejected(
        emulator,
        [
            {"type": "actions", "elements": [button]},
            {"type": "actions", "elements": [button, long_button]},
        ],
    )
    assert any("duplicate action_id 'approve'" in p for p in problems)
    assert any("button text" in p and "at most 75" in p for p in problems)


def test_unknown_block_type_and_unknown_field(emulator: Emulator) -> None:
    problems = rejected(emulator, [{"type": "carousel"}, {"type": "divider", "colour": "red"}])
    assert any("unknown block type 'carousel'" in p for p in problems)
    assert any("invalid additional property 'colour'" in p for p in problems)


def test_confirm_dialog_must_be_complete(emulator: Emulator) -> None:
    button = {
        "type": "button",
        "action_id": "approve",
        "text": {"type": "plain_text", "text": "Approve"},
        "confirm": {"title": {"type": "plain_text", "text": "Sure?"}},
    }
    problems = rejected(emulator, [{"type": "actions", "elements": [button]}])
    assert any("confirm dialog is missing the required field 'text'" in p for p in problems)
    assert any("'deny'" in p for p in problems)


def test_a_modal_title_over_24_characters_is_invalid_arguments(emulator: Emulator) -> None:
    trigger = emulator.issue_trigger("UALICE")
    view = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Approve the DR failover now"},
        "blocks": [],
    }
    with pytest.raises(SlackApiError) as caught:
        emulator.web_client().views_open(trigger_id=trigger, view=view)

    assert caught.value.response["error"] == "invalid_arguments"
    [message] = caught.value.response["response_metadata"]["messages"]
    assert "modal title" in message
    assert "at most 24 characters" in message

"""The visible-text reader: it shows every kind of text Slack displays, in order, and nothing
Slack keeps out of sight. Its samples pass the emulator's Block Kit checks, so they are shapes
Slack accepts."""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.slack.blockkit import blocks_problems
from sandbox.slack.visible import buttons, visible_lines, visible_text
from tests.support.blockkit import button

Json = dict[str, Any]
HIDDEN = "hidden-7f3a"
"""Put in every field Slack does not show: it must never be read as visible."""


def plain(text: str) -> Json:
    return {"type": "plain_text", "text": text}


def mrkdwn(text: str) -> Json:
    return {"type": "mrkdwn", "text": text}


def option(text: str) -> Json:
    return {"text": plain(text), "value": f"{HIDDEN}-{text}"}


MESSAGE: list[Json] = [
    {"type": "header", "block_id": f"{HIDDEN}-title", "text": plain("Level 3: DR failover")},
    {
        "type": "section",
        "text": mrkdwn("*Plan:* `dr-azure` &lt;b&gt; <@UALICE>"),
        "fields": [mrkdwn("*Score* 12"), plain("production")],
        "accessory": {
            "type": "button",
            "action_id": f"{HIDDEN}-details",
            "text": plain("Details"),
            "url": f"https://example.invalid/{HIDDEN}",
        },
    },
    {
        "type": "section",
        "text": mrkdwn("More"),
        "accessory": {
            "type": "overflow",
            "action_id": f"{HIDDEN}-more",
            "options": [option("Silence")],
        },
    },
    {
        "type": "context",
        "elements": [
            {"type": "image", "image_url": f"https://example.invalid/{HIDDEN}", "alt_text": HIDDEN},
            mrkdwn("run `run-1`"),
        ],
    },
    {"type": "divider"},
    {
        "type": "actions",
        "block_id": f"{HIDDEN}-decision",
        "elements": [
            {
                "type": "button",
                "action_id": f"{HIDDEN}-approve",
                "value": HIDDEN,
                "style": "primary",
                "text": plain("Approve"),
                "confirm": {
                    "title": plain(f"Start {HIDDEN}?"),
                    "text": mrkdwn(HIDDEN),
                    "confirm": plain("Yes"),
                    "deny": plain("No"),
                },
            },
            {"type": "button", "action_id": f"{HIDDEN}-decline", "text": plain("Decline")},
            {
                "type": "static_select",
                "action_id": f"{HIDDEN}-snooze",
                "placeholder": plain("Snooze for…"),
                "options": [option("1h"), option("4h")],
            },
            {
                "type": "static_select",
                "action_id": f"{HIDDEN}-env",
                "options": [option("staging"), option("prod")],
                "initial_option": option("prod"),
            },
        ],
    },
    {
        "type": "image",
        "image_url": f"https://example.invalid/{HIDDEN}",
        "alt_text": HIDDEN,
        "title": plain("Score, last hour"),
    },
    {
        "type": "rich_text",
        "elements": [
            {
                "type": "rich_text_section",
                "elements": [
                    {"type": "text", "text": "Approved by "},
                    {"type": "user", "user_id": "UBOB"},
                    {"type": "text", "text": " "},
                    {"type": "emoji", "name": "white_check_mark"},
                ],
            },
            {
                "type": "rich_text_list",
                "style": "bullet",
                "elements": [
                    {
                        "type": "rich_text_section",
                        "elements": [
                            {"type": "link", "url": f"https://example.invalid/{HIDDEN}"},
                        ],
                    },
                    {
                        "type": "rich_text_section",
                        "elements": [
                            {
                                "type": "link",
                                "url": f"https://example.invalid/{HIDDEN}",
                                "text": "runbook",
                            }
                        ],
                    },
                ],
            },
        ],
    },
]

MODAL_BLOCKS: list[Json] = [
    {
        "type": "input",
        "block_id": HIDDEN,
        "label": plain("Environment name (production)"),
        "hint": plain("Type it exactly"),
        "element": {
            "type": "plain_text_input",
            "action_id": f"{HIDDEN}-environment",
            "placeholder": plain("production"),
        },
    },
    {
        "type": "input",
        "label": plain("Why decline?"),
        "element": {
            "type": "plain_text_input",
            "action_id": f"{HIDDEN}-reason",
            "initial_value": "blip",
        },
    },
    {
        "type": "input",
        "label": plain("Notify"),
        "element": {
            "type": "checkboxes",
            "action_id": f"{HIDDEN}-notify",
            "options": [
                {"text": plain("Owners"), "value": HIDDEN, "description": plain("who own it")}
            ],
        },
    },
]


def test_the_samples_are_block_kit_slack_accepts() -> None:
    assert blocks_problems(MESSAGE, "message") == []
    assert blocks_problems(MODAL_BLOCKS, "modal") == []


def test_every_visible_text_in_slacks_order() -> None:
    assert visible_lines(MESSAGE) == [
        "Level 3: DR failover",
        "*Plan:* `dr-azure` &lt;b&gt; <@UALICE>",
        "*Score* 12",
        "production",
        "Details",
        "More",
        "run `run-1`",
        "Approve",
        "Decline",
        "Snooze for…",
        "prod",
        "Score, last hour",
        f"Approved by <@UBOB> :white_check_mark:\n• https://example.invalid/{HIDDEN}\n• runbook",
    ]


def test_input_labels_hints_and_what_the_fields_hold() -> None:
    assert visible_lines(MODAL_BLOCKS) == [
        "Environment name (production)",
        "production",
        "Type it exactly",
        "Why decline?",
        "blip",
        "Notify",
        "Owners",
        "who own it",
    ]


def test_what_slack_keeps_out_of_sight_is_not_read() -> None:
    without_link = [b for b in MESSAGE if b["type"] != "rich_text"]
    text = visible_text([*without_link, *MODAL_BLOCKS])
    assert HIDDEN not in text
    assert "Silence" not in text, "an overflow menu's options show only once it is opened"
    assert "1h" not in text, "a select shows its placeholder, not its options"


def test_a_button_is_found_by_its_label_and_checked_on_the_element() -> None:
    approve = button(MESSAGE, "Approve")
    assert approve["action_id"] == f"{HIDDEN}-approve"
    assert approve["confirm"]["confirm"]["text"] == "Yes"
    assert [b["text"]["text"] for b in buttons(MESSAGE)] == ["Details", "Approve", "Decline"]


@pytest.mark.parametrize("label", ["Abort", "approve"])
def test_a_missing_button_fails_with_the_labels_there_are(label: str) -> None:
    with pytest.raises(AssertionError, match=r"\['Details', 'Approve', 'Decline'\]"):
        button(MESSAGE, label)


def test_two_buttons_with_one_label_fail() -> None:
    twice = [{"type": "actions", "elements": [buttons(MESSAGE)[1], buttons(MESSAGE)[1]]}]
    with pytest.raises(AssertionError, match="expected one button 'Approve'"):
        button(twice, "Approve")

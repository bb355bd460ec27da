"""The headless sandbox's transcript: each message read out as a person sees it in Slack, its
controls in brackets, replies indented under their parent."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sandbox.transcript import block_lines, render_message

PROPOSAL: list[dict[str, Any]] = [
    {"type": "header", "text": {"type": "plain_text", "text": "Level 3: DR failover"}},
    {
        "type": "section",
        "text": {"type": "mrkdwn", "text": "*Plan:* `dr-azure`\n*Why:* quorum"},
        "fields": [{"type": "mrkdwn", "text": "*Score* 12"}],
    },
    {"type": "divider"},
    {
        "type": "actions",
        "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": "Approve"}, "value": "r1"},
            {"type": "button", "text": {"type": "plain_text", "text": "Decline"}, "value": "r1"},
        ],
    },
    {
        "type": "context",
        "elements": [
            {"type": "image", "image_url": "https://example.com/i.png", "alt_text": "hidden"},
            {"type": "mrkdwn", "text": "proposed by <@UBOT>"},
        ],
    },
]


def test_a_message_reads_as_its_visible_text_with_controls_in_brackets() -> None:
    assert block_lines(PROPOSAL) == [
        "Level 3: DR failover",
        "*Plan:* `dr-azure`",
        "*Why:* quorum",
        "*Score* 12",
        "—",
        "[Approve] [Decline]",
        "proposed by <@UBOT>",
    ]


def test_what_slack_does_not_show_stays_out() -> None:
    lines = "\n".join(block_lines(PROPOSAL))
    assert "r1" not in lines
    assert "hidden" not in lines
    assert "example.com" not in lines


@dataclass
class Posted:
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    edit_count: int = 0


def test_a_reply_is_indented_and_says_how_often_it_was_edited() -> None:
    reply = Posted("fallback", PROPOSAL[:2], edit_count=3)
    assert render_message(reply, indent="    ")[:2] == [
        "    • Level 3: DR failover  (edited 3×)",
        "      *Plan:* `dr-azure`",
    ]
    assert render_message(Posted("plain text only")) == ["• plain text only"]

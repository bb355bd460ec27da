"""Block Kit validation rules, checked directly (no server)."""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.slack.blockkit import blocks_problems, view_problems, with_generated_ids

Json = dict[str, Any]


def plain(text: str) -> Json:
    return {"type": "plain_text", "text": text}


def button(action_id: str, text: str = "Go", **extra: Any) -> Json:
    return {"type": "button", "action_id": action_id, "text": plain(text), **extra}


def one(problems: list[str]) -> str:
    assert len(problems) == 1, problems
    return problems[0]


def test_a_well_formed_proposal_has_no_problems() -> None:
    blocks = [
        {"type": "header", "text": plain("Level 3: DR failover")},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "*score* 12"},
            "fields": [{"type": "mrkdwn", "text": "a"}] * 10,
            "accessory": {
                "type": "overflow",
                "action_id": "more",
                "options": [{"text": plain("Silence"), "value": "silence"}],
            },
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "why"}]},
        {"type": "divider"},
        {"type": "actions", "elements": [button("approve", style="primary"), button("decline")]},
        {"type": "image", "image_url": "https://example.invalid/x.png", "alt_text": "chart"},
        {"type": "rich_text", "elements": [{"type": "rich_text_section", "elements": []}]},
    ]
    assert blocks_problems(blocks, "message") == []


@pytest.mark.parametrize(
    ("blocks", "expected"),
    [
        (
            [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}],
            "no more than 10 items",
        ),
        (
            [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2001}]}],
            "at most 2000 characters",
        ),
        ([{"type": "section"}], "section needs 'text' or 'fields'"),
        (
            [{"type": "actions", "elements": [button(f"b{i}") for i in range(26)]}],
            "no more than 25 items",
        ),
        ([{"type": "actions", "elements": []}], "at least 1 items"),
        ([{"type": "actions", "elements": [button("a" * 256)]}], "at most 255 characters"),
        ([{"type": "divider", "block_id": "x" * 256}], "at most 255 characters"),
        (
            [{"type": "divider", "block_id": "d"}, {"type": "divider", "block_id": "d"}],
            "duplicate block_id 'd'",
        ),
        (
            [{"type": "actions", "elements": [button("b", style="green")]}],
            "'style' must be one of primary, danger",
        ),
        (
            [{"type": "actions", "elements": [{"type": "plain_text_input", "action_id": "t"}]}],
            "not allowed in an actions block",
        ),
        ([{"type": "context", "elements": [button("b")]}], "text object"),
        ([{"type": "section", "text": {"type": "mrkdwn", "text": ""}}], "at least 1 characters"),
        (
            [{"type": "section", "text": {"type": "mrkdwn", "text": "x", "emoji": True}}],
            "invalid additional property 'emoji'",
        ),
        (["not a block"], "block must be an object"),
        ([{"type": "image", "alt_text": "x"}], "exactly one of 'image_url' or 'slack_file'"),
    ],
)
def test_each_rule_names_its_problem(blocks: list[Any], expected: str) -> None:
    assert expected in one(blocks_problems(blocks, "message"))


def test_confirm_dialog_limits() -> None:
    dialog = {
        "title": plain("t" * 101),
        "text": plain("ok"),
        "confirm": plain("Yes"),
        "deny": plain("n" * 31),
        "style": "danger",
    }
    problems = blocks_problems(
        [{"type": "actions", "elements": [button("b", confirm=dialog)]}], "message"
    )
    assert len(problems) == 2
    assert any("confirm title" in p and "at most 100" in p for p in problems)
    assert any("confirm deny" in p and "at most 30" in p for p in problems)


def test_action_ids_may_repeat_across_blocks_when_scoped_per_block() -> None:
    blocks = [
        {"type": "actions", "elements": [button("retry")]},
        {"type": "actions", "elements": [button("retry")]},
    ]
    assert "duplicate action_id" in one(blocks_problems(blocks, "message"))
    assert blocks_problems(blocks, "message", action_id_scope="block") == []


def test_surfaces_have_their_own_block_limits() -> None:
    blocks = [{"type": "divider"}] * 100
    assert "no more than 50 blocks" in one(blocks_problems(blocks, "message"))
    assert blocks_problems(blocks, "modal") == []
    assert "no more than 100 blocks" in one(blocks_problems([*blocks, {"type": "divider"}], "home"))


def modal(**extra: Any) -> Json:
    return {"type": "modal", "title": plain("Approve"), "blocks": [], **extra}


def test_modal_rules() -> None:
    assert view_problems(modal()) == []
    assert "at most 24" in one(view_problems(modal(title=plain("x" * 25))))
    assert "at most 24" in one(view_problems(modal(submit=plain("x" * 25))))
    assert "at most 3000" in one(view_problems(modal(private_metadata="x" * 3001)))
    input_block = {
        "type": "input",
        "label": plain("Env"),
        "element": {"type": "plain_text_input", "action_id": "env"},
    }
    assert "needs a 'submit'" in one(view_problems(modal(blocks=[input_block])))
    assert view_problems(modal(blocks=[input_block], submit=plain("Go"))) == []
    assert "view type must be home" in one(view_problems(modal(), expected="home"))
    assert "missing the required field 'title'" in one(
        view_problems({"type": "modal", "blocks": []})
    )


def test_home_rules() -> None:
    assert view_problems({"type": "home", "blocks": []}, expected="home") == []
    home_with_title = {"type": "home", "blocks": [], "title": plain("x")}
    assert "invalid additional property 'title'" in one(view_problems(home_with_title))


def test_missing_ids_are_generated_as_slack_does() -> None:
    blocks = [{"type": "actions", "elements": [{"type": "button", "text": plain("Go")}]}]
    [filled] = with_generated_ids(blocks)
    assert filled["block_id"]
    assert filled["elements"][0]["action_id"]
    assert "block_id" not in blocks[0]

"""Block Kit validation, as strict as Slack's: blocks, messages, modals and App Home views.

``message_problems``/``view_problems`` return a list of sentences (empty when valid); the Web
API answers ``invalid_blocks`` (messages) or ``invalid_arguments`` (views) with them.
"""

from __future__ import annotations

import copy
import secrets
from typing import Any, Literal

from sandbox.slack.elements import (
    ACTIONS_ELEMENTS,
    ANY_TEXT,
    INPUT_ELEMENTS,
    PLAIN,
    SECTION_ACCESSORIES,
    element,
    text_object,
)
from sandbox.slack.kitcheck import Json, Problems, array, boolean, is_object, known_keys, string
from sandbox.slack.records import interactive_elements

Surface = Literal["message", "modal", "home"]
ActionIdScope = Literal["message", "block"]

MAX_BLOCKS: dict[Surface, int] = {"message": 50, "modal": 100, "home": 100}
MAX_MESSAGE_TEXT = 40_000
BLOCK_TYPES = ("section", "header", "context", "actions", "divider", "input", "image", "rich_text")
RICH_TEXT_PARTS = (
    "rich_text_section",
    "rich_text_list",
    "rich_text_preformatted",
    "rich_text_quote",
)


def _section(problems: Problems, block: Json, path: str) -> None:
    known_keys(
        problems,
        block,
        {"type", "block_id", "text", "fields", "accessory", "expand"},
        path,
        "section",
    )
    if "text" not in block and "fields" not in block:
        problems.add(path, "section needs 'text' or 'fields'")
    if "text" in block:
        text_object(problems, block["text"], f"{path}/text", "section text", max_len=3000)
    fields = array(problems, block, "fields", path, "section", max_items=10)
    for i, item in enumerate(fields or []):
        text_object(problems, item, f"{path}/fields/{i}", "section field", max_len=2000)
    if "accessory" in block:
        element(
            problems,
            block["accessory"],
            f"{path}/accessory",
            SECTION_ACCESSORIES,
            "a section accessory",
        )
    boolean(problems, block, "expand", path, "section")


def _header(problems: Problems, block: Json, path: str) -> None:
    known_keys(problems, block, {"type", "block_id", "text"}, path, "header")
    if "text" not in block:
        problems.add(path, "header is missing the required field 'text'")
        return
    text_object(problems, block["text"], f"{path}/text", "header text", max_len=150, kinds=PLAIN)


def _context(problems: Problems, block: Json, path: str) -> None:
    known_keys(problems, block, {"type", "block_id", "elements"}, path, "context")
    items = array(problems, block, "elements", path, "context", max_items=10, required=True)
    for i, item in enumerate(items or []):
        item_path = f"{path}/elements/{i}"
        if isinstance(item, dict) and item.get("type") == "image":
            element(problems, item, item_path, {"image"}, "a context block")
        else:
            text_object(problems, item, item_path, "context element", max_len=3000, kinds=ANY_TEXT)


def _actions(problems: Problems, block: Json, path: str) -> None:
    known_keys(problems, block, {"type", "block_id", "elements"}, path, "actions")
    items = array(problems, block, "elements", path, "actions", max_items=25, required=True)
    for i, item in enumerate(items or []):
        element(problems, item, f"{path}/elements/{i}", ACTIONS_ELEMENTS, "an actions block")


def _divider(problems: Problems, block: Json, path: str) -> None:
    known_keys(problems, block, {"type", "block_id"}, path, "divider")


def _input(problems: Problems, block: Json, path: str) -> None:
    allowed = {"type", "block_id", "label", "element", "hint", "optional", "dispatch_action"}
    known_keys(problems, block, allowed, path, "input")
    if "label" not in block:
        problems.add(path, "input is missing the required field 'label'")
    else:
        text_object(
            problems, block["label"], f"{path}/label", "input label", max_len=2000, kinds=PLAIN
        )
    if "element" not in block:
        problems.add(path, "input is missing the required field 'element'")
    else:
        element(problems, block["element"], f"{path}/element", INPUT_ELEMENTS, "an input block")
    if "hint" in block:
        text_object(
            problems, block["hint"], f"{path}/hint", "input hint", max_len=2000, kinds=PLAIN
        )
    boolean(problems, block, "optional", path, "input")
    boolean(problems, block, "dispatch_action", path, "input")


def _image(problems: Problems, block: Json, path: str) -> None:
    allowed = {"type", "block_id", "image_url", "slack_file", "alt_text", "title"}
    known_keys(problems, block, allowed, path, "image block")
    if ("image_url" in block) == ("slack_file" in block):
        problems.add(path, "image block needs exactly one of 'image_url' or 'slack_file'")
    string(problems, block, "image_url", path, "image block", max_len=3000)
    string(problems, block, "alt_text", path, "image block", max_len=2000, required=True)
    if "title" in block:
        text_object(
            problems, block["title"], f"{path}/title", "image title", max_len=2000, kinds=PLAIN
        )


def _rich_text(problems: Problems, block: Json, path: str) -> None:
    known_keys(problems, block, {"type", "block_id", "elements"}, path, "rich_text")
    items = array(problems, block, "elements", path, "rich_text", max_items=100, required=True)
    for i, item in enumerate(items or []):
        item_path = f"{path}/elements/{i}"
        if not is_object(problems, item, item_path, "rich_text element"):
            continue
        if item.get("type") not in RICH_TEXT_PARTS:
            problems.add(
                f"{item_path}/type", f"unknown rich_text element type {item.get('type')!r}"
            )
        elif not isinstance(item.get("elements"), list):
            problems.add(item_path, f"{item['type']} needs an 'elements' array")


_BLOCKS = {
    "section": _section,
    "header": _header,
    "context": _context,
    "actions": _actions,
    "divider": _divider,
    "input": _input,
    "image": _image,
    "rich_text": _rich_text,
}


def blocks_problems(
    blocks: Any,
    surface: Surface,
    *,
    path: str = "/blocks",
    action_id_scope: ActionIdScope = "message",
) -> list[str]:
    """Everything wrong with a block list meant for ``surface``."""
    problems = Problems()
    if not isinstance(blocks, list):
        problems.add(path, "blocks must be an array")
        return problems.items
    limit = MAX_BLOCKS[surface]
    if len(blocks) > limit:
        problems.add(
            path, f"no more than {limit} blocks are allowed in a {surface} (got {len(blocks)})"
        )
    block_ids: set[str] = set()
    message_action_ids: set[str] = set()
    for i, block in enumerate(blocks):
        block_path = f"{path}/{i}"
        if not is_object(problems, block, block_path, "block"):
            continue
        kind = block.get("type")
        if kind not in _BLOCKS:
            problems.add(f"{block_path}/type", f"unknown block type {kind!r}")
            continue
        if string(problems, block, "block_id", block_path, kind, max_len=255) is not None:
            if block["block_id"] in block_ids:
                problems.add(f"{block_path}/block_id", f"duplicate block_id {block['block_id']!r}")
            block_ids.add(block["block_id"])
        _BLOCKS[kind](problems, block, block_path)
        block_action_ids: set[str] = set()
        seen = message_action_ids if action_id_scope == "message" else block_action_ids
        for el in interactive_elements([block]):
            action_id = el.get("action_id")
            if isinstance(action_id, str):
                if action_id in seen:
                    problems.add(
                        block_path, f"duplicate action_id {action_id!r} in the {action_id_scope}"
                    )
                seen.add(action_id)
    return problems.items


def message_problems(
    text: Any, blocks: Any, *, action_id_scope: ActionIdScope = "message"
) -> list[str]:
    """Problems of a message's blocks (the text length is checked apart: msg_too_long)."""
    if blocks is None:
        return []
    return blocks_problems(blocks, "message", action_id_scope=action_id_scope)


_MODAL_KEYS = {
    "type",
    "title",
    "blocks",
    "close",
    "submit",
    "private_metadata",
    "callback_id",
    "clear_on_close",
    "notify_on_close",
    "external_id",
    "submit_disabled",
}
_HOME_KEYS = {"type", "blocks", "private_metadata", "callback_id", "external_id"}


def view_problems(
    view: Any,
    *,
    expected: Literal["modal", "home"] | None = None,
    path: str = "/view",
    action_id_scope: ActionIdScope = "message",
) -> list[str]:
    """Everything wrong with a modal or App Home view."""
    problems = Problems()
    if not is_object(problems, view, path, "view"):
        return problems.items
    kind = view.get("type")
    if kind not in ("modal", "home") or (expected is not None and kind != expected):
        wanted = expected or "modal or home"
        problems.add(f"{path}/type", f"view type must be {wanted} (got {kind!r})")
        return problems.items
    known_keys(problems, view, _MODAL_KEYS if kind == "modal" else _HOME_KEYS, path, f"{kind} view")
    if kind == "modal":
        if "title" not in view:
            problems.add(path, "modal is missing the required field 'title'")
        else:
            text_object(
                problems, view["title"], f"{path}/title", "modal title", max_len=24, kinds=PLAIN
            )
        for key in ("close", "submit"):
            if key in view:
                text_object(
                    problems, view[key], f"{path}/{key}", f"modal {key}", max_len=24, kinds=PLAIN
                )
        has_input = any(
            isinstance(b, dict) and b.get("type") == "input" for b in view.get("blocks") or []
        )
        if has_input and "submit" not in view:
            problems.add(path, "a modal with input blocks needs a 'submit' button")
        for key in ("clear_on_close", "notify_on_close", "submit_disabled"):
            boolean(problems, view, key, path, "modal")
    string(problems, view, "private_metadata", path, f"{kind} view", max_len=3000, min_len=0)
    string(problems, view, "callback_id", path, f"{kind} view", max_len=255, min_len=0)
    string(problems, view, "external_id", path, f"{kind} view", max_len=255)
    if "blocks" not in view:
        problems.add(path, f"{kind} view is missing the required field 'blocks'")
    else:
        problems.items.extend(
            blocks_problems(
                view["blocks"], kind, path=f"{path}/blocks", action_id_scope=action_id_scope
            )
        )
    return problems.items


def with_generated_ids(blocks: list[Json]) -> list[Json]:
    """A deep copy where every block has a block_id and every element an action_id, as Slack
    fills in the ones an app leaves out."""
    filled = copy.deepcopy(blocks)
    for block in filled:
        block.setdefault("block_id", secrets.token_urlsafe(4))
        holders: list[Json] = []
        if block.get("type") == "actions":
            holders = [e for e in block.get("elements", []) if isinstance(e, dict)]
        elif block.get("type") == "section" and isinstance(block.get("accessory"), dict):
            holders = [block["accessory"]]
        elif block.get("type") == "input" and isinstance(block.get("element"), dict):
            holders = [block["element"]]
        for holder in holders:
            if holder.get("type") != "image":
                holder.setdefault("action_id", secrets.token_urlsafe(4))
    return filled

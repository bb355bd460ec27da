"""What a person sees of a Slack message or view: the text of its blocks in the order Slack
lays them out, and its buttons found by the label on them.

Text is returned as written (mrkdwn markup, ``&lt;`` escapes and ``<@U…>`` mentions kept), so a
test can still check formatting and escaping. What Slack never shows is left out: action ids,
values, block ids, URLs, an image's alt text, a confirm dialog before its button is clicked, an
overflow menu's options before it is opened. A test that means one of those reads it from the
element (``buttons``), never from a search through the whole payload. The sandbox's transcript
of a channel reads messages through it too.

Which field of each block and element Slack shows follows the Block Kit reference:
blocks https://api.slack.com/reference/block-kit/blocks, elements
https://api.slack.com/reference/block-kit/block-elements, rich text
https://api.slack.com/reference/block-kit/blocks#rich_text.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

Json = Mapping[str, Any]

_SINGLE_SELECTS = frozenset(
    {
        "static_select",
        "external_select",
        "users_select",
        "conversations_select",
        "channels_select",
    }
)
_MULTI_SELECTS = frozenset({f"multi_{kind}" for kind in _SINGLE_SELECTS})
_TEXT_INPUTS = {
    "plain_text_input": "initial_value",
    "email_text_input": "initial_value",
    "url_text_input": "initial_value",
    "number_input": "initial_value",
    "datepicker": "initial_date",
    "timepicker": "initial_time",
}


def visible_text(blocks: Iterable[Json]) -> str:
    """Every piece of text a person sees in ``blocks``, one per line, in Slack's order."""
    return "\n".join(visible_lines(blocks))


def visible_lines(blocks: Iterable[Json]) -> list[str]:
    return [text for block in blocks for text in block_text(block)]


def block_text(block: Json) -> list[str]:
    """The texts a person sees in one block, in Slack's order."""
    kind = block.get("type")
    if kind == "header":
        return _text(block.get("text"))
    if kind == "section":
        fields = [text for field in block.get("fields", ()) for text in _text(field)]
        return [*_text(block.get("text")), *fields, *_element(block.get("accessory"))]
    if kind == "context":
        # Images in a context block show a picture; their alt text is for screen readers.
        return [text for element in block.get("elements", ()) for text in _text(element)]
    if kind == "actions":
        return [text for element in block.get("elements", ()) for text in _element(element)]
    if kind == "input":
        return [
            *_text(block.get("label")),
            *_element(block.get("element")),
            *_text(block.get("hint")),
        ]
    if kind == "image":
        return _text(block.get("title"))
    if kind == "rich_text":
        text = "".join(_rich_text(block.get("elements", ()))).strip()
        return [text] if text else []
    return []  # a divider, or a block that carries no text


def buttons(blocks: Iterable[Json]) -> list[Json]:
    """The buttons of ``blocks`` (in actions blocks and as section accessories), in order."""
    found: list[Json] = []
    for block in blocks:
        if block.get("type") == "actions":
            candidates: Iterable[Any] = block.get("elements", ())
        else:
            candidates = (block.get("accessory"),)
        found.extend(e for e in candidates if isinstance(e, Mapping) and e["type"] == "button")
    return found


def _text(obj: Any) -> list[str]:
    """A text object's text; nothing for a missing or empty one."""
    if isinstance(obj, Mapping) and obj.get("text"):
        return [str(obj["text"])]
    return []


def _element(element: Any) -> list[str]:
    if not isinstance(element, Mapping):
        return []
    kind = element.get("type")
    if kind == "button":
        return _text(element.get("text"))
    if kind in _SINGLE_SELECTS:
        chosen = _text((element.get("initial_option") or {}).get("text"))
        return chosen or _text(element.get("placeholder"))
    if kind in _MULTI_SELECTS:
        chosen = [t for option in element.get("initial_options", ()) for t in _option(option)]
        return chosen or _text(element.get("placeholder"))
    if kind in ("checkboxes", "radio_buttons"):
        return [text for option in element.get("options", ()) for text in _option(option)]
    if kind in _TEXT_INPUTS:
        value = element.get(_TEXT_INPUTS[kind])
        return [str(value)] if value else _text(element.get("placeholder"))
    return []  # an overflow menu shows its options only when opened; an image shows no text


def _option(option: Json) -> list[str]:
    return [*_text(option.get("text")), *_text(option.get("description"))]


def _rich_text(elements: Iterable[Json]) -> Iterator[str]:
    for element in elements:
        kind = element.get("type")
        if kind in ("rich_text_section", "rich_text_preformatted", "rich_text_quote"):
            yield from _rich_text(element.get("elements", ()))
            yield "\n"
        elif kind == "rich_text_list":
            for item in element.get("elements", ()):
                yield "• "
                yield from _rich_text(item.get("elements", ()))
                yield "\n"
        elif kind == "text":
            yield str(element.get("text", ""))
        elif kind == "link":
            yield str(element.get("text") or element.get("url", ""))
        elif kind == "emoji":
            yield f":{element.get('name', '')}:"
        elif kind == "user":
            yield f"<@{element.get('user_id', '')}>"
        elif kind == "usergroup":
            yield f"<!subteam^{element.get('usergroup_id', '')}>"
        elif kind == "channel":
            yield f"<#{element.get('channel_id', '')}>"
        elif kind == "broadcast":
            yield f"@{element.get('range', '')}"
        elif kind == "date":
            yield str(element.get("fallback", ""))

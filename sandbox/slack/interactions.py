"""What a person's click or typing turns into: the ``actions[0]`` of a block_actions payload,
and the ``state.values`` of a view submission, by element type."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sandbox.slack.records import interactive_elements

Json = dict[str, Any]

_VALUE_TYPES = {"plain_text_input", "email_text_input", "url_text_input", "number_input"}
_SINGLE_OPTION = {"static_select", "external_select", "radio_buttons", "overflow"}
_MULTI_OPTION = {"multi_static_select", "multi_external_select", "checkboxes"}
_SELECTED = {
    "users_select": "selected_user",
    "multi_users_select": "selected_users",
    "conversations_select": "selected_conversation",
    "multi_conversations_select": "selected_conversations",
    "channels_select": "selected_channel",
    "multi_channels_select": "selected_channels",
    "datepicker": "selected_date",
    "timepicker": "selected_time",
    "datetimepicker": "selected_date_time",
}


def _options(element: Json) -> list[Json]:
    found = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        found.extend(group.get("options") or [])
    return found


def _option(element: Json, value: str) -> Json:
    for option in _options(element):
        if option.get("value") == value:
            return dict(option)
    if element.get("type", "").endswith("external_select"):
        return {"text": {"type": "plain_text", "text": value}, "value": value}
    raise ValueError(f"{element.get('type')} {element.get('action_id')!r} has no option {value!r}")


def element_value(element: Json, value: Any) -> Json:
    """The state value of ``element`` holding ``value`` (Slack's shape for its type)."""
    kind = str(element.get("type"))
    if isinstance(value, Mapping) and "type" in value:
        return dict(value)
    if kind in _SINGLE_OPTION:
        return {
            "type": kind,
            "selected_option": None if value is None else _option(element, str(value)),
        }
    if kind in _MULTI_OPTION:
        return {"type": kind, "selected_options": [_option(element, str(v)) for v in value or []]}
    if kind in _SELECTED:
        return {"type": kind, _SELECTED[kind]: value}
    return {"type": kind, "value": None if value is None else str(value)}


def action(element: Json, value: Any | None) -> Json:
    """``actions[0]`` for a click on (or a choice in) ``element``."""
    kind = str(element.get("type"))
    base: Json = {
        "action_id": element.get("action_id"),
        "block_id": element.get("block_id"),
        "type": kind,
    }
    if kind == "button":
        if value is not None and element.get("value") != value:
            raise ValueError(
                f"button {element.get('action_id')!r} has value {element.get('value')!r}"
            )
        base["text"] = element.get("text")
        if "value" in element:
            base["value"] = element["value"]
        if "style" in element:
            base["style"] = element["style"]
        return base
    return {**base, **{k: v for k, v in element_value(element, value).items() if k != "type"}}


def find_element(
    blocks: list[Json], action_id: str, block_id: str | None, value: Any | None
) -> Json:
    """The interactive element a person would click; LookupError if there is none."""
    for element in interactive_elements(blocks):
        if element.get("action_id") != action_id:
            continue
        if block_id is not None and element.get("block_id") != block_id:
            continue
        if value is not None and element.get("type") == "button" and element.get("value") != value:
            continue
        return element
    raise LookupError(f"no element with action_id {action_id!r} (value {value!r}) to click")


def submission_state(blocks: list[Json], values: Mapping[str, Any]) -> Json:
    """``state.values`` for submitting a view whose inputs hold ``values``.

    ``values`` maps an input's action_id to its value, or a block_id to {action_id: value}.
    A required input left empty is refused, as Slack's client refuses to submit.
    """
    inputs = {
        e["action_id"]: (e, b)
        for b in blocks
        if b.get("type") == "input"
        for e in interactive_elements([b])
    }
    flat: dict[str, Any] = {}
    for key, value in values.items():
        if key in inputs:
            flat[key] = value
        elif isinstance(value, Mapping) and any(b.get("block_id") == key for b in blocks):
            flat.update(value)
        else:
            raise LookupError(f"the view has no input {key!r}")
    unknown = sorted(set(flat) - set(inputs))
    if unknown:
        raise LookupError(f"the view has no input {unknown[0]!r}")
    state: Json = {}
    for action_id, (element, block) in inputs.items():
        given = flat.get(action_id)
        if given in (None, "", []) and not block.get("optional", False):
            raise ValueError(f"the required input {action_id!r} is empty; Slack would not submit")
        state.setdefault(str(block.get("block_id")), {})[action_id] = element_value(element, given)
    return state

"""Block Kit composition objects and elements: text, confirm dialogs, options, elements.

Limits follow Slack's Block Kit reference. Unknown fields are refused, as Slack does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sandbox.slack.kitcheck import (
    Json,
    Problems,
    array,
    boolean,
    is_object,
    known_keys,
    one_of,
    string,
)

PLAIN = ("plain_text",)
ANY_TEXT = ("plain_text", "mrkdwn")
STYLES = ("primary", "danger")


def text_object(
    problems: Problems,
    value: Any,
    path: str,
    what: str,
    *,
    max_len: int,
    kinds: tuple[str, ...] = ANY_TEXT,
) -> str | None:
    """A text object of one of ``kinds`` whose text is 1..``max_len`` characters."""
    if not is_object(problems, value, path, what):
        return None
    kind = value.get("type")
    if kind not in kinds:
        problems.add(f"{path}/type", f"{what} must be a text object of type {' or '.join(kinds)}")
        return None
    allowed = {"type", "text", "emoji"} if kind == "plain_text" else {"type", "text", "verbatim"}
    known_keys(problems, value, allowed, path, what)
    boolean(problems, value, "emoji", path, what)
    boolean(problems, value, "verbatim", path, what)
    return string(problems, value, "text", path, f"{what} text", max_len=max_len, required=True)


def confirm(problems: Problems, value: Any, path: str) -> None:
    """A confirm dialog: title, text, confirm and deny are all required."""
    what = "confirm dialog"
    if not is_object(problems, value, path, what):
        return
    known_keys(problems, value, {"title", "text", "confirm", "deny", "style"}, path, what)
    for key, limit, kinds in (
        ("title", 100, PLAIN),
        ("text", 300, ANY_TEXT),
        ("confirm", 30, PLAIN),
        ("deny", 30, PLAIN),
    ):
        if key not in value:
            problems.add(path, f"confirm dialog is missing the required field '{key}'")
        else:
            text_object(
                problems, value[key], f"{path}/{key}", f"confirm {key}", max_len=limit, kinds=kinds
            )
    one_of(problems, value, "style", path, what, STYLES)


def option(
    problems: Problems, value: Any, path: str, *, kinds: tuple[str, ...] = PLAIN, url: bool = False
) -> None:
    what = "option"
    if not is_object(problems, value, path, what):
        return
    allowed = {"text", "value", "description"} | ({"url"} if url else set())
    known_keys(problems, value, allowed, path, what)
    if "text" not in value:
        problems.add(path, "option is missing the required field 'text'")
    else:
        text_object(problems, value["text"], f"{path}/text", "option text", max_len=75, kinds=kinds)
    string(problems, value, "value", path, what, max_len=150, required=True)
    if "description" in value:
        text_object(
            problems,
            value["description"],
            f"{path}/description",
            "option description",
            max_len=75,
            kinds=kinds,
        )
    string(problems, value, "url", path, what, max_len=3000)


def _options(
    problems: Problems,
    el: Json,
    path: str,
    what: str,
    *,
    max_items: int,
    min_items: int = 1,
    kinds: tuple[str, ...] = PLAIN,
    url: bool = False,
    required: bool = True,
) -> None:
    items = array(
        problems,
        el,
        "options",
        path,
        what,
        max_items=max_items,
        min_items=min_items,
        required=required,
    )
    for i, item in enumerate(items or []):
        option(problems, item, f"{path}/options/{i}", kinds=kinds, url=url)


def _placeholder(problems: Problems, el: Json, path: str, what: str) -> None:
    if "placeholder" in el:
        text_object(
            problems,
            el["placeholder"],
            f"{path}/placeholder",
            f"{what} placeholder",
            max_len=150,
            kinds=PLAIN,
        )


def _common(problems: Problems, el: Json, path: str, what: str) -> None:
    string(problems, el, "action_id", path, what, max_len=255)
    if "confirm" in el:
        confirm(problems, el["confirm"], f"{path}/confirm")
    boolean(problems, el, "focus_on_load", path, what)


def _button(problems: Problems, el: Json, path: str) -> None:
    what = "button"
    if "text" not in el:
        problems.add(path, "button is missing the required field 'text'")
    else:
        text_object(problems, el["text"], f"{path}/text", "button text", max_len=75, kinds=PLAIN)
    string(problems, el, "url", path, what, max_len=3000)
    string(problems, el, "value", path, what, max_len=2000)
    one_of(problems, el, "style", path, what, STYLES)
    string(problems, el, "accessibility_label", path, what, max_len=75)


def _static_select(problems: Problems, el: Json, path: str) -> None:
    what = el["type"]
    has_options, has_groups = "options" in el, "option_groups" in el
    if has_options == has_groups:
        problems.add(path, f"{what} needs exactly one of 'options' or 'option_groups'")
    if has_options:
        _options(problems, el, path, what, max_items=100)
    groups = array(problems, el, "option_groups", path, what, max_items=100)
    for i, group in enumerate(groups or []):
        group_path = f"{path}/option_groups/{i}"
        if is_object(problems, group, group_path, "option group"):
            known_keys(problems, group, {"label", "options"}, group_path, "option group")
            if "label" not in group:
                problems.add(group_path, "option group is missing the required field 'label'")
            else:
                text_object(
                    problems,
                    group["label"],
                    f"{group_path}/label",
                    "option group label",
                    max_len=75,
                    kinds=PLAIN,
                )
            _options(problems, group, group_path, "option group", max_items=100)
    _placeholder(problems, el, path, what)


def _select(problems: Problems, el: Json, path: str) -> None:
    _placeholder(problems, el, path, el["type"])


def _overflow(problems: Problems, el: Json, path: str) -> None:
    _options(problems, el, path, "overflow", max_items=5, min_items=1, url=True)


def _choices(problems: Problems, el: Json, path: str) -> None:
    _options(problems, el, path, el["type"], max_items=10, kinds=ANY_TEXT)


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^\d{2}:\d{2}$")


def _datepicker(problems: Problems, el: Json, path: str) -> None:
    initial = el.get("initial_date")
    if initial is not None and not (isinstance(initial, str) and _DATE.match(initial)):
        problems.add(f"{path}/initial_date", "datepicker 'initial_date' must be YYYY-MM-DD")
    _placeholder(problems, el, path, "datepicker")


def _timepicker(problems: Problems, el: Json, path: str) -> None:
    initial = el.get("initial_time")
    if initial is not None and not (isinstance(initial, str) and _TIME.match(initial)):
        problems.add(f"{path}/initial_time", "timepicker 'initial_time' must be HH:mm")
    _placeholder(problems, el, path, "timepicker")


def _text_input(problems: Problems, el: Json, path: str) -> None:
    what = el["type"]
    for key, low, high in (("min_length", 0, 3000), ("max_length", 1, 3000)):
        if key in el and not (isinstance(el[key], int) and low <= el[key] <= high):
            problems.add(f"{path}/{key}", f"{what} '{key}' must be an integer in {low}..{high}")
    boolean(problems, el, "multiline", path, what)
    _placeholder(problems, el, path, what)


def _number_input(problems: Problems, el: Json, path: str) -> None:
    if not isinstance(el.get("is_decimal_allowed"), bool):
        problems.add(path, "number_input needs a boolean 'is_decimal_allowed'")
    _placeholder(problems, el, path, "number_input")


def _image(problems: Problems, el: Json, path: str) -> None:
    what = "image element"
    if ("image_url" in el) == ("slack_file" in el):
        problems.add(path, f"{what} needs exactly one of 'image_url' or 'slack_file'")
    string(problems, el, "image_url", path, what, max_len=3000)
    string(problems, el, "alt_text", path, what, max_len=2000, required=True)


def _nothing(problems: Problems, el: Json, path: str) -> None:
    return None


Checker = Callable[[Problems, Json, str], None]
_SELECT_KEYS = {"placeholder", "confirm", "focus_on_load"}
_MULTI_KEYS = {"max_selected_items"}

# type -> (allowed keys besides type/action_id, checker)
ELEMENTS: dict[str, tuple[set[str], Checker]] = {
    "button": ({"text", "url", "value", "style", "confirm", "accessibility_label"}, _button),
    "static_select": (
        _SELECT_KEYS | {"options", "option_groups", "initial_option"},
        _static_select,
    ),
    "multi_static_select": (
        _SELECT_KEYS | _MULTI_KEYS | {"options", "option_groups", "initial_options"},
        _static_select,
    ),
    "external_select": (_SELECT_KEYS | {"initial_option", "min_query_length"}, _select),
    "multi_external_select": (
        _SELECT_KEYS | _MULTI_KEYS | {"initial_options", "min_query_length"},
        _select,
    ),
    "users_select": (_SELECT_KEYS | {"initial_user"}, _select),
    "multi_users_select": (_SELECT_KEYS | _MULTI_KEYS | {"initial_users"}, _select),
    "conversations_select": (
        _SELECT_KEYS
        | {
            "initial_conversation",
            "default_to_current_conversation",
            "response_url_enabled",
            "filter",
        },
        _select,
    ),
    "multi_conversations_select": (
        _SELECT_KEYS
        | _MULTI_KEYS
        | {"initial_conversations", "default_to_current_conversation", "filter"},
        _select,
    ),
    "channels_select": (_SELECT_KEYS | {"initial_channel", "response_url_enabled"}, _select),
    "multi_channels_select": (_SELECT_KEYS | _MULTI_KEYS | {"initial_channels"}, _select),
    "overflow": ({"options", "confirm"}, _overflow),
    "checkboxes": ({"options", "initial_options", "confirm", "focus_on_load"}, _choices),
    "radio_buttons": ({"options", "initial_option", "confirm", "focus_on_load"}, _choices),
    "datepicker": ({"initial_date", "placeholder", "confirm", "focus_on_load"}, _datepicker),
    "timepicker": (
        {"initial_time", "placeholder", "confirm", "focus_on_load", "timezone"},
        _timepicker,
    ),
    "datetimepicker": ({"initial_date_time", "confirm", "focus_on_load"}, _nothing),
    "plain_text_input": (
        {
            "placeholder",
            "initial_value",
            "multiline",
            "min_length",
            "max_length",
            "dispatch_action_config",
            "focus_on_load",
        },
        _text_input,
    ),
    "email_text_input": (
        {"placeholder", "initial_value", "dispatch_action_config", "focus_on_load"},
        _text_input,
    ),
    "url_text_input": (
        {"placeholder", "initial_value", "dispatch_action_config", "focus_on_load"},
        _text_input,
    ),
    "number_input": (
        {
            "is_decimal_allowed",
            "initial_value",
            "min_value",
            "max_value",
            "placeholder",
            "dispatch_action_config",
            "focus_on_load",
        },
        _number_input,
    ),
    "rich_text_input": (
        {"initial_value", "dispatch_action_config", "focus_on_load", "placeholder"},
        _nothing,
    ),
    "file_input": ({"filetypes", "max_files"}, _nothing),
    "image": ({"image_url", "slack_file", "alt_text"}, _image),
}

SELECTS = {t for t in ELEMENTS if t.endswith("_select")}
SECTION_ACCESSORIES = SELECTS | {
    "button",
    "checkboxes",
    "datepicker",
    "image",
    "overflow",
    "radio_buttons",
    "timepicker",
    "datetimepicker",
}
ACTIONS_ELEMENTS = SELECTS | {
    "button",
    "checkboxes",
    "datepicker",
    "datetimepicker",
    "overflow",
    "radio_buttons",
    "timepicker",
    "rich_text_input",
}
INPUT_ELEMENTS = SELECTS | {
    "checkboxes",
    "datepicker",
    "datetimepicker",
    "email_text_input",
    "file_input",
    "number_input",
    "plain_text_input",
    "radio_buttons",
    "rich_text_input",
    "timepicker",
    "url_text_input",
}


def element(problems: Problems, value: Any, path: str, allowed_types: set[str], where: str) -> None:
    """One element of a block, of a type that ``where`` allows."""
    if not is_object(problems, value, path, "element"):
        return
    kind = value.get("type")
    if not isinstance(kind, str) or kind not in ELEMENTS:
        problems.add(f"{path}/type", f"unknown element type {kind!r}")
        return
    if kind not in allowed_types:
        problems.add(f"{path}/type", f"element type '{kind}' is not allowed in {where}")
        return
    extra, check = ELEMENTS[kind]
    allowed = extra | {"type"} | (set() if kind == "image" else {"action_id"})
    known_keys(problems, value, allowed, path, kind)
    if kind != "image":
        _common(problems, value, path, kind)
    check(problems, value, path)

"""The checking primitives Block Kit validation is written with.

Every problem is a sentence naming the rule and its limit, followed by Slack's
``[json-pointer:/path]`` suffix, so a failing test says what to fix and where.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

Json = dict[str, Any]


class Problems:
    """Collects the problems of one payload."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.items.append(f"{message} [json-pointer:{path}]")

    def __bool__(self) -> bool:
        return bool(self.items)


def is_object(problems: Problems, value: Any, path: str, what: str) -> bool:
    if isinstance(value, dict):
        return True
    problems.add(path, f"{what} must be an object")
    return False


def known_keys(problems: Problems, obj: Json, allowed: Iterable[str], path: str, what: str) -> None:
    allowed_set = set(allowed)
    for key in obj:
        if key not in allowed_set:
            problems.add(f"{path}/{key}", f"invalid additional property '{key}' in {what}")


def string(
    problems: Problems,
    obj: Json,
    key: str,
    path: str,
    what: str,
    *,
    max_len: int,
    required: bool = False,
    min_len: int = 1,
) -> str | None:
    """Check ``obj[key]`` is a string of ``min_len``..``max_len`` characters."""
    if key not in obj:
        if required:
            problems.add(path, f"{what} is missing the required field '{key}'")
        return None
    value = obj[key]
    where = f"{path}/{key}"
    if not isinstance(value, str):
        problems.add(where, f"{what} '{key}' must be a string")
        return None
    if len(value) < min_len:
        problems.add(where, f"{what} '{key}' must be at least {min_len} characters")
    if len(value) > max_len:
        problems.add(
            where, f"{what} '{key}' must be at most {max_len} characters (got {len(value)})"
        )
    return value


def boolean(problems: Problems, obj: Json, key: str, path: str, what: str) -> None:
    if key in obj and not isinstance(obj[key], bool):
        problems.add(f"{path}/{key}", f"{what} '{key}' must be a boolean")


def one_of(
    problems: Problems, obj: Json, key: str, path: str, what: str, choices: Iterable[str]
) -> None:
    options = tuple(choices)
    if key in obj and obj[key] not in options:
        problems.add(f"{path}/{key}", f"{what} '{key}' must be one of {', '.join(options)}")


def array(
    problems: Problems,
    obj: Json,
    key: str,
    path: str,
    what: str,
    *,
    max_items: int,
    min_items: int = 1,
    required: bool = False,
) -> list[Any] | None:
    """Check ``obj[key]`` is a list of ``min_items``..``max_items`` items."""
    if key not in obj:
        if required:
            problems.add(path, f"{what} is missing the required field '{key}'")
        return None
    value = obj[key]
    where = f"{path}/{key}"
    if not isinstance(value, list):
        problems.add(where, f"{what} '{key}' must be an array")
        return None
    if len(value) < min_items:
        problems.add(where, f"{what} '{key}' must have at least {min_items} items")
    if len(value) > max_items:
        problems.add(
            where, f"{what} '{key}' must have no more than {max_items} items (got {len(value)})"
        )
    return value

"""Turn YAML and pydantic errors into one ``Problem`` per fault, with a field path a person reads.

``signals[2].thresholds[0].above: must be a number`` rather than pydantic's loc tuples and
union tags; unknown fields name the closest valid one.
"""

from __future__ import annotations

import difflib
import re
import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from engine.errors import Problem

_OWN_PATH_LINE = re.compile(r"^([a-z_]+(?:\[\d+\])?(?:\.[a-z_0-9-]+(?:\[\d+\])?)*): (.+)$")

_SIMPLE = {
    "missing": "is required",
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "bool_parsing": "must be true or false",
    "bool_type": "must be true or false",
    "string_type": "must be text",
    "list_type": "must be a list",
    "dict_type": "must be a mapping",
    "model_type": "must be a mapping",
    "model_attributes_type": "must be a mapping",
    "string_too_short": "must not be empty",
    "finite_number": "must be a finite number",
}


def problems_from_yaml(exc: yaml.YAMLError) -> list[Problem]:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    return [Problem("", f"YAML syntax error at {where}{problem}")]


def problems_from_validation(
    exc: ValidationError, data: Any, root: type[BaseModel]
) -> list[Problem]:
    problems: list[Problem] = []
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        path = _path(loc, data)
        kind = error["type"]
        ctx = error.get("ctx") or {}
        if kind == "value_error":
            text = str(ctx.get("error", error["msg"]))
            for line in text.splitlines():
                own = _OWN_PATH_LINE.match(line)
                if own:
                    problems.append(Problem(_join(path, own.group(1)), own.group(2)))
                else:
                    problems.append(Problem(path, line))
            continue
        if kind in ("union_tag_invalid", "union_tag_not_found"):
            path = _join(path, str(ctx.get("discriminator", "kind")).strip("'"))
        problems.append(Problem(path, _message(kind, error, loc, root)))
    return _dedupe(problems)


def _message(kind: str, error: Any, loc: tuple[Any, ...], root: type[BaseModel]) -> str:
    ctx = error.get("ctx") or {}
    if kind in _SIMPLE:
        return _SIMPLE[kind]
    if kind == "extra_forbidden":
        allowed = _fields_at(root, loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return f"unknown field{hint}"
    if kind in ("literal_error", "enum"):
        return f"must be one of {ctx.get('expected')}"
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        expected = ctx.get("expected_tags", "")
        if kind == "union_tag_not_found":
            return f"'{ctx.get('discriminator', 'kind')}' is required: one of {expected}"
        return f"unknown kind {ctx.get('tag')!r}: one of {expected}"
    if kind in ("greater_than_equal", "greater_than"):
        bound = ctx.get("ge", ctx.get("gt"))
        return f"must be at least {bound}" if kind.endswith("equal") else f"must be above {bound}"
    if kind in ("less_than_equal", "less_than"):
        bound = ctx.get("le", ctx.get("lt"))
        return f"must be at most {bound}" if kind.endswith("equal") else f"must be below {bound}"
    if kind == "too_short":
        return f"must have at least {ctx.get('min_length')} item(s)"
    if kind == "string_pattern_mismatch":
        return f"does not have the expected form ({ctx.get('pattern')})"
    msg = str(error["msg"])
    return re.sub(r"^Input should be", "must be", msg)


def _path(loc: tuple[Any, ...], data: Any) -> str:
    """Render loc as a path through the user's data, dropping union tags pydantic inserts."""
    path = ""
    node = data
    for part in loc:
        if isinstance(node, list) and isinstance(part, int):
            path += f"[{part}]"
            node = node[part] if part < len(node) else None
        elif isinstance(node, dict) and part in node:
            path = _join(path, str(part))
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and not _is_tag(part, node):
            path = _join(path, part)
            node = None
        elif node is None:
            path = _join(path, str(part)) if isinstance(part, str) else f"{path}[{part}]"
    return path


def _is_tag(part: str, node: dict[str, Any]) -> bool:
    return node.get("kind") == part or part.startswith(("function-", "tagged-union"))


def _join(prefix: str, name: str) -> str:
    if not prefix:
        return name
    return f"{prefix}{name}" if name.startswith("[") else f"{prefix}.{name}"


def _fields_at(root: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    tp: Any = root
    for part in loc:
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            if part in tp.model_fields:
                tp = tp.model_fields[part].annotation
                continue
            return []
        origin = get_origin(tp)
        if origin is list:
            tp = get_args(tp)[0]
        elif origin is dict:
            tp = get_args(tp)[1]
        elif origin in (Union, types.UnionType):
            tp = _union_member(tp, part)
            if tp is None:
                return []
        else:
            return []
    tp = _unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return list(tp.model_fields)
    return []


def _unwrap(tp: Any) -> Any:
    while get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    if get_origin(tp) in (Union, types.UnionType):
        members = [a for a in get_args(tp) if a is not type(None)]
        if len(members) == 1:
            return _unwrap(members[0])
    return tp


def _union_member(tp: Any, tag: Any) -> Any:
    for member in get_args(tp):
        if isinstance(member, type) and issubclass(member, BaseModel):
            kind = member.model_fields.get("kind")
            literal = kind is not None and get_origin(kind.annotation) is Literal
            if literal and kind is not None and tag in get_args(kind.annotation):
                return member
    return None


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[str, str]] = set()
    unique = []
    for p in problems:
        if (p.path, p.message) not in seen:
            seen.add((p.path, p.message))
            unique.append(p)
    return unique

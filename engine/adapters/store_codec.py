"""Stored values as JSON, through pydantic (the boundary), for every Store adapter alike."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import TypeAdapter

T = TypeVar("T")

_adapters: dict[type[Any], TypeAdapter[Any]] = {}


def _adapter(cls: type[Any]) -> TypeAdapter[Any]:
    adapter = _adapters.get(cls)
    if adapter is None:
        adapter = _adapters.setdefault(cls, TypeAdapter(cls))
    return adapter


def dump(value: object) -> str:
    return _adapter(type(value)).dump_json(value).decode()


def load(cls: type[T], text: str | bytes) -> T:
    value: T = _adapter(cls).validate_json(text)
    return value

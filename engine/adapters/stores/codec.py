"""Stored values as JSON, through pydantic (the boundary), and moments as integer microseconds
since the epoch, for every Store adapter alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from pydantic import TypeAdapter

T = TypeVar("T")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
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


def micros(at: datetime) -> int:
    return (at - _EPOCH) // timedelta(microseconds=1)


def from_micros(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def ttl_micros(ttl: timedelta) -> int:
    if ttl <= timedelta(0):
        raise ValueError("a ttl must be greater than zero")
    return ttl // timedelta(microseconds=1)

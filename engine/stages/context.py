"""What a stage sees of the run it belongs to: its key, cancellation, progress and its ports."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar, cast

from engine.errors import StageFatal
from engine.runs import RunMode

T = TypeVar("T")


@dataclass(frozen=True)
class PortKey(Generic[T]):
    """Names a port a stage needs (the DR side's object store, its DNS router ...)."""

    name: str


class Ports:
    """The ports the composition root hands to stages, looked up by typed key."""

    def __init__(self, provided: Mapping[PortKey[Any], object] | None = None) -> None:
        self._provided = dict(provided or {})

    def extended(self, more: Mapping[PortKey[Any], object]) -> Ports:
        """These ports and ``more`` (which win where both provide a key)."""
        return Ports({**self._provided, **more})

    def get(self, key: PortKey[T]) -> T:
        if key not in self._provided:
            raise StageFatal(f"no {key.name} is configured for this stage")
        return cast(T, self._provided[key])


@dataclass(frozen=True)
class StageInfo:
    """What ``describe`` knows of a stage in a dry run: no run exists yet."""

    plan: str
    stage: str
    idempotency_key: str


class StageContext(Protocol):
    """Handed to a stage's ``holds`` and ``run`` by the runner, once per attempt."""

    @property
    def run_id(self) -> str: ...

    @property
    def stage(self) -> str: ...

    @property
    def attempt(self) -> int: ...

    @property
    def mode(self) -> RunMode: ...

    @property
    def idempotency_key(self) -> str:
        """``run_id:stage``: the same on every attempt and after a resume."""
        ...

    @property
    def ports(self) -> Ports: ...

    @property
    def cancelled(self) -> bool: ...

    def check(self) -> None:
        """Raise ``StageCancelled`` if the attempt was asked to stop. Call it before acting."""
        ...

    def wait(self, seconds: float) -> None:
        """Sleep cooperatively: ``StageCancelled`` as soon as the attempt is asked to stop."""
        ...

    def progress(self, message: str, fraction: float | None = None) -> None:
        """Report progress (``fraction`` in 0..1); appended to the run and sent to subscribers."""
        ...

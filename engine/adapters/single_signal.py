"""What the sources of one signal read through a blocking SDK share: their name and deadline,
the SDK call run in a worker thread within the signal's timeout, and the ``unknown`` reading
that any failure of it becomes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Final, Generic, TypeVar

from engine.config import SignalBase
from engine.errors import ProbeTimeout
from engine.model import Reading
from engine.ports import Clock

DEADLINE_SLACK: Final = 1.0
"""Seconds the collector grants a source beyond its signal's timeout."""

S = TypeVar("S", bound=SignalBase)
T = TypeVar("T")


class SingleSignalSource(Generic[S]):
    def __init__(self, signal: S, clock: Clock) -> None:
        self._signal = signal
        self._clock = clock
        self._timeout = signal.timeout.total_seconds()

    @property
    def signals(self) -> Sequence[str]:
        return [self._signal.name]

    @property
    def deadline(self) -> float:
        return self._timeout + DEADLINE_SLACK

    async def _in_thread(self, call: Callable[[], T], timed_out: str) -> T:
        """``call()`` in a worker thread; ``ProbeTimeout(timed_out)`` past the timeout."""
        try:
            async with asyncio.timeout(self._timeout):
                return await asyncio.to_thread(call)
        except TimeoutError:
            raise ProbeTimeout(timed_out) from None

    def _unknown(self, reason: str) -> list[Reading]:
        signal = self._signal
        return [Reading.unknown(signal.name, signal.vantage, reason, self._clock.now())]

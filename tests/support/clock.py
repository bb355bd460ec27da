"""A clock that moves only when the test says so, for code that takes a ``Clock`` (the engine's
port: ``now()`` in UTC)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

T0 = datetime(2026, 1, 1, tzinfo=UTC)
"""Where a manual clock starts unless told otherwise."""


class ManualClock:
    def __init__(self, start: datetime = T0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += timedelta(seconds=seconds)

"""The system clock, behind the ``Clock`` port."""

from __future__ import annotations

from datetime import UTC, datetime


class SystemClock:
    """Wall-clock time, always timezone-aware (UTC)."""

    def now(self) -> datetime:
        return datetime.now(UTC)

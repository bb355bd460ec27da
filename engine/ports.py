"""What the domain needs from the outside world, as Protocols. Adapters implement them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from engine.model import Reading


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...


class SignalSource(Protocol):
    """Produces readings for a fixed set of signals.

    ``collect`` runs inside the evaluation's event loop. It should return one reading per
    name in ``signals``; the collector turns a missing reading, an exception or an overrun of
    ``deadline`` seconds into an ``unknown`` reading with the reason, so one broken source can
    never fail an evaluation or pass for ``ok``.
    """

    @property
    def signals(self) -> Sequence[str]: ...

    @property
    def deadline(self) -> float: ...

    async def collect(self) -> Sequence[Reading]: ...

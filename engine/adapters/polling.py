"""A ``PendingOperation`` polled through a read (a Route 53 change, an Azure SQL change
followed through the database itself). Waiting is bounded by the caller, so a stage can check
for cancellation between waits; an Azure long-running operation is ``azure.lro``'s."""

from __future__ import annotations

import time
from collections.abc import Callable


class PolledOperation:
    """Done when ``check`` returns True; ``check`` raises our error if the operation failed."""

    def __init__(self, description: str, check: Callable[[], bool], interval: float) -> None:
        self._description = description
        self._check = check
        self._interval = interval
        self._done = False

    @property
    def description(self) -> str:
        return self._description

    def wait(self, seconds: float) -> bool:
        deadline = time.monotonic() + max(0.0, seconds)
        while not self._done:
            self._done = self._check()
            remaining = deadline - time.monotonic()
            if self._done or remaining <= 0:
                break
            time.sleep(min(self._interval, remaining))
        return self._done

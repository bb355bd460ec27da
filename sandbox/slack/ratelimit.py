"""Slack's rate limits as token buckets, with every breach counted.

Slack lets chat.postMessage post about one message per second to one channel, and puts
chat.update in Tier 3 (about 50 calls a minute for the app across the workspace); both
tolerate short bursts. A budget is a bucket of ``burst`` tokens refilled at ``per_second``;
its scope says whether one bucket serves each channel or the whole workspace. A call over
budget consumes nothing and is answered 429 with a Retry-After in whole seconds.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from sandbox.slack.clock import Clock

Scope = Literal["channel", "workspace"]


@dataclass(frozen=True)
class RateBudget:
    """How many calls a method may make: a bucket of ``burst`` refilled at ``per_second``."""

    per_second: float
    burst: int
    scope: Scope = "workspace"

    def __post_init__(self) -> None:
        if self.per_second <= 0 or self.burst < 1:
            raise ValueError("a budget needs a positive rate and a burst of at least one")

    @classmethod
    def per_minute(cls, calls: float, *, burst: int, scope: Scope = "workspace") -> RateBudget:
        return cls(per_second=calls / 60.0, burst=burst, scope=scope)


DEFAULT_BUDGETS: Mapping[str, RateBudget] = {
    "chat.postMessage": RateBudget(per_second=1.0, burst=3, scope="channel"),
    "chat.update": RateBudget.per_minute(50, burst=10, scope="workspace"),
}


@dataclass(frozen=True)
class Breach:
    """One call refused for being over budget."""

    method: str
    key: str
    at: float
    retry_after: int


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Spends and refills the budgets; thread-safe."""

    def __init__(self, budgets: Mapping[str, RateBudget], clock: Clock) -> None:
        self._budgets = dict(budgets)
        self._clock = clock
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._breaches: list[Breach] = []
        self._lock = threading.Lock()

    def set_budget(self, method: str, budget: RateBudget | None) -> None:
        """Replace (or with None, lift) the budget of one method; its buckets start full."""
        with self._lock:
            if budget is None:
                self._budgets.pop(method, None)
            else:
                self._budgets[method] = budget
            self._buckets = {k: v for k, v in self._buckets.items() if k[0] != method}

    def budgets(self) -> dict[str, RateBudget]:
        with self._lock:
            return dict(self._budgets)

    def spend(self, method: str, channel: str | None) -> int | None:
        """Spend one call; None if within budget, else the Retry-After seconds."""
        with self._lock:
            budget = self._budgets.get(method)
            if budget is None:
                return None
            key = (channel or "") if budget.scope == "channel" else "workspace"
            now = self._clock.monotonic()
            bucket = self._buckets.setdefault((method, key), _Bucket(float(budget.burst), now))
            elapsed = max(0.0, now - bucket.updated)
            bucket.tokens = min(float(budget.burst), bucket.tokens + elapsed * budget.per_second)
            bucket.updated = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return None
            wait = (1.0 - bucket.tokens) / budget.per_second
            retry_after = max(1, math.ceil(wait - 1e-9))
            self._breaches.append(Breach(method, key, now, retry_after))
            return retry_after

    def breaches(self, method: str | None = None) -> list[Breach]:
        with self._lock:
            return [b for b in self._breaches if method is None or b.method == method]

    def reset(self) -> None:
        """Forget breaches and refill every bucket."""
        with self._lock:
            self._buckets.clear()
            self._breaches.clear()

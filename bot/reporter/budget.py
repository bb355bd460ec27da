"""Slack's rate budgets, as the reporter spends them (DESIGN §6).

Posting is paced per channel (about one message a second). ``chat.update`` sits in Tier 3
(50+ a minute) and that budget is the app's across the workspace, so every edit the reporter
makes draws from one global bucket. A 429 pauses that kind of call for its Retry-After.

No Slack here: a call is named by a key (``EDIT``, or ``post_key(channel)``) and the clock is
given, so the budget is the same in a test as against Slack.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

Monotonic = Callable[[], float]

EDIT = "chat.update"
_POST = "post:"
_DEFAULT_RETRY_AFTER = 1.0


def post_key(channel: str) -> str:
    return _POST + channel


@dataclass(frozen=True)
class ReporterSettings:
    edits_per_minute: float = 45.0
    """The global chat.update budget, kept under Slack's ~50 a minute."""
    edit_burst: int = 5
    min_edit_interval: float = 1.0
    """No message is edited more often than this (seconds)."""
    posts_per_second: float = 1.0
    """Per channel."""
    post_burst: int = 3
    max_failures: int = 5
    """Errors Slack answers (not a rate limit) tolerated on one message before its update is
    given up. Slack out of reach never counts: the latest state waits for it."""
    outage_first_wait: float = 1.0
    outage_longest_wait: float = 30.0
    """Seconds between calls while Slack cannot be reached: doubling from the first to the
    longest, back to none at the first call that goes through."""


class TokenBucket:
    def __init__(self, per_second: float, burst: int, clock: Monotonic) -> None:
        self._rate, self._burst, self._clock = per_second, float(burst), clock
        self._tokens, self._at = float(burst), clock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self._burst, self._tokens + (now - self._at) * self._rate)
        self._at = now

    def wait_time(self) -> float:
        self._refill()
        return 0.0 if self._tokens >= 1.0 else (1.0 - self._tokens) / self._rate

    def take(self) -> None:
        self._refill()
        self._tokens -= 1.0


class RateBudget:
    """When the next call of each kind may be made: its bucket, and any 429 pause on it."""

    def __init__(self, settings: ReporterSettings, clock: Monotonic) -> None:
        self._settings = settings
        self._clock = clock
        self._buckets: dict[str, TokenBucket] = {
            EDIT: TokenBucket(settings.edits_per_minute / 60.0, settings.edit_burst, clock)
        }
        self._paused: dict[str, float] = {}
        """Call key -> monotonic time until which a 429 pauses it."""
        self._all_paused = 0.0
        """Monotonic time until which no call is made at all (Slack out of reach)."""

    def delay(self, call: str) -> float:
        """Seconds until ``call`` may be made; zero or less means now."""
        paused = max(self._paused.get(call, 0.0), self._all_paused) - self._clock()
        return max(paused, self._bucket(call).wait_time())

    def spend(self, call: str) -> None:
        self._bucket(call).take()

    def pause(self, call: str, seconds: float) -> None:
        """Slack said 429: make no call of this kind for ``seconds``."""
        self._paused[call] = self._clock() + seconds

    def pause_all(self, seconds: float) -> None:
        """Slack cannot be reached: make no call of any kind for ``seconds``."""
        self._all_paused = self._clock() + seconds

    def _bucket(self, call: str) -> TokenBucket:
        bucket = self._buckets.get(call)
        if bucket is None:
            s = self._settings
            bucket = self._buckets[call] = TokenBucket(
                s.posts_per_second, s.post_burst, self._clock
            )
        return bucket


def retry_after(headers: Mapping[str, str] | None) -> float:
    """The seconds a 429's Retry-After header asks for (HTTP header names are
    case-insensitive); a second when it is missing or unreadable."""
    for key, value in (headers or {}).items():
        if key.lower() == "retry-after":
            try:
                return max(float(value), 0.0)
            except (TypeError, ValueError):
                break
    return _DEFAULT_RETRY_AFTER

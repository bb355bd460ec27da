"""Slack's retries of an Events API delivery in HTTP mode, as "Events API: retries"
(https://api.slack.com/apis/events-api#retries) documents them.

A delivery fails when the app does not answer 2xx within 3 seconds (``http_timeout``),
answers another status (``http_error``), or cannot be reached (``connection_failed``). Slack
then sends the same event again, up to three times — nearly at once, after a minute, after
five minutes — with ``X-Slack-Retry-Num`` (1, 2, 3) and ``X-Slack-Retry-Reason``. An answer
carrying ``X-Slack-No-Retry: 1`` turns the retries of that event off. Interactions and slash
commands are never retried.

The delays are the emulator's ``event_retry_delays`` (Slack's by default); tests shorten them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import replace

from sandbox.slack.payloads import Envelope
from sandbox.slack.transport import AckOutcome

SLACK_RETRY_DELAYS = (0.0, 60.0, 300.0)


def failure_reason(outcome: AckOutcome, deadline: float) -> str | None:
    """Slack's ``X-Slack-Retry-Reason`` for this outcome; None when the delivery succeeded."""
    if outcome.error == "dispatch_failed":
        return "connection_failed"
    if not outcome.acked or outcome.latency is None or outcome.latency > deadline:
        return "http_timeout"
    if outcome.http_status is not None and not 200 <= outcome.http_status < 300:
        return "http_error"
    return None


class EventRetries:
    """Schedules the retries of failed event deliveries on timers of their own."""

    def __init__(self, deliver: Callable[[Envelope], object], delays: Sequence[float]) -> None:
        self._deliver = deliver
        self.delays = tuple(delays)
        self._timers: set[threading.Timer] = set()
        self._lock = threading.Lock()

    def after(self, envelope: Envelope, outcome: AckOutcome, deadline: float, new_id: str) -> None:
        """Schedule the next retry of ``envelope`` if its delivery failed and Slack would."""
        reason = failure_reason(outcome, deadline)
        attempt = envelope.retry_attempt or 0
        if reason is None or attempt >= len(self.delays):
            return
        if outcome.no_retry and reason != "http_timeout":
            return  # Slack read the answer, and the answer said not to
        retry = replace(
            envelope, envelope_id=new_id, retry_attempt=attempt + 1, retry_reason=reason
        )
        timer = threading.Timer(self.delays[attempt], self._fire, args=(retry,))
        timer.daemon = True
        with self._lock:
            self._timers.add(timer)
        timer.start()

    def _fire(self, retry: Envelope) -> None:
        with self._lock:
            self._timers.discard(threading.current_thread())  # type: ignore[arg-type,unused-ignore]
        self._deliver(retry)

    def pending(self) -> int:
        with self._lock:
            return sum(1 for t in self._timers if t.is_alive())

    def cancel(self) -> None:
        """Drop every retry not yet sent (a reset, or the emulator stopping)."""
        with self._lock:
            timers, self._timers = self._timers, set()
        for timer in timers:
            timer.cancel()

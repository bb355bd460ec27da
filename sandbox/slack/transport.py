"""What every way of delivering an envelope to the bot reports back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from sandbox.slack.payloads import Envelope
from sandbox.slack.records import Transport

Json = dict[str, Any]
LateAck = Callable[[float, Json | None], None]


@dataclass(frozen=True)
class AckOutcome:
    """How the bot answered one envelope within the deadline (or failed to)."""

    acked: bool
    latency: float | None
    payload: Json | None
    http_status: int | None = None
    error: str | None = None
    no_retry: bool = False
    """The answer carried ``X-Slack-No-Retry: 1`` (HTTP mode)."""


class EnvelopeTransport(Protocol):
    @property
    def name(self) -> Transport: ...

    def send(self, envelope: Envelope, deadline: float, on_late_ack: LateAck) -> AckOutcome:
        """Deliver and wait for the ack up to ``deadline`` seconds; an ack after that is
        reported through ``on_late_ack(latency, payload)`` when (if ever) it comes."""
        ...

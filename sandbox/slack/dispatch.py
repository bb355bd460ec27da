"""Sending envelopes to the bot over the current transport, and journaling each delivery.

Socket Mode is the default; ``use_http_mode(url)`` switches to signed HTTP posts. The ack
deadline (Slack's 3 s) is adjustable so tests need not wait for it. In HTTP mode a failed
event delivery is retried as Slack retries it (``sandbox.slack.retries``).
"""

from __future__ import annotations

import time
from typing import Any, Literal

from sandbox.slack.http_mode import HttpDelivery
from sandbox.slack.payloads import Envelope, Tamper
from sandbox.slack.records import Delivery, EnvelopeType
from sandbox.slack.retries import SLACK_RETRY_DELAYS, EventRetries
from sandbox.slack.state import Workspace
from sandbox.slack.transport import EnvelopeTransport

Json = dict[str, Any]


class Dispatcher:
    def __init__(
        self,
        ws: Workspace,
        socket_mode: EnvelopeTransport,
        *,
        ack_deadline: float,
        late_ack_grace: float,
        signing_secret: str,
        event_retry_delays: tuple[float, ...] = SLACK_RETRY_DELAYS,
    ) -> None:
        self._ws = ws
        self._socket_mode = socket_mode
        self._http: HttpDelivery | None = None
        self.ack_deadline = ack_deadline
        self._late_ack_grace = late_ack_grace
        self._signing_secret = signing_secret
        self.retries = EventRetries(self.deliver, event_retry_delays)

    @property
    def mode(self) -> Literal["socket_mode", "http"]:
        return "http" if self._http is not None else "socket_mode"

    def use_http_mode(self, request_url: str) -> None:
        self._http = HttpDelivery(request_url, self._signing_secret, self._late_ack_grace)

    def use_socket_mode(self) -> None:
        self._http = None

    def envelope(
        self,
        kind: EnvelopeType,
        payload: Json,
        label: str,
        *,
        accepts: bool = False,
        tamper: Tamper | None = None,
        retry_num: int | None = None,
        retry_reason: str | None = None,
    ) -> Envelope:
        envelope_id = self._ws.new_id("env-")
        return Envelope(envelope_id, kind, payload, label, accepts, retry_num, retry_reason, tamper)

    def deliver(self, envelope: Envelope) -> Delivery:
        """Send, wait for the ack up to the deadline, and return the journaled delivery.

        A late ack still lands in the journal (acked, with its latency) but never counts as
        on time, and Slack would not have applied it.
        """
        ws = self._ws
        transport: EnvelopeTransport = self._http if self._http is not None else self._socket_mode
        eid, deadline = envelope.envelope_id, self.ack_deadline
        ws.record_delivery(
            Delivery(
                envelope_id=eid,
                type=envelope.type,
                label=envelope.label,
                transport=transport.name,
                sent_at=time.time(),
                deadline=deadline,
                acked=False,
                ack_latency=None,
                ack_payload=None,
                http_status=None,
                error=None,
                retry_num=envelope.retry_attempt,
                payload=envelope.payload,
                retry_reason=envelope.retry_reason,
            )
        )

        def late(latency: float, payload: Json | None) -> None:
            ws.update_delivery(eid, acked=True, ack_latency=latency, ack_payload=payload)

        outcome = transport.send(envelope, deadline, late)
        if envelope.type == "events_api" and transport is self._http:
            self.retries.after(envelope, outcome, deadline, ws.new_id("env-"))
        changes: Json = {"http_status": outcome.http_status, "error": outcome.error}
        if outcome.acked:
            changes.update(acked=True, ack_latency=outcome.latency, ack_payload=outcome.payload)
        return ws.update_delivery(eid, **changes)

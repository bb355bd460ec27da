"""Signed JSON notifications (``WebhookSender``), e.g. to an n8n workflow, through httpx.

The body is a JSON envelope ``{"event", "delivery_id", "sent_at", "payload"}``; its raw bytes
are signed with HMAC-SHA256 under the shared secret, sent as
``X-Phoenix-Signature: sha256=<hex>``, with ``X-Phoenix-Delivery`` (the id a receiver
dedupes on) and ``X-Phoenix-Timestamp`` (also inside the signed body, so it cannot be
replayed with another). The secret is resolved by the caller and never logged or echoed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from typing import Final

import httpx

from engine.adapters.http.errors import status_error, transport_error
from engine.cloud_ports import Delivery
from engine.text import shown_url

SIGNATURE_HEADER: Final = "X-Phoenix-Signature"
DELIVERY_HEADER: Final = "X-Phoenix-Delivery"
TIMESTAMP_HEADER: Final = "X-Phoenix-Timestamp"
EVENT_HEADER: Final = "X-Phoenix-Event"


def signature(secret: bytes, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


class SignedWebhook:
    def __init__(
        self,
        url: str,
        secret: str | bytes,
        *,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._url = url
        self._where = f"webhook {shown_url(url)}"
        self._secret = secret.encode() if isinstance(secret, str) else secret
        self._clock = clock
        self._http = httpx.Client(timeout=timeout, transport=transport, follow_redirects=False)

    def __repr__(self) -> str:
        return f"SignedWebhook({shown_url(self._url)!r})"

    def send(self, event: str, payload: Mapping[str, object], *, delivery_id: str) -> Delivery:
        sent_at = int(self._clock())
        envelope = {
            "event": event,
            "delivery_id": delivery_id,
            "sent_at": sent_at,
            "payload": payload,
        }
        body = json.dumps(envelope, separators=(",", ":"), sort_keys=True, default=str).encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: signature(self._secret, body),
            DELIVERY_HEADER: delivery_id,
            TIMESTAMP_HEADER: str(sent_at),
            EVENT_HEADER: event,
        }
        try:
            response = self._http.post(self._url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise transport_error(exc, resource=self._where) from exc
        error = status_error(response, resource=self._where, action=f"the {event} notification")
        if error is not None:
            raise error
        return Delivery(delivery_id, response.status_code)

    def close(self) -> None:
        self._http.close()

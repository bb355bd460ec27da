"""A local webhook receiver as an n8n workflow would be set up: it checks the HMAC-SHA256
signature over the raw body, refuses stale timestamps, and drops a delivery id it has
already seen (answering 200, so the sender stops retrying)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

from tests.support.http_fake import FakeServer, JsonHandler


class WebhookReceiver(FakeServer):
    def __init__(self, secret: bytes, *, max_age: float = 300.0) -> None:
        self.secret = secret
        self.max_age = max_age
        self.accepted: list[dict[str, Any]] = []
        self.duplicates: list[str] = []
        self.rejected = 0
        super().__init__(_ReceiverHandler)

    def reset(self) -> None:
        with self.lock:
            self.accepted.clear()
            self.duplicates.clear()
            self.rejected = 0
        self.faults.clear()


class _ReceiverHandler(JsonHandler):
    def do_POST(self) -> None:
        receiver: WebhookReceiver = self.owner
        if self.fault():
            return
        raw = self.body()
        expected = "sha256=" + hmac.new(receiver.secret, raw, hashlib.sha256).hexdigest()
        given = self.headers.get("X-Phoenix-Signature", "")
        if not hmac.compare_digest(expected, given):
            with receiver.lock:
                receiver.rejected += 1
            self.send(401, {"error": "bad signature"})
            return
        envelope = json.loads(raw)
        if abs(time.time() - float(envelope["sent_at"])) > receiver.max_age:
            self.send(401, {"error": "stale"})
            return
        delivery = self.headers.get("X-Phoenix-Delivery", "")
        if delivery != envelope["delivery_id"]:
            self.send(400, {"error": "delivery id mismatch"})
            return
        with receiver.lock:
            if any(a["delivery_id"] == delivery for a in receiver.accepted):
                receiver.duplicates.append(delivery)
                self.send(200, {"status": "duplicate"})
                return
            receiver.accepted.append(envelope)
        self.send(202, {"status": "accepted"})

"""A local webhook receiver as an n8n workflow would be set up: it checks the HMAC-SHA256
signature over the raw body, refuses stale timestamps, and drops a delivery id it has
already seen (answering 200, so the sender stops retrying).

Beside the POST it answers what n8n answers (n8n-io/n8n, packages/cli/src/webhooks/
WebhookRequestHandler.ts and live-webhooks.ts): a CORS preflight (``OPTIONS`` with an
``Origin``) is 204 with ``Access-Control-Allow-Methods`` while the workflow's webhook is
registered, and 404 "not registered" once the workflow is deactivated (``registered`` off); any
other method on the path is 404, not registered for that method."""

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
        self.registered = True
        """Whether the workflow is active: n8n serves its webhook only then."""
        super().__init__(_ReceiverHandler)

    def reset(self) -> None:
        with self.lock:
            self.accepted.clear()
            self.duplicates.clear()
            self.rejected = 0
            self.registered = True
        self.faults.clear()


class _ReceiverHandler(JsonHandler):
    def _not_registered(self, method: str) -> None:
        path = self.path.split("?", 1)[0]
        message = f"The requested webhook {method} {path} is not registered."
        self.send(404, {"code": 404, "message": message})

    def do_OPTIONS(self) -> None:
        receiver: WebhookReceiver = self.owner
        if self.fault():
            return
        if "Origin" in self.headers and not receiver.registered:
            self._not_registered("OPTIONS")
            return
        self.send(204, headers={"Access-Control-Allow-Methods": "OPTIONS, POST"})

    def do_HEAD(self) -> None:
        # The answer to HEAD has the headers of the GET one and no body (RFC 9110, 9.3.2).
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        if self.fault():
            return
        self._not_registered("GET")

    def do_POST(self) -> None:
        receiver: WebhookReceiver = self.owner
        if self.fault():
            return
        if not receiver.registered:
            self.body()
            self._not_registered("POST")
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

"""HTTP mode: post each payload to the bot's request URL, signed as Slack signs it.

Slash commands go as form fields, interactions as a form field ``payload`` holding JSON,
events as a JSON body. ``X-Slack-Signature`` is v0 HMAC-SHA256 over ``v0:{timestamp}:{body}``
with the signing secret. An envelope can carry a tamper mark to send a forged signature, or a
timestamp ten minutes old or ahead (outside Slack's five-minute window: a replay, or a wrong
clock), which a correct app answers with 401.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any, Literal
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from sandbox.slack.payloads import Envelope
from sandbox.slack.transport import AckOutcome, LateAck

Json = dict[str, Any]
STALE_SECONDS = 600
NO_RETRY = "X-Slack-No-Retry"

# Loopback only: never route the emulator's own requests through a proxy from the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def encode(envelope: Envelope) -> tuple[bytes, str]:
    """The body and content type Slack would post for this envelope."""
    if envelope.type == "slash_commands":
        return urlencode(envelope.payload).encode(), "application/x-www-form-urlencoded"
    if envelope.type == "interactive":
        body = urlencode({"payload": json.dumps(envelope.payload)}).encode()
        return body, "application/x-www-form-urlencoded"
    return json.dumps(envelope.payload).encode(), "application/json"


def parse_ack(content_type: str, body: bytes) -> Json | None:
    """The ack payload in a 200 answer: a JSON object, or plain text as ``{"text": ...}``."""
    if not body.strip():
        return None
    text = body.decode("utf-8", errors="replace")
    if content_type.startswith("application/json"):
        parsed = json.loads(text)
        return parsed if isinstance(parsed, dict) else {"value": parsed}
    return {"text": text}


class HttpDelivery:
    """Posts envelopes to one request URL."""

    name: Literal["http"] = "http"

    def __init__(self, url: str, signing_secret: str, late_grace: float) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"a request URL must be http(s), not {url!r}")
        self.url = url
        self._signing_secret = signing_secret
        self._late_grace = late_grace

    def headers(self, envelope: Envelope, body: bytes, content_type: str) -> dict[str, str]:
        now = int(time.time())
        skew = {"stale": -STALE_SECONDS, "future": STALE_SECONDS}.get(envelope.tamper or "", 0)
        timestamp = str(now + skew)
        secret = self._signing_secret
        if envelope.tamper == "forged":
            secret = "forged-" + secret
        signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
        headers = {
            "Content-Type": content_type,
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": signature or "",
        }
        if envelope.retry_attempt:
            headers["X-Slack-Retry-Num"] = str(envelope.retry_attempt)
            headers["X-Slack-Retry-Reason"] = envelope.retry_reason or "http_timeout"
        return headers

    def send(self, envelope: Envelope, deadline: float, on_late_ack: LateAck) -> AckOutcome:
        body, content_type = encode(envelope)
        # The scheme is checked in __init__: only http(s) request URLs are accepted.
        request = urllib.request.Request(  # noqa: S310
            self.url, data=body, method="POST", headers=self.headers(envelope, body, content_type)
        )
        started = time.monotonic()
        try:
            with _OPENER.open(request, timeout=deadline + self._late_grace) as response:
                answer = response.read()
                status = int(response.status)
                answer_type = response.headers.get("Content-Type", "")
                no_retry = _no_retry(response.headers.get(NO_RETRY))
        except urllib.error.HTTPError as exc:
            with exc:
                exc.read()
            latency = time.monotonic() - started
            return AckOutcome(
                True,
                latency,
                None,
                http_status=exc.code,
                error=f"http_{exc.code}",
                no_retry=_no_retry(exc.headers.get(NO_RETRY)),
            )
        except TimeoutError:
            return AckOutcome(False, None, None, error="operation_timeout")
        except urllib.error.URLError as exc:
            timed_out = isinstance(exc.reason, TimeoutError)
            return AckOutcome(
                False, None, None, error="operation_timeout" if timed_out else "dispatch_failed"
            )
        latency = time.monotonic() - started
        try:
            payload = parse_ack(answer_type, answer)
        except json.JSONDecodeError:
            return AckOutcome(
                True, latency, None, http_status=status, error="invalid_ack_json", no_retry=no_retry
            )
        error = None if latency <= deadline else "operation_timeout"
        return AckOutcome(
            True, latency, payload, http_status=status, error=error, no_retry=no_retry
        )


def _no_retry(value: str | None) -> bool:
    return (value or "").strip() == "1"

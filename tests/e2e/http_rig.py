"""The whole bot in HTTP mode: the real server, the Slack edge and the app, the emulator
posting to /slack/events, and what a test needs to send its own requests and to see that a
refused one changed nothing."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.health_routes import HealthRoutes
from bot.server import BotServer, HttpLimits
from bot.slack_edge import OurApp, SlackEdge
from sandbox.slack import Emulator
from tests.e2e.support import Rig, build_rig, shut

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Slack's v0 signature over the raw bytes (slack_sdk's signer takes text only)."""
    digest = hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256)
    return "v0=" + digest.hexdigest()


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(repr=False)
class HttpRig:
    rig: Rig
    server: BotServer
    db: Path

    @property
    def slack(self) -> Emulator:
        return self.rig.slack

    def post(
        self,
        body: bytes,
        content_type: str | None = FORM,
        *,
        signed: bool = True,
        skew: float = 0,
        headers: dict[str, str] | None = None,
        method: str = "POST",
        path: str = "/slack/events",
    ) -> Answer:
        """``body`` sent as Slack sends it: signed with the app's secret at now + ``skew``
        seconds, unless ``signed`` is false."""
        sent: dict[str, str] = {}
        if content_type is not None:
            sent["Content-Type"] = content_type
        if signed:
            timestamp = str(int(time.time() + skew))
            signature = sign(self.slack.signing_secret, timestamp, body)
            sent.update({"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signature})
        sent.update(headers or {})
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)
        try:
            conn.request(method, path, body=body, headers=sent)
            answer = conn.getresponse()
            return Answer(
                answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
            )
        finally:
            conn.close()

    def store_dump(self) -> str:
        """Every row of the store, to compare before and after a request."""
        with sqlite3.connect(self.db) as db:
            return "\n".join(db.iterdump())

    def settle(self) -> None:
        self.rig.settle()


@contextmanager
def http_rig(tmp: Path, limits: HttpLimits | None = None) -> Iterator[HttpRig]:
    limits = limits or HttpLimits()
    with Emulator() as slack:
        rig = build_rig(slack, tmp, mode="http")
        phoenix = rig.phoenix
        routes = HealthRoutes(store=phoenix.store, reporter=phoenix.reporter)
        edge = SlackEdge(
            phoenix.app, slack.signing_secret, OurApp.of(phoenix.client), max_body=limits.max_body
        )
        with BotServer("127.0.0.1", 0, routes=routes, slack=edge, limits=limits) as server:
            slack.use_http_mode(f"{server.url}/slack/events")
            try:
                yield HttpRig(rig, server, tmp / "phoenix.db")
            finally:
                shut(rig)

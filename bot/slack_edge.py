"""/slack/events in HTTP mode: every request is checked before Bolt sees it.

In order, each failure answered with a 4xx and logged once (never the body), with nothing
written and no Slack call made:

- a method other than POST: 405;
- no ``Content-Length``: 411; a body over the limit: 413 (it is not read);
- no signature, a timestamp more than five minutes from our clock (a replay, or a clock that
  is wrong), or a signature that is not Slack's: 401 — Slack's rule in "Verifying requests
  from Slack" (https://api.slack.com/authentication/verifying-requests-from-slack), checked
  with slack_sdk's ``SignatureVerifier`` over the raw body;
- a content type Slack does not send (form fields or JSON): 415;
- a body that is not one of Slack's shapes (``bot.slack_bodies``): 400, as the app's error
  handler answers a payload a listener cannot read (for a slash command: 200 with an
  ephemeral sentence, which Slack shows its user); a kind the bot takes no requests of: 404;
- a payload for another workspace or app than the one the bot's token belongs to: 403.

Refusals carry ``X-Slack-No-Retry: 1``: Slack then does not retry the event
(https://api.slack.com/apis/events-api#retries), since the same request would be refused
again. What passes goes to Bolt as the payload's model dumps it, with Slack's retry headers;
the app's own listeners and error handler answer from there (an unknown action or view: 404;
a payload a listener cannot read: 400).

Bolt's WSGI adapter is not used: it decodes and parses the body with no error handling, so a
body that is not UTF-8 or a ``payload={`` raises out of it, which a WSGI server answers 500.
The edge builds Bolt's request itself, after the checks, and dispatches it as that adapter
does.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

from bot.app import answer_unreadable
from bot.slack_bodies import FORM, JSON, NotTaken, SlackBody, read_body
from handlers.payloads import UnreadablePayload

log = logging.getLogger(__name__)

StartResponse = Callable[..., Any]

REPLAY_WINDOW = 5 * 60
"""Seconds a request's timestamp may be from our clock, either way (Slack's documented 5
minutes)."""

_RETRY_REASON = re.compile(r"[a-z_]{1,40}")


@dataclass(frozen=True)
class OurApp:
    """The workspace and app the bot's token belongs to, as ``auth.test`` says."""

    team_id: str
    app_id: str | None = None

    @classmethod
    def of(cls, client: WebClient) -> OurApp:
        answer = client.auth_test()
        app_id = answer.get("app_id")
        return cls(str(answer["team_id"]), str(app_id) if app_id else None)


@dataclass(frozen=True)
class Refusal:
    status: HTTPStatus
    reason: str


class SlackEdge:
    """The WSGI app of /slack/events."""

    def __init__(
        self,
        app: App,
        signing_secret: str,
        ours: OurApp,
        *,
        max_body: int = 1 << 20,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._app = app
        self._verifier = SignatureVerifier(signing_secret, clock=_Clock(clock))
        self._ours = ours
        self._max_body = max_body
        self._clock = clock

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        try:
            admitted = self._admit(environ)
        except UnreadablePayload as exc:
            return _bolt_answer(start_response, answer_unreadable(exc))
        if isinstance(admitted, Refusal):
            _log_refusal(admitted, environ)
            return _answer(
                start_response,
                admitted.status,
                admitted.reason + "\n",
                [("Content-Type", "text/plain; charset=utf-8"), ("X-Slack-No-Retry", "1")],
            )
        response = self._app.dispatch(admitted)
        return _bolt_answer(start_response, response)

    def _admit(self, environ: dict[str, Any]) -> BoltRequest | Refusal:
        if environ.get("REQUEST_METHOD") != "POST":
            return Refusal(HTTPStatus.METHOD_NOT_ALLOWED, "Slack posts its requests")
        length = _length(environ)
        if length is None:
            return Refusal(HTTPStatus.LENGTH_REQUIRED, "a Content-Length is required")
        if length > self._max_body:
            return Refusal(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "the body is over the limit")
        raw = environ["wsgi.input"].read(length) if length else b""
        if len(raw) != length:
            return Refusal(HTTPStatus.BAD_REQUEST, "the body is shorter than its Content-Length")
        unsigned = self._unsigned(environ, raw)
        if unsigned is not None:
            return Refusal(HTTPStatus.UNAUTHORIZED, unsigned)
        media_type = environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
        if media_type not in (FORM, JSON):
            return Refusal(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "Slack posts form fields or JSON")
        try:
            body = read_body(raw, media_type)
        except NotTaken as exc:
            return Refusal(HTTPStatus.NOT_FOUND, str(exc))
        stranger = self._stranger(body)
        if stranger is not None:
            return Refusal(HTTPStatus.FORBIDDEN, stranger)
        return BoltRequest(body=json.dumps(body.payload), headers=_headers(environ))

    def _unsigned(self, environ: dict[str, Any], raw: bytes) -> str | None:
        """Why the request is not signed by Slack, now; None when it is."""
        timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
        signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
        if not timestamp or not signature:
            return "the request is not signed"
        if not timestamp.isdigit() or len(timestamp) > 12:
            return "the request's timestamp is not a time"
        if abs(self._clock() - int(timestamp)) > REPLAY_WINDOW:
            return "the request's timestamp is more than five minutes from now"
        try:
            text = raw.decode("utf-8")  # Slack's bodies are UTF-8; the verifier decodes them
        except UnicodeDecodeError:
            return "the request's body is not UTF-8, so not Slack's"
        if not signature.isascii() or not self._verifier.is_valid(text, timestamp, signature):
            return "the request's signature is not Slack's"
        return None

    def _stranger(self, body: SlackBody) -> str | None:
        ours = self._ours
        if body.team_id is not None and body.team_id != ours.team_id:
            return "the request is for another workspace"
        if body.app_id is not None and ours.app_id is not None and body.app_id != ours.app_id:
            return "the request is for another app"
        return None


class _Clock:
    """slack_sdk's verifier asks its clock for ``now()``."""

    def __init__(self, now: Callable[[], float]) -> None:
        self.now = now


def _length(environ: dict[str, Any]) -> int | None:
    value = environ.get("CONTENT_LENGTH") or ""
    return int(value) if value.isdigit() else None


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    """What Bolt is told besides the payload: its content type, and Slack's retry headers
    when they are what Slack sends (a small number, a reason in lower case)."""
    headers = {"content-type": JSON}
    number = environ.get("HTTP_X_SLACK_RETRY_NUM", "")
    reason = environ.get("HTTP_X_SLACK_RETRY_REASON", "")
    if number.isdigit() and len(number) <= 2:
        headers["x-slack-retry-num"] = number
        if _RETRY_REASON.fullmatch(reason):
            headers["x-slack-retry-reason"] = reason
    return headers


def _log_refusal(refusal: Refusal, environ: dict[str, Any]) -> None:
    log.warning(
        "refused a request to /slack/events: %s (HTTP %d)",
        refusal.reason,
        refusal.status,
        extra={
            "http_status": int(refusal.status),
            "content_type": environ.get("CONTENT_TYPE", "")[:100],
            "content_length": environ.get("CONTENT_LENGTH", "")[:20],
            "retry_num": environ.get("HTTP_X_SLACK_RETRY_NUM", "")[:20],
        },
    )


def _bolt_answer(start_response: StartResponse, response: BoltResponse) -> list[bytes]:
    headers = [(name, value) for name, values in response.headers.items() for value in values]
    body = response.body if isinstance(response.body, str) else ""
    return _answer(start_response, HTTPStatus(response.status), body, headers)


def _answer(
    start_response: StartResponse,
    status: HTTPStatus,
    body: str,
    headers: list[tuple[str, str]],
) -> list[bytes]:
    data = body.encode()
    kept = [(k, v) for k, v in headers if k.lower() != "content-length"]
    start_response(f"{status.value} {status.phrase}", [*kept, ("Content-Length", str(len(data)))])
    return [data]

"""Message responses to an interaction: a slash command's ack body, and posts to a
``response_url`` (ephemeral or in-channel text, ``replace_original``, ``delete_original``).

A response URL takes at most ``max_uses`` posts within ``ttl`` seconds (Slack: 5 in 30 min).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Literal

from sandbox.slack.blockkit import (
    MAX_MESSAGE_TEXT,
    ActionIdScope,
    message_problems,
    with_generated_ids,
)
from sandbox.slack.state import Workspace
from sandbox.slack.stored import ResponseTarget

Json = dict[str, Any]
Via = Literal["ack", "response_url"]


class ResponseRejected(Exception):
    def __init__(self, error: str, problems: list[str] | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.problems = problems or []


class Responder:
    """Issues response URLs and applies message responses to the workspace."""

    def __init__(
        self,
        ws: Workspace,
        *,
        base_url: Callable[[], str],
        ttl: float,
        max_uses: int,
        action_id_scope: ActionIdScope,
    ) -> None:
        self._ws = ws
        self._base_url = base_url
        self._ttl = ttl
        self._max_uses = max_uses
        self._scope = action_id_scope

    def issue(self, target: ResponseTarget) -> str:
        return f"{self._base_url()}/_slack/response/{self._ws.issue_response_url(target)}"

    def handle_post(self, token: str, raw: bytes) -> tuple[int, Json]:
        """Answer a POST to a response URL, journaled as method ``response_url``."""
        status, body, args = self._post(token, raw)
        self._ws.record_call("response_url", args, status, body)
        return status, body

    def _post(self, token: str, raw: bytes) -> tuple[int, Json, Json]:
        try:
            payload = json.loads(raw.decode("utf-8")) if raw else {}
        except (json.JSONDecodeError, UnicodeDecodeError):
            return 400, {"ok": False, "error": "invalid_payload"}, {}
        if not isinstance(payload, dict):
            return 400, {"ok": False, "error": "invalid_payload"}, {}
        with self._ws.lock:
            target = self._ws.response_target(token)
            if target is None:
                return 404, {"ok": False, "error": "no_active_hooks"}, payload
            if self._ws.clock.monotonic() - target.issued_at > self._ttl:
                return 404, {"ok": False, "error": "expired_url"}, payload
            if target.uses >= self._max_uses:
                return 404, {"ok": False, "error": "used_url"}, payload
            target.uses += 1
            try:
                self.apply(target, payload, "response_url")
            except ResponseRejected as exc:
                return 400, {"ok": False, "error": exc.error, "errors": exc.problems}, payload
        return 200, {"ok": True}, payload

    def apply(self, target: ResponseTarget, payload: Json, via: Via) -> None:
        """Apply one message response; ResponseRejected if Slack would refuse it."""
        text = payload.get("text")
        text = text if isinstance(text, str) else ""
        blocks = payload.get("blocks")
        if len(text) > MAX_MESSAGE_TEXT:
            raise ResponseRejected("msg_too_long")
        problems = message_problems(text, blocks, action_id_scope=self._scope)
        if problems:
            raise ResponseRejected("invalid_blocks", problems)
        filled = with_generated_ids(blocks) if isinstance(blocks, list) else []
        ws, identity = self._ws, self._ws.identity
        with ws.lock:
            thread_ts = payload.get("thread_ts")
            if thread_ts is not None and (
                not isinstance(thread_ts, str) or ws.find_message(target.channel, thread_ts) is None
            ):
                raise ResponseRejected("thread_not_found")
            if payload.get("delete_original") and target.message_ts is not None:
                self._delete_source(target)
            elif payload.get("replace_original") and target.message_ts is not None:
                self._replace_source(target, text, filled)
            elif payload.get("response_type") == "in_channel":
                ws.post_message(
                    target.channel,
                    user=identity.bot_user_id,
                    bot_id=identity.bot_id,
                    text=text,
                    blocks=filled,
                    thread_ts=thread_ts,
                )
            else:
                ws.post_ephemeral(
                    target.channel,
                    target.user,
                    text=text,
                    blocks=filled,
                    source=via,
                    thread_ts=target.thread_ts,
                )

    def _source(self, target: ResponseTarget) -> Any:
        ts = str(target.message_ts)
        if target.ephemeral_source:
            source: Any = self._ws.ephemeral_by_ts(ts)
        else:
            source = self._ws.find_message(target.channel, ts)
        if source is None:
            raise ResponseRejected("message_not_found")
        return source

    def _delete_source(self, target: ResponseTarget) -> None:
        self._source(target).deleted = True
        self._ws.touch()

    def _replace_source(self, target: ResponseTarget, text: str, blocks: list[Json]) -> None:
        self._source(target).replace_content(text, blocks, "response_url")
        self._ws.touch()

    def slack_error(self, channel: str, user: str, command: str, error: str) -> None:
        """What Slack shows a person whose slash command the app failed to acknowledge."""
        self._ws.post_ephemeral(
            channel,
            user,
            text=f'{command} failed with the error "{error}"',
            blocks=[],
            source="slack",
        )

"""The emulator retries a failed Events API delivery in HTTP mode as Slack does: up to three
times, with X-Slack-Retry-Num and X-Slack-Retry-Reason, unless the answer said
X-Slack-No-Retry: 1; interactions and commands are never retried."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest

from bot.server import BotServer
from sandbox.slack import Emulator

pytestmark = pytest.mark.integration

StartResponse = Callable[..., Any]


class ScriptedApp:
    """Answers each request with the next (status, seconds to wait, no-retry) of its script,
    the last one forever, and keeps the retry headers it was sent."""

    def __init__(self, *script: tuple[int, float, bool]) -> None:
        self.script = list(script)
        self.seen: list[tuple[str | None, str | None]] = []
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        with self._lock:
            self.seen.append(
                (environ.get("HTTP_X_SLACK_RETRY_NUM"), environ.get("HTTP_X_SLACK_RETRY_REASON"))
            )
            status, wait, no_retry = self.script[min(len(self.seen), len(self.script)) - 1]
        time.sleep(wait)
        headers = [("Content-Type", "text/plain"), ("Content-Length", "0")]
        if no_retry:
            headers.append(("X-Slack-No-Retry", "1"))
        start_response(f"{status} Whatever", headers)
        return [b""]


@pytest.fixture
def slack() -> Iterator[Emulator]:
    with Emulator(event_retry_delays=(0.0, 0.05, 0.1)) as emulator:
        yield emulator


def serving(slack: Emulator, app: ScriptedApp) -> BotServer:
    server = BotServer("127.0.0.1", 0, routes=app)
    slack.use_http_mode(f"{server.url}/slack/events")
    return server


def test_a_failing_event_is_retried_three_times_with_slacks_headers(slack: Emulator) -> None:
    app = ScriptedApp((500, 0, False))
    with serving(slack, app):
        first = slack.open_app_home("UALICE")
        slack.wait_for(lambda: len(slack.deliveries()) == 4, what="three retries")
        slack.wait_for(lambda: slack.pending_event_retries() == 0, what="no retry left")
    deliveries = slack.deliveries()
    assert [d.retry_num for d in deliveries] == [None, 1, 2, 3]
    assert [d.retry_reason for d in deliveries[1:]] == ["http_error"] * 3
    assert {d.payload["event_id"] for d in deliveries} == {first.payload["event_id"]}
    assert app.seen == [(None, None), ("1", "http_error"), ("2", "http_error"), ("3", "http_error")]


def test_a_late_answer_is_retried_as_an_http_timeout(slack: Emulator) -> None:
    slack.ack_deadline = 0.2
    app = ScriptedApp((200, 0.4, False), (200, 0, False))
    with serving(slack, app):
        slack.open_app_home("UALICE")
        slack.wait_for(lambda: len(slack.deliveries()) == 2, what="the retry")
        time.sleep(0.3)  # and no other: the retry was answered in time
    assert [(d.retry_num, d.retry_reason) for d in slack.deliveries()] == [
        (None, None),
        (1, "http_timeout"),
    ]
    assert slack.pending_event_retries() == 0


def test_no_retry_header_turns_the_retries_off(slack: Emulator) -> None:
    app = ScriptedApp((403, 0, True))
    with serving(slack, app):
        slack.open_app_home("UALICE")
        time.sleep(0.3)
    assert len(slack.deliveries()) == 1
    assert slack.pending_event_retries() == 0


@pytest.mark.parametrize("kind", ["slash command", "click"])
def test_interactions_and_commands_are_never_retried(slack: Emulator, kind: str) -> None:
    app = ScriptedApp((500, 0, False))
    with serving(slack, app):
        delivery = slack.run_slash_command("/phoenix", "status", user="UALICE")
        if kind == "click":
            message = slack.web_client().chat_postMessage(
                channel="#incidents",
                text="x",
                blocks=[
                    {
                        "type": "actions",
                        "elements": [
                            {
                                "type": "button",
                                "action_id": "go",
                                "text": {"type": "plain_text", "text": "Go"},
                            }
                        ],
                    }
                ],
            )
            delivery = slack.click("go", user="UALICE", message_ts=message["ts"])
        time.sleep(0.3)
    assert delivery.http_status == 500
    assert all(d.retry_num is None for d in slack.deliveries())
    assert slack.pending_event_retries() == 0


def test_a_delivery_answered_in_time_is_not_retried(slack: Emulator) -> None:
    with serving(slack, ScriptedApp((200, 0, False))):
        assert slack.open_app_home("UALICE").on_time
        time.sleep(0.3)
    assert len(slack.deliveries()) == 1

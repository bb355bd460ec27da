"""What the bot answers to requests Slack would never send, in HTTP mode against the real
server: never a 500. Each gets a 4xx (or, for a slash command, a 200 whose ephemeral text
says it could not be read), is logged once without its content, and changes nothing: the
store is as it was and Slack was not called."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.server import HttpLimits
from handlers.ids import ActionId, CallbackId
from tests.e2e.http_rig import FORM, JSON, Answer, HttpRig, http_rig

MARK = "CANARY-0xC0FFEE"
"""Put in every body: no log line may quote it."""


@pytest.fixture(scope="module")
def http(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpRig]:
    with http_rig(tmp_path_factory.mktemp("edge"), HttpLimits(max_body=64 << 10)) as rig:
        yield rig


@pytest.fixture
def edge(http: HttpRig) -> HttpRig:
    http.slack.reset()
    return http


def click(**fields: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": "UALICE", "team_id": "TSANDBOX1"},
        "team": {"id": "TSANDBOX1", "domain": "sandbox"},
        "api_app_id": "ASANDBOX1",
        "trigger_id": "1.2.3",
        "channel": {"id": "CINCIDENTS"},
        "container": {"type": "message", "message_ts": "1.000001"},
        "actions": [{"action_id": ActionId.APPROVE.value, "value": f"run-{MARK}"}],
    }
    payload.update(fields)
    return {key: value for key, value in payload.items() if value is not None}


def form(payload: object) -> bytes:
    text = payload if isinstance(payload, str) else json.dumps(payload)
    return urlencode({"payload": text}).encode()


def command(**fields: str) -> bytes:
    sent = {
        "command": "/phoenix",
        "text": f"silence 1h {MARK}",
        "user_id": "UALICE",
        "channel_id": "CINCIDENTS",
        "team_id": "TSANDBOX1",
        "api_app_id": "ASANDBOX1",
        **fields,
    }
    return urlencode({k: v for k, v in sent.items() if v != "-"}).encode()


def event(**fields: Any) -> bytes:
    body = {
        "type": "event_callback",
        "team_id": "TSANDBOX1",
        "api_app_id": "ASANDBOX1",
        "event_id": f"Ev{MARK}",
        "event": {"type": "app_home_opened", "user": "UALICE", "tab": "home"},
        **fields,
    }
    return json.dumps(body).encode()


CASES: dict[str, tuple[bytes, str | None, dict[str, Any], int]] = {
    # name: (body, content type, how it is sent, the status expected)
    "payload not JSON": (b"payload=%7Bnot-json" + MARK.encode(), FORM, {}, 400),
    "payload a JSON list": (form([MARK]), FORM, {}, 400),
    "payload a JSON string": (form(json.dumps(MARK)), FORM, {}, 400),
    "payload without a type": (form(click(type=None)), FORM, {}, 400),
    "click without a user": (form(click(user=None)), FORM, {}, 400),
    "click whose user is a string": (form(click(user=MARK)), FORM, {}, 400),
    "click without actions": (form(click(actions=[])), FORM, {}, 400),
    "click whose team is a number": (form(click(team=7)), FORM, {}, 400),
    "submission without a view": (form(click(type="view_submission")), FORM, {}, 400),
    "submission whose view has no type": (
        form(click(type="view_submission", view={"callback_id": CallbackId.APPROVE.value})),
        FORM,
        {},
        400,
    ),
    "unknown interaction type": (form(click(type="shortcut", callback_id=MARK)), FORM, {}, 404),
    "unknown action": (form(click(actions=[{"action_id": f"x{MARK}"}])), FORM, {}, 404),
    "unknown view": (
        form(
            click(
                type="view_submission",
                actions=None,
                view={"type": "modal", "callback_id": f"x{MARK}", "state": {"values": {}}},
            )
        ),
        FORM,
        {},
        404,
    ),
    "event for another workspace": (event(team_id="TOTHER"), JSON, {}, 403),
    "event for another app": (event(api_app_id="AOTHER"), JSON, {}, 403),
    "click for another workspace": (
        form(click(team={"id": "TOTHER"}, user={"id": "UALICE"})),
        FORM,
        {},
        403,
    ),
    "command for another workspace": (command(team_id="TOTHER"), FORM, {}, 403),
    "event whose event is a list": (event(event=[MARK]), JSON, {}, 400),
    "event without an event_id": (event(event_id=None), JSON, {}, 400),
    "event of a type without listener": (
        event(event={"type": "message", "text": MARK}),
        JSON,
        {},
        404,
    ),
    "JSON body a list": (json.dumps([MARK]).encode(), JSON, {}, 400),
    "JSON body not JSON": (b"{" + MARK.encode(), JSON, {}, 400),
    "wrong content type": (command(), "text/plain", {}, 415),
    "no content type": (command(), None, {}, 415),
    "stale timestamp": (command(), FORM, {"skew": -301}, 401),
    "future timestamp": (command(), FORM, {"skew": 301}, 401),
    "unsigned": (command(), FORM, {"signed": False}, 401),
    "forged signature": (
        command(),
        FORM,
        {"signed": False, "headers": {"X-Slack-Signature": "v0=" + "0" * 64}},
        401,
    ),
    "body not UTF-8": (b"payload=\xff\xfe" + MARK.encode(), FORM, {}, 401),
    "oversized body": (b"text=" + b"a" * (65 << 10) + MARK.encode(), FORM, {}, 413),
    "GET": (b"", None, {"method": "GET"}, 405),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_request_slack_would_never_send_is_refused_and_changes_nothing(
    edge: HttpRig, caplog: pytest.LogCaptureFixture, name: str
) -> None:
    body, content_type, how, expected = CASES[name]
    before = edge.store_dump()
    with caplog.at_level(logging.INFO):
        answer = edge.post(body, content_type, **how)
        edge.settle()
    assert answer.status == expected, answer
    assert answer.headers.get("x-slack-no-retry") == "1"
    assert_refused_quietly(edge, caplog, before, answer)


def test_a_slash_command_that_cannot_be_read_is_told_to_its_user(
    edge: HttpRig, caplog: pytest.LogCaptureFixture
) -> None:
    before = edge.store_dump()
    with caplog.at_level(logging.INFO):
        answer = edge.post(command(user_id="-"))
        edge.settle()
    assert answer.status == 200
    said = json.loads(answer.body)
    assert said["response_type"] == "ephemeral"
    assert "could not read that command" in said["text"]
    assert_refused_quietly(edge, caplog, before, answer)


def test_a_request_without_a_length_is_refused(edge: HttpRig) -> None:
    before = edge.store_dump()
    answer = edge.post(command(), headers={"Transfer-Encoding": "chunked"})
    assert answer.status == 411
    assert edge.store_dump() == before


def test_the_same_payload_signed_and_fresh_is_taken(edge: HttpRig) -> None:
    """The cases above fail for the reason they name, not for another: the same command,
    well formed, is answered and acted on."""
    answer = edge.post(command(text="status"))
    assert answer.status == 200
    assert json.loads(answer.body)["response_type"] == "ephemeral"
    assert "sandbox-prod: score" in json.loads(answer.body)["text"], answer.body


def test_a_malformed_socket_mode_click_is_refused_before_its_ack(
    edge: HttpRig, caplog: pytest.LogCaptureFixture
) -> None:
    """The listeners read their payload before they ack, so a payload that reaches them by
    Socket Mode (no edge in front) is refused in the same way."""
    from slack_bolt import BoltRequest

    before = edge.store_dump()
    with caplog.at_level(logging.INFO):
        answer = edge.rig.phoenix.app.dispatch(
            BoltRequest(
                body=click(user={"id": "UALICE"}, actions=[{"action_id": "phoenix_approve"}])
                | {"user": {"name": MARK}},
                mode="socket_mode",
            )
        )
        edge.settle()
    assert answer.status == 400
    view = {"type": "view_submission", "user": {"id": "UALICE"}}
    with caplog.at_level(logging.INFO):
        typed = edge.rig.phoenix.app.dispatch(
            BoltRequest(
                body=view
                | {"view": {"type": "modal", "callback_id": CallbackId.APPROVE, "state": MARK}},
                mode="socket_mode",
            )
        )
        edge.settle()
    assert typed.status == 400
    assert edge.store_dump() == before
    assert edge.slack.calls() == []
    assert not [r for r in caplog.records if r.exc_info or MARK in r.getMessage()]


def assert_refused_quietly(
    edge: HttpRig, caplog: pytest.LogCaptureFixture, before: str, answer: Answer
) -> None:
    assert edge.store_dump() == before, "a refused request changed the store"
    assert edge.slack.calls() == [], "a refused request called Slack"
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    assert not [r for r in caplog.records if r.exc_info], "a refusal logged a traceback"
    assert not [r for r in caplog.records if MARK in r.getMessage()], "the body reached a log"
    assert MARK.encode() not in answer.body

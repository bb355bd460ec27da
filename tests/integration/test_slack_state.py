"""/ready's view of Slack in HTTP mode: asked on a thread of its own, so a Slack that hangs
never holds up a probe, and told apart from a Slack that refuses the token."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from bot.slack_state import SlackState
from sandbox.slack import Emulator
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration


@pytest.fixture
def hanging_slack() -> Iterator[str]:
    """A port that takes connections and never answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield f"http://127.0.0.1:{server.getsockname()[1]}/api/"


def test_a_hanging_slack_never_holds_up_the_probe(hanging_slack: str) -> None:
    state = SlackState(WebClient(token="xoxb-x", base_url=hanging_slack), every=0)
    started = time.monotonic()
    for _ in range(5):
        assert state.problem() is None  # the last answer known: none yet
    assert time.monotonic() - started < 0.5
    wait_until(state.problem, timeout=15, what="the check to give up on Slack")
    assert state.problem() == "Slack's Web API does not answer"


def test_a_refused_token_and_a_slack_that_answers() -> None:
    with Emulator() as slack:
        assert SlackState(slack.web_client(), every=0).check_now() is None
        refused = SlackState(slack.web_client(token="xoxb-revoked"), every=0)
        assert refused.check_now() == "Slack refuses the bot's token (invalid_auth)"


def test_socket_mode_reads_the_connection() -> None:
    connected = [True]
    state = SlackState(WebClient(token="xoxb-x"), connected=lambda: connected[0])
    assert state.problem() is None
    connected[0] = False
    assert state.problem() == "not connected to Slack (Socket Mode)"

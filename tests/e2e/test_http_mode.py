"""HTTP mode: Slack posts signed requests to /slack/events on the bot's own server. Forged
and stale signatures get 401 and change nothing."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator

import pytest

from engine.model import Level
from engine.runs import RunState
from handlers.ids import ActionId
from sandbox.slack import RateBudget
from tests.e2e.http_rig import HttpRig, http_rig
from tests.e2e.support import Rig


@pytest.fixture(scope="module")
def http(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpRig]:
    with http_rig(tmp_path_factory.mktemp("http")) as rig:
        yield rig


@pytest.fixture
def rig(http: HttpRig) -> Rig:
    rig = http.rig
    rig.slack.reset()
    rig.slack.set_rate_budget("chat.postMessage", RateBudget(10.0, 10, scope="channel"))
    return rig


def test_signed_requests_drive_the_whole_flow(rig: Rig) -> None:
    slack = rig.slack
    proposal = rig.breach(Level.REGION_FAILOVER)
    message = rig.posted(proposal.run_id)
    click = slack.click(ActionId.APPROVE, user="UBOB", message_ts=message.ts)
    assert click.on_time
    assert click.http_status == 200
    rig.wait_state(proposal.run_id, RunState.SUCCEEDED)
    rig.settle()
    replies = slack.replies("#incidents", message.ts)
    assert "Run succeeded" in [r for r in replies if not r.files][-1].text
    assert replies[-1].files, "then the failover's picture"
    status = slack.run_slash_command("/phoenix", "status", user="UCAROL")
    assert status.on_time
    assert "score 8" in slack.ephemeral("UCAROL")[-1].text


@pytest.mark.parametrize("tamper", ["forged", "stale", "future"])
def test_bad_signatures_get_401_and_change_nothing(rig: Rig, tamper: str) -> None:
    slack = rig.slack
    proposal = rig.breach(Level.REGION_FAILOVER)
    message = rig.posted(proposal.run_id)
    click = slack.click(ActionId.APPROVE, user="UALICE", message_ts=message.ts, tamper=tamper)  # type: ignore[arg-type]
    assert click.http_status == 401
    command = slack.run_slash_command("/phoenix", "silence 1h", user="UALICE", tamper=tamper)  # type: ignore[arg-type]
    assert command.http_status == 401
    home = slack.open_app_home("UALICE", tamper=tamper)  # type: ignore[arg-type]
    assert home.http_status == 401
    rig.settle()
    assert rig.run(proposal.run_id).state is RunState.AWAITING_APPROVAL
    assert rig.phoenix.store.list_approvals(proposal.run_id) == []
    assert rig.phoenix.store.list_silences() == []
    assert slack.calls("views.publish") == []
    assert slack.calls("chat.postEphemeral") == []
    # Refused with X-Slack-No-Retry: Slack does not send the event again.
    assert slack.pending_event_retries() == 0
    assert len(slack.deliveries()) == 3


def test_a_retried_event_is_handled_once(rig: Rig) -> None:
    slack = rig.slack
    first = slack.open_app_home("UCAROL")
    assert first.on_time
    slack.wait_for(lambda: slack.home_view("UCAROL"), what="the home tab")
    retry = slack.redeliver(first.envelope_id, retry_num=1, retry_reason="http_timeout")
    assert retry.on_time
    assert retry.retry_num == 1
    rig.settle()
    assert len(slack.calls("views.publish")) == 1


def test_the_same_event_delivered_twice_without_retry_headers_acts_once(rig: Rig) -> None:
    slack = rig.slack
    event = {"type": "app_home_opened", "user": "UCAROL", "channel": "DUCAROL", "tab": "home"}
    first = slack.send_event(event, event_id="EvTWICE")
    again = slack.send_event(event, event_id="EvTWICE")
    assert first.on_time
    assert again.on_time
    assert again.retry_num is None
    rig.settle()
    assert len(slack.calls("views.publish")) == 1


def test_slack_retries_a_late_ack_and_the_retries_have_no_second_effect(rig: Rig) -> None:
    """With a deadline no ack can meet, Slack sends the event three more times, each with
    its retry headers; the home tab is published once."""
    slack = rig.slack
    slack.event_retry_delays = (0.0, 0.05, 0.1)
    slack.ack_deadline = 0.0005
    try:
        first = slack.open_app_home("UCAROL")
        slack.wait_for(
            lambda: [d.http_status for d in slack.deliveries()] == [200] * 4,
            what="Slack's three retries, each answered",
        )
    finally:
        slack.ack_deadline = 3.0
        slack.event_retry_delays = (0.0, 60.0, 300.0)
    assert not first.on_time
    retries = slack.deliveries()[1:]
    assert [(d.retry_num, d.retry_reason) for d in retries] == [
        (1, "http_timeout"),
        (2, "http_timeout"),
        (3, "http_timeout"),
    ]
    assert {d.payload["event_id"] for d in retries} == {first.payload["event_id"]}
    assert slack.pending_event_retries() == 0
    rig.settle()
    assert len(slack.calls("views.publish")) == 1


def test_health_ready_and_metrics(http: HttpRig) -> None:
    server = http.server
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    for path, expected in (("/health", "ok"), ("/live", "ok"), ("/ready", "ready")):
        with opener.open(server.url + path, timeout=5) as answer:
            assert answer.status == 200
            assert answer.read().decode().strip() == expected
    with opener.open(server.url + "/metrics", timeout=5) as answer:
        body = answer.read().decode()
    assert "phoenix_slack_posts_total" in body
    assert "phoenix_store_up 1" in body

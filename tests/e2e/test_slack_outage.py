"""Slack goes away in the middle of a run and comes back, with the whole bot against the Slack
emulator: the run goes on, /ready says Slack is missing while /live stays up, and once Slack
answers again every message of the thread lands its true final state — one call each, no
intermediate state replayed, no message posted twice."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from slack_bolt.adapter.socket_mode import SocketModeHandler

from bot.reporter.budget import ReporterSettings
from bot.server import BotServer
from bot.serving import build_server
from engine.runs import RunState, StageState
from handlers.ids import ActionId
from sandbox.slack import Emulator, RateBudget
from sandbox.slack.visible import visible_text
from tests.e2e.support import CONFIG, Rig, build_rig, connect, shut
from tests.support.ports import free_port
from tests.support.waiting import wait_until

SLOW = (
    CONFIG
    + """
  slow:
    stages:
      - {name: check-replication-lag, kind: noop}
      - {name: warm-up, kind: sleep, params: {seconds: 1.5}}
      - {name: switch-traffic, kind: sleep, params: {seconds: 1.0}}
      - {name: verify, kind: noop}
"""
)
OUTAGE_REPORTER = ReporterSettings(
    posts_per_second=10.0, post_burst=10, outage_first_wait=0.2, outage_longest_wait=0.5
)


@pytest.fixture
def outage(tmp_path: Path) -> Iterator[tuple[Rig, BotServer]]:
    """A bot whose Slack can be stopped and started again on the same address."""
    slack = Emulator(http_port=free_port())
    slack.start()
    try:
        rig = build_rig(slack, tmp_path, config_text=SLOW, reporter=OUTAGE_REPORTER)
        slack.set_rate_budget("chat.postMessage", RateBudget(10.0, 10, scope="channel"))
        rig = connect(rig)
        handler = rig.handler
        assert isinstance(handler, SocketModeHandler)
        server = build_server(rig.phoenix, handler.client.is_connected)
        with server:
            yield rig, server
        shut(rig)
    finally:
        slack.stop()


def _get(server: BotServer, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(server.url + path, timeout=5) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode()


def test_a_run_goes_on_while_slack_is_down_and_its_thread_catches_up(
    outage: tuple[Rig, BotServer],
) -> None:
    rig, server = outage
    slack, store = rig.slack, rig.phoenix.store
    slack.run_slash_command("/phoenix", "failover slow", user="UCAROL")
    proposal = slack.wait_for(
        lambda: next(
            (m for m in slack.messages("#incidents") if "`slow`" in visible_text(m.blocks)), None
        ),
        what="the proposal of slow",
    )
    run_id = next(r.run_id for r in store.list_runs(limit=5) if r.plan == "slow")
    slack.click(ActionId.APPROVE, user="UALICE", message_ts=proposal.ts)
    slack.wait_for(
        lambda: any(
            "warm-up" in r.text and "running" in r.text
            for r in slack.replies("#incidents", proposal.ts)
        ),
        what="the warm-up stage shown running",
    )
    assert _get(server, "/ready")[0] == 200

    slack.stop()
    wait_until(lambda: _get(server, "/ready")[0] == 503, what="/ready to say Slack is missing")
    status, said = _get(server, "/ready")
    assert status == 503
    assert "not connected to Slack" in said
    assert _get(server, "/live") == (200, "ok\n"), "live: restarting would stop the run"
    rig.wait_state(run_id, RunState.SUCCEEDED, timeout=30)
    assert [r.state for r in store.get_stages(run_id)] == [StageState.SUCCEEDED] * 4
    reporter = rig.phoenix.reporter
    wait_until(lambda: reporter.stats.unreachable > 0, what="the reporter to meet the outage")
    assert reporter.slack_unreachable
    assert not reporter.flush(0.5), "the messages wait for Slack"

    before = len(slack.calls())
    slack.start()
    rig.settle(timeout=30)
    wait_until(lambda: _get(server, "/ready")[0] == 200, timeout=30, what="Socket Mode back")

    thread = slack.replies("#incidents", proposal.ts)
    stages = [m for m in thread if m.text.startswith("Stage ")]
    assert [m.text for m in stages] == [
        "Stage 1/4 check-replication-lag: succeeded",
        "Stage 2/4 warm-up: succeeded",
        "Stage 3/4 switch-traffic: succeeded",
        "Stage 4/4 verify: succeeded",
    ], "one message per stage, each in its final state"
    assert "Run succeeded" in thread[-1].text
    assert "Succeeded" in visible_text(slack.message(proposal.ts).blocks)
    after = slack.calls()[before:]
    for message in (proposal, *stages, thread[-1]):
        calls = [c for c in after if message.ts in (c.args.get("ts"), c.response.get("ts"))]
        assert len(calls) <= 1, f"{message.text!r} was sent {len(calls)} times after the outage"

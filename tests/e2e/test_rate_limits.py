"""A storm of 429s on chat.update: the reporter honours Retry-After, coalesces, and still
lands every message's final state. No Socket Mode needed: the reporter is driven by a real
run's progress events and talks to the emulator's Web API."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.reporter.budget import ReporterSettings
from engine.model import Level
from engine.runs import RunState
from sandbox.slack import Emulator, RateBudget
from sandbox.slack.visible import visible_text
from tests.e2e.support import CONFIG, Rig, build_rig, shut

WIDE = (
    CONFIG
    + """
  wide:
    stages:
      - {name: a, kind: sleep, group: g, params: {seconds: 1.2}}
      - {name: b, kind: sleep, group: g, params: {seconds: 1.2}}
      - {name: c, kind: sleep, group: g, params: {seconds: 1.2}}
      - {name: d, kind: sleep, group: g, params: {seconds: 1.2}}
      - {name: check-replication-lag, kind: noop}
"""
)
WIDE = WIDE.replace(
    "region_failover: {min_score: 8, policy: approve, plan: quick}",
    "region_failover: {min_score: 8, policy: approve, plan: wide}",
)

GREEDY = ReporterSettings(
    edits_per_minute=6000, edit_burst=50, posts_per_second=10.0, post_burst=10
)


@pytest.fixture
def storm(tmp_path: Path) -> Iterator[Rig]:
    with Emulator() as slack:
        rig = build_rig(slack, tmp_path, config_text=WIDE, reporter=GREEDY)
        slack.set_rate_budget("chat.postMessage", RateBudget(10.0, 10, scope="channel"))
        slack.set_rate_budget("chat.update", RateBudget(1.0, 1))
        try:
            yield rig
        finally:
            shut(rig)


def test_a_storm_of_429s_still_lands_every_final_state(storm: Rig) -> None:
    slack, phoenix = storm.slack, storm.phoenix
    proposal = storm.breach(Level.REGION_FAILOVER)
    message = storm.posted(proposal.run_id)
    outcome = phoenix.desk.clicks.approve(proposal.run_id, "UALICE")
    assert outcome.started
    phoenix.reporter.publish(outcome.proposal)  # type: ignore[arg-type]
    storm.wait_state(proposal.run_id, RunState.SUCCEEDED)
    storm.settle(timeout=30)

    breaches = slack.rate_limit_breaches("chat.update")
    assert breaches, "the budget was meant to be exceeded"
    assert phoenix.reporter.stats.rate_limited == len(breaches)
    for first, second in itertools.pairwise(breaches):
        assert second.at - first.at >= first.retry_after - 0.05, "Retry-After was not honoured"
    assert phoenix.reporter.stats.coalesced > 0

    assert "Succeeded" in visible_text(slack.message(message.ts).blocks)
    replies = [r for r in slack.replies("#incidents", message.ts) if not r.files]
    assert len(replies) == 6
    for reply in replies[:5]:
        assert "succeeded" in reply.text, reply.text
    assert "Run succeeded" in replies[-1].text
    [picture] = [r for r in slack.replies("#incidents", message.ts) if r.files]
    assert picture.text.startswith("Timeline of failover wide"), "a failover's picture follows"

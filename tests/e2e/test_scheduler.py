"""The evaluation tick end to end: an incident opened, escalated in its own thread and
resolved; the level state carried across a leader change; silences, the cool-down, flapping
and self-healing; every tick once per slot. The clock is a manual one: no real waits."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from engine.adapters.clock import SystemClock
from engine.model import Level, Reading, Status
from engine.records import IncidentStatus
from engine.runs import RunState
from handlers.ids import ActionId
from sandbox.slack import Emulator, RateBudget
from sandbox.slack.visible import visible_text
from tests.e2e.scheduler_support import HEALTHY, Bot, running_bot
from tests.e2e.support import BREACHES, CONFIG
from tests.support.waiting import wait_until

LEVEL2, LEVEL3 = BREACHES[Level.REGION_FAILOVER], BREACHES[Level.DR_FAILOVER]
SELF_HEAL = {**HEALTHY, "service-a": Status.DOWN}  # 4 points: level 1


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator() as slack:
        yield slack


@pytest.fixture
def bot(emulator: Emulator, tmp_path: Path) -> Iterator[Bot]:
    emulator.reset()
    emulator.set_rate_budget("chat.postMessage", RateBudget(10.0, 10, scope="channel"))
    with running_bot(emulator, tmp_path) as bot:
        yield bot


def test_an_incident_opens_escalates_in_its_thread_and_resolves(bot: Bot) -> None:
    slack = bot.slack
    assert bot.tick(HEALTHY) is not None
    assert bot.tick(LEVEL2).decision.action.value == "none"  # 1 of 2: not confirmed yet
    opened = bot.tick(LEVEL2)
    assert opened is not None
    assert opened.decision.action.value == "open"
    bot.settle()
    [root] = bot.top()
    assert "Level 2" in root.text
    [incident] = bot.phoenix.store.list_incidents(open_only=True)
    assert incident.incident_id in visible_text(root.blocks)

    bot.tick(LEVEL3)
    bot.tick(LEVEL3)
    bot.settle()
    assert len(bot.top()) == 1, "an escalation is not a second incident"
    replies = slack.replies("#incidents", root.ts)
    level3 = [r for r in replies if "Level 3" in r.text]
    assert len(level3) == 1, [r.text for r in replies]
    assert level3[0].action_ids[0] == ActionId.APPROVE_TYPED
    assert "Escalated to level 3" in visible_text(slack.message(root.ts).blocks)
    [same] = bot.phoenix.store.list_incidents(open_only=True)
    assert same.incident_id == incident.incident_id
    assert same.level == Level.DR_FAILOVER
    assert len(same.run_ids) == 2

    for _ in range(4):
        bot.tick(HEALTHY)
    bot.settle()
    assert bot.phoenix.store.list_incidents(open_only=True) == []
    [resolved] = bot.phoenix.store.list_incidents()
    assert resolved.status is IncidentStatus.RESOLVED
    notes = [r.text for r in slack.replies("#incidents", root.ts) if r.text.startswith("Resolved")]
    assert len(notes) == 1
    assert "after 3m" in notes[0]
    assert "Incident resolved" in visible_text(slack.message(root.ts).blocks)
    for run_id in resolved.run_ids:
        assert bot.phoenix.store.get_run(run_id).state is RunState.ABORTED  # type: ignore[union-attr]
    assert len(bot.top()) == 1
    assert not slack.rate_limit_breaches()


def test_one_evaluation_per_slot_and_the_state_survives_a_leader_change(
    emulator: Emulator, tmp_path: Path
) -> None:
    emulator.reset()
    store_url = f"sqlite:///{tmp_path / 'shared.db'}"
    with (
        running_bot(emulator, tmp_path, store_url=store_url, connect=False) as a,
        running_bot(emulator, tmp_path, store_url=store_url, connect=False) as b,
    ):
        b.clock = a.clock  # one time for both replicas
        b.phoenix.evaluator.clock = a.clock
        assert a.phoenix.leadership.keep()
        assert not b.phoenix.leadership.keep(), "exactly one leader"
        assert a.tick(LEVEL2) is not None
        assert b.phoenix.evaluator.tick() is None, "a follower does not evaluate"
        a.phoenix.leadership.resign()
        b.world.statuses = dict(LEVEL2)
        assert b.phoenix.leadership.keep()
        assert b.phoenix.evaluator.tick() is None, "the slot A evaluated is not evaluated again"
        result = b.tick(LEVEL2)
        assert result is not None
        assert result.decision.action.value == "open", "the new leader carried the state on"
        samples = a.phoenix.store.score_history()
        assert len(samples) == 2
        assert len({round(s.at.timestamp() / 30) for s in samples}) == 2
        b.settle()
        assert len(emulator.messages("#incidents")) == 1


def test_silence_and_cooldown_hold_proposals_back_and_status_says_so(bot: Bot) -> None:
    slack = bot.slack
    bot.phoenix.desk.silences.add(timedelta(hours=1), "maintenance", "UALICE")
    bot.tick(LEVEL2)
    held = bot.tick(LEVEL2)
    assert held is not None
    bot.settle()
    # No proposal: only the silence, with what it holds back in its thread.
    [silence] = bot.top()
    assert "<@UALICE> silenced automatic proposals" in visible_text(silence.blocks)
    [note] = slack.replies("#incidents", silence.ts)
    assert "Level 2 (region failover) held back by a silence" in visible_text(note.blocks)
    slack.run_slash_command("/phoenix", "status", user="UCAROL")
    [answer] = slack.ephemeral("UCAROL")
    assert "Proposals held back:* silenced until" in visible_text(answer.blocks)
    assert "held back: silenced" in visible_text(answer.blocks)

    bot.phoenix.desk.silences.end_all("UALICE")
    assert bot.tick(LEVEL2).decision.action.value == "open", "proposed once the silence ended"

    # A failover finished: no automatic proposal during the cool-down, and status says why.
    store = bot.phoenix.store
    [incident] = store.list_incidents(open_only=True)
    run = store.get_run(incident.run_ids[0])
    assert run is not None
    store.update_run(
        replace(run, state=RunState.SUCCEEDED, finished_at=bot.clock.now()),
        expect=RunState.AWAITING_APPROVAL,
    )
    store.save_incident(replace(incident, status=IncidentStatus.RESOLVED))
    for _ in range(4):
        bot.tick(HEALTHY)
    bot.tick(LEVEL2)
    result = bot.tick(LEVEL2)
    assert result is not None
    assert result.decision.action.value == "suppressed"
    assert "cool-down" in result.decision.reason
    slack.run_slash_command("/phoenix", "status", user="UBOB")
    [answer] = slack.ephemeral("UBOB")
    assert "cool-down after the last failover until" in visible_text(answer.blocks)


def test_level1_heals_by_itself_and_says_so(bot: Bot) -> None:
    bot.tick(SELF_HEAL)
    result = bot.tick(SELF_HEAL)
    assert result is not None
    [incident] = bot.phoenix.store.list_incidents(open_only=True)
    run_id = incident.run_ids[0]
    wait_until(
        lambda: bot.phoenix.store.get_run(run_id).state is RunState.SUCCEEDED,  # type: ignore[union-attr]
        what="the self-heal run",
    )
    bot.settle()
    [message] = bot.top()
    assert "Level 1" in message.text
    assert message.action_ids == [], "level 1 asks nobody"
    assert "Succeeded" in visible_text(bot.slack.message(message.ts).blocks)
    assert any("Run succeeded" in r.text for r in bot.slack.replies("#incidents", message.ts))


def test_a_flapping_signal_gets_one_notice(bot: Bot) -> None:
    flapping = {**HEALTHY, "service-b": Status.DEGRADED}
    for n in range(12):
        bot.tick(flapping if n % 2 else HEALTHY)
    bot.settle()
    notices = [m for m in bot.top() if "is flapping" in m.text]
    assert len(notices) == 1, [m.text for m in bot.top()]
    assert "service-b" in notices[0].text


def test_metrics_show_score_level_points_and_leadership(bot: Bot) -> None:
    bot.tick(LEVEL2)
    text = bot.phoenix.metrics.text().decode()
    assert 'phoenix_score{environment="sandbox-prod"} 8.0' in text
    assert 'phoenix_level{environment="sandbox-prod"} 0.0' in text
    assert 'phoenix_signal_points{environment="sandbox-prod",signal="service-a"} 4.0' in text
    assert "phoenix_evaluations_total 1.0" in text
    assert "phoenix_leader 1.0" in text
    assert "phoenix_evaluation_seconds_count 1.0" in text
    assert "phoenix_slack_rate_limited_total" in text


FAST_TICKS = CONFIG.replace("slack:\n", "evaluation: {interval: 200ms}\nslack:\n", 1)


def test_apscheduler_ticks_on_slots_and_an_overrun_skips_the_next(
    emulator: Emulator, tmp_path: Path
) -> None:
    """The real APScheduler wiring, with a 200 ms interval and real time."""
    emulator.reset()
    with running_bot(emulator, tmp_path, config_text=FAST_TICKS, connect=False) as bot:
        phoenix = bot.phoenix
        phoenix.evaluator.clock = SystemClock()
        running = []
        slow_once = {"left": 1}

        def collect() -> list[Reading]:
            running.append(1)
            assert len(running) == 1, "evaluations never overlap"
            if slow_once["left"]:
                slow_once["left"] = 0
                time.sleep(0.5)
            running.pop()
            return bot.world.collect()

        phoenix.evaluator._collect = collect  # the real schedule, a slow first evaluation
        phoenix.scheduler.start()
        wait_until(lambda: phoenix.evaluator.evaluations >= 6, timeout=10, what="six ticks")
        phoenix.scheduler.stop()
        skipped = phoenix.scheduler.skipped + phoenix.evaluator.overlaps
        assert skipped >= 1, "the slow evaluation made a tick skip"
        slots = [round(s.at.timestamp() / 0.2) for s in phoenix.store.score_history()]
        assert len(slots) == len(set(slots)), "no slot evaluated twice"
        assert "phoenix_ticks_skipped_total" in phoenix.metrics.text().decode()

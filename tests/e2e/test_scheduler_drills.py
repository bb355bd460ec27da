"""Drills end to end: announcements at their offsets with Postpone and Skip (approvers only,
audited, once per click), the drill thread at drill time, its report (RTO, RPO, pass/fail,
trend), ``/phoenix drill list | run | skip`` and the App Home."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from engine.drills import NoteKind
from engine.runs import RunMode, RunState
from handlers.ids import ActionId
from sandbox.slack import Emulator, Message, RateBudget
from tests.e2e.scheduler_support import Bot, running_bot
from tests.e2e.support import CONFIG, wait_until

DRILLS = """
drills:
  - name: weekly-dr
    schedule: "0 10 * * mon"
    timezone: Europe/Berlin
    plan: drill-plan
    mode: rehearsal
    channel: "#dr-drills"
  - name: preflight
    schedule: "0 12 * * *"
    plan: dr-quick
    mode: dry-run
"""
PLAN = """
  drill-plan:
    stages:
      - name: check-replication-lag
        kind: record
        params: {ledger: LEDGER, key: "replication lag 12s"}
      - {name: deploy-services, kind: sleep, params: {seconds: 0.2}}
      - {name: switch-traffic, kind: noop, drill: false}
      - {name: verify-services, kind: noop}
"""
MONDAY_10 = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)  # 10:00 in Berlin


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator() as slack:
        yield slack


@pytest.fixture
def bot(emulator: Emulator, tmp_path: Path) -> Iterator[Bot]:
    emulator.reset()
    emulator.set_rate_budget("chat.postMessage", RateBudget(10.0, 10, scope="channel"))
    text = CONFIG.replace("plans:\n", "plans:" + PLAN.replace("LEDGER", str(tmp_path / "l")), 1)
    with running_bot(
        emulator, tmp_path, config_text=text + DRILLS, start=MONDAY_10 - timedelta(hours=30)
    ) as bot:
        assert bot.phoenix.leadership.keep()
        yield bot


def at(bot: Bot, moment: datetime) -> None:
    bot.clock.advance((moment - bot.clock.now()).total_seconds())
    bot.phoenix.duties.run()
    bot.settle()


def announcement(bot: Bot) -> Message:
    [message] = [m for m in bot.slack.messages("#dr-drills") if "weekly-dr" in m.text]
    return message


def test_announcements_postpone_and_skip_are_for_approvers_and_count_once(bot: Bot) -> None:
    slack = bot.slack
    at(bot, MONDAY_10 - timedelta(hours=25))
    assert slack.messages("#dr-drills") == []
    at(bot, MONDAY_10 - timedelta(hours=23))
    message = announcement(bot)
    assert "DR DRILL — not an incident" in str(message.blocks)
    assert message.action_ids == [
        ActionId.DRILL_POSTPONE_HOUR,
        ActionId.DRILL_POSTPONE_DAY,
        ActionId.DRILL_SKIP,
    ]
    at(bot, MONDAY_10 - timedelta(hours=22))
    assert len(slack.messages("#dr-drills")) == 1, "the 24 h announcement is made once"

    assert slack.click(ActionId.DRILL_POSTPONE_HOUR, user="UCAROL", message_ts=message.ts).on_time
    [refused] = slack.wait_for_ephemeral("UCAROL", 1)
    assert "Only configured approvers" in refused.text
    slack.click(ActionId.DRILL_POSTPONE_HOUR, user="UALICE", message_ts=message.ts)
    bot.settle()
    wait_until(lambda: "postponed from" in str(slack.message(message.ts).blocks), what="edit")
    # A click on the announcement as it was before the edit (a double click) counts once.
    stale = bot.phoenix.drills.postpone("weekly-dr", MONDAY_10, MONDAY_10, "1h", "UBOB")
    assert not stale.allowed
    assert "postponed already" in stale.explanation
    occurrence = bot.phoenix.drills.occurrence("weekly-dr")
    assert occurrence.due == MONDAY_10 + timedelta(hours=1)
    bot.settle()
    notes = slack.replies("#dr-drills", message.ts)
    assert any("<@UALICE> postponed drill weekly-dr by 1h" in n.text for n in notes)

    at(bot, MONDAY_10 + timedelta(minutes=1))
    assert [
        m for m in slack.messages("#dr-drills") if "DR drill weekly-dr" in m.text
    ].__len__() == 1
    at(bot, MONDAY_10 + timedelta(minutes=5))  # 1 h before the new time: announced again? no
    assert len([m for m in slack.messages("#dr-drills") if "weekly-dr" in m.text]) == 1

    slack.click(ActionId.DRILL_SKIP, user="UBOB", message_ts=message.ts)
    bot.settle()
    wait_until(lambda: "skipped" in str(slack.message(message.ts).blocks), what="skip edit")
    assert slack.message(message.ts).action_ids == [], "nothing to click once skipped"
    at(bot, MONDAY_10 + timedelta(hours=1, minutes=1))
    assert bot.phoenix.store.list_runs() == [], "a skipped drill does not run"
    actions = [e.action for e in bot.phoenix.store.list_audit(subject="drill:weekly-dr")]
    assert actions.count(NoteKind.POSTPONED.value) == 1
    assert actions.count(NoteKind.SKIPPED.value) == 1
    assert "drill.postpone.refused" in actions
    assert bot.phoenix.drills.occurrence("weekly-dr").scheduled == MONDAY_10 + timedelta(days=7)


def test_a_drill_runs_in_its_thread_and_reports_rto_rpo_and_trend(bot: Bot) -> None:
    slack = bot.slack
    at(bot, MONDAY_10 - timedelta(minutes=30))
    at(bot, MONDAY_10 + timedelta(seconds=10))
    [run] = bot.phoenix.store.list_runs()
    assert run.mode is RunMode.REHEARSAL
    done = wait_until_state(bot, run.run_id)
    assert done.state is RunState.SUCCEEDED
    bot.settle()
    [header] = [m for m in slack.messages("#dr-drills") if "DR drill weekly-dr run" in m.text]
    wait_until(lambda: "passed" in str(slack.message(header.ts).blocks), what="the verdict")
    replies = slack.replies("#dr-drills", header.ts)
    stages = [r.text for r in replies if r.text.startswith("Stage")]
    assert len(stages) == 4
    assert any("switch-traffic: skipped" in s for s in stages), "production traffic stays"
    [report] = [r for r in replies if r.text.startswith("Drill weekly-dr")]
    body = str(report.blocks)
    assert "Drill passed" in body
    assert "RTO measured" in body
    assert "verify-services" in body
    assert "RPO evidence:* 12s" in body
    assert "the first drill of this name" in body
    assert all(m.text.startswith("DR drill") for m in slack.messages("#incidents")), (
        "a drill is marked as one everywhere"
    )

    slack.run_slash_command("/phoenix", "drill run weekly-dr", user="UALICE")
    wait_until(lambda: len(bot.phoenix.store.list_runs()) == 2, what="the second drill run")
    second = bot.phoenix.store.list_runs()[0]
    wait_until_state(bot, second.run_id)
    bot.settle()
    [latest] = bot.phoenix.drills.reports("weekly-dr", limit=1)
    assert latest.run_id == second.run_id
    assert [p.run_id for p in latest.trend] == [run.run_id]
    # The ledger held the lag line already, so this run's check reported no lag: unproven RPO.
    assert not latest.passed
    assert any("RPO not evidenced" in v for v in latest.verdict)

    slack.run_slash_command("/phoenix", "drill list", user="UCAROL")
    [listing] = slack.wait_for_ephemeral("UCAROL", 1)
    text = str(listing.blocks)
    assert "weekly-dr" in text
    assert "preflight" in text
    assert "last: failed" in text, text
    slack.open_app_home("UCAROL")
    home = slack.wait_for(lambda: slack.home_view("UCAROL"), what="the home tab")
    assert "Next drills" in str(home.blocks)
    assert "weekly-dr failed" in str(home.blocks)


def test_a_dry_run_drill_checks_every_stage_and_changes_nothing(bot: Bot) -> None:
    noon = datetime(2026, 1, 11, 12, tzinfo=UTC)
    at(bot, noon + timedelta(seconds=5))
    [run] = bot.phoenix.store.list_runs()
    assert run.mode is RunMode.DRY_RUN
    assert wait_until_state(bot, run.run_id).state is RunState.SUCCEEDED
    summaries = [r.summary for r in bot.phoenix.store.get_stages(run.run_id)]
    assert all(s.startswith("dry run:") for s in summaries), summaries
    [report] = bot.phoenix.drills.reports("preflight")
    assert report.passed
    assert report.rto_seconds is None


def test_drill_commands_refuse_politely(bot: Bot) -> None:
    slack = bot.slack
    slack.run_slash_command("/phoenix", "drill skip weekly-dr", user="UCAROL")
    slack.run_slash_command("/phoenix", "drill run nope", user="UALICE")
    slack.run_slash_command("/phoenix", "drill", user="UALICE")
    [refused] = slack.wait_for_ephemeral("UCAROL", 1)
    assert "Only configured approvers may skip a drill" in refused.text
    unknown, bare = slack.wait_for_ephemeral("UALICE", 2)
    assert "no drill named 'nope'" in unknown.text
    assert "drill list" in bare.text
    slack.run_slash_command("/phoenix", "drill skip weekly-dr", user="UALICE")
    wait_until(
        lambda: bot.phoenix.drills.occurrence("weekly-dr").scheduled > MONDAY_10,
        what="the skip",
    )


def wait_until_state(bot: Bot, run_id: str):  # type: ignore[no-untyped-def]
    store = bot.phoenix.store
    wait_until(
        lambda: store.get_run(run_id).state.terminal,  # type: ignore[union-attr]
        timeout=10,
        what=f"run {run_id} to end",
    )
    return store.get_run(run_id)

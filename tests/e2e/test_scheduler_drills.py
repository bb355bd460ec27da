"""Drills end to end: announcements at their offsets with Postpone and Skip (approvers only,
audited, once per click), a postponed drill announced again at its new time (once, across a
leader change), the drill thread at drill time, its report (RTO, RPO, pass/fail, trend),
``/phoenix drill list | run | skip`` and the App Home, and a drill at a time the clock repeats
that runs once across a restart and a leader change."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from engine.drills.desk import announcement_claim
from engine.drills.schedule import NoteKind
from engine.runs import RunMode, RunState
from handlers.ids import ActionId
from sandbox.slack import Emulator, Message, RateBudget
from sandbox.slack.visible import visible_text
from tests.e2e.scheduler_support import Bot, running_bot
from tests.e2e.support import CONFIG
from tests.support.waiting import wait_until

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
        role: catch-up
        params: {ledger: LEDGER, key: "replication lag 12s"}
      - {name: deploy-services, kind: sleep, params: {seconds: 0.2}}
      - {name: switch-traffic, kind: noop, drill: false, role: cut-over}
      - {name: verify-services, kind: noop, role: verification}
"""
MONDAY_10 = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)  # 10:00 in Berlin


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator() as slack:
        yield slack


BUTTONS = [ActionId.DRILL_POSTPONE_HOUR, ActionId.DRILL_POSTPONE_DAY, ActionId.DRILL_SKIP]
START = MONDAY_10 - timedelta(hours=30)


def drill_config(tmp: Path) -> str:
    plan = PLAN.replace("LEDGER", str(tmp / "l"))
    return CONFIG.replace("plans:\n", "plans:" + plan, 1) + DRILLS


@pytest.fixture
def bot(emulator: Emulator, tmp_path: Path) -> Iterator[Bot]:
    emulator.reset()
    emulator.set_rate_budget("chat.postMessage", RateBudget(10.0, 10, scope="channel"))
    with running_bot(emulator, tmp_path, config_text=drill_config(tmp_path), start=START) as bot:
        assert bot.phoenix.leadership.keep()
        yield bot


def at(bot: Bot, moment: datetime) -> None:
    every([bot], moment)


def every(bots: Sequence[Bot], moment: datetime) -> None:
    """Every replica at ``moment`` (one time for all), each looking at its drill duties."""
    for bot in bots:
        bot.clock.advance((moment - bot.clock.now()).total_seconds())
    for bot in bots:
        bot.phoenix.duties.run()
    for bot in bots:
        bot.settle()


def announcements(bot: Bot) -> list[Message]:
    """The weekly drill's announcements, oldest first (not its run's thread)."""
    return [
        m
        for m in bot.slack.messages("#dr-drills")
        if m.text.startswith("DR drill weekly-dr (not an incident)")
    ]


def announcement(bot: Bot) -> Message:
    [message] = announcements(bot)
    return message


def shows(bot: Bot, message: Message, *texts: str) -> bool:
    body = visible_text(bot.slack.message(message.ts).blocks)
    return all(text in body for text in texts)


def due(bot: Bot) -> datetime:
    return bot.phoenix.drills.occurrence("weekly-dr").due


def weekly_runs(bot: Bot) -> list[str]:
    return [r.run_id for r in bot.phoenix.store.list_runs() if r.plan == "drill-plan"]


def test_announcements_postpone_and_skip_are_for_approvers_and_count_once(bot: Bot) -> None:
    slack = bot.slack
    at(bot, MONDAY_10 - timedelta(hours=25))
    assert slack.messages("#dr-drills") == []
    at(bot, MONDAY_10 - timedelta(hours=23))
    message = announcement(bot)
    assert "DR DRILL — not an incident" in visible_text(message.blocks)
    assert "in 23h" in message.text, "made an hour late (no replica ran), and says so"
    assert message.action_ids == BUTTONS
    at(bot, MONDAY_10 - timedelta(hours=22))
    assert len(slack.messages("#dr-drills")) == 1, "the 24 h announcement is made once"

    assert slack.click(ActionId.DRILL_POSTPONE_HOUR, user="UCAROL", message_ts=message.ts).on_time
    [refused] = slack.wait_for_ephemeral("UCAROL", 1)
    assert "Only configured approvers" in refused.text
    clicked = bot.clock.now()
    slack.click(ActionId.DRILL_POSTPONE_HOUR, user="UALICE", message_ts=message.ts)
    bot.settle()
    wait_until(lambda: shows(bot, message, "Postponed"), what="edit")
    # Who postponed it, when, and the new time, in the announcement itself.
    assert shows(
        bot,
        message,
        "*When:* *2026-01-12 10:00:00 UTC*",
        "*Postponed* from 2026-01-12 09:00:00 UTC by <@UALICE> at "
        f"{clicked:%Y-%m-%d %H:%M:%S} UTC to 2026-01-12 10:00:00 UTC",
    )
    assert slack.message(message.ts).action_ids == BUTTONS, "it can be moved again"
    # A click on the announcement as it was before the edit (a double click) counts once.
    stale = bot.phoenix.drills.postpone("weekly-dr", MONDAY_10, MONDAY_10, "1h", "UBOB")
    assert not stale.allowed
    assert "postponed already" in stale.explanation
    assert due(bot) == MONDAY_10 + timedelta(hours=1)
    bot.settle()
    notes = slack.replies("#dr-drills", message.ts)
    assert any("<@UALICE> postponed drill weekly-dr by 1h" in n.text for n in notes)

    # The new time's 24 h moment had passed when it was postponed: not announced late. Its
    # 1 h moment is the old time: announced then, once, with the buttons.
    at(bot, MONDAY_10 - timedelta(seconds=1))
    assert len(announcements(bot)) == 1
    at(bot, MONDAY_10)
    first, again = announcements(bot)
    assert first.ts == message.ts
    assert again.action_ids == BUTTONS
    assert "in 1h" in again.text
    assert shows(bot, again, "*2026-01-12 10:00:00 UTC*", "by <@UALICE>")
    at(bot, MONDAY_10 + timedelta(minutes=1))
    at(bot, MONDAY_10 + timedelta(minutes=5))
    assert len(announcements(bot)) == 2, "the re-announcement is made once"

    slack.click(ActionId.DRILL_SKIP, user="UBOB", message_ts=again.ts)
    bot.settle()
    wait_until(
        lambda: shows(bot, message, "skipped") and shows(bot, again, "skipped"),
        what="skip edits of both announcements",
    )
    assert slack.message(message.ts).action_ids == [], "nothing to click once skipped"
    assert slack.message(again.ts).action_ids == []
    wait_until(
        lambda: any(
            "<@UBOB> skipped drill weekly-dr" in n.text
            for n in slack.replies("#dr-drills", again.ts)
        ),
        what="the skip noted in the thread of the message clicked",
    )
    at(bot, MONDAY_10 + timedelta(hours=1, minutes=1))
    assert bot.phoenix.store.list_runs() == [], "a skipped drill does not run"
    assert len(announcements(bot)) == 2
    actions = [e.action for e in bot.phoenix.store.list_audit(subject="drill:weekly-dr")]
    assert actions.count(NoteKind.POSTPONED.value) == 1
    assert actions.count(NoteKind.SKIPPED.value) == 1
    assert actions.count(NoteKind.ANNOUNCED.value) == 2
    assert "drill.postpone.refused" in actions
    assert bot.phoenix.drills.occurrence("weekly-dr").scheduled == MONDAY_10 + timedelta(days=7)


def test_a_drill_postponed_a_day_half_an_hour_before_is_announced_again_at_the_new_offsets(
    bot: Bot,
) -> None:
    slack = bot.slack
    at(bot, MONDAY_10 - timedelta(hours=23, minutes=59, seconds=30))
    at(bot, MONDAY_10 - timedelta(minutes=59, seconds=30))
    day_before, hour_before = announcements(bot)
    assert "in 1d" in day_before.text
    assert "in 1h" in hour_before.text, "the 1 h notice is a message of its own"
    assert hour_before.action_ids == BUTTONS

    at(bot, MONDAY_10 - timedelta(minutes=30))
    slack.click(ActionId.DRILL_POSTPONE_DAY, user="UALICE", message_ts=hour_before.ts)
    new_time = "2026-01-13 09:00:00 UTC"
    wait_until(
        lambda: all(shows(bot, m, f"*{new_time}*", "by <@UALICE>") for m in announcements(bot)),
        what="both announcements edited to the new time",
    )
    assert due(bot) == MONDAY_10 + timedelta(days=1)
    slack.run_slash_command("/phoenix", "drill list", user="UCAROL")
    [listing] = slack.wait_for_ephemeral("UCAROL", 1)
    assert "weekly-dr (rehearsal) due 2026-01-13 09:00:00 UTC (postponed 1×)" in visible_text(
        listing.blocks
    )
    slack.open_app_home("UCAROL")
    home = slack.wait_for(lambda: slack.home_view("UCAROL"), what="the home tab")
    assert "due 2026-01-13 09:00:00 UTC (postponed 1×)" in visible_text(home.blocks)

    # The 24 h notice of the new time falls on the old time, the 1 h notice 23 h later.
    at(bot, MONDAY_10 - timedelta(seconds=1))
    assert len(announcements(bot)) == 2
    at(bot, MONDAY_10)
    *_, day_notice = announcements(bot)
    assert len(announcements(bot)) == 3
    assert "in 1d" in day_notice.text
    assert day_notice.action_ids == BUTTONS
    at(bot, MONDAY_10 + timedelta(hours=22, minutes=59, seconds=59))
    assert len(announcements(bot)) == 3
    at(bot, MONDAY_10 + timedelta(hours=23))
    *_, hour_notice = announcements(bot)
    assert len(announcements(bot)) == 4
    assert "in 1h" in hour_notice.text
    assert hour_notice.action_ids == BUTTONS
    assert weekly_runs(bot) == []

    at(bot, MONDAY_10 + timedelta(days=1, seconds=10))
    [run_id] = weekly_runs(bot)
    assert wait_until_state(bot, run_id).state is RunState.SUCCEEDED
    bot.settle()
    assert len(announcements(bot)) == 4

    # The next regular occurrence is announced as usual, with nothing of the postpone.
    assert bot.phoenix.drills.occurrence("weekly-dr").scheduled == MONDAY_10 + timedelta(days=7)
    at(bot, MONDAY_10 + timedelta(days=6))
    *_, next_week = announcements(bot)
    assert len(announcements(bot)) == 5
    assert shows(bot, next_week, "*2026-01-19 09:00:00 UTC*")
    assert not shows(bot, next_week, "Postponed")
    assert next_week.action_ids == BUTTONS


def test_a_drill_postponed_twice_is_announced_once_by_the_next_leader(
    emulator: Emulator, tmp_path: Path
) -> None:
    emulator.reset()
    emulator.set_rate_budget("chat.postMessage", RateBudget(10.0, 10, scope="channel"))
    store_url = f"sqlite:///{tmp_path / 'shared.db'}"
    text = drill_config(tmp_path)
    with (
        running_bot(emulator, tmp_path, config_text=text, start=START, store_url=store_url) as a,
        running_bot(
            emulator,
            tmp_path,
            config_text=text,
            start=START,
            store_url=store_url,
            connect=False,
        ) as b,
    ):
        slack, both = emulator, (a, b)
        assert a.phoenix.leadership.keep()
        assert not b.phoenix.leadership.keep(), "exactly one leader"
        every(both, MONDAY_10 - timedelta(hours=23))
        message = announcement(a)

        every(both, MONDAY_10 - timedelta(hours=22, minutes=30))
        slack.click(ActionId.DRILL_POSTPONE_HOUR, user="UALICE", message_ts=message.ts)
        wait_until(lambda: shows(a, message, "*2026-01-12 10:00:00 UTC*"), what="postponed")
        every(both, MONDAY_10 - timedelta(hours=21))
        slack.click(ActionId.DRILL_POSTPONE_HOUR, user="UBOB", message_ts=message.ts)
        wait_until(lambda: shows(a, message, "*2026-01-12 11:00:00 UTC*"), what="postponed again")
        assert due(b) == MONDAY_10 + timedelta(hours=2)

        # The 1 h moment of the last time is the first postpone's time.
        every(both, MONDAY_10 + timedelta(hours=1) - timedelta(seconds=1))
        assert len(announcements(a)) == 1
        # The leader claims the announcement, then is gone before it notes or posts it.
        for bot in both:
            bot.clock.advance(1)
        assert a.phoenix.leadership.keep()
        lease = a.phoenix.leadership.lease
        assert lease is not None
        occurrence = a.phoenix.drills.occurrence("weekly-dr")
        environment = a.phoenix.drills.config.environment
        claim = announcement_claim(environment, occurrence, (3600.0,), lease.token)
        assert a.phoenix.store.claim(claim, timedelta(days=1))
        a.phoenix.leadership.resign()
        assert b.phoenix.leadership.keep(), "the other replica leads"
        every(both, MONDAY_10 + timedelta(hours=1))
        first, again = announcements(a)
        assert first.ts == message.ts
        assert again.action_ids == BUTTONS
        assert "in 1h" in again.text
        assert shows(a, again, "*2026-01-12 11:00:00 UTC*", "by <@UALICE>", "then by <@UBOB>")
        every(both, MONDAY_10 + timedelta(hours=1, minutes=1))
        assert len(announcements(a)) == 2, "announced once, by the new leader"

        # The replica that answers the click edits the message the new leader posted.
        slack.click(ActionId.DRILL_SKIP, user="UBOB", message_ts=again.ts)
        wait_until(
            lambda: shows(a, again, "skipped") and shows(a, message, "skipped"),
            what="both announcements skipped",
        )
        every(both, MONDAY_10 + timedelta(hours=2, minutes=1))
        assert weekly_runs(a) == [], "a skipped drill does not run"
        assert len(announcements(a)) == 2
        assert b.phoenix.drills.occurrence("weekly-dr").scheduled == MONDAY_10 + timedelta(days=7)
        audit = [e.action for e in a.phoenix.store.list_audit(subject="drill:weekly-dr")]
        assert audit.count(NoteKind.ANNOUNCED.value) == 2
        assert audit.count(NoteKind.POSTPONED.value) == 2


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
    wait_until(
        lambda: "passed" in visible_text(slack.message(header.ts).blocks), what="the verdict"
    )
    replies = slack.replies("#dr-drills", header.ts)
    stages = [r.text for r in replies if r.text.startswith("Stage")]
    assert len(stages) == 4
    assert any("switch-traffic: skipped" in s for s in stages), "production traffic stays"
    [report] = [r for r in replies if r.text.startswith("Drill weekly-dr")]
    body = visible_text(report.blocks)
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
    text = visible_text(listing.blocks)
    assert "weekly-dr" in text
    assert "preflight" in text
    assert "last: failed" in text, text
    slack.open_app_home("UCAROL")
    home = slack.wait_for(lambda: slack.home_view("UCAROL"), what="the home tab")
    assert "Next drills" in visible_text(home.blocks)
    assert "weekly-dr failed" in visible_text(home.blocks)


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


NIGHTLY = """
drills:
  - name: nightly
    schedule: "30 2 * * *"
    timezone: Europe/Berlin
    plan: dr-quick
    mode: dry-run
    announce: [1h]
"""
FIRST_0230 = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST, then 03:00 CEST is 02:00 CET


def walk(bots: Sequence[Bot], since: datetime, until: datetime) -> None:
    """From ``since`` to ``until`` at the scheduler's leadership cadence (a third of the lease's
    ttl): each replica keeps or seeks leadership, then looks at its drill duties."""
    step = bots[0].phoenix.leadership.ttl / 3
    moment = since
    while moment <= until:
        for bot in bots:
            bot.clock.advance((moment - bot.clock.now()).total_seconds())
            bot.phoenix.leadership.keep()
        every(bots, moment)
        moment += step


def nightly_runs(bot: Bot) -> list[str]:
    return [r.run_id for r in bot.phoenix.store.list_runs() if r.plan == "dr-quick"]


def test_a_drill_at_a_time_the_autumn_jump_repeats_runs_once_across_a_restart_and_a_new_leader(
    emulator: Emulator, tmp_path: Path
) -> None:
    emulator.reset()
    store_url = f"sqlite:///{tmp_path / 'shared.db'}"
    text = CONFIG + NIGHTLY
    second_0230 = FIRST_0230 + timedelta(hours=1)
    start = FIRST_0230 - timedelta(minutes=5)
    with running_bot(emulator, tmp_path, config_text=text, start=start, store_url=store_url) as a:
        walk([a], start, FIRST_0230 + timedelta(minutes=5))
        [run_id] = nightly_runs(a)
        assert wait_until_state(a, run_id).state is RunState.SUCCEEDED
        # The process ends without giving up its lease (a crash, an eviction).

    # It comes back in the repeated hour, beside a second replica.
    restart = second_0230 - timedelta(minutes=10)
    with (
        running_bot(emulator, tmp_path, config_text=text, start=restart, store_url=store_url) as b,
        running_bot(
            emulator,
            tmp_path,
            config_text=text,
            start=restart,
            store_url=store_url,
            connect=False,
        ) as c,
    ):
        walk([b, c], restart, second_0230 - timedelta(minutes=5))
        leader, other = (b, c) if b.phoenix.leadership.is_leader else (c, b)
        assert leader.phoenix.leadership.is_leader, "a replica leads once the lease expired"
        leader.phoenix.leadership.resign()
        walk(
            [other, leader], second_0230 - timedelta(minutes=5), second_0230 + timedelta(minutes=5)
        )
        assert other.phoenix.leadership.is_leader, "the other replica leads at the second 02:30"

        assert nightly_runs(b) == [run_id], "02:30 ran once, though the clock read it twice"
        audit = [e.action for e in b.phoenix.store.list_audit(subject="drill:nightly")]
        assert audit.count(NoteKind.STARTED.value) == 1
        assert audit.count(NoteKind.MISSED.value) == 0
        tomorrow = datetime(2026, 10, 26, 1, 30, tzinfo=UTC)
        assert c.phoenix.drills.occurrence("nightly").scheduled == tomorrow
        emulator.run_slash_command("/phoenix", "drill list", user="UCAROL")
        [listing] = emulator.wait_for_ephemeral("UCAROL", 1)
        assert (
            "nightly (dry-run) due 2026-10-26 01:30:00 UTC, Mon 2026-10-26 02:30 CET "
            "(Europe/Berlin)" in visible_text(listing.blocks)
        )


def wait_until_state(bot: Bot, run_id: str):  # type: ignore[no-untyped-def]
    store = bot.phoenix.store
    wait_until(
        lambda: store.get_run(run_id).state.terminal,  # type: ignore[union-attr]
        timeout=10,
        what=f"run {run_id} to end",
    )
    return store.get_run(run_id)

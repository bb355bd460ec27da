"""DR readiness end to end: the leader's sweep against a real webhook receiver and the Slack
emulator, one notice in the incident channel when a check stops being ready and one when it
recovers (never one a sweep), ``/phoenix readiness`` for everyone, the App Home, and a DR
proposal that shows readiness and the predicted RTO/RPO and still fails over when approved."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.adapters.clock import SystemClock
from engine.health.readiness.sweep import SweepOutcome
from engine.model import Level
from engine.readiness import Verdict
from engine.runs import RunState
from handlers.ids import ActionId, InputId
from sandbox.slack import Emulator, Message
from sandbox.slack.visible import visible_text
from tests.cloud.webhook_receiver import WebhookReceiver
from tests.e2e.scheduler_support import Bot, running_bot
from tests.e2e.support import BREACHES, CONFIG, ENVIRONMENT
from tests.support.waiting import wait_until

HOOK_SECRET = b"readiness-hook-secret"
HOOK = "PHOENIX_E2E_HOOK"


def config_text(receiver: WebhookReceiver) -> str:
    """The e2e plans, the DR plan ending with a webhook the readiness sweep checks."""
    notify = (
        '      - {name: notify, kind: notify_webhook, params: {url: "'
        + receiver.url
        + f'/webhook/phoenix", secret: "env:{HOOK}"}}}}\n'
    )
    last = "      - {name: switch-traffic, kind: noop}\n  flaky:"
    assert last in CONFIG
    text = CONFIG.replace(last, last.replace("  flaky:", notify + "  flaky:"))
    return text + "readiness: {confirm: 2}\n"


@pytest.fixture(scope="module")
def receiver() -> Iterator[WebhookReceiver]:
    fake = WebhookReceiver(HOOK_SECRET)
    yield fake
    fake.stop()


@pytest.fixture
def bot(
    tmp_path: Path, receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Bot]:
    receiver.reset()
    monkeypatch.setenv(HOOK, HOOK_SECRET.decode())
    with Emulator() as slack, running_bot(slack, tmp_path, config_text=config_text(receiver)) as b:
        yield b


def sweep(bot: Bot) -> SweepOutcome | None:
    """The next slot's sweep, on the leader."""
    bot.clock.advance(bot.phoenix.readiness.interval)
    bot.phoenix.leadership.keep()
    return bot.phoenix.readiness.run()


def notices(bot: Bot) -> list[Message]:
    bot.settle()
    return [m for m in bot.top() if m.text.startswith("DR readiness changed")]


def test_a_check_that_stops_being_ready_is_told_once_and_once_when_it_recovers(
    bot: Bot, receiver: WebhookReceiver
) -> None:
    first = sweep(bot)
    assert first is not None
    assert [(c.name, c.verdict) for c in first.sweep.checks] == [
        ("webhook", Verdict.READY),
        ("secrets", Verdict.READY),
        ("slack", Verdict.READY),
        ("drills", Verdict.NOT_READY),
    ]
    assert bot.phoenix.readiness.run() is None, "one sweep a slot"
    assert notices(bot) == [], "the state a check starts in is no change"

    receiver.registered = False
    assert sweep(bot) is not None
    assert notices(bot) == [], "one sweep is a blip, not yet a change"
    sweep(bot)
    [stopped] = notices(bot)
    body = visible_text(stopped.blocks)
    assert "stopped being ready" in body
    assert "`webhook`" in body
    assert "not registered (is its workflow active?)" in body
    assert "Now 2 of 4 ready" in body
    for _ in range(3):
        sweep(bot)
    assert len(notices(bot)) == 1, "not one notice a sweep"

    receiver.registered = True
    sweep(bot)
    assert len(notices(bot)) == 1
    sweep(bot)
    recovered = notices(bot)[-1]
    assert len(notices(bot)) == 2
    assert "ready again" in visible_text(recovered.blocks)
    assert "`webhook`" in visible_text(recovered.blocks)
    assert receiver.accepted == [], "the sweep never sends a notification"
    assert not bot.slack.rate_limit_breaches()


def test_readiness_is_shown_to_everyone_in_slack_and_on_the_app_home(bot: Bot) -> None:
    slack = bot.slack
    slack.run_slash_command("/phoenix", "readiness", user="UCAROL")
    [empty] = slack.ephemeral("UCAROL")
    assert "No readiness sweep yet" in visible_text(empty.blocks)

    sweep(bot)
    slack.run_slash_command("/phoenix", "readiness", user="UCAROL")
    answer = slack.ephemeral("UCAROL")[-1]
    body = visible_text(answer.blocks)
    assert "DR readiness of plan dr-quick: 3 of 4 ready" in body
    assert "`drills` drills of plan dr-quick — no drill runs plan dr-quick" in body
    assert "If we failed over now" in body
    assert "*RTO* at least" in body  # no drill or failover has measured the plan yet
    assert "never blocks an approved failover" in body

    slack.open_app_home("UCAROL")
    home = slack.wait_for(lambda: slack.home_view("UCAROL"), what="the home tab")
    text = visible_text(home.blocks)
    assert "DR readiness:* 3 of 4 ready" in text
    assert "not ready: `drills`" in text


def test_the_leader_sweeps_on_its_own_schedule_beside_the_tick(
    tmp_path: Path, receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real APScheduler wiring: readiness every 300 ms of real time, one sweep a slot."""
    receiver.reset()
    monkeypatch.setenv(HOOK, HOOK_SECRET.decode())
    text = config_text(receiver).replace(
        "readiness: {confirm: 2}", "readiness: {confirm: 2, interval: 300ms}"
    )
    with (
        Emulator() as slack,
        running_bot(slack, tmp_path, config_text=text, connect=False) as bot,
    ):
        phoenix = bot.phoenix
        phoenix.readiness.clock = phoenix.readiness.sweeper.clock = SystemClock()
        swept: list[float] = []

        def counted() -> None:
            latest = phoenix.store.latest_readiness()
            if latest is not None and (not swept or swept[-1] != latest.at.timestamp()):
                swept.append(latest.at.timestamp())

        phoenix.scheduler.start()
        try:
            wait_until(
                lambda: counted() or len(swept) >= 4, timeout=10, what="four readiness sweeps"
            )
        finally:
            phoenix.scheduler.stop()
        slots = [int(at // 0.3) for at in swept]
        assert len(set(slots)) == len(slots), "never two sweeps in one slot"


def test_a_dr_proposal_shows_readiness_and_a_failing_check_never_blocks_the_failover(
    bot: Bot, receiver: WebhookReceiver
) -> None:
    receiver.registered = False
    for _ in range(2):
        sweep(bot)
    bot.tick(BREACHES[Level.DR_FAILOVER])
    result = bot.tick(BREACHES[Level.DR_FAILOVER])
    assert result is not None
    bot.settle()
    slack = bot.slack
    [message] = [m for m in bot.top() if "Level 3" in m.text]
    body = visible_text(message.blocks)
    assert "DR readiness* (swept" in body
    assert "2 of 4 ready" in body
    assert "`webhook`" in body
    assert "`drills`" in body
    assert "If we failed over now:* RTO" in body
    assert "never blocks an approved failover" in body

    # While it waits, the proposal shows the latest sweep.
    receiver.registered = True
    sweep(bot)
    bot.settle()
    assert "3 of 4 ready" in visible_text(slack.message(message.ts).blocks)
    assert "`webhook`" not in visible_text(slack.message(message.ts).blocks)

    for user in ("UALICE", "UBOB"):
        slack.click(ActionId.APPROVE_TYPED, user=user, message_ts=message.ts)
        [modal] = slack.wait_for(lambda u=user: slack.open_views(u) or None, what="the modal")
        assert "DR readiness check(s) not ready" in visible_text(modal.blocks)
        assert slack.submit_view(user=user, values={InputId.ENVIRONMENT: ENVIRONMENT}).on_time
    store = bot.phoenix.store
    [incident] = store.list_incidents(open_only=True)
    run_id = incident.run_ids[-1]

    def finished() -> bool:
        run = store.get_run(run_id)
        return run is not None and run.state.terminal

    wait_until(finished, timeout=20, what="the approved failover to run")
    run = store.get_run(run_id)
    assert run is not None
    assert run.state is RunState.SUCCEEDED, run.reason
    assert len(receiver.accepted) == 1

"""After a drill and after a real failover, the bot uploads the run's picture into its thread
with Slack's upload flow (through the emulator), and the thread's summary, the picture and the
report say the same RTO. An upload Slack refuses is said in the thread in words; a token that
stops working loses the picture, never the run or the reporter."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from engine.records import Surface
from engine.runs import RunState
from handlers.blocks.kit import duration_text
from handlers.ids import ActionId, InputId
from sandbox.slack import Emulator, Message, RateBudget
from sandbox.slack.visible import visible_text
from tests.e2e.scheduler_support import Bot, running_bot
from tests.e2e.support import CONFIG
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration

DRILLS = """
drills:
  - name: weekly-dr
    schedule: "0 10 * * mon"
    plan: drill-plan
    mode: rehearsal
    channel: "#dr-drills"
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
      - {name: verify-services, kind: noop, role: verification, gate: GATE}
  dr-measured:
    stages:
      - {name: check-replication-lag, kind: noop, role: catch-up}
      - {name: switch-traffic, kind: noop, role: cut-over}
      - {name: verify-services, kind: noop, role: verification}
"""
START = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)


def config(tmp: Path, *, gate: bool = False) -> str:
    plan = PLAN.replace("LEDGER", str(tmp / "l")).replace("GATE", "true" if gate else "false")
    with_plans = CONFIG.replace("plans:\n", "plans:" + plan, 1)
    return with_plans.replace("plan: dr-quick", "plan: dr-measured") + DRILLS


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator() as slack:
        slack.set_rate_budget("chat.postMessage", RateBudget(10.0, 10, scope="channel"))
        yield slack


def drill(bot: Bot) -> tuple[str, Message]:
    """Run the drill by hand, as alice; its run id and its thread's head."""
    before = {r.run_id for r in bot.phoenix.store.list_runs()}
    bot.slack.run_slash_command("/phoenix", "drill run weekly-dr", user="UALICE")
    wait_until(
        lambda: {r.run_id for r in bot.phoenix.store.list_runs()} - before, what="the drill run"
    )
    [run_id] = {r.run_id for r in bot.phoenix.store.list_runs()} - before
    head = bot.slack.wait_for(
        lambda: next(
            (m for m in bot.slack.messages("#dr-drills") if run_id in str(m.blocks)), None
        ),
        what="the drill's thread",
    )
    return run_id, head


def finished(bot: Bot, run_id: str) -> None:
    store = bot.phoenix.store
    wait_until(lambda: store.get_run(run_id).state.terminal, timeout=15, what="the run to end")  # type: ignore[union-attr]
    bot.settle()


def picture_of(slack: Emulator, reply: Message) -> Image.Image:
    [shared] = reply.files
    content = slack.file(shared["id"]).content
    assert content is not None
    return Image.open(io.BytesIO(content))


def test_a_drills_picture_lands_in_its_thread_and_says_the_rto_its_report_says(
    emulator: Emulator, tmp_path: Path
) -> None:
    with running_bot(emulator, tmp_path, config_text=config(tmp_path), start=START) as bot:
        run_id, head = drill(bot)
        finished(bot, run_id)
        replies = emulator.replies("#dr-drills", head.ts)
        [with_file] = [r for r in replies if r.files]
        assert with_file is replies[-1], "the picture follows the report"
        [report] = bot.phoenix.drills.reports("weekly-dr", limit=1)
        rto = duration_text(report.rto_seconds)
        assert with_file.text.startswith(f"Timeline of drill weekly-dr: RTO {rto}")
        picture = picture_of(emulator, with_file)
        assert picture.format == "PNG"
        assert f"RTO {rto}" in picture.text["Description"]
        assert "check-replication-lag" in picture.text["Description"]
        [summary] = [r for r in replies if r.text.startswith("Drill weekly-dr")]
        assert f"RTO measured:* {rto}" in visible_text(summary.blocks)

        methods = [c.method for c in emulator.calls() if c.method.startswith(("files.", "upload"))]
        assert methods == [
            "files.getUploadURLExternal",
            "upload_url",
            "files.completeUploadExternal",
        ]
        [completed] = emulator.calls("files.completeUploadExternal")
        assert completed.args["thread_ts"] == head.ts
        assert completed.args["channel_id"] == emulator.channel_id("#dr-drills")


def approve(slack: Emulator, user: str, proposal: Message) -> None:
    """Approve a DR proposal as a person does: the button, then the environment typed."""
    slack.click(ActionId.APPROVE_TYPED, user=user, message_ts=proposal.ts)
    slack.wait_for(lambda: slack.open_views(user) or None, what=f"{user}'s modal")
    assert slack.submit_view(user=user, values={InputId.ENVIRONMENT: "sandbox-prod"}).on_time


def test_a_failovers_summary_and_picture_say_one_rto_measured_from_its_proposal(
    emulator: Emulator, tmp_path: Path
) -> None:
    with running_bot(emulator, tmp_path, config_text=config(tmp_path), start=START) as bot:
        emulator.run_slash_command("/phoenix", "failover dr-measured", user="UCAROL")
        proposal = emulator.wait_for(
            lambda: next(iter(emulator.messages("#incidents")), None), what="the proposal"
        )
        approve(emulator, "UALICE", proposal)
        bot.clock.advance(90)  # the second approver takes a minute and a half
        approve(emulator, "UBOB", proposal)
        [run] = bot.phoenix.store.list_runs()
        finished(bot, run.run_id)
        assert bot.phoenix.store.get_run(run.run_id).state is RunState.SUCCEEDED  # type: ignore[union-attr]
        replies = emulator.replies("#incidents", proposal.ts)
        [summary] = [r for r in replies if r.text.startswith("Run succeeded")]
        [with_file] = [r for r in replies if r.files]
        rto = summary.text.removeprefix("Run succeeded: RTO ")
        assert rto.startswith("1m3"), "ninety seconds of deciding are part of the RTO"
        assert f"RTO {rto}" in picture_of(emulator, with_file).text["Description"]
        assert "proposal to verify-services" in visible_text(summary.blocks)
        assert "Run's total time" in visible_text(summary.blocks)


def test_an_upload_slack_refuses_is_said_in_the_thread_and_the_drill_goes_on(
    tmp_path: Path,
) -> None:
    with Emulator(max_file_bytes=1000) as slack:
        slack.set_rate_budget("chat.postMessage", RateBudget(10.0, 10, scope="channel"))
        with running_bot(slack, tmp_path, config_text=config(tmp_path), start=START) as bot:
            run_id, head = drill(bot)
            finished(bot, run_id)
            assert bot.phoenix.store.get_run(run_id).state is RunState.SUCCEEDED  # type: ignore[union-attr]
            last = slack.replies("#dr-drills", head.ts)[-1]
            assert last.text == (
                "The timeline picture of this run could not be uploaded: "
                "Slack said file_upload_size_restricted."
            )
            assert slack.files() == []


def test_a_token_that_stops_working_loses_the_picture_not_the_run_nor_the_reporter(
    emulator: Emulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    text = config(tmp_path, gate=True)
    with running_bot(emulator, tmp_path, config_text=text, start=START) as bot:
        run_id, _ = drill(bot)
        store = bot.phoenix.store
        wait_until(
            lambda: store.get_run(run_id).state is RunState.AWAITING_APPROVAL,  # type: ignore[union-attr]
            what="the gate",
        )
        bot.settle()
        emulator.revoke_bot_token()
        with caplog.at_level(logging.ERROR, logger="bot.reporter"):
            bot.phoenix.runner.approve_gate(
                run_id, "verify-services", actor="UALICE", surface=Surface.CLI
            ).result(timeout=15)
            finished(bot, run_id)
        assert store.get_run(run_id).state is RunState.SUCCEEDED  # type: ignore[union-attr]
        assert emulator.files() == []
        refused = [c for c in emulator.calls("files.getUploadURLExternal") if not c.ok]
        assert [c.response["error"] for c in refused] == ["invalid_auth"]
        assert any(
            "picture was not uploaded: Slack said invalid_auth" in r.getMessage()
            for r in caplog.records
        )

        emulator.restore_bot_token()
        bot.clock.advance(timedelta(minutes=5).total_seconds())
        second, head = drill(bot)
        wait_until(
            lambda: store.get_run(second).state is RunState.AWAITING_APPROVAL,  # type: ignore[union-attr]
            what="the second drill's gate",
        )
        bot.phoenix.runner.approve_gate(
            second, "verify-services", actor="UALICE", surface=Surface.CLI
        ).result(timeout=15)
        finished(bot, second)
        assert [r for r in emulator.replies("#dr-drills", head.ts) if r.files], (
            "the reporter goes on: the next drill's picture lands"
        )

"""A failed stage pauses the run and offers Retry / Skip / Abort in its thread message."""

from __future__ import annotations

from engine.runs import RunState
from handlers.ids import ActionId
from sandbox.slack import Message
from sandbox.slack.visible import visible_text
from tests.e2e.support import Rig


def _approved_manual_run(rig: Rig, plan: str) -> tuple[str, Message]:
    slack = rig.slack
    assert slack.run_slash_command("/phoenix", f"failover {plan}", user="UCAROL").on_time
    message = slack.wait_for(
        lambda: next(
            (m for m in slack.messages("#incidents") if f"`{plan}`" in visible_text(m.blocks)), None
        ),
        what=f"the proposal of {plan}",
    )
    run_id = next(r.run_id for r in rig.phoenix.store.list_runs(limit=5) if r.plan == plan)
    slack.click(ActionId.APPROVE, user="UALICE", message_ts=message.ts)
    rig.wait_state(run_id, RunState.PAUSED)
    rig.settle()
    return run_id, message


def _failed_stage_message(rig: Rig, thread_ts: str, stage: str) -> Message:
    replies = rig.slack.replies("#incidents", thread_ts)
    found = next(r for r in replies if stage in r.text)
    assert "failed" in found.text
    assert found.action_ids == [ActionId.RETRY, ActionId.SKIP, ActionId.ABORT]
    return found


def test_failed_stage_then_retry_succeeds(rig: Rig) -> None:
    slack = rig.slack
    run_id, proposal = _approved_manual_run(rig, "flaky")
    assert "Paused" in visible_text(slack.message(proposal.ts).blocks)
    failed = _failed_stage_message(rig, proposal.ts, "flaky-step")
    # Carol asked for the failover but is no approver: she cannot retry.
    slack.click(ActionId.RETRY, user="UCAROL", message_ts=failed.ts)
    notices = slack.wait_for_ephemeral("UCAROL", 2)
    assert "Only configured approvers" in notices[-1].text
    assert rig.run(run_id).state is RunState.PAUSED
    slack.click(ActionId.RETRY, user="UALICE", message_ts=failed.ts)
    rig.wait_state(run_id, RunState.SUCCEEDED)
    rig.settle()
    again = slack.message(failed.ts)
    assert "succeeded" in again.text
    assert again.action_ids == []
    assert "Succeeded" in visible_text(slack.message(proposal.ts).blocks)
    replies = slack.replies("#incidents", proposal.ts)
    assert "Run succeeded" in replies[-1].text
    assert len(replies) == 4


def test_skip_goes_on_with_the_next_stage(rig: Rig) -> None:
    slack = rig.slack
    run_id, proposal = _approved_manual_run(rig, "stuck")
    failed = _failed_stage_message(rig, proposal.ts, "broken-step")
    slack.click(ActionId.SKIP, user="UBOB", message_ts=failed.ts)
    rig.wait_state(run_id, RunState.SUCCEEDED)
    rig.settle()
    assert "skipped" in slack.message(failed.ts).text
    assert "skipped by <@UBOB>" in visible_text(slack.message(failed.ts).blocks)
    assert slack.message(failed.ts).action_ids == []


def test_abort_ends_the_run(rig: Rig) -> None:
    slack = rig.slack
    run_id, proposal = _approved_manual_run(rig, "stuck")
    failed = _failed_stage_message(rig, proposal.ts, "broken-step")
    slack.click(ActionId.ABORT, user="UALICE", message_ts=failed.ts)
    rig.wait_state(run_id, RunState.ABORTED)
    rig.settle()
    assert slack.message(failed.ts).action_ids == []
    assert "Aborted" in visible_text(slack.message(proposal.ts).blocks)
    assert "*Aborted* by <@UALICE>" in visible_text(slack.message(proposal.ts).blocks)
    replies = slack.replies("#incidents", proposal.ts)
    assert "Run aborted" in replies[-1].text
    assert "run.abort" in rig.audit(run_id)

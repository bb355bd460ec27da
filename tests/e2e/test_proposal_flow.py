"""Breach -> proposal -> approvals -> run -> progress in the thread -> summary, with the bot in
Socket Mode against the Slack emulator."""

from __future__ import annotations

import itertools

from engine.model import Level
from engine.runs import RunState
from handlers.ids import ActionId, InputId
from sandbox.slack.visible import visible_text
from tests.e2e.support import ENVIRONMENT, Rig
from tests.support.blockkit import button


def test_level3_breach_two_approvals_run_and_thread(rig: Rig) -> None:
    slack = rig.slack
    proposal = rig.breach(Level.DR_FAILOVER)
    run_id = proposal.run_id
    message = rig.posted(run_id)
    assert "Level 3" in message.text
    assert ENVIRONMENT in message.text
    assert message.action_ids == [ActionId.APPROVE_TYPED, ActionId.DECLINE, ActionId.SNOOZE]
    body = visible_text(message.blocks)
    assert "service-a" in body
    assert "down" in body
    assert "quorum" in body

    # Alice approves through the modal, typing the environment's name.
    assert slack.click(ActionId.APPROVE_TYPED, user="UALICE", message_ts=message.ts).on_time
    [_modal] = slack.wait_for(lambda: slack.open_views("UALICE") or None, what="the modal")
    wrong = slack.submit_view(user="UALICE", values={InputId.ENVIRONMENT: "production"})
    assert wrong.on_time
    assert slack.open_views("UALICE"), "a wrong name keeps the modal open"
    assert slack.submit_view(user="UALICE", values={InputId.ENVIRONMENT: ENVIRONMENT}).on_time
    rig.settle()
    assert rig.run(run_id).state is RunState.AWAITING_APPROVAL
    edited = slack.message(message.ts)
    assert "<@UALICE>" in visible_text(edited.blocks)
    assert "1 of 2" in visible_text(edited.blocks)

    # Bob (an approver through the SAPPROVERS group) gives the second approval: the run starts.
    slack.click(ActionId.APPROVE_TYPED, user="UBOB", message_ts=message.ts)
    slack.wait_for(lambda: slack.open_views("UBOB") or None, what="bob's modal")
    assert slack.submit_view(user="UBOB", values={InputId.ENVIRONMENT: ENVIRONMENT}).on_time
    rig.wait_state(run_id, RunState.SUCCEEDED)
    rig.settle()

    final = slack.message(message.ts)
    assert "Succeeded" in visible_text(final.blocks)
    assert final.action_ids == [], "no buttons once the run is over"
    assert "<@UALICE>" in visible_text(final.blocks)
    assert "<@UBOB>" in visible_text(final.blocks)
    replies = [r for r in slack.replies("#incidents", message.ts) if not r.files]
    assert len(replies) == 4, [r.text for r in replies]
    [picture] = [r for r in slack.replies("#incidents", message.ts) if r.files]
    assert picture.text.startswith("Timeline of failover dr-quick: RTO")
    for number, reply in enumerate(replies[:3], start=1):
        assert f"Stage {number}/3" in reply.text
        assert "succeeded" in reply.text
    assert "promote" in replies[1].text
    assert "100% done" in visible_text(replies[1].blocks)
    summary = replies[3]
    assert "Run succeeded" in summary.text
    assert "RTO measured" in visible_text(summary.blocks)
    assert "check-replication-lag" in visible_text(summary.blocks)
    actions = rig.audit(run_id)
    assert actions.count("approval.grant") == 2
    assert "approve.refused" in actions
    assert not slack.rate_limit_breaches()


def test_level2_approve_with_confirm_starts_the_run(rig: Rig) -> None:
    slack = rig.slack
    proposal = rig.breach(Level.REGION_FAILOVER)
    message = rig.posted(proposal.run_id)
    assert message.action_ids[0] == ActionId.APPROVE
    dialog = button(message.blocks, "Approve")["confirm"]
    assert dialog["title"]["text"] == "Start this plan?"
    assert dialog["confirm"]["text"] == "Approve"
    assert slack.click(ActionId.APPROVE, user="UDAVE", message_ts=message.ts).on_time
    rig.wait_state(proposal.run_id, RunState.SUCCEEDED)
    rig.settle()
    replies = slack.replies("#incidents", message.ts)
    assert len([r for r in replies if not r.files]) == 4, "three stages and the summary"
    assert [r.files[0]["mimetype"] for r in replies if r.files] == ["image/png"]


def test_edits_are_at_most_one_a_second_per_message(rig: Rig) -> None:
    slack = rig.slack
    proposal = rig.breach(Level.REGION_FAILOVER)
    message = rig.posted(proposal.run_id)
    slack.click(ActionId.APPROVE, user="UALICE", message_ts=message.ts)
    rig.wait_state(proposal.run_id, RunState.SUCCEEDED)
    rig.settle()
    updates = slack.calls("chat.update")
    by_ts: dict[str, list[float]] = {}
    for call in updates:
        if call.ok:
            by_ts.setdefault(str(call.args["ts"]), []).append(call.at)
    for times in by_ts.values():
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert all(gap >= 0.95 for gap in gaps), gaps

"""Who may click what, and what a refused, repeated or doubled click does (nothing, but say so)."""

from __future__ import annotations

import threading

from engine.model import Level
from engine.runs import RunState
from handlers.ids import ActionId, InputId
from sandbox.slack.visible import visible_text
from tests.e2e.support import Rig


def test_an_unauthorised_approver_is_told_and_audited(rig: Rig) -> None:
    slack = rig.slack
    proposal = rig.breach(Level.REGION_FAILOVER)
    message = rig.posted(proposal.run_id)
    assert slack.click(ActionId.APPROVE, user="UCAROL", message_ts=message.ts).on_time
    [notice] = slack.wait_for_ephemeral("UCAROL", 1)
    assert "not one of them" in notice.text
    assert rig.run(proposal.run_id).state is RunState.AWAITING_APPROVAL
    assert "approve.refused" in rig.audit(proposal.run_id)
    assert rig.phoenix.store.list_approvals(proposal.run_id) == []


def test_the_same_person_cannot_approve_twice(rig: Rig) -> None:
    slack = rig.slack
    proposal = rig.breach(Level.DR_FAILOVER)
    message = rig.posted(proposal.run_id)
    for _ in range(2):
        slack.click(ActionId.APPROVE_TYPED, user="UALICE", message_ts=message.ts)
        # The modal (or the refusal) follows the ack, as on Slack: wait for it as a person does.
        slack.wait_for(
            lambda: slack.open_views("UALICE") or slack.ephemeral("UALICE"),
            what="the approval modal or a refusal for UALICE",
        )
        if slack.open_views("UALICE"):
            slack.submit_view(user="UALICE", values={InputId.ENVIRONMENT: "sandbox-prod"})
    [notice] = slack.wait_for_ephemeral("UALICE", 1)
    assert "already" in notice.text
    assert [a.user for a in rig.phoenix.store.list_approvals(proposal.run_id)] == ["UALICE"]
    assert rig.run(proposal.run_id).state is RunState.AWAITING_APPROVAL


def test_a_double_click_starts_one_run(rig: Rig) -> None:
    slack = rig.slack
    proposal = rig.breach(Level.REGION_FAILOVER)
    message = rig.posted(proposal.run_id)
    clicks = [
        threading.Thread(
            target=slack.click,
            args=(ActionId.APPROVE,),
            kwargs={"user": "UALICE", "message_ts": message.ts},
        )
        for _ in range(2)
    ]
    for click in clicks:
        click.start()
    for click in clicks:
        click.join()
    rig.wait_state(proposal.run_id, RunState.SUCCEEDED)
    rig.settle()
    starts = [a for a in rig.audit(proposal.run_id) if a == "run.start"]
    assert starts == ["run.start"]
    assert len(rig.phoenix.store.list_approvals(proposal.run_id)) == 1
    replies = slack.replies("#incidents", message.ts)
    assert len([r for r in replies if not r.files]) == 4, "one thread, not two"
    assert len([r for r in replies if r.files]) == 1, "one picture of the one run"


def test_level3_requester_cannot_approve_their_own_failover(rig: Rig) -> None:
    slack = rig.slack
    slack.run_slash_command("/phoenix", "failover dr-quick", user="UALICE")
    message = slack.wait_for(
        lambda: next(
            (m for m in slack.messages("#incidents") if "dr-quick" in visible_text(m.blocks)), None
        ),
        what="the manual proposal",
    )
    slack.click(ActionId.APPROVE_TYPED, user="UALICE", message_ts=message.ts)
    [proposing, notice] = slack.wait_for_ephemeral("UALICE", 2)
    assert "Proposing plan dr-quick" in proposing.text
    assert "asked for this failover" in notice.text
    assert slack.open_views("UALICE") == []


def test_decline_asks_for_a_reason_and_closes_the_proposal(rig: Rig) -> None:
    slack = rig.slack
    proposal = rig.breach(Level.REGION_FAILOVER)
    message = rig.posted(proposal.run_id)
    slack.click(ActionId.DECLINE, user="UBOB", message_ts=message.ts)
    slack.wait_for(lambda: slack.open_views("UBOB") or None, what="the decline modal")
    assert slack.submit_view(
        user="UBOB", values={InputId.REASON: "a known blip <maintenance>"}
    ).on_time
    rig.wait_state(proposal.run_id, RunState.ABORTED)
    rig.settle()
    edited = slack.message(message.ts)
    assert "Declined" in visible_text(edited.blocks)
    assert "a known blip &lt;maintenance&gt;" in visible_text(edited.blocks)
    assert "*Declined* by <@UBOB>: a known blip" in visible_text(edited.blocks)
    assert edited.action_ids == []
    assert "proposal.decline" in rig.audit(proposal.run_id)


def test_snooze_silences_and_closes(rig: Rig) -> None:
    slack = rig.slack
    proposal = rig.breach(Level.REGION_FAILOVER)
    message = rig.posted(proposal.run_id)
    slack.click(ActionId.SNOOZE, user="UALICE", message_ts=message.ts)
    rig.wait_state(proposal.run_id, RunState.ABORTED)
    rig.settle()
    assert "Snoozed" in visible_text(slack.message(message.ts).blocks)
    assert "*Snoozed* by <@UALICE> until" in visible_text(slack.message(message.ts).blocks)
    assert rig.phoenix.store.list_silences()
    # While snoozed, a breach proposes nothing; the snoozed proposal's thread says so.
    held = rig.evaluate(Level.REGION_FAILOVER)
    assert held.incidents.proposed is None
    assert held.judgement.held, "held back by the silence"
    rig.settle()
    notes = [visible_text(r.blocks) for r in slack.replies("#incidents", message.ts)]
    assert any("held back by a silence" in n and "<@UALICE>" in n for n in notes), notes


def test_a_slack_retry_of_an_event_has_no_second_effect(rig: Rig) -> None:
    slack = rig.slack
    first = slack.open_app_home("UALICE")
    assert first.on_time
    slack.wait_for(lambda: slack.home_view("UALICE"), what="the home tab")
    again = slack.redeliver(first.envelope_id, retry_num=1)
    assert again.on_time
    rig.settle()
    assert len(slack.calls("views.publish")) == 1

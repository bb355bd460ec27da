"""People are named as Slack shows them (a mention, ``<@U…>``), never by a bare user id, in every
message that says who did something; what they typed is escaped. The engine keeps the ids as
typed fields; the handlers render them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from engine.drills.desk import DrillOutcome
from engine.incidents.proposals import EndedBy, Proposal, ProposalRecord, Stand
from engine.records import BOT, Approval, Decision, Surface
from engine.runner.projection import RunProjection
from engine.runs import EventKind, ProgressEvent, Run, RunMode, RunState
from handlers import blocks
from sandbox.slack.blockkit import message_problems
from sandbox.slack.visible import visible_text
from tests.unit.test_blocks import empty_status
from tests.unit.test_handler_encodings import DRILL

T0 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


def named_only_by_mention(text: str, *users: str) -> bool:
    """Each of ``users`` appears, and only inside a mention."""
    return all(f"<@{u}>" in text and text.count(u) == text.count(f"<@{u}>") for u in users)


def proposal(
    stand: Stand,
    *,
    ended_by: EndedBy | None = None,
    note: str = "",
    manual: bool = True,
    approvals: tuple[Approval, ...] = (),
) -> Proposal:
    record = ProposalRecord(
        run_id="run-1",
        plan="region-failover",
        level=2,
        score=8,
        environment="production",
        reason="asked for by hand" if manual else "score 8",
        requested_by="UCAROL" if manual else BOT,
        manual=manual,
        required=1,
        created_at=T0,
        expires_at=T0 + timedelta(minutes=30),
    )
    run = Run("run-1", record.plan, "v1", ("a",), RunMode.LIVE, RunState.ABORTED, T0, "UCAROL")
    return Proposal(record, run, approvals, stand, ended_by, note)


def shown(proposal: Proposal) -> str:
    rendered = blocks.proposal_message(proposal)
    assert message_problems(rendered.text, rendered.blocks) == []
    return visible_text(rendered.blocks)


def test_who_asked_for_a_proposal_by_hand() -> None:
    text = shown(proposal(Stand.AWAITING))
    assert "*Why:* asked for by hand by <@UCAROL>" in text
    assert "Requested by <@UCAROL>, who cannot approve it." in text
    assert named_only_by_mention(text, "UCAROL")


def test_who_declined_and_why_in_their_own_escaped_words() -> None:
    ended = EndedBy("UBOB", Surface.SLACK, reason="a known blip <!channel> & more")
    text = shown(proposal(Stand.DECLINED, ended_by=ended, note="declined: a known blip"))
    assert "*Declined* by <@UBOB>: a known blip &lt;!channel&gt; &amp; more" in text
    assert named_only_by_mention(text, "UBOB", "UCAROL")


def test_who_snoozed_and_until_when() -> None:
    ended = EndedBy("UALICE", Surface.SLACK, until=T0 + timedelta(hours=1))
    text = shown(proposal(Stand.SNOOZED, ended_by=ended))
    assert "*Snoozed* by <@UALICE> until 10:00 UTC" in text
    assert named_only_by_mention(text, "UALICE")


def test_who_aborted_and_what_the_bot_ended_itself() -> None:
    by_hand = shown(proposal(Stand.ABORTED, ended_by=EndedBy("UALICE", Surface.SLACK)))
    assert "*Aborted* by <@UALICE>" in by_hand
    withdrawn = shown(
        proposal(
            Stand.ABORTED,
            ended_by=EndedBy(BOT, Surface.SYSTEM),
            note="withdrawn: the incident resolved by itself",
            manual=False,
        )
    )
    assert "*Aborted* — withdrawn: the incident resolved by itself" in withdrawn
    assert "<@phoenix>" not in withdrawn


def test_an_approval_and_a_decline_from_the_command_line_say_so() -> None:
    approval = Approval("run-1", "UALICE", Decision.APPROVE, T0, Surface.CLI)
    ended = EndedBy("UDAVE", Surface.CLI, reason="not now")
    text = shown(proposal(Stand.DECLINED, ended_by=ended, approvals=(approval,)))
    assert "Approved by <@UALICE> at 09:00:00 UTC via the command line" in text
    assert "*Declined* by <@UDAVE> via the command line: not now" in text


def test_who_skipped_a_stage() -> None:
    run = Run("run-1", "p", "v1", ("a", "b"), RunMode.LIVE, RunState.RUNNING, T0, "UCAROL")
    skipped = ProgressEvent(
        "run-1", EventKind.STAGE_SKIPPED, T0, stage="a", message="skipped by UBOB", by="UBOB"
    )
    [view] = RunProjection(run).apply(skipped)
    text = visible_text(blocks.stage_message(view).blocks)
    assert "skipped by <@UBOB>" in text
    assert named_only_by_mention(text, "UBOB")


@pytest.mark.parametrize("verb", ["skip", "1h"])
def test_a_drill_skipped_already_names_who_skipped_it(verb: str) -> None:
    refused = DrillOutcome(False, "This drill was skipped already", DRILL, by="UBOB")
    said = blocks.drill_done(refused, "UALICE", verb)
    assert said == "This drill was skipped already by <@UBOB>."
    assert blocks.drill_refusal(refused) == said


def test_status_names_who_asked_for_the_proposal_it_explains() -> None:
    report = replace(empty_status(), reason="asked for by hand", requested_by="UCAROL")
    text = visible_text(blocks.status_message(report).blocks)
    assert "*Why:* asked for by hand by <@UCAROL>" in text
    assert named_only_by_mention(text, "UCAROL")

"""The Block Kit builders: every surface passes the emulator's (strict) Block Kit checks, and
shows what a person needs, with the buttons that still make sense."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from engine.config import Drill
from engine.drills.desk import AgendaItem
from engine.drills.report import DrillReport
from engine.drills.schedule import Occurrence
from engine.incidents.proposals import Proposal, ProposalRecord, SignalLine, Stand
from engine.model import Level
from engine.records import Approval, Decision, Surface
from engine.runner.projection import RunSummary, StageView
from engine.runs import Run, RunMode, RunState
from engine.status import StatusReport
from handlers import blocks
from handlers.ids import ActionId
from sandbox.slack.blockkit import message_problems, view_problems
from sandbox.slack.visible import visible_text

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def proposal(level: int = 2, stand: Stand = Stand.AWAITING, note: str = "") -> Proposal:
    record = ProposalRecord(
        run_id="run-1",
        plan="dr-azure" if level == 3 else "region-failover",
        level=level,
        score=12,
        environment="production",
        breakdown=(
            SignalLine(signal="service-a", status="down", value=None, points=4),
            SignalLine(signal="replication-lag", status="degraded", value=75.0, points=1),
        ),
        reason="score 12 <b>; quorum: loss confirmed from external, cross-cloud",
        requested_by="phoenix",
        manual=False,
        required=2 if level == 3 else 1,
        created_at=T0,
        expires_at=T0 + timedelta(minutes=30),
    )
    run = Run(
        "run-1", record.plan, "v1", ("a",), RunMode.LIVE, RunState.AWAITING_APPROVAL, T0, "phoenix"
    )
    approvals = (Approval("run-1", "UALICE", Decision.APPROVE, T0, Surface.SLACK),)
    return Proposal(record, run, approvals, stand, note=note)


@pytest.mark.parametrize("stand", list(Stand))
def test_proposal_message_in_every_stand(stand: Stand) -> None:
    rendered = blocks.proposal_message(proposal(3, stand, note="why <not>"))
    assert rendered.text
    assert message_problems(rendered.text, rendered.blocks) == []
    body = visible_text(rendered.blocks)
    assert "Level 3" in body
    assert "production" in body
    assert "score 12" in body
    assert "replication-lag` degraded (75)" in body
    assert "&lt;b&gt;" in body, "the reason is escaped"
    assert "<@UALICE>" in body
    buttons = [
        a["action_id"] for b in rendered.blocks if b["type"] == "actions" for a in b["elements"]
    ]
    if stand is Stand.AWAITING:
        assert buttons == [ActionId.APPROVE_TYPED, ActionId.DECLINE, ActionId.SNOOZE]
    else:
        assert buttons == []


def test_level2_approve_has_a_confirm_dialog() -> None:
    rendered = blocks.proposal_message(proposal(2))
    actions = next(b for b in rendered.blocks if b["type"] == "actions")
    approve = actions["elements"][0]
    assert approve["action_id"] == ActionId.APPROVE
    assert approve["confirm"]["confirm"]["text"] == "Approve"


def test_stage_message_and_controls() -> None:
    view = StageView("run-1", "promote", 2, 5, "failed", "boom", 0.5, 12.0, 2, controls=True)
    rendered = blocks.stage_message(view)
    assert message_problems(rendered.text, rendered.blocks) == []
    assert "Stage 2 of 5" in visible_text(rendered.blocks)
    assert "50% done" in visible_text(rendered.blocks)
    assert "12s" in visible_text(rendered.blocks)
    assert [e["action_id"] for e in rendered.blocks[-1]["elements"]] == [
        ActionId.RETRY,
        ActionId.SKIP,
        ActionId.ABORT,
    ]


def test_summary_message_says_rto_and_rpo() -> None:
    summary = RunSummary(
        "run-1",
        "dr-azure",
        RunState.SUCCEEDED,
        800.0,
        900.0,
        300.0,
        (("check-replication-lag", "succeeded", 3.0),),
        ("check-replication-lag: lag 42s",),
        rto_seconds=754.0,
        rto_basis="proposal to verify-services on the DR side",
        rpo_seconds=42.0,
    )
    rendered = blocks.summary_message(summary)
    assert message_problems(rendered.text, rendered.blocks) == []
    text = visible_text(rendered.blocks)
    assert "RTO measured:* 12m34s (objective 15m) — within the objective" in text
    assert "proposal to verify-services" in text
    assert "RPO evidence:* replication lag 42s (objective 5m)" in text
    assert "lag 42s" in text
    assert "Run's total time:* 13m20s" in text, "the run's own time, labelled as such"
    assert rendered.text == "Run succeeded: RTO 12m34s"


def empty_status() -> StatusReport:
    return StatusReport(
        environment="production",
        evaluated_at=None,
        score=None,
        level=Level.NONE,
        reason="no evaluation yet",
        breakdown=(),
        incident=None,
        run=None,
        proposal=None,
        stage=None,
        silences=(),
        drills=(),
        last_drill=None,
    )


def test_status_and_home_before_anything_happened() -> None:
    rendered = blocks.status_message(empty_status())
    assert message_problems(rendered.text, rendered.blocks) == []
    assert "never" in visible_text(rendered.blocks)
    home = blocks.home_view(empty_status())
    assert view_problems(home, expected="home") == []
    assert "no drills scheduled" in visible_text(home["blocks"])
    assert "none yet" in visible_text(home["blocks"])


def test_modals_pass_the_checks() -> None:
    assert view_problems(blocks.approve_modal(proposal(3)), expected="modal") == []
    assert view_problems(blocks.decline_modal(proposal(3)), expected="modal") == []


def test_usage_and_help() -> None:
    usage = blocks.usage_message("unknown subcommand 'x' <&>", "status")
    assert message_problems(usage.text, usage.blocks) == []
    assert "Did you mean `/phoenix status`?" in usage.text
    assert "&lt;&amp;&gt;" in visible_text(usage.blocks)


def test_drill_list_home_and_status_show_the_next_firing_in_the_drills_zone_and_in_utc() -> None:
    tuesday = datetime(2026, 1, 6, 9, tzinfo=UTC)
    july = datetime(2026, 7, 7, 8, tzinfo=UTC)
    agenda = (
        AgendaItem(
            Drill(name="weekly-dr", schedule="0 10 * * tue", timezone="Europe/Berlin"),
            Occurrence("weekly-dr", tuesday, tuesday),
            None,
        ),
        AgendaItem(
            Drill(name="quarterly", schedule="0 4 * 1,4,7,10 2#1", timezone="America/New_York"),
            Occurrence("quarterly", july, july),
            None,
        ),
        AgendaItem(
            Drill(name="preflight", schedule="0 12 * * *"), Occurrence("preflight", T0, T0), None
        ),
    )
    berlin = (
        "weekly-dr (dry-run) due 2026-01-06 09:00:00 UTC, Tue 2026-01-06 10:00 CET (Europe/Berlin)"
    )
    new_york = (
        "quarterly (dry-run) due 2026-07-07 08:00:00 UTC, "
        "Tue 2026-07-07 04:00 EDT (America/New_York)"
    )
    listing = blocks.drill_list_message(agenda)
    home = blocks.home_view(replace(empty_status(), agenda=agenda))
    status = blocks.status_message(replace(empty_status(), agenda=agenda))
    assert message_problems(listing.text, listing.blocks) == []
    assert view_problems(home, expected="home") == []
    for shown in (
        visible_text(listing.blocks),
        visible_text(home["blocks"]),
        visible_text(status.blocks),
    ):
        assert berlin in shown
        assert new_york in shown
        assert "preflight (dry-run) due 2026-01-01 00:00:00 UTC" in shown
        assert "00:00 UTC (UTC)" not in shown, "a UTC drill's time is said once"
    announced = blocks.drill_announcement(agenda[0].drill, agenda[0].occurrence)
    assert (
        "*When:* *2026-01-06 09:00:00 UTC* — Tue 2026-01-06 10:00 CET (Europe/Berlin)"
        in visible_text(announced.blocks)
    )


@pytest.mark.parametrize(("passed", "said"), [(True, "passed"), (False, "failed")])
def test_a_finished_drills_header_says_its_verdict_in_plain_bold(passed: bool, said: str) -> None:
    run = Run("run-9", "dr-azure", "v1", ("a",), RunMode.REHEARSAL, RunState.SUCCEEDED, T0, "UA")
    report = DrillReport(
        drill="weekly-dr",
        run_id="run-9",
        plan="dr-azure",
        mode=RunMode.REHEARSAL,
        state=RunState.SUCCEEDED,
        started_at=T0,
        finished_at=T0 + timedelta(minutes=4),
        stages=(),
        rto_seconds=200.0,
        rto_basis="drill start to verify",
        rpo_seconds=4.0,
        rpo_evidence="replication lag 4s",
        rto_objective=900.0,
        rpo_objective=300.0,
        passed=passed,
        verdict=(),
    )
    rendered = blocks.drill_header("weekly-dr", run, report)
    assert message_problems(rendered.text, rendered.blocks) == []
    body = visible_text(rendered.blocks)
    assert f"*Drill {said}* — report in the thread" in body
    assert "**" not in body, "no bold inside bold: Slack would show the asterisks"

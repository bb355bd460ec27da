"""What handlers encode for Slack and decode from it: a drill button's value, and people as
Slack mentions (the engine keeps only their user ids)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from engine.config import Drill
from engine.drills.desk import DrillOutcome
from engine.drills.schedule import Occurrence
from engine.model import Level
from engine.records import Silence
from engine.status import StatusReport
from handlers import blocks
from handlers.payloads import DrillButton
from sandbox.slack.blockkit import message_problems
from sandbox.slack.visible import visible_text
from tests.support.blockkit import button

SCHEDULED = datetime(2026, 1, 6, 9, 0, tzinfo=UTC)
DRILL = Drill(name="weekly-dr", schedule="0 10 * * tue", timezone="Europe/Berlin")
OCCURRENCE = Occurrence("weekly-dr", SCHEDULED, SCHEDULED + timedelta(hours=1))


def test_a_drill_button_decodes_to_the_occurrence_it_was_rendered_for() -> None:
    rendered = blocks.drill_announcement(DRILL, OCCURRENCE)
    value = button(rendered.blocks, "Postpone 1 hour")["value"]
    decoded = DrillButton.decode(value)
    assert decoded == DrillButton("weekly-dr", OCCURRENCE.scheduled, OCCURRENCE.due)
    assert decoded == DrillButton.of(OCCURRENCE)


def test_a_button_of_an_announcement_posted_before_an_upgrade_still_decodes() -> None:
    posted = "weekly-dr|2026-01-06T09:00:00+00:00|2026-01-06T10:00:00+00:00"
    assert DrillButton.decode(posted) == DrillButton.of(OCCURRENCE)


def test_a_drill_name_with_the_separator_in_it_round_trips() -> None:
    odd = DrillButton("dr|eu", SCHEDULED, SCHEDULED)
    assert DrillButton.decode(odd.encode()) == odd


@pytest.mark.parametrize(
    "value",
    ["", "run-20260106-ab12", "weekly-dr|tuesday|2026-01-06T10:00:00+00:00", "a|b"],
)
def test_a_value_that_is_not_a_drill_buttons_decodes_to_nothing(value: str) -> None:
    assert DrillButton.decode(value) is None


def test_what_people_did_to_a_drill_names_them_with_a_mention() -> None:
    postponed = replace(OCCURRENCE, due=OCCURRENCE.due + timedelta(hours=1))
    assert (
        blocks.drill_done(DrillOutcome(True, "", DRILL, postponed), "UALICE", "1h")
        == "<@UALICE> postponed drill weekly-dr by 1h to 2026-01-06 11:00 UTC."
    )
    skipped = replace(OCCURRENCE, skipped_by="UBOB")
    assert (
        blocks.drill_done(DrillOutcome(True, "", DRILL, skipped), "UBOB", "skip")
        == "<@UBOB> skipped drill weekly-dr due 2026-01-06 10:00 UTC."
    )
    assert (
        blocks.drill_done(DrillOutcome(True, "", DRILL), "UCAROL", "run")
        == "Drill weekly-dr started by <@UCAROL>."
    )


def test_a_refused_drill_click_is_told_the_reason_as_the_engine_gave_it() -> None:
    refused = DrillOutcome(False, "Only configured approvers may skip a drill.", DRILL)
    assert blocks.drill_done(refused, "UCAROL", "skip") == refused.explanation


def test_the_announcement_names_who_postponed_and_who_skipped() -> None:
    note = blocks.drill_announcement(DRILL, replace(OCCURRENCE, skipped_by="UBOB"))
    assert "*skipped* by <@UBOB>" in visible_text(note.blocks)


def test_status_names_who_silenced_proposals_before_the_other_reasons_they_are_held() -> None:
    silence = Silence(
        "sil-1", "db <maintenance>", "UALICE", SCHEDULED, SCHEDULED + timedelta(hours=2)
    )
    report = StatusReport(
        environment="production",
        evaluated_at=SCHEDULED,
        score=8,
        level=Level.NONE,
        reason="score 8; proposal held back: silenced until 2026-01-06 11:00 UTC",
        breakdown=(),
        incident=None,
        run=None,
        proposal=None,
        stage=None,
        silences=(silence,),
        drills=(),
        last_drill=None,
        held=("cool-down after the last failover until 2026-01-06 12:00 UTC",),
    )
    rendered = blocks.status_message(report)
    assert message_problems(rendered.text, rendered.blocks) == []
    assert (
        "*Proposals held back:* silenced until 2026-01-06 11:00 UTC by <@UALICE>; "
        "cool-down after the last failover until 2026-01-06 12:00 UTC"
    ) in visible_text(rendered.blocks)
    assert "(db &lt;maintenance&gt;)" in visible_text(rendered.blocks)

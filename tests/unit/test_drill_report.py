"""The drill report, pure: RTO and RPO measured against the objectives, pass or fail, the
trend over earlier drills, and a lag read from a stage's words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from engine.config import Objectives
from engine.drills.report import lag_seconds, measure
from engine.runs import Run, RunMode, RunState, StageRecord, StageState

T0 = datetime(2026, 1, 5, 0, 0, tzinfo=UTC)


def at(minutes: float = 0) -> datetime:
    return T0 + timedelta(minutes=minutes)


def drill_run(mode: RunMode = RunMode.REHEARSAL, state: RunState = RunState.SUCCEEDED) -> Run:
    return Run(
        "r1",
        "dr-azure",
        "v1",
        ("check-replication-lag", "deploy-services", "switch-traffic", "verify-services"),
        mode,
        state,
        at(),
        "phoenix",
        started_at=at(),
        finished_at=at(minutes=13),
        reason="" if state is RunState.SUCCEEDED else "stage deploy-services failed",
    )


def stage(
    name: str, start: float, end: float, summary: str = "", state: StageState = StageState.SUCCEEDED
) -> StageRecord:
    return StageRecord(
        "r1",
        name,
        state,
        started_at=at(minutes=start),
        finished_at=at(minutes=end),
        summary=summary,
    )


STAGES = [
    stage("check-replication-lag", 0, 1, "replication lag 42s"),
    stage("deploy-services", 1, 9),
    stage("switch-traffic", 9, 9, "not part of a drill rehearsal", StageState.SKIPPED),
    stage("verify-services", 9, 12),
]


def test_a_drill_within_the_objectives_passes_with_rto_and_rpo_measured() -> None:
    report = measure("weekly", drill_run(), STAGES, Objectives())
    assert report.passed
    assert report.rto_seconds == 12 * 60
    assert "verify-services" in report.rto_basis
    assert report.rpo_seconds == 42
    assert "check-replication-lag" in report.rpo_evidence
    assert [s.seconds for s in report.stages] == [60, 480, 0, 180]
    assert report.trend_word == "no trend yet"


def test_over_the_objectives_or_unmeasured_fails() -> None:
    slow = measure("weekly", drill_run(), STAGES, Objectives(rto=timedelta(minutes=10)))
    assert not slow.passed
    assert any("over the objective" in v for v in slow.verdict)
    lagging = measure("weekly", drill_run(), STAGES, Objectives(rpo=timedelta(seconds=30)))
    assert not lagging.passed
    unmeasured = measure("weekly", drill_run(), STAGES[1:], Objectives())
    assert not unmeasured.passed
    assert unmeasured.rpo_seconds is None
    failed = measure("weekly", drill_run(state=RunState.FAILED), STAGES[:2], Objectives())
    assert not failed.passed
    assert failed.rto_seconds is None


def test_a_dry_run_passes_when_every_precondition_holds_and_measures_nothing() -> None:
    report = measure("weekly", drill_run(RunMode.DRY_RUN), STAGES, Objectives())
    assert report.passed
    assert report.rto_seconds is None
    failed = measure("weekly", drill_run(RunMode.DRY_RUN, RunState.FAILED), STAGES, Objectives())
    assert not failed.passed


def test_the_trend_compares_with_earlier_drills() -> None:
    first = measure("weekly", drill_run(), STAGES, Objectives())
    earlier = first.model_copy(update={"run_id": "r0", "rto_seconds": 900.0})
    report = measure("weekly", drill_run(), STAGES, Objectives(), [earlier])
    assert [p.run_id for p in report.trend] == ["r0"]
    assert report.trend_word == "faster"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("replication lag 12s", 12), ("lag: 1.5 min", 90), ("lag 300ms", 0.3), ("no lag info", None)],
)
def test_lag_read_from_a_stage_summary(text: str, seconds: float | None) -> None:
    assert lag_seconds(text) == seconds

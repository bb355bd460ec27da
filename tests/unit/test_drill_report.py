"""The drill report, pure: RTO and RPO measured against the objectives by the stages' roles
(never their names), pass or fail, the trend over earlier drills, and a lag read from a
stage's words."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from engine.config import Objectives, PhoenixConfig, parse_config
from engine.drills.report import measure
from engine.plans.model import Plan, parse_plan, plan_book
from engine.recovery import lag_seconds
from engine.runs import LAG_FACT, Run, RunMode, RunState, StageRecord, StageRole, StageState

EXAMPLE = Path(__file__).parents[2] / "examples" / "phoenix.yaml"

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
        roles={
            "check-replication-lag": StageRole.CATCH_UP,
            "switch-traffic": StageRole.CUT_OVER,
            "verify-services": StageRole.VERIFICATION,
        },
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
    assert report.verdict == (
        "RTO 12m within the objective of 15m",
        "replication lag 42s within the RPO of 5m",
    ), "said in the figures the report's other lines use"


def test_over_the_objectives_or_unmeasured_fails() -> None:
    slow = measure("weekly", drill_run(), STAGES, Objectives(rto=timedelta(minutes=10)))
    assert not slow.passed
    assert "RTO 12m is over the objective of 10m" in slow.verdict
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


# ----------------------------------------------------------------------------- roles, not names

CUSTOM_DR = """
description: our own DR runbook, in our own words
stages:
  - {name: replica-caught-up, kind: manual, role: catch-up, params: {instruction: check lag}}
  - {name: blobs-copied, kind: manual, role: catch-up, params: {instruction: copy blobs}}
  - {name: db-tier, kind: manual, params: {instruction: scale the database}}
  - {name: pods-up, kind: manual, params: {instruction: scale the pods}}
  - {name: dns-flip, kind: manual, role: cut-over, params: {instruction: flip DNS}}
  - {name: smoke-check, kind: jenkins_job, role: verification, params: {job: dr/smoke}}
  - {name: page-n8n, kind: manual, role: notification, params: {instruction: tell n8n}}
"""

MINUTES = [(0, 1), (0, 2), (2, 6), (2, 7), (7, 7), (7, 10), (10, 11)]
"""Per position in a seven-stage DR plan: when each stage started and ended (minutes)."""


def rehearsal_of(plan: Plan, minutes: Sequence[tuple[float, float]] = MINUTES) -> Run:
    """A rehearsal of ``plan`` as the runner records it: its stages and their roles."""
    return Run(
        "r1",
        plan.name,
        plan.version,
        tuple(s.name for s in plan.stages),
        RunMode.REHEARSAL,
        RunState.SUCCEEDED,
        at(),
        "phoenix",
        started_at=at(),
        finished_at=at(minutes=minutes[-1][1]),
        roles=plan.roles(),
    )


def records_of(
    plan: Plan, minutes: Sequence[tuple[float, float]] = MINUTES, lag: float = 42.0
) -> list[StageRecord]:
    """Every stage succeeded in its slot; the cut-over skipped, as a rehearsal does; the first
    stage measured the replication lag."""
    records = []
    for number, (stage, (start, end)) in enumerate(zip(plan.stages, minutes, strict=True)):
        state = StageState.SKIPPED if stage.role is StageRole.CUT_OVER else StageState.SUCCEEDED
        facts = {LAG_FACT: lag} if number == 0 else {}
        records.append(
            StageRecord(
                "r1",
                stage.name,
                state,
                started_at=at(minutes=start),
                finished_at=at(minutes=end),
                summary=f"replication lag {lag:g}s" if number == 0 else "done",
                facts=facts,
            )
        )
    return records


@pytest.mark.parametrize("configured", [False, True], ids=["manual steps", "configured kinds"])
def test_a_custom_plan_whose_verification_is_called_smoke_check_measures_the_built_in_rto(
    configured: bool,
) -> None:
    config = parse_config(EXAMPLE.read_text()) if configured else PhoenixConfig()
    builtin = plan_book(config)["dr-azure"]
    custom = parse_plan("our-dr", yaml.safe_load(CUSTOM_DR))
    assert len(builtin.stages) == len(custom.stages) == len(MINUTES)

    ours = measure("weekly", rehearsal_of(custom), records_of(custom), Objectives())
    theirs = measure("weekly", rehearsal_of(builtin), records_of(builtin), Objectives())
    assert ours.rto_seconds == theirs.rto_seconds == 10 * 60
    assert "smoke-check" in ours.rto_basis
    assert "verify-services" in theirs.rto_basis
    assert ours.rpo_seconds == theirs.rpo_seconds == 42
    assert "replica-caught-up" in ours.rpo_evidence
    assert ours.passed
    assert theirs.passed


def test_a_stage_name_alone_measures_nothing() -> None:
    named = parse_plan(
        "by-name",
        {
            "stages": [
                {"name": "check-replication-lag", "kind": "noop"},
                {"name": "switch-traffic", "kind": "noop", "drill": False},
                {"name": "verify-services", "kind": "noop"},
            ]
        },
    )
    minutes = [(0, 1), (1, 1), (1, 3)]
    report = measure(
        "weekly", rehearsal_of(named, minutes), records_of(named, minutes), Objectives()
    )
    assert report.rto_seconds is None
    assert report.rto_basis == "the plan has no verification or cut-over stage to end the RTO clock"
    assert report.rpo_seconds is None
    assert not report.passed


def test_a_verification_before_the_cut_over_does_not_stop_the_clock() -> None:
    failback = plan_book(PhoenixConfig())["failback"]
    assert failback.stage("check-primary").role is StageRole.VERIFICATION
    minutes = [(0, 1), (1, 2), (2, 3), (3, 4), (4, 6), (6, 8), (6, 8), (8, 9)]
    records = [
        StageRecord(
            "r1",
            stage.name,
            StageState.SUCCEEDED,
            started_at=at(minutes=start),
            finished_at=at(minutes=end),
            summary="lag 7s" if stage.name == "sync-objects-back" else "lag 99s",
        )
        for stage, (start, end) in zip(failback.stages, minutes, strict=True)
    ]
    report = measure("back", rehearsal_of(failback, minutes), records, Objectives())
    assert report.rto_seconds == 6 * 60
    assert "verify-services" in report.rto_basis
    assert report.rpo_seconds == 7, "only a catch-up stage before the cut-over is RPO evidence"


def cut_over_last(cut_over: StageState) -> tuple[Run, list[StageRecord]]:
    plan = parse_plan(
        "flip",
        {
            "stages": [
                {"name": "lag", "kind": "noop", "role": "catch-up"},
                {"name": "flip", "kind": "noop", "role": "cut-over"},
                {"name": "tell", "kind": "noop", "role": "notification"},
            ]
        },
    )
    minutes = [(0, 1), (1, 4), (4, 5)]
    records = records_of(plan, minutes)
    records[1] = StageRecord(
        "r1", "flip", cut_over, started_at=at(minutes=1), finished_at=at(minutes=4)
    )
    return rehearsal_of(plan, minutes), records


def test_with_no_verification_after_it_the_cut_over_ends_the_clock() -> None:
    report = measure("flip", *cut_over_last(StageState.SUCCEEDED), Objectives())
    assert report.rto_seconds == 4 * 60
    assert "flip, the cut-over" in report.rto_basis
    skipped = measure("flip", *cut_over_last(StageState.SKIPPED), Objectives())
    assert skipped.rto_seconds is None
    assert skipped.rto_basis == "the cut-over flip did not succeed"


def test_a_measured_lag_fact_is_preferred_to_a_lag_in_words() -> None:
    run = drill_run()
    records = [
        StageRecord(
            "r1",
            "check-replication-lag",
            StageState.SUCCEEDED,
            started_at=at(),
            finished_at=at(minutes=1),
            summary="lag 3s as the replica said it",
            facts={LAG_FACT: 12.5},
        ),
        *STAGES[1:],
    ]
    assert measure("weekly", run, records, Objectives()).rpo_seconds == 12.5

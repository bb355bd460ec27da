"""A run's progress events projected into its thread: one view per stage, as each message
shows it, and the summary once the run ends."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from engine.config import Objectives
from engine.drills.report import measure
from engine.runner.projection import RunProjection, StageView
from engine.runs import (
    LAG_FACT,
    EventKind,
    ProgressEvent,
    Run,
    RunMode,
    RunState,
    StageRecord,
    StageRole,
    StageState,
)

T0 = datetime(2026, 1, 5, 3, 0, tzinfo=UTC)
STAGES = ("check-replication-lag", "scale-azure-sql", "switch-traffic", "verify-services")
ROLES = {
    STAGES[0]: StageRole.CATCH_UP,
    STAGES[2]: StageRole.CUT_OVER,
    STAGES[3]: StageRole.VERIFICATION,
}
RUN = Run("r1", "dr-azure", "v1", STAGES, RunMode.LIVE, RunState.RUNNING, T0, "U1", roles=ROLES)


def event(
    kind: EventKind, stage: str | None = None, *, second: float, **fields: Any
) -> ProgressEvent:
    return ProgressEvent("r1", kind, T0 + timedelta(seconds=second), stage=stage, **fields)


def test_a_stage_is_numbered_in_plan_order_and_follows_its_events() -> None:
    projection = RunProjection(RUN)
    [started] = projection.apply(event(EventKind.STAGE_STARTED, STAGES[1], second=10, attempt=1))
    assert started == StageView("r1", STAGES[1], 2, 4, "running", attempt=1)
    [moving] = projection.apply(
        event(EventKind.STAGE_PROGRESS, STAGES[1], second=40, fraction=0.5, message="scaling")
    )
    assert (moving.state, moving.fraction, moving.seconds, moving.message) == (
        "running",
        0.5,
        30.0,
        "scaling",
    )
    [done] = projection.apply(
        event(EventKind.STAGE_SUCCEEDED, STAGES[1], second=70, message="GP_Gen5_4 online")
    )
    assert (done.state, done.fraction, done.seconds, done.message) == (
        "succeeded",
        1.0,
        60.0,
        "GP_Gen5_4 online",
    )
    assert set(projection.views) == {STAGES[1]}, "a stage no event touched is not shown yet"


def test_a_failure_says_whether_it_will_be_retried() -> None:
    projection = RunProjection(RUN)
    projection.apply(event(EventKind.STAGE_STARTED, STAGES[0], second=0, attempt=1))
    [retrying] = projection.apply(
        event(EventKind.STAGE_FAILED, STAGES[0], second=5, attempt=1, message="timeout", retry_in=2)
    )
    assert retrying.state == "retrying"
    assert retrying.message == "attempt 1 failed: timeout; retrying in 2s"
    projection.apply(event(EventKind.STAGE_STARTED, STAGES[0], second=7, attempt=2))
    [failed] = projection.apply(
        event(EventKind.STAGE_FAILED, STAGES[0], second=9, attempt=2, message="refused")
    )
    assert (failed.state, failed.message, failed.attempt) == ("failed", "refused", 2)
    assert failed.seconds == 9.0, "timed from the stage's first start"


def test_a_paused_stage_offers_its_controls_until_the_run_moves_on() -> None:
    projection = RunProjection(RUN)
    projection.apply(event(EventKind.STAGE_STARTED, STAGES[2], second=0, attempt=1))
    projection.apply(event(EventKind.STAGE_FAILED, STAGES[2], second=1, message="403"))
    paused = projection.apply(
        event(EventKind.RUN_PAUSED, STAGES[2], second=2, run_state=RunState.PAUSED)
    )
    assert [(v.stage, v.state, v.controls) for v in paused] == [(STAGES[2], "failed", True)]
    [retried] = projection.apply(event(EventKind.STAGE_STARTED, STAGES[2], second=3, attempt=2))
    assert (retried.state, retried.controls) == ("running", False)

    projection.apply(event(EventKind.STAGE_FAILED, STAGES[2], second=4, message="403"))
    projection.apply(event(EventKind.RUN_PAUSED, STAGES[2], second=5))
    [ended] = projection.apply(
        event(EventKind.RUN_FINISHED, second=6, run_state=RunState.ABORTED, message="by U2")
    )
    assert (ended.state, ended.controls) == ("aborted", False)


def test_an_event_of_a_stage_outside_the_plan_changes_nothing() -> None:
    projection = RunProjection(RUN)
    assert projection.apply(event(EventKind.STAGE_STARTED, "not-a-stage", second=0)) == []
    assert projection.apply(event(EventKind.RUN_STARTED, second=0)) == []
    assert projection.views == {}


def finished_run() -> list[ProgressEvent]:
    events = [event(EventKind.RUN_STARTED, second=0)]
    for number, (stage, said) in enumerate(
        [(STAGES[0], "replication lag 12s, within the RPO"), (STAGES[1], "scaled")]
    ):
        events += [
            event(EventKind.STAGE_STARTED, stage, second=number * 10, attempt=1),
            event(EventKind.STAGE_SUCCEEDED, stage, second=number * 10 + 5, message=said),
        ]
    events.append(event(EventKind.STAGE_STARTED, STAGES[2], second=30, attempt=1))
    events.append(event(EventKind.STAGE_FAILED, STAGES[2], second=35, message="refused"))
    events.append(
        event(
            EventKind.RUN_FINISHED,
            second=40,
            run_state=RunState.FAILED,
            message="traffic switch refused",
            durations={STAGES[0]: 5.0, STAGES[1]: 5.0, "total": 40.0},
        )
    )
    return events


def test_the_summary_reads_the_run_time_the_stages_and_the_catch_up_evidence() -> None:
    projection = RunProjection(RUN)
    for each in finished_run():
        projection.apply(each)
    summary = projection.summary(RUN, finished_run()[-1], Objectives())
    assert summary.state is RunState.FAILED
    assert (summary.seconds, summary.rto_objective, summary.rpo_objective) == (40.0, 900, 300)
    assert summary.stages == (
        (STAGES[0], "succeeded", 5.0),
        (STAGES[1], "succeeded", 5.0),
        (STAGES[2], "failed", None),
        (STAGES[3], "not run", None),
    )
    assert summary.rpo_evidence == (f"{STAGES[0]}: replication lag 12s, within the RPO",)
    assert summary.reason == "traffic switch refused"


def test_the_rpo_evidence_is_what_catch_up_stages_said_whatever_their_names() -> None:
    renamed = replace(RUN, roles={STAGES[1]: StageRole.CATCH_UP})
    projection = RunProjection(renamed)
    for each in finished_run():
        projection.apply(each)
    summary = projection.summary(renamed, finished_run()[-1], Objectives())
    assert summary.rpo_evidence == (f"{STAGES[1]}: scaled",)


def finished_records(run: Run) -> dict[str, StageRecord]:
    """Every stage of ``RUN`` succeeded, ten seconds each from the run's start; the catch-up
    measured a lag of 12 s."""
    assert run.started_at is not None
    records = {}
    for number, name in enumerate(STAGES):
        records[name] = StageRecord(
            run.run_id,
            name,
            StageState.SUCCEEDED,
            started_at=run.started_at + timedelta(seconds=number * 10),
            finished_at=run.started_at + timedelta(seconds=number * 10 + 10),
            summary="replication lag 12s" if number == 0 else "",
            facts={LAG_FACT: 12.0} if number == 0 else {},
        )
    return records


def test_the_summary_measures_the_rto_of_a_failover_from_its_proposal_by_the_stages_roles() -> None:
    proposed = T0 - timedelta(minutes=2)
    run = replace(RUN, created_at=proposed, started_at=T0, state=RunState.SUCCEEDED)
    finished = event(
        EventKind.RUN_FINISHED, second=50, run_state=RunState.SUCCEEDED, durations={"total": 50.0}
    )
    summary = RunProjection(run).summary(run, finished, Objectives(), finished_records(run))
    assert summary.seconds == 50.0, "the run's total time is kept, as its own figure"
    # Two minutes of deciding, then verify-services (the fourth stage) ends 40 s in.
    assert summary.rto_seconds == 160.0
    assert summary.rto_basis == "proposal to verify-services on the DR side"
    assert summary.rpo_seconds == 12.0


def test_a_drills_summary_says_the_rto_and_rpo_its_drill_report_says() -> None:
    run = replace(
        RUN,
        mode=RunMode.REHEARSAL,
        created_at=T0 - timedelta(minutes=2),
        started_at=T0,
        finished_at=T0 + timedelta(seconds=50),
        state=RunState.SUCCEEDED,
    )
    records = finished_records(run)
    finished = event(EventKind.RUN_FINISHED, second=50, run_state=RunState.SUCCEEDED)
    summary = RunProjection(run).summary(run, finished, Objectives(), records)
    report = measure("weekly", run, list(records.values()), Objectives())
    assert (summary.rto_seconds, summary.rpo_seconds) == (report.rto_seconds, report.rpo_seconds)
    assert summary.rto_seconds == 40.0, "a drill's clock starts when the drill does"

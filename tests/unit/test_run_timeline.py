"""A finished run laid out in time for its picture: attempts (so retries), waits for people,
the RTO clock from the proposal or the drill's start, and the trend ending with this run."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from engine.config import Objectives
from engine.drills.report import measure
from engine.drills.timeline import Measured, WaitKind, timeline
from engine.records import Approval, Decision, Surface
from engine.runs import (
    LAG_FACT,
    Attempt,
    AttemptOutcome,
    EventKind,
    ProgressEvent,
    Run,
    RunMode,
    RunState,
    StageRecord,
    StageRole,
    StageState,
    idempotency_key,
)

T0 = datetime(2026, 1, 5, 3, 0, tzinfo=UTC)
STAGES = ("check-replication-lag", "scale-azure-sql", "switch-traffic", "verify-services")
ROLES = {
    STAGES[0]: StageRole.CATCH_UP,
    STAGES[2]: StageRole.CUT_OVER,
    STAGES[3]: StageRole.VERIFICATION,
}


def at(second: float) -> datetime:
    return T0 + timedelta(seconds=second)


def failover() -> Run:
    """Proposed at 0, approved and started at 120 s, finished at 300 s."""
    return Run(
        "r1",
        "dr-azure",
        "v1",
        STAGES,
        RunMode.LIVE,
        RunState.SUCCEEDED,
        at(0),
        "phoenix",
        started_at=at(120),
        finished_at=at(300),
        roles=ROLES,
    )


def attempt(number: int, start: float, end: float, outcome: AttemptOutcome) -> Attempt:
    return Attempt(number, 1, at(start), at(end), outcome)


def records() -> list[StageRecord]:
    ok, failed = AttemptOutcome.SUCCEEDED, AttemptOutcome.FAILED
    return [
        StageRecord(
            "r1",
            STAGES[0],
            StageState.SUCCEEDED,
            (attempt(1, 120, 130, ok),),
            started_at=at(120),
            finished_at=at(130),
            summary="replication lag 12s",
            facts={LAG_FACT: 12.0},
        ),
        StageRecord(
            "r1",
            STAGES[1],
            StageState.SUCCEEDED,
            (attempt(1, 130, 140, failed), attempt(2, 150, 180, ok)),
            started_at=at(130),
            finished_at=at(180),
        ),
        StageRecord(
            "r1",
            STAGES[2],
            StageState.SUCCEEDED,
            (attempt(1, 240, 250, ok),),
            started_at=at(240),
            finished_at=at(250),
        ),
        StageRecord(
            "r1",
            STAGES[3],
            StageState.SUCCEEDED,
            (attempt(1, 250, 290, ok),),
            started_at=at(250),
            finished_at=at(290),
        ),
    ]


def events() -> list[ProgressEvent]:
    """The run waited at the gate of switch-traffic from 180 s until a person confirmed it at
    240 s."""
    return [
        ProgressEvent("r1", EventKind.RUN_STARTED, at(120)),
        ProgressEvent("r1", EventKind.RUN_AWAITING_APPROVAL, at(180), stage=STAGES[2]),
        ProgressEvent("r1", EventKind.RUN_RESUMED, at(240)),
        ProgressEvent("r1", EventKind.RUN_FINISHED, at(300), run_state=RunState.SUCCEEDED),
    ]


def approvals() -> list[Approval]:
    return [
        Approval("r1", "UALICE", Decision.APPROVE, at(60), Surface.SLACK),
        Approval("r1", "UBOB", Decision.APPROVE, at(118), Surface.SLACK),
        Approval(
            idempotency_key("r1", STAGES[2]), "UBOB", Decision.APPROVE, at(239), Surface.SLACK
        ),
    ]


def measured(seconds: float | None) -> Measured:
    return Measured(True, seconds, "basis", 900.0, 12.0, "lag 12s", 300.0, ())


def test_a_failover_is_laid_out_from_its_proposal_with_its_retries_and_its_waits() -> None:
    laid = timeline(failover(), records(), events(), approvals(), measured(290.0))
    assert (laid.kind, laid.name, laid.clock_start) == ("failover", "dr-azure", "proposal")
    assert laid.clock_started_at == T0
    scale = laid.stages[1]
    assert [(a.start, a.end, a.outcome) for a in scale.attempts] == [
        (130.0, 140.0, "failed"),
        (150.0, 180.0, "succeeded"),
    ]
    assert scale.retries == 1
    approval, gate = laid.waits
    assert (approval.kind, approval.start, approval.end) == (WaitKind.APPROVAL, 0.0, 120.0)
    assert approval.people == ("UALICE", "UBOB")
    assert (gate.kind, gate.stage, gate.start, gate.end) == (WaitKind.GATE, STAGES[2], 180, 240)
    assert gate.people == ("UBOB",)
    assert laid.rto_stage == "verify-services"
    assert laid.total_seconds == 180.0, "the run's own time, from its start"
    assert laid.end == 300.0 - 10.0, "the last thing shown: the verification's end"


def test_a_paused_run_waits_for_a_person_until_it_is_resumed_or_ends() -> None:
    paused = [
        ProgressEvent("r1", EventKind.RUN_PAUSED, at(140), stage=STAGES[1]),
        ProgressEvent("r1", EventKind.RUN_RESUMED, at(148)),
    ]
    laid = timeline(failover(), records(), paused, [], measured(290.0))
    [_, pause] = laid.waits
    assert (pause.kind, pause.stage, pause.start, pause.end) == (
        WaitKind.PAUSED,
        STAGES[1],
        140,
        148,
    )


def test_a_drill_counts_from_its_start_and_ends_its_trend_with_itself() -> None:
    drill = replace(failover(), mode=RunMode.REHEARSAL, created_at=at(119))
    earlier = measure("weekly", drill, records(), Objectives()).model_copy(
        update={"run_id": "r0", "finished_at": at(-86400), "rto_seconds": 400.0}
    )
    report = measure("weekly", drill, records(), Objectives(), [earlier])
    laid = timeline(drill, records(), events(), [], Measured.of_report(report), "weekly")
    assert (laid.kind, laid.name, laid.clock_start) == ("drill", "weekly", "drill start")
    assert laid.clock_started_at == at(120)
    assert laid.rto_seconds == report.rto_seconds == 170.0
    assert laid.stages[0].attempts[0].start == 0.0
    assert [w.kind for w in laid.waits] == [WaitKind.GATE], "a drill waits for no approval"
    assert [(m.run_id, m.current) for m in laid.trend] == [("r0", False), ("r1", True)]
    assert laid.passed is report.passed


def test_a_stage_that_never_ran_has_no_bar() -> None:
    laid = timeline(failover(), records()[:2], events(), [], measured(None))
    assert [lane.state for lane in laid.stages[2:]] == ["not run", "not run"]
    assert laid.stages[3].attempts == ()
    assert laid.rto_stage is None

"""A finished drill or failover laid out in time, as neutral values a picture is drawn from:
each stage's attempts (so its retries), the waits for people (approvals, gates, a paused run),
the RTO clock against its objective, the RPO evidence against its own, and the RTO/RPO trend
over the last drills.

Every span is in seconds since the RTO clock started (the proposal of a failover, the start of
a drill: ``engine.recovery``). The figures are the drill report's for a drill and
``engine.recovery``'s for a failover, so the picture says what the thread and the report say.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from engine.config import PhoenixConfig
from engine.drills.history import drill_of, drill_reports
from engine.drills.report import DrillReport, TrendPoint, measure
from engine.records import Approval, Decision
from engine.recovery import rpo_evidence, rto_clock
from engine.runs import (
    EventKind,
    ProgressEvent,
    Run,
    RunMode,
    RunState,
    StageRecord,
    StageRole,
    idempotency_key,
)
from engine.store import Store

Since = Callable[[datetime], float]
"""Seconds from the RTO clock's start to a moment."""

TREND = 10
"""How many drills the trend shows, this one included."""


class WaitKind(StrEnum):
    APPROVAL = "approval"
    """The proposal waited for its approvers."""
    GATE = "gate"
    """A gated stage waited for a person to confirm it."""
    PAUSED = "paused"
    """A failed stage waited for a person to retry, skip or abort."""


@dataclass(frozen=True)
class AttemptSpan:
    start: float
    end: float
    outcome: str
    """succeeded, failed, timed_out, interrupted; ``running`` when it never ended."""


@dataclass(frozen=True)
class StageLane:
    name: str
    role: str | None
    state: str
    attempts: tuple[AttemptSpan, ...]

    @property
    def retries(self) -> int:
        return max(len(self.attempts) - 1, 0)

    @property
    def start(self) -> float | None:
        return self.attempts[0].start if self.attempts else None

    @property
    def end(self) -> float | None:
        return self.attempts[-1].end if self.attempts else None


@dataclass(frozen=True)
class PersonWait:
    kind: WaitKind
    start: float
    end: float
    stage: str | None = None
    people: tuple[str, ...] = ()
    """Who ended the wait (the approvers), where the Store knows."""


@dataclass(frozen=True)
class TrendMark:
    run_id: str
    at: datetime
    passed: bool
    rto_seconds: float | None
    rpo_seconds: float | None
    current: bool = False
    """This run (the last mark)."""


@dataclass(frozen=True)
class RunTimeline:
    kind: str
    """``drill``, ``dry run`` or ``failover``."""
    name: str
    """The drill's name, or the failover's plan."""
    run_id: str
    plan: str
    state: RunState
    passed: bool
    clock_started_at: datetime
    clock_start: str
    """What started the RTO clock: ``proposal`` or ``drill start``."""
    rto_seconds: float | None
    rto_basis: str
    rto_stage: str | None
    rto_objective: float
    rpo_seconds: float | None
    rpo_evidence: str
    rpo_objective: float
    total_seconds: float | None
    """The run's own time, from its start to its end."""
    stages: tuple[StageLane, ...]
    waits: tuple[PersonWait, ...]
    trend: tuple[TrendMark, ...]
    """The last drills, oldest first, ending with this run."""

    @property
    def end(self) -> float:
        """Seconds from the clock's start to the last thing shown (never zero: a scale)."""
        ends = [s.end for s in self.stages if s.end is not None]
        ends += [w.end for w in self.waits]
        if self.rto_seconds is not None:
            ends.append(self.rto_seconds)
        return max([0.001, *ends])


@dataclass(frozen=True)
class Measured:
    """What the picture says was measured: a drill's report, or a failover's measures."""

    passed: bool
    rto_seconds: float | None
    rto_basis: str
    rto_objective: float
    rpo_seconds: float | None
    rpo_evidence: str
    rpo_objective: float
    trend: tuple[TrendPoint, ...]

    @classmethod
    def of_report(cls, report: DrillReport) -> Measured:
        return cls(
            report.passed,
            report.rto_seconds,
            report.rto_basis,
            report.rto_objective,
            report.rpo_seconds,
            report.rpo_evidence,
            report.rpo_objective,
            (*report.trend, report.point()),
        )


def timeline(
    run: Run,
    records: Sequence[StageRecord],
    events: Sequence[ProgressEvent],
    approvals: Sequence[Approval],
    measured: Measured,
    name: str | None = None,
) -> RunTimeline:
    """``run`` laid out in time (pure); ``name`` is its drill's, None for a failover."""
    by_stage = {r.stage: r for r in records}
    clock = rto_clock(run, by_stage)
    began = clock.started_at or run.created_at

    def since(moment: datetime) -> float:
        return (moment - began).total_seconds()

    lanes = tuple(
        _lane(name_, run.roles.get(name_), by_stage.get(name_), since) for name_ in run.stages
    )
    kind = (
        "failover"
        if not run.mode.is_drill
        else ("dry run" if run.mode is RunMode.DRY_RUN else "drill")
    )
    total = None
    if run.started_at is not None and run.finished_at is not None:
        total = (run.finished_at - run.started_at).total_seconds()
    trend = tuple(
        TrendMark(
            p.run_id, p.at, p.passed, p.rto_seconds, p.rpo_seconds, current=p.run_id == run.run_id
        )
        for p in measured.trend[-TREND:]
    )
    return RunTimeline(
        kind=kind,
        name=name or run.plan,
        run_id=run.run_id,
        plan=run.plan,
        state=run.state,
        passed=measured.passed,
        clock_started_at=began,
        clock_start=clock.start,
        rto_seconds=measured.rto_seconds,
        rto_basis=measured.rto_basis,
        rto_stage=clock.stage if measured.rto_seconds is not None else None,
        rto_objective=measured.rto_objective,
        rpo_seconds=measured.rpo_seconds,
        rpo_evidence=measured.rpo_evidence,
        rpo_objective=measured.rpo_objective,
        total_seconds=total,
        stages=lanes,
        waits=_waits(run, events, approvals, since),
        trend=trend,
    )


def _lane(name: str, role: StageRole | None, record: StageRecord | None, since: Since) -> StageLane:
    shown = role.value if role is not None else None
    if record is None:
        return StageLane(name, shown, "not run", ())
    attempts = tuple(
        AttemptSpan(
            since(a.started_at),
            since(a.finished_at or a.started_at),
            a.outcome.value if a.outcome is not None else "running",
        )
        for a in record.attempts
    )
    return StageLane(name, shown, record.state.value, attempts)


def _waits(
    run: Run, events: Sequence[ProgressEvent], approvals: Sequence[Approval], since: Since
) -> tuple[PersonWait, ...]:
    waits: list[PersonWait] = []
    if not run.mode.is_drill and run.started_at is not None and run.started_at > run.created_at:
        people = tuple(
            a.user for a in approvals if a.subject == run.run_id and a.decision is Decision.APPROVE
        )
        waits.append(
            PersonWait(
                WaitKind.APPROVAL, since(run.created_at), since(run.started_at), None, people
            )
        )
    open_wait: tuple[WaitKind, datetime, str | None] | None = None
    for event in events:
        if event.kind in (EventKind.RUN_AWAITING_APPROVAL, EventKind.RUN_PAUSED):
            kind = (
                WaitKind.GATE if event.kind is EventKind.RUN_AWAITING_APPROVAL else WaitKind.PAUSED
            )
            open_wait = open_wait or (kind, event.at, event.stage)
        elif open_wait is not None and event.kind in (
            EventKind.RUN_RESUMED,
            EventKind.RUN_STARTED,
            EventKind.RUN_FINISHED,
        ):
            kind, began, stage = open_wait
            confirmed = idempotency_key(run.run_id, stage or "") if kind is WaitKind.GATE else None
            deciders = tuple(a.user for a in approvals if a.subject == confirmed)
            waits.append(PersonWait(kind, since(began), since(event.at), stage, deciders))
            open_wait = None
    return tuple(waits)


def read_timeline(store: Store, config: PhoenixConfig, run_id: str) -> RunTimeline | None:
    """The timeline of a finished run, read from the Store; None for a run that is not over.

    A drill's figures are its stored report's (measured now, without storing it, when it was
    never stored); a failover's are measured by ``engine.recovery`` against the configured
    objectives, with the trend of the drills that rehearse its plan."""
    run = store.get_run(run_id)
    if run is None or not run.state.terminal:
        return None
    records = store.get_stages(run_id)
    subjects = (run_id, *(idempotency_key(run_id, s) for s in run.stages))
    approvals = [a for s in subjects for a in store.list_approvals(s)]
    events = store.list_events(run_id)
    drill = drill_of(store, run_id)
    if drill is not None:
        earlier = list(reversed(drill_reports(store, drill)))
        report = next((r for r in earlier if r.run_id == run_id), None)
        if report is None:
            report = measure(drill, run, records, config.objectives, earlier)
        return timeline(run, records, events, approvals, Measured.of_report(report), drill)
    return timeline(
        run, records, events, approvals, _failover_measures(store, config, run, records)
    )


def _failover_measures(
    store: Store, config: PhoenixConfig, run: Run, records: Sequence[StageRecord]
) -> Measured:
    by_stage = {r.stage: r for r in records}
    clock = rto_clock(run, by_stage)
    lag = rpo_evidence(run, by_stage)
    rto_objective = config.objectives.rto.total_seconds()
    rpo_objective = config.objectives.rpo.total_seconds()
    passed = (
        run.state is RunState.SUCCEEDED
        and clock.seconds is not None
        and clock.seconds <= rto_objective
        and (lag.seconds is None or lag.seconds <= rpo_objective)
    )
    rehearsals = [
        report.point()
        for drill in config.drills
        if drill.plan == run.plan
        for report in drill_reports(store, drill.name, TREND)
        if report.mode is RunMode.REHEARSAL
    ]
    this = TrendPoint(
        run_id=run.run_id,
        at=run.finished_at or run.created_at,
        passed=passed,
        rto_seconds=clock.seconds,
        rpo_seconds=lag.seconds,
    )
    trend = (*sorted(rehearsals, key=lambda p: p.at)[-(TREND - 1) :], this)
    return Measured(
        passed,
        clock.seconds,
        clock.basis,
        rto_objective,
        lag.seconds,
        lag.evidence,
        rpo_objective,
        trend,
    )

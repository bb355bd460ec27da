"""What ``/phoenix status``, ``history`` and the App Home show, read from the Store alone.

Nothing here probes a signal: a status is the latest score sample the evaluation stored, the
open incident, its run and the run's current stage, the active silences, the drills and the
latest readiness sweep.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from engine.config import Drill, PhoenixConfig
from engine.drills.desk import AgendaItem, DrillDesk
from engine.drills.report import DrillReport
from engine.incidents.desk import IncidentDesk
from engine.incidents.proposals import Proposal, SignalLine
from engine.model import Level
from engine.readiness import ReadinessSweep
from engine.records import Incident, Silence
from engine.runs import Run, RunState, StageState


@dataclass(frozen=True)
class CurrentStage:
    name: str
    number: int
    of: int
    state: StageState


@dataclass(frozen=True)
class StatusReport:
    environment: str
    evaluated_at: datetime | None
    """When the latest score sample was taken; None before the first evaluation."""
    score: int | None
    level: Level
    reason: str
    breakdown: tuple[SignalLine, ...]
    incident: Incident | None
    run: Run | None
    proposal: Proposal | None
    stage: CurrentStage | None
    silences: tuple[Silence, ...]
    drills: tuple[Drill, ...]
    last_drill: Run | None
    service: str | None = None
    held: tuple[str, ...] = ()
    """Why automatic proposals are held back now besides the ``silences`` (the cool-down,
    flapping signals), one line each."""
    agenda: tuple[AgendaItem, ...] = ()
    """Each drill's next occurrence and its last report."""
    last_drill_report: DrillReport | None = None
    requested_by: str | None = None
    """Who asked by hand for the proposal whose reason ``reason`` is (a user id)."""
    readiness: ReadinessSweep | None = None
    """The latest readiness sweep of the DR side."""


@dataclass(frozen=True)
class HistoryReport:
    runs: tuple[Run, ...]
    incidents: tuple[Incident, ...]


def status_report(
    desk: IncidentDesk,
    config: PhoenixConfig,
    now: datetime,
    service: str | None = None,
    drills: DrillDesk | None = None,
) -> StatusReport:
    store = desk.store
    samples = store.score_history(limit=1)
    sample = samples[-1] if samples else None
    incidents = store.list_incidents(open_only=True, limit=1)
    incident = incidents[0] if incidents else None
    run = _active_run(desk, incident)
    proposal = desk.register.proposal(run.run_id) if run else None
    breakdown: tuple[SignalLine, ...] = ()
    requested_by = None
    reason = (
        "no evaluation yet" if sample is None else (sample.reason or "level from the latest score")
    )
    if sample is not None:
        breakdown = tuple(
            SignalLine(signal=name, status="", points=points)
            for name, points in sorted(sample.points.items(), key=lambda kv: -kv[1])
        )
    if proposal is not None and proposal.record.breakdown:
        # The proposal's snapshot carries each signal's status and value; the later sample
        # only its points. Show the snapshot's lines with the latest points.
        latest = dict(sample.points) if sample else {}
        breakdown = tuple(
            line.model_copy(update={"points": latest.get(line.signal, line.points)})
            for line in proposal.record.breakdown
        )
        reason = proposal.record.reason
        requested_by = proposal.record.requested_by if proposal.record.manual else None
    if service is not None:
        breakdown = tuple(line for line in breakdown if line.signal == service)
    silences = tuple(store.list_silences(active_at=now))
    held = []
    cooldown = sample.state.cooldown_until if sample and sample.state else None
    if cooldown is not None and cooldown > now:
        held.append(f"cool-down after the last failover until {cooldown:%Y-%m-%d %H:%M} UTC")
    if sample and sample.state and sample.state.flapping:
        held.append(f"flapping: {', '.join(sorted(sample.state.flapping))}")
    agenda = tuple(drills.agenda()) if drills else ()
    return StatusReport(
        environment=config.environment,
        evaluated_at=sample.at if sample else None,
        score=sample.total if sample else None,
        level=sample.level if sample else Level.NONE,
        reason=reason,
        breakdown=breakdown,
        incident=incident,
        run=run,
        proposal=proposal,
        stage=_current_stage(desk, run) if run else None,
        silences=silences,
        drills=tuple(config.drills),
        last_drill=last_drill(desk),
        service=service,
        held=tuple(held),
        agenda=agenda,
        last_drill_report=drills.last_report() if drills else None,
        requested_by=requested_by,
        readiness=store.latest_readiness(),
    )


def _active_run(desk: IncidentDesk, incident: Incident | None) -> Run | None:
    live = desk.store.list_runs(
        states={
            RunState.RUNNING,
            RunState.PAUSED,
            RunState.AWAITING_APPROVAL,
            RunState.PROPOSED,
        },
        limit=1,
    )
    if live:
        return live[0]
    if incident is not None and incident.run_ids:
        return desk.store.get_run(incident.run_ids[-1])
    return None


def _current_stage(desk: IncidentDesk, run: Run) -> CurrentStage | None:
    records = {r.stage: r for r in desk.store.get_stages(run.run_id)}
    for number, name in enumerate(run.stages, start=1):
        record = records.get(name)
        state = record.state if record else StageState.PENDING
        if not state.done:
            return CurrentStage(name, number, len(run.stages), state)
    return None


def last_drill(desk: IncidentDesk) -> Run | None:
    for run in desk.store.list_runs(
        states={RunState.SUCCEEDED, RunState.FAILED, RunState.ABORTED}, limit=200
    ):
        if run.mode.is_drill:
            return run
    return None


def history_report(desk: IncidentDesk, count: int) -> HistoryReport:
    return HistoryReport(
        runs=tuple(desk.store.list_runs(limit=count)),
        incidents=tuple(desk.store.list_incidents(limit=count)),
    )

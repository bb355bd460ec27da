"""What the Store says was measured: the latest evaluation's signals, each drill's next
occurrence, last report and last success, the last live run of each failover plan measured
as a drill is (RTO and RPO), and the latest readiness sweep of the DR side.

Read from the Store alone, like ``engine.status``: every replica reads the same values, and a
replica that restarts reads what was measured before it, not nothing. The bot's gauges show
them (``bot.metrics``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from engine.config import Drill, PhoenixConfig
from engine.drills.desk import AgendaItem, DrillDesk
from engine.drills.report import DrillReport
from engine.readiness import ReadinessSweep
from engine.records import ScoreSample
from engine.recovery import measured_rpo, measured_rto
from engine.runs import Run, RunMode, RunState
from engine.store import Store

_RECENT_RUNS = 50
"""How many of the latest successful runs are searched for each failover plan's last one."""
_REPORTS = 100
"""How many of a drill's latest reports are searched for its last success."""


@dataclass(frozen=True)
class DrillRecord:
    drill: Drill
    next_due: datetime | None
    """When its current occurrence is due (postponed included); None once it is over."""
    last: DrillReport | None
    last_success: DrillReport | None
    """The newest report that passed."""


@dataclass(frozen=True)
class FailoverRecord:
    """The last live run of a failover plan that succeeded, measured."""

    run: Run
    rto_seconds: float | None
    rpo_seconds: float | None


@dataclass(frozen=True)
class Measurements:
    sample: ScoreSample | None
    """The latest evaluation; None before the first."""
    drills: tuple[DrillRecord, ...]
    failovers: tuple[FailoverRecord, ...]
    readiness: ReadinessSweep | None = None
    """The latest readiness sweep; None before the first."""


def measurements(store: Store, drills: DrillDesk, config: PhoenixConfig) -> Measurements:
    samples = store.score_history(limit=1)
    return Measurements(
        sample=samples[-1] if samples else None,
        drills=tuple(_drill(drills, item) for item in drills.agenda()),
        failovers=_failovers(store, config),
        readiness=store.latest_readiness(),
    )


def _drill(desk: DrillDesk, item: AgendaItem) -> DrillRecord:
    last = item.last
    success = (
        last
        if last is not None and last.passed
        else desk.last_success(item.drill.name, searched=_REPORTS)
    )
    due = None if item.occurrence.closed else item.occurrence.due
    return DrillRecord(item.drill, due, last, success)


def _failovers(store: Store, config: PhoenixConfig) -> tuple[FailoverRecord, ...]:
    found: dict[str, FailoverRecord] = {}
    for run in store.list_runs(states={RunState.SUCCEEDED}, limit=_RECENT_RUNS):
        if run.mode is not RunMode.LIVE or run.plan not in config.failover_plans:
            continue
        if run.plan in found:
            continue  # newest first: the plan's last run is already measured
        records = {r.stage: r for r in store.get_stages(run.run_id)}
        rto, _ = measured_rto(run, records)
        rpo, _ = measured_rpo(run, records)
        found[run.plan] = FailoverRecord(run, rto, rpo)
    return tuple(found[plan] for plan in sorted(found))

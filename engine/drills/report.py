"""The drill report, pure: a finished drill run measured against the objectives (RTO and RPO),
pass or fail with the reasons, and the trend over earlier drills of the same name.

What is measured is read from the stages' roles, never from their names, by the rules of
``engine.recovery``: the RTO clock from the drill's start to the end of the verification after
the cut-over, and the replication lag a catch-up stage measured before it as the RPO evidence.

The same rules measure a live failover, from its proposal. The report is
persisted as JSON once the run ends (``drill.report`` in the audit log, by
``engine.drills.desk``), so every replica shows the same report.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict

from engine.config import Objectives
from engine.duration import format_duration
from engine.recovery import measured_rpo, measured_rto
from engine.runs import Run, RunMode, RunState, StageRecord


class StageTime(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    stage: str
    state: str
    seconds: float | None = None


class TrendPoint(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    run_id: str
    at: datetime
    passed: bool
    rto_seconds: float | None = None
    rpo_seconds: float | None = None


class DrillReport(BaseModel):
    """A drill run, measured. Persisted as JSON once the run ends (``drill.report``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    drill: str
    run_id: str
    plan: str
    mode: RunMode
    state: RunState
    started_at: datetime | None
    finished_at: datetime | None
    stages: tuple[StageTime, ...]
    rto_seconds: float | None
    rto_basis: str
    rpo_seconds: float | None
    rpo_evidence: str
    rto_objective: float
    rpo_objective: float
    passed: bool
    verdict: tuple[str, ...]
    """Why it passed or failed, one sentence each."""
    trend: tuple[TrendPoint, ...] = ()
    """Earlier drills of the same name, oldest first (without this one)."""

    def point(self) -> TrendPoint:
        return TrendPoint(
            run_id=self.run_id,
            at=self.finished_at or self.started_at or datetime.min,
            passed=self.passed,
            rto_seconds=self.rto_seconds,
            rpo_seconds=self.rpo_seconds,
        )

    @property
    def trend_word(self) -> str:
        """How this drill's RTO compares with the last one that measured it."""
        earlier = [p.rto_seconds for p in self.trend if p.rto_seconds is not None]
        if self.rto_seconds is None or not earlier:
            return "no trend yet"
        last = earlier[-1]
        if abs(self.rto_seconds - last) <= max(1.0, 0.05 * last):
            return "steady"
        return "faster" if self.rto_seconds < last else "slower"


def measure(
    drill: str,
    run: Run,
    stages: Sequence[StageRecord],
    objectives: Objectives,
    earlier: Sequence[DrillReport] = (),
    keep: int = 10,
) -> DrillReport:
    """The report of a finished drill run, measured by its stages' roles (see the module's
    docstring)."""
    records = {r.stage: r for r in stages}
    times = tuple(
        StageTime(
            stage=name,
            state=records[name].state.value if name in records else "not run",
            seconds=records[name].seconds if name in records else None,
        )
        for name in run.stages
    )
    rto_objective = objectives.rto.total_seconds()
    rpo_objective = objectives.rpo.total_seconds()
    verdict: list[str] = []
    rto: float | None = None
    rpo: float | None = None
    if run.mode is RunMode.DRY_RUN:
        rto_basis = "a dry run measures nothing"
        evidence = "a dry run measures nothing"
        passed = run.state is RunState.SUCCEEDED
        verdict.append(
            "every stage's preconditions and permissions checked"
            if passed
            else f"a precondition failed: {run.reason}"
        )
    else:
        rto, rto_basis = measured_rto(run, records)
        rpo, evidence = measured_rpo(run, records)
        passed = run.state is RunState.SUCCEEDED
        if not passed:
            verdict.append(f"the drill did not finish: {run.reason or run.state.value}")
        if rto is None:
            passed = False
            verdict.append(f"RTO not measured: {rto_basis}")
        elif rto > rto_objective:
            passed = False
            verdict.append(f"RTO {_said(rto)} is over the objective of {_said(rto_objective)}")
        else:
            verdict.append(f"RTO {_said(rto)} within the objective of {_said(rto_objective)}")
        if rpo is None:
            passed = False
            verdict.append(f"RPO not evidenced: {evidence}")
        elif rpo > rpo_objective:
            passed = False
            verdict.append(
                f"replication lag {_said(rpo)} is over the RPO of {_said(rpo_objective)}"
            )
        else:
            verdict.append(f"replication lag {_said(rpo)} within the RPO of {_said(rpo_objective)}")
    return DrillReport(
        drill=drill,
        run_id=run.run_id,
        plan=run.plan,
        mode=run.mode,
        state=run.state,
        started_at=run.started_at,
        finished_at=run.finished_at,
        stages=times,
        rto_seconds=rto,
        rto_basis=rto_basis,
        rpo_seconds=rpo,
        rpo_evidence=evidence,
        rto_objective=rto_objective,
        rpo_objective=rpo_objective,
        passed=passed,
        verdict=tuple(verdict),
        trend=tuple(r.point() for r in earlier if r.run_id != run.run_id)[-keep:],
    )


def _said(seconds: float) -> str:
    """A figure of the verdict as the report's other lines say it (``499ms``, ``15m``)."""
    return format_duration(timedelta(seconds=seconds))

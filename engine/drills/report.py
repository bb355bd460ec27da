"""The drill report, pure: a finished drill run measured against the objectives (RTO and RPO),
pass or fail with the reasons, and the trend over earlier drills of the same name.

What is measured is read from the stages' roles (``StageRole``), never from their names:

- RTO: from the plan's start to the end of the first verification stage that succeeded after
  the last cut-over; with no verification after it, to the end of the cut-over itself; with
  no cut-over in the plan, to the end of the first verification that succeeded.
- RPO evidence: the replication lag a catch-up stage before the first cut-over measured (its
  ``replication_lag_seconds`` fact; the last such stage's), or, where none recorded the fact,
  a lag the last catch-up stage stated in its summary.

The same rules measure a live failover (``measured_rto``, ``measured_rpo``). The report is
persisted as JSON once the run ends (``drill.report`` in the audit log, by
``engine.drills.desk``), so every replica shows the same report.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TypeGuard

from pydantic import BaseModel, ConfigDict

from engine.config import Objectives
from engine.runs import LAG_FACT, Run, RunMode, RunState, StageRecord, StageRole, StageState

_LAG = re.compile(
    r"lag\D{0,40}?(\d+(?:\.\d+)?)\s*(ms|milliseconds?|s|sec|seconds?|m|min|minutes?)\b", re.I
)


def lag_seconds(text: str) -> float | None:
    """The replication lag a stage's summary states (``lag 12s``, ``lag: 1.5 min``), if any."""
    found = _LAG.search(text)
    if found is None:
        return None
    unit = found.group(2).lower()
    if unit.startswith(("ms", "milli")):
        factor = 0.001
    elif unit.startswith("m"):
        factor = 60.0
    else:
        factor = 1.0
    return float(found.group(1)) * factor


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
            verdict.append(f"RTO {rto:.0f}s is over the objective of {rto_objective:.0f}s")
        else:
            verdict.append(f"RTO {rto:.0f}s within the objective of {rto_objective:.0f}s")
        if rpo is None:
            passed = False
            verdict.append(f"RPO not evidenced: {evidence}")
        elif rpo > rpo_objective:
            passed = False
            verdict.append(f"replication lag {rpo:g}s is over the RPO of {rpo_objective:.0f}s")
        else:
            verdict.append(f"replication lag {rpo:g}s within the RPO of {rpo_objective:.0f}s")
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


def measured_rto(run: Run, records: Mapping[str, StageRecord]) -> tuple[float | None, str]:
    """Seconds from the plan's start to services verified on the DR side (by the stages'
    roles, see the module's docstring), and the basis; None (and why) when not measured."""
    if run.started_at is None:
        return None, "the run never started"
    cut_overs = _indexes(run, StageRole.CUT_OVER)
    after = cut_overs[-1] + 1 if cut_overs else 0
    checks = [n for n in run.stages[after:] if run.roles.get(n) is StageRole.VERIFICATION]
    for name in checks:
        seconds = _since_start(run, records.get(name))
        if seconds is not None:
            return seconds, f"plan start to {name} on the DR side"
    if checks:
        return (
            None,
            "no verification stage succeeded, so services were never verified on the DR side",
        )
    if cut_overs:
        name = run.stages[cut_overs[-1]]
        seconds = _since_start(run, records.get(name))
        if seconds is not None:
            return (
                seconds,
                f"plan start to the end of {name}, the cut-over (no verification follows it)",
            )
        return None, f"the cut-over {name} did not succeed"
    return None, "the plan has no verification or cut-over stage to end the RTO clock"


def measured_rpo(run: Run, records: Mapping[str, StageRecord]) -> tuple[float | None, str]:
    """The lag a catch-up stage before the first cut-over measured: the last ``LAG_FACT``
    recorded, else the last lag a catch-up stage stated in words."""
    cut_overs = _indexes(run, StageRole.CUT_OVER)
    before = run.stages[: cut_overs[0]] if cut_overs else run.stages
    fact: tuple[float, str] | None = None
    words: tuple[float, str] | None = None
    for name in before:
        record = records.get(name)
        if run.roles.get(name) is not StageRole.CATCH_UP or not _succeeded(record):
            continue
        value = record.facts.get(LAG_FACT)
        if isinstance(value, int | float) and not isinstance(value, bool):
            fact = (float(value), f"{name}: {record.summary}")
            continue
        lag = lag_seconds(record.summary)
        if lag is not None:
            words = (lag, f"{name}: {record.summary}")
    found = fact or words
    if found is None:
        return None, "no catch-up stage before the cut-over reported a replication lag"
    return found


def _indexes(run: Run, role: StageRole) -> list[int]:
    return [i for i, name in enumerate(run.stages) if run.roles.get(name) is role]


def _succeeded(record: StageRecord | None) -> TypeGuard[StageRecord]:
    return record is not None and record.state is StageState.SUCCEEDED


def _since_start(run: Run, record: StageRecord | None) -> float | None:
    """Seconds from the run's start to the end of ``record``'s stage, if it succeeded."""
    if run.started_at is None or not _succeeded(record) or record.finished_at is None:
        return None
    return (record.finished_at - run.started_at).total_seconds()

"""The drill report, pure: a finished drill run measured against the objectives (RTO and RPO),
pass or fail with the reasons, and the trend over earlier drills of the same name.

Persisted as JSON once the run ends (``drill.report`` in the audit log, by
``engine.drills.desk``), so every replica shows the same report.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from engine.config import Objectives
from engine.runs import LAG_FACT, Run, RunMode, RunState, StageRecord, StageState

_CUTOVER = ("switch", "fence", "cutover", "promote")
_LAG_WORDS = ("lag", "replication", "rpo")
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
    """The report of a finished drill run.

    RTO: from the plan's start to the moment services were verified on the DR side (the end
    of the first ``verify*`` stage that succeeded). RPO evidence: the replication lag the last
    lag-measuring stage before the cutover recorded (its ``replication_lag_seconds`` fact).
    """
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
    """Seconds from the plan's start to services verified on the DR side, and the basis;
    None (and why) when no verify stage succeeded."""
    if run.started_at is None:
        return None, "the run never started"
    for name in run.stages:
        record = records.get(name)
        if name.startswith("verify") and record and record.state is StageState.SUCCEEDED:
            assert record.finished_at is not None
            seconds = (record.finished_at - run.started_at).total_seconds()
            return seconds, f"plan start to {name} on the DR side"
    return None, "no verify stage succeeded, so services were never verified on the DR side"


def measured_rpo(run: Run, records: Mapping[str, StageRecord]) -> tuple[float | None, str]:
    """The lag the last measuring stage before the cutover recorded: its ``LAG_FACT``, or
    (for stages that only say it in words) a lag stated in the summary of a lag stage."""
    cutover = next(
        (i for i, name in enumerate(run.stages) if any(w in name for w in _CUTOVER)),
        len(run.stages),
    )
    found: tuple[float, str] | None = None
    for name in run.stages[:cutover]:
        record = records.get(name)
        if record is None or record.state is not StageState.SUCCEEDED:
            continue
        fact = record.facts.get(LAG_FACT)
        if isinstance(fact, int | float) and not isinstance(fact, bool):
            found = (float(fact), f"{name}: {record.summary}")
            continue
        if not any(word in name for word in _LAG_WORDS):
            continue
        lag = lag_seconds(record.summary)
        if lag is not None:
            found = (lag, f"{name}: {record.summary}")
    if found is None:
        return None, "no stage before the cutover reported a replication lag"
    return found

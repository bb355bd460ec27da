"""If we failed over now: the RPO and RTO a failover started at the sweep would have, each with
how it was derived. Pure.

RPO: the worst of the database's replication lag and the age of the oldest object not yet
copied to the DR side — what a failover now would lose.

RTO: the plan's steps up to where a drill report stops the RTO clock (the first verification
after the last cut-over, ``engine.drills.report``), each stage as long as it last took in a
drill or failover of the plan, and the longest stage of a parallel step counted. Where the
work differs from the run measured, the measurement that did the same work is taken: a run that
scaled the database when a scale is needed now (one that did not, when it is at its objective
already), one that started pods when pods are to start; an object sync is the objects behind
now at the throughput the last sync measured, plus what a pass with nothing to copy took. A
stage never measured counts nothing and makes the RTO a lower bound, and says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from engine.duration import format_duration
from engine.health.readiness.check import (
    BACKLOG_BYTES,
    LAG_SECONDS,
    OLDEST_SECONDS,
    PODS_TO_START,
    SCALE_NEEDED,
)
from engine.plans.model import Plan, PlanStage
from engine.readiness import CheckResult, Estimate
from engine.runs import Run, RunMode, StageRecord, StageRole, StageState
from engine.stages.azure_sql import SCALED_FACT as SQL_SCALED
from engine.stages.objects import size_text
from engine.stages.workloads import SCALED_FACT as DEPLOYMENTS_SCALED

_BYTES_COPIED = "bytes_copied"


@dataclass(frozen=True)
class MeasuredRun:
    """A finished run of the plan (a drill rehearsal or a live failover) and its stages."""

    run: Run
    stages: Mapping[str, StageRecord]


def predicted_rpo(checks: Sequence[CheckResult]) -> Estimate:
    parts: list[tuple[float | None, str]] = []
    for check in checks:
        if LAG_SECONDS in check.measured:
            lag = check.measured[LAG_SECONDS]
            parts.append((lag, f"database: replication lag {_seconds(lag)} ({check.subject})"))
        elif check.kind == "replication-lag":
            parts.append((None, f"database: lag not known ({check.reason})"))
        if OLDEST_SECONDS in check.measured:
            oldest = check.measured[OLDEST_SECONDS]
            said = (
                "nothing behind"
                if oldest == 0
                else f"the oldest uncopied object is at most {_seconds(oldest)} old"
            )
            parts.append((oldest, f"objects: {said} ({check.subject})"))
        elif check.kind == "blob-backlog":
            parts.append((None, f"objects: backlog not known ({check.reason})"))
    known = [seconds for seconds, _ in parts if seconds is not None]
    if not parts:
        return Estimate(None, ("no check of this plan measures what a failover would lose",), False)
    worst = max(known, default=None)
    complete = len(known) == len(parts)
    basis = tuple(text for _, text in parts)
    if worst is not None:
        basis += (f"the worst of these: {_seconds(worst)}" + ("" if complete else ", at least"),)
    return Estimate(worst, basis, complete)


def predicted_rto(
    plan: Plan, checks: Sequence[CheckResult], runs: Sequence[MeasuredRun]
) -> Estimate:
    """``runs``: finished runs of ``plan``, newest first."""
    figures = _figures(checks)
    measured = [r for r in runs if r.run.plan == plan.name and r.run.mode is not RunMode.DRY_RUN]
    total = 0.0
    complete = True
    basis: list[str] = []
    for step in _clocked_steps(plan):
        guesses = [_stage(stage, figures, measured) for stage in step]
        complete = complete and all(g.complete for g in guesses)
        longest = max((g.seconds for g in guesses if g.seconds is not None), default=0.0)
        total += longest
        if len(step) == 1:
            basis.append(guesses[0].text)
        else:
            inner = "; ".join(g.text for g in guesses)
            basis.append(f"in parallel, the longest counts ({_seconds(longest)}): {inner}")
    basis.append(f"total {_seconds(total)}" + ("" if complete else ", at least"))
    return Estimate(total, tuple(basis), complete)


@dataclass(frozen=True)
class _Guess:
    seconds: float | None
    text: str
    complete: bool = True


def _stage(stage: PlanStage, figures: Mapping[str, float], runs: Sequence[MeasuredRun]) -> _Guess:
    seen = [
        (r, record)
        for r in runs
        if (record := r.stages.get(stage.name)) is not None
        and record.state is StageState.SUCCEEDED
        and record.seconds is not None
    ]
    name = stage.name
    if not seen:
        if stage.kind.name == "manual":
            return _Guess(None, f"{name}: a manual step, never timed", False)
        return _Guess(None, f"{name}: never measured in a drill or failover of the plan", False)
    kind = stage.kind.name
    if kind == "object_sync" and BACKLOG_BYTES in figures:
        return _sync(name, figures[BACKLOG_BYTES], seen)
    if kind == "azure_sql_ready" and SCALE_NEEDED in figures:
        return _like(name, seen, figures[SCALE_NEEDED] > 0, SQL_SCALED, "a database scale")
    if kind == "aks_deploy" and PODS_TO_START in figures:
        pods = figures[PODS_TO_START]
        return _like(name, seen, pods > 0, DEPLOYMENTS_SCALED, f"{pods:.0f} pod(s) to start")
    run, record = seen[0]
    return _Guess(record.seconds, f"{name}: {_seconds(record.seconds)} in {_where(run)}")


def _like(
    name: str, seen: list[tuple[MeasuredRun, StageRecord]], needed: bool, fact: str, work: str
) -> _Guess:
    """The newest measurement that did the work now needed (or did none, when none is)."""
    for run, record in seen:
        if bool(record.facts.get(fact)) == needed:
            with_it = f"with {work}" if needed else "with nothing to do"
            return _Guess(
                record.seconds, f"{name}: {_seconds(record.seconds)} in {_where(run)} ({with_it})"
            )
    run, record = seen[0]
    if needed:
        return _Guess(
            record.seconds,
            f"{name}: {work} now, never measured; {_seconds(record.seconds)} in {_where(run)} "
            "without it",
            False,
        )
    return _Guess(record.seconds, f"{name}: {_seconds(record.seconds)} in {_where(run)}")


def _sync(name: str, backlog: float, seen: list[tuple[MeasuredRun, StageRecord]]) -> _Guess:
    copies = [(r, rec) for r, rec in seen if _number(rec.facts.get(_BYTES_COPIED)) > 0]
    idle = [rec.seconds for _, rec in seen if _number(rec.facts.get(_BYTES_COPIED)) == 0]
    listing = min((s for s in idle if s is not None), default=0.0)
    listed = f" + {_seconds(listing)} for a pass with nothing to copy" if idle else ""
    if backlog == 0:
        return _Guess(listing, f"{name}: nothing behind{listed or ' (a pass never timed)'}")
    if not copies:
        behind = size_text(backlog)
        return _Guess(listing, f"{name}: {behind} behind, no sync copied anything yet", False)
    run, record = copies[0]
    copied = _number(record.facts.get(_BYTES_COPIED))
    assert record.seconds is not None
    rate = copied / max(record.seconds, 0.001)
    seconds = listing + backlog / rate
    at = f"{size_text(backlog)} behind at {size_text(rate)}/s (the sync in {_where(run)})"
    return _Guess(seconds, f"{name}: {at}{listed}")


def _clocked_steps(plan: Plan) -> list[tuple[PlanStage, ...]]:
    """The steps until the RTO clock stops, by the rule of a drill report."""
    steps = plan.steps()
    names = [s.name for s in plan.stages]
    roles = plan.roles()
    cut_overs = [i for i, n in enumerate(names) if roles.get(n) is StageRole.CUT_OVER]
    after = cut_overs[-1] + 1 if cut_overs else 0
    checks = [i for i in range(after, len(names)) if roles.get(names[i]) is StageRole.VERIFICATION]
    if checks:
        last = names[checks[0]]
    elif cut_overs:
        last = names[cut_overs[-1]]
    else:
        return steps
    end = next(i for i, step in enumerate(steps) if any(s.name == last for s in step))
    return steps[: end + 1]


def _figures(checks: Sequence[CheckResult]) -> dict[str, float]:
    figures: dict[str, float] = {}
    for check in checks:
        for key, value in check.measured.items():
            figures[key] = max(value, figures.get(key, value))
    return figures


def _where(measured: MeasuredRun) -> str:
    run = measured.run
    what = "the failover" if run.mode is RunMode.LIVE else "the drill"
    when = run.finished_at or run.started_at or run.created_at
    return f"{what} {run.run_id} of {when:%Y-%m-%d}"


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _seconds(value: float | None) -> str:
    return "?" if value is None else format_duration(timedelta(seconds=round(value)))

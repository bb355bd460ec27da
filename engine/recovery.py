"""What a run recovered, measured by its stages' roles (``StageRole``), never their names: the
RTO clock and the RPO evidence. The drill report, the run summary in the thread, the picture
and the metrics all read these, so they say the same figure.

- The RTO clock starts at the proposal of a live run (people deciding is part of an outage)
  and at the start of a drill. It stops at the end of the first verification stage that
  succeeded after the last cut-over; with no verification after it, at the end of the cut-over
  itself; with no cut-over in the plan, at the end of the first verification that succeeded.
- The RPO evidence is the replication lag a catch-up stage before the first cut-over measured
  (its ``replication_lag_seconds`` fact; the last such stage's), or, where none recorded the
  fact, a lag the last catch-up stage stated in its summary.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TypeGuard

from engine.runs import LAG_FACT, Run, StageRecord, StageRole, StageState

_LAG = re.compile(
    r"lag\D{0,40}?(\d+(?:\.\d+)?)\s*(ms|milliseconds?|s|sec|seconds?|m|min|minutes?)\b", re.I
)


@dataclass(frozen=True)
class RtoClock:
    """When a run's RTO clock started and stopped, and why there."""

    started_at: datetime | None
    start: str
    """What started it: ``proposal`` (a live run) or ``drill start``."""
    stopped_at: datetime | None
    stage: str | None
    """The stage whose end stopped it; None when it never stopped."""
    basis: str
    """Where the clock ran from and to, or why it measured nothing."""

    @property
    def seconds(self) -> float | None:
        if self.started_at is None or self.stopped_at is None:
            return None
        return (self.stopped_at - self.started_at).total_seconds()


@dataclass(frozen=True)
class RpoEvidence:
    seconds: float | None
    """The replication lag measured before the cut-over; None when no stage measured one."""
    evidence: str
    """The stage and what it said, or why there is no evidence."""


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


def rto_clock(run: Run, records: Mapping[str, StageRecord]) -> RtoClock:
    """The run's RTO clock (see the module's docstring)."""
    if run.mode.is_drill:
        start, began = "drill start", run.started_at
    else:
        start, began = "proposal", run.created_at
    if run.started_at is None or began is None:
        return RtoClock(began, start, None, None, "the run never started")
    cut_overs = _indexes(run, StageRole.CUT_OVER)
    after = cut_overs[-1] + 1 if cut_overs else 0
    checks = [n for n in run.stages[after:] if run.roles.get(n) is StageRole.VERIFICATION]
    for name in checks:
        ended = _end(records.get(name))
        if ended is not None:
            return RtoClock(began, start, ended, name, f"{start} to {name} on the DR side")
    if checks:
        return RtoClock(
            began,
            start,
            None,
            None,
            "no verification stage succeeded, so services were never verified on the DR side",
        )
    if cut_overs:
        name = run.stages[cut_overs[-1]]
        ended = _end(records.get(name))
        if ended is not None:
            basis = f"{start} to the end of {name}, the cut-over (no verification follows it)"
            return RtoClock(began, start, ended, name, basis)
        return RtoClock(began, start, None, None, f"the cut-over {name} did not succeed")
    return RtoClock(
        began,
        start,
        None,
        None,
        "the plan has no verification or cut-over stage to end the RTO clock",
    )


def rpo_evidence(run: Run, records: Mapping[str, StageRecord]) -> RpoEvidence:
    """The lag a catch-up stage before the first cut-over measured: the last ``LAG_FACT``
    recorded, else the last lag a catch-up stage stated in words."""
    cut_overs = _indexes(run, StageRole.CUT_OVER)
    before = run.stages[: cut_overs[0]] if cut_overs else run.stages
    fact: RpoEvidence | None = None
    words: RpoEvidence | None = None
    for name in before:
        record = records.get(name)
        if run.roles.get(name) is not StageRole.CATCH_UP or not _succeeded(record):
            continue
        value = record.facts.get(LAG_FACT)
        if isinstance(value, int | float) and not isinstance(value, bool):
            fact = RpoEvidence(float(value), f"{name}: {record.summary}")
            continue
        lag = lag_seconds(record.summary)
        if lag is not None:
            words = RpoEvidence(lag, f"{name}: {record.summary}")
    return (
        fact
        or words
        or RpoEvidence(None, "no catch-up stage before the cut-over reported a replication lag")
    )


def measured_rto(run: Run, records: Mapping[str, StageRecord]) -> tuple[float | None, str]:
    """Seconds on the run's RTO clock, and its basis; None (and why) when not measured."""
    clock = rto_clock(run, records)
    return clock.seconds, clock.basis


def measured_rpo(run: Run, records: Mapping[str, StageRecord]) -> tuple[float | None, str]:
    """The replication lag evidenced before the cut-over, and the evidence (or why none)."""
    found = rpo_evidence(run, records)
    return found.seconds, found.evidence


def _indexes(run: Run, role: StageRole) -> list[int]:
    return [i for i, name in enumerate(run.stages) if run.roles.get(name) is role]


def _succeeded(record: StageRecord | None) -> TypeGuard[StageRecord]:
    return record is not None and record.state is StageState.SUCCEEDED


def _end(record: StageRecord | None) -> datetime | None:
    """When ``record``'s stage ended, if it succeeded."""
    return record.finished_at if _succeeded(record) else None

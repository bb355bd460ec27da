"""Drills, pure: which occurrence of a drill is next, what is due about it (announcements, the
start), what postpones and skips did to it, and the drill report (RTO and RPO measured against
the objectives, pass or fail, the trend over past drills).

An occurrence is one firing of the drill's cron schedule, named by that scheduled time. What
happened to it is a list of ``DrillNote`` (announced, postponed, skipped, started, missed),
kept in the audit log by ``engine.drills.desk``; everything here is a function of the
schedule, those notes and the time, so every replica agrees on it.

Which occurrence is current: an open postponed one (the earliest), else the first firing after
the last one closed (started, skipped or missed — by its due time, so a postponed occurrence
swallows firings it was pushed past) and after ``now - grace``, so a firing missed while no
replica ran is let go rather than run hours late.

Announcements: each offset is announced once per due time, at ``due - offset``. A postpone
moves the due time, so the offsets apply afresh to the new time — except those whose moment
came before the postpone itself (never announced late). A moment that falls exactly at the
postpone counts: it is announced at once. Without a postpone, offsets a restart let pile up
are announced together in one message.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from engine.config import Drill, Objectives
from engine.cron import next_time, parse_cron, zone
from engine.runs import LAG_FACT, Run, RunMode, RunState, StageRecord, StageState

GRACE = timedelta(minutes=15)
"""How late a drill may still start (a leader change, a restart); later, it is missed."""

POSTPONES: dict[str, timedelta] = {"1h": timedelta(hours=1), "1d": timedelta(days=1)}


class NoteKind(StrEnum):
    ANNOUNCED = "drill.announce"
    POSTPONED = "drill.postpone"
    SKIPPED = "drill.skip"
    STARTED = "drill.start"
    MISSED = "drill.missed"

    @property
    def closes(self) -> bool:
        return self in (NoteKind.STARTED, NoteKind.SKIPPED, NoteKind.MISSED)


class DrillNote(BaseModel):
    """What happened to one occurrence; persisted as JSON (the detail of an audit event)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: NoteKind
    occurrence: datetime
    """The scheduled (cron) time that names the occurrence."""
    due: datetime
    """When it is (was) due to start after this note: moved by a postpone."""
    by: str = ""
    offsets: tuple[float, ...] = ()
    """Announcements: the offsets (seconds before the due time) this announcement covers."""
    run_id: str | None = None
    at: datetime | None = Field(default=None, exclude=True)
    """When the note was made: the time of its audit event, filled in when it is read (so the
    stored JSON stays what every version reads). A postpone's moment bounds the announcements
    it brings back."""


@dataclass(frozen=True)
class Occurrence:
    drill: str
    scheduled: datetime
    due: datetime
    announced: frozenset[float] = frozenset()
    """The offsets announced for the current due time (a postpone starts them afresh)."""
    postponements: tuple[DrillNote, ...] = ()
    skipped_by: str | None = None
    run_id: str | None = None
    missed: bool = False
    announcements: tuple[DrillNote, ...] = ()
    """Every announcement made of the occurrence, for any due time, oldest first."""

    @property
    def postponed_by(self) -> tuple[str, ...]:
        return tuple(note.by for note in self.postponements)

    @property
    def postponed_at(self) -> datetime | None:
        """When the last postpone was made; None if it was never postponed (or the note
        predates the time stamp)."""
        return self.postponements[-1].at if self.postponements else None

    @property
    def key(self) -> str:
        return occurrence_key(self.drill, self.scheduled)

    @property
    def closed(self) -> bool:
        return self.skipped_by is not None or self.run_id is not None or self.missed


def occurrence_key(drill: str, scheduled: datetime) -> str:
    return f"{drill}@{scheduled:%Y%m%dT%H%MZ}"


def next_firing(drill: Drill, after: datetime) -> datetime:
    return next_time(parse_cron(drill.schedule), after, zone(drill.timezone))


def current_occurrence(
    drill: Drill, notes: Sequence[DrillNote], now: datetime, grace: timedelta = GRACE
) -> Occurrence:
    """The occurrence the drill's duties are about now (see the module's docstring)."""
    by_occurrence: dict[datetime, list[DrillNote]] = {}
    for note in notes:
        by_occurrence.setdefault(note.occurrence, []).append(note)
    closed_dues = [n.due for n in notes if n.kind.closes]
    cursor = max(closed_dues) if closed_dues else None
    postponed = sorted(
        at
        for at, own in by_occurrence.items()
        if any(n.kind is NoteKind.POSTPONED for n in own)
        and not any(n.kind.closes for n in own)
        and (cursor is None or at > cursor or _due(own, at) > cursor)
    )
    if postponed:
        at = postponed[0]
        return _fold(drill.name, at, by_occurrence[at])
    base = now - grace if cursor is None else max(cursor, now - grace)
    at = next_firing(drill, base)
    return _fold(drill.name, at, by_occurrence.get(at, []))


def _due(notes: Sequence[DrillNote], scheduled: datetime) -> datetime:
    return notes[-1].due if notes else scheduled


def _fold(drill: str, scheduled: datetime, notes: Sequence[DrillNote]) -> Occurrence:
    due = scheduled
    announced: set[float] = set()
    announcements: list[DrillNote] = []
    postponed: list[DrillNote] = []
    skipped: str | None = None
    run_id: str | None = None
    missed = False
    for note in notes:
        if note.kind is NoteKind.POSTPONED:
            due = note.due
            postponed.append(note)
            announced = set()
        elif note.kind is NoteKind.ANNOUNCED:
            announcements.append(note)
            # An announcement of a due time a postpone has since moved covers nothing now.
            if note.due == due:
                announced.update(note.offsets)
        elif note.kind is NoteKind.SKIPPED:
            skipped = note.by
        elif note.kind is NoteKind.STARTED:
            run_id = note.run_id
        elif note.kind is NoteKind.MISSED:
            missed = True
    return Occurrence(
        drill,
        scheduled,
        due,
        frozenset(announced),
        tuple(postponed),
        skipped,
        run_id,
        missed,
        tuple(announcements),
    )


# ----------------------------------------------------------------------------- duties


@dataclass(frozen=True)
class Announce:
    occurrence: Occurrence
    offsets: tuple[float, ...]
    """Every announcement offset now due (one message covers those a restart let pile up)."""


@dataclass(frozen=True)
class Start:
    occurrence: Occurrence


@dataclass(frozen=True)
class Miss:
    occurrence: Occurrence


Duty = Announce | Start | Miss


def duties(
    drill: Drill, occurrence: Occurrence, now: datetime, grace: timedelta = GRACE
) -> list[Duty]:
    """What must happen about ``occurrence`` at ``now``: at most one announcement and one
    start (or miss)."""
    if occurrence.closed:
        return []
    if now >= occurrence.due:
        if now - occurrence.due > grace:
            return [Miss(occurrence)]
        return [Start(occurrence)]
    due_offsets = tuple(
        sorted(
            (
                offset.total_seconds()
                for offset in drill.announce
                if occurrence.due - offset <= now
                and offset.total_seconds() not in occurrence.announced
                and _ahead_of_postpone(occurrence, occurrence.due - offset)
            ),
            reverse=True,
        )
    )
    return [Announce(occurrence, due_offsets)] if due_offsets else []


def _ahead_of_postpone(occurrence: Occurrence, moment: datetime) -> bool:
    """Whether an announcement moment still counts after the last postpone: one that had
    passed when the drill was postponed is let go, one that falls on the postpone is made."""
    postponed_at = occurrence.postponed_at
    return postponed_at is None or moment >= postponed_at


# ----------------------------------------------------------------------------- reports

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
        rto, rto_basis = _rto(run, records)
        rpo, evidence = _rpo(run, records)
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


def _rto(run: Run, records: dict[str, StageRecord]) -> tuple[float | None, str]:
    if run.started_at is None:
        return None, "the run never started"
    for name in run.stages:
        record = records.get(name)
        if name.startswith("verify") and record and record.state is StageState.SUCCEEDED:
            assert record.finished_at is not None
            seconds = (record.finished_at - run.started_at).total_seconds()
            return seconds, f"plan start to {name} on the DR side"
    return None, "no verify stage succeeded, so services were never verified on the DR side"


def _rpo(run: Run, records: dict[str, StageRecord]) -> tuple[float | None, str]:
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

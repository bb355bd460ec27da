"""Drills, pure: which occurrence of a drill is next, and what postpones, skips, starts and
misses did to it. ``engine.drills.duties`` says what is due about it now;
``engine.drills.report`` measures a drill run.

An occurrence is one firing of the drill's cron schedule, named by that scheduled time. What
happened to it is a list of ``DrillNote`` (announced, postponed, skipped, started, missed),
kept in the audit log by ``engine.drills.desk``; everything here is a function of the
schedule, those notes and the time, so every replica agrees on it.

Which occurrence is current: an open postponed one (the earliest), else the first firing after
the last one closed (started, skipped or missed — by its due time, so a postponed occurrence
swallows firings it was pushed past) and after ``now - grace``, so a firing missed while no
replica ran is let go rather than run hours late.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from engine.config import Drill
from engine.cron import next_time, parse_cron, zone

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

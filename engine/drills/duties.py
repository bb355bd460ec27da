"""What is due about a drill's current occurrence now: an announcement, the start, or letting
it go as missed. Pure, like ``engine.drills.schedule``, whose occurrences it reads.

Announcements: each offset is announced once per due time, at ``due - offset``. A postpone
moves the due time, so the offsets apply afresh to the new time — except those whose moment
came before the postpone itself (never announced late). A moment that falls exactly at the
postpone counts: it is announced at once. Without a postpone, offsets a restart let pile up
are announced together in one message. A start later than ``grace`` after the due time is a
miss.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from engine.config import Drill
from engine.drills.schedule import GRACE, Occurrence


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

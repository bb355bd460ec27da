"""check-config's drill lines: each drill's next firings, in its time zone and in UTC, and a
warning about a schedule that fires on days people rarely mean."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.config import Drill
from engine.cron import parse_cron, zone
from engine.drills.forecast import next_firings, schedule_warning

FIRINGS = 3


def drill_lines(drills: list[Drill], now: datetime) -> list[str]:
    lines = []
    for index, drill in enumerate(drills):
        tz = zone(drill.timezone)
        meaning = parse_cron(drill.schedule).explain()
        lines.append(f"drill {drill.name}: {drill.schedule!r} in {drill.timezone} — {meaning}")
        found = next_firings(drill, now, FIRINGS)
        for at in found:
            lines.append(f"  {at.astimezone(tz):%a %Y-%m-%d %H:%M %Z} = {at:%Y-%m-%d %H:%M} UTC")
        if not found:
            lines.append("  no firing in the next fifty years")
        warning = schedule_warning(drill, index)
        if warning is not None:
            lines.append(f"  warning: {warning}")
    return lines


def drills_as_json(drills: list[Drill], now: datetime) -> list[dict[str, Any]]:
    """What ``drill_lines`` says, for ``check-config --json``: firings as UTC ISO moments."""
    found = []
    for index, drill in enumerate(drills):
        warning = schedule_warning(drill, index)
        found.append(
            {
                "name": drill.name,
                "schedule": drill.schedule,
                "timezone": drill.timezone,
                "meaning": parse_cron(drill.schedule).explain(),
                "next_firings": [at.isoformat() for at in next_firings(drill, now, FIRINGS)],
                "warning": None if warning is None else str(warning),
            }
        )
    return found

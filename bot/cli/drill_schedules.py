"""check-config's drill lines: each drill's next firings, in its time zone and in UTC, and a
warning about a schedule that fires on days people rarely mean."""

from __future__ import annotations

from datetime import datetime

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

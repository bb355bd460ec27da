"""What a drill's schedule will do: its next firings, and the warnings ``phoenix check-config``
gives about a schedule that fires on days people do not expect (cron's OR rule)."""

from __future__ import annotations

from datetime import datetime
from itertools import islice

from engine.config import Drill
from engine.cron import firings, parse_cron, zone
from engine.errors import Problem

NTH_WEEKDAY_EXAMPLE = "0 10 * 1,4,7,10 2#1"
"""The first Tuesday of each quarter, at 10:00."""


def next_firings(drill: Drill, after: datetime, count: int = 3) -> list[datetime]:
    """The drill's next ``count`` scheduled times after ``after``, in UTC (fewer if cron finds
    no more in fifty years)."""
    return list(islice(firings(parse_cron(drill.schedule), after, zone(drill.timezone)), count))


def schedule_warning(drill: Drill, index: int) -> Problem | None:
    """A warning when the schedule restricts both day-of-month and day-of-week: cron then fires
    on a day matching either, which is rarely what "the first Tuesday" meant. ``index`` is the
    drill's place in the configuration, for the warning's path."""
    cron = parse_cron(drill.schedule)
    either = cron.either_day
    if either is None:
        return None
    if either.nth_weekday is not None:
        nth = parse_cron(either.nth_weekday)
        fix = f"did you mean {either.nth_weekday!r} ({_sentence(nth.explain())})?"
    else:
        fix = (
            "for the n-th weekday of the month, leave day-of-month '*' and write day-of-week "
            f"as weekday#n: {NTH_WEEKDAY_EXAMPLE!r} is the first Tuesday of each quarter"
        )
    return Problem(
        f"drills[{index}].schedule",
        f"day-of-month {either.day_of_month!r} and day-of-week {either.day_of_week!r} are both "
        "restricted, so cron fires on every day that matches either one: "
        f"{_sentence(cron.explain())}; {fix}",
    )


def _sentence(explained: str) -> str:
    return explained[:1].lower() + explained[1:]

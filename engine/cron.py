"""Five-field cron expressions (minute hour day-of-month month day-of-week), evaluated in a
time zone. Pure: no scheduler, no third-party cron library.

The rules are Vixie cron's, which is what people expect when they write one:

- fields accept ``*``, numbers, ranges ``a-b``, lists ``a,b``, steps ``*/n`` and ``a-b/n``;
  months and weekdays also take names (``jan``, ``mon``); weekday 0 and 7 are both Sunday;
- when both day-of-month and day-of-week are restricted, a day matching *either* fires;
- times are wall-clock times in the drill's zone. A time that a daylight-saving jump skips
  fires at the same moment shifted forward by the jump; a time that occurs twice fires once
  (the first time).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_SEARCH_DAYS = 366 * 5


class CronError(ValueError):
    """An expression that cannot be read, or that never fires."""


@dataclass(frozen=True)
class Cron:
    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    """0 = Sunday ... 6 = Saturday."""
    any_day: bool
    any_weekday: bool

    def matches_day(self, day: date) -> bool:
        if day.month not in self.months:
            return False
        dom = day.day in self.days
        dow = (day.isoweekday() % 7) in self.weekdays
        if self.any_day and self.any_weekday:
            return True
        if self.any_day:
            return dow
        if self.any_weekday:
            return dom
        return dom or dow


def _field(text: str, low: int, high: int, names: tuple[str, ...] = ()) -> frozenset[int]:
    values: set[int] = set()
    for part in text.lower().split(","):
        if not part:
            raise CronError(f"empty list item in {text!r}")
        body, _, step_text = part.partition("/")
        step = 1
        if step_text:
            if not step_text.isdecimal() or int(step_text) < 1:
                raise CronError(f"bad step {step_text!r} in {text!r}")
            step = int(step_text)
        if body == "*":
            start, end = low, high
        elif "-" in body:
            first, _, last = body.partition("-")
            start, end = _number(first, low, high, names), _number(last, low, high, names)
            if start > end:
                raise CronError(f"range {body!r} runs backwards")
        else:
            start = _number(body, low, high, names)
            end = high if step_text else start
        values.update(range(start, end + 1, step))
    return frozenset(values)


def _number(text: str, low: int, high: int, names: tuple[str, ...]) -> int:
    if text in names:
        return names.index(text) + (1 if names is _MONTHS else 0)
    if not text.isdecimal():
        raise CronError(f"{text!r} is not a number")
    value = int(text)
    if not low <= value <= high:
        raise CronError(f"{value} is outside {low}-{high}")
    return value


def parse_cron(expression: str) -> Cron:
    fields = expression.split()
    if len(fields) != 5:
        raise CronError("a schedule has five fields: minute hour day-of-month month day-of-week")
    minute, hour, dom, month, dow = fields
    weekdays = _field(dow, 0, 7, _DAYS)
    cron = Cron(
        expression=expression,
        minutes=_field(minute, 0, 59),
        hours=_field(hour, 0, 23),
        days=_field(dom, 1, 31),
        months=_field(month, 1, 12, _MONTHS),
        weekdays=frozenset(d % 7 for d in weekdays),
        any_day=dom == "*",
        any_weekday=dow == "*",
    )
    next_time(cron, datetime(2000, 1, 1, tzinfo=UTC), UTC)  # refuses one that never fires
    return cron


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise CronError(f"unknown time zone {name!r}") from exc


def next_time(cron: Cron, after: datetime, tz: tzinfo = UTC) -> datetime:
    """The first firing strictly after ``after`` (aware), in UTC."""
    local = after.astimezone(tz)
    day = local.date()
    for _ in range(_SEARCH_DAYS):
        if cron.matches_day(day):
            for hour in sorted(cron.hours):
                for minute in sorted(cron.minutes):
                    wall = datetime.combine(day, time(hour, minute), tzinfo=tz)
                    # A skipped wall time normalises forward through the UTC round trip.
                    moment = wall.astimezone(UTC)
                    if moment > after:
                        return moment
        day += timedelta(days=1)
    raise CronError(f"schedule {cron.expression!r} never fires")


def times_between(cron: Cron, start: datetime, end: datetime, tz: tzinfo) -> list[datetime]:
    """Every firing in (start, end], in UTC."""
    found: list[datetime] = []
    at = start
    while True:
        at = next_time(cron, at, tz)
        if at > end:
            return found
        found.append(at)

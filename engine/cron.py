"""Cron schedules in a time zone, evaluated by cronsim, which follows Debian's cron (Vixie cron
with Debian's changes) and calls any difference from it a bug. Pure: no scheduler.

A schedule has cron's five fields, minute hour day-of-month month day-of-week, with what
cronsim reads in them: ``*``, numbers, ranges, lists and steps; month and weekday names
(``jan``, ``tue``; weekday 0 and 7 are both Sunday); ``L`` (the last day) and ``LW`` (the last
weekday) in day-of-month; ``5L`` (the last Friday) and ``2#1`` (the first Tuesday) in
day-of-week. Debian's macros stand for their five fields as crontab(5) defines them;
``@reboot`` names no time and is refused.

Days, as in Debian's cron: when either day field starts with ``*`` (``*/2`` too) a day must
match both; when both are restricted a day matching *either* fires (``EitherDay`` says so and
suggests the ``#`` form a person usually meant).

Daylight saving, as in Debian's cron and cronsim: a schedule with a fixed minute and hour (neither
field starts with ``*``) is a wall-clock time. One that a jump forward skips fires once, at the
first minute after the jump; one that a jump back repeats fires once, the first time. A schedule
with ``*`` in its minute or hour runs on real time: minutes a jump skips do not fire, minutes a
jump repeats fire twice (each is a moment of its own).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError

FIELDS = ("minute", "hour", "day-of-month", "month", "day-of-week")
_ALLOWED = {
    "minute": "0-59",
    "hour": "0-23",
    "day-of-month": "1-31, L or LW",
    "month": "1-12 or jan-dec",
    "day-of-week": "0-7 or sun-sat, with n#k for the k-th and nL for the last in the month",
}
MACROS = {
    # crontab(5): each macro and the five fields it stands for.
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_WEEKS = {"1-7": 1, "8-14": 2, "15-21": 3, "22-28": 4}
_WEEKDAY = re.compile(r"^([0-7]|sun|mon|tue|wed|thu|fri|sat)$", re.IGNORECASE)
_SINCE = datetime(2000, 1, 1, tzinfo=UTC)


class CronError(ValueError):
    """An expression that cannot be read, or that never fires; or an unknown time zone."""


@dataclass(frozen=True)
class EitherDay:
    """Both day fields are restricted, so cron fires on a day matching either of them."""

    day_of_month: str
    day_of_week: str
    nth_weekday: str | None
    """The expression in the ``#`` form, when day-of-month is one week of the month (``1-7``
    ...) and day-of-week names weekdays: what "the first Tuesday" is written as."""


@dataclass(frozen=True)
class Cron:
    expression: str
    """As written (a macro stays a macro)."""
    fields: tuple[str, str, str, str, str]
    """The five fields it stands for."""

    @property
    def spec(self) -> str:
        return " ".join(self.fields)

    @property
    def either_day(self) -> EitherDay | None:
        minute, hour, day_of_month, month, day_of_week = self.fields
        if day_of_month.startswith("*") or day_of_week.startswith("*"):
            return None
        week = _WEEKS.get(day_of_month)
        days = day_of_week.split(",")
        nth = None
        if week is not None and all(_WEEKDAY.match(day) for day in days):
            spelled = ",".join(f"{day}#{week}" for day in days)
            nth = f"{minute} {hour} * {month} {spelled}"
        return EitherDay(day_of_month, day_of_week, nth)

    def explain(self) -> str:
        """What the schedule means, in English words (cronsim's)."""
        return CronSim(self.spec, _SINCE).explain()


def parse_cron(expression: str) -> Cron:
    """Read ``expression``, or raise ``CronError`` naming the field at fault."""
    text = expression.strip()
    if text.startswith("@"):
        if text == "@reboot":
            raise CronError("'@reboot' runs when cron starts, at no time of its own")
        if text not in MACROS:
            known = ", ".join(MACROS)
            raise CronError(f"{text!r} is not a schedule cron knows by name (known: {known})")
        text = MACROS[text]
    parts = text.split()
    if len(parts) != 5:
        raise CronError(
            "a schedule has five fields: minute hour day-of-month month day-of-week "
            "(e.g. '0 10 * * 2'), or is one of " + ", ".join(MACROS)
        )
    cron = Cron(expression, (parts[0], parts[1], parts[2], parts[3], parts[4]))
    try:
        first = CronSim(cron.spec, _SINCE)
    except CronSimError as exc:
        raise _field_error(cron, str(exc)) from None
    try:
        next(first)
    except StopIteration:
        raise CronError(f"{expression!r} never fires") from None
    return cron


def _field_error(cron: Cron, message: str) -> CronError:
    for index, name in enumerate(FIELDS):
        if message.lower() == f"bad {name}":
            value = cron.fields[index]
            if name == "day-of-month" and _reads_in_some_month(cron):
                return CronError(
                    f"day-of-month {value!r} never falls in month {cron.fields[3]!r}: "
                    f"{cron.expression!r} never fires"
                )
            return CronError(f"cannot read the {name} field {value!r} ({_ALLOWED[name]})")
    return CronError(f"cannot read {cron.expression!r}: {message}")


def _reads_in_some_month(cron: Cron) -> bool:
    """Whether the day-of-month field is good on its own (cronsim refuses, as Debian does, days
    that no month of the schedule has)."""
    minute, hour, day_of_month, _, day_of_week = cron.fields
    try:
        CronSim(f"{minute} {hour} {day_of_month} * {day_of_week}", _SINCE)
    except CronSimError:
        return False
    return True


def zone(name: str) -> ZoneInfo:
    """The IANA zone ``name``. The ``right/`` zones are refused: they count leap seconds, so
    their clock changes fall 25-27 s past the minute, and past the last change their data lists
    (a few years ahead) they keep no daylight saving at all — a drill would fire an hour off."""
    if name.startswith("right/"):
        raise CronError(
            f"time zone {name!r} counts leap seconds, which cron does not: use {name[6:]!r}"
        )
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise CronError(f"unknown time zone {name!r}") from exc


def firings(cron: Cron, after: datetime, tz: tzinfo = UTC) -> Iterator[datetime]:
    """Every firing strictly after ``after`` (aware), in UTC, in order; it ends when cronsim
    finds none in fifty years."""
    if after.tzinfo is None:
        raise ValueError("after must be an aware datetime")
    last = after.astimezone(UTC)
    for found in CronSim(cron.spec, last.astimezone(tz)):
        at = found.astimezone(UTC)
        # cronsim walks a wall-clock schedule in local time and answers a repeated time with
        # its first occurrence: from the repeat's second pass, that is behind ``after``.
        if at > last:
            last = at
            yield at


def next_time(cron: Cron, after: datetime, tz: tzinfo = UTC) -> datetime:
    """The first firing strictly after ``after`` (aware), in UTC."""
    for at in firings(cron, after, tz):
        return at
    raise CronError(f"schedule {cron.expression!r} never fires after {after:%Y-%m-%d}")


def times_between(cron: Cron, start: datetime, end: datetime, tz: tzinfo) -> list[datetime]:
    """Every firing in (start, end], in UTC."""
    found: list[datetime] = []
    for at in firings(cron, start, tz):
        if at > end:
            break
        found.append(at)
    return found

"""Cron schedules as Debian's cron reads them: the day rules, ``L``, ``#``, names, macros, and
what daylight saving does to a schedule in a real time zone."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from engine.config import parse_config
from engine.cron import CronError, next_time, parse_cron, times_between, zone
from engine.errors import ConfigError

BERLIN, NEW_YORK = zone("Europe/Berlin"), zone("America/New_York")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def days_fired(expression: str, start: str, end: str) -> list[str]:
    """The days (``Mon 05 Jan``) on which ``expression`` fires in [start, end), in UTC."""
    found = times_between(parse_cron(expression), utc(start) - timedelta(seconds=1), utc(end), UTC)
    return [f"{at:%a %d %b}" for at in found if at < utc(end)]


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("*/15 * * * *", "2026-01-05T00:07", "2026-01-05T00:15"),
        ("0 10 * * 2", "2026-01-05T00:00", "2026-01-06T10:00"),
        ("0 10 * * tue", "2026-01-06T10:00", "2026-01-13T10:00"),
        ("30 4 1,15 * *", "2026-01-02T00:00", "2026-01-15T04:30"),
        ("0 0 * jan-mar 7", "2026-03-30T00:00", "2027-01-03T00:00"),
        ("0 12 13 * fri", "2026-02-01T00:00", "2026-02-06T12:00"),  # day-of-month OR weekday
        ("5-10/5 8 * * *", "2026-01-05T08:05", "2026-01-05T08:10"),
        ("0 0 L * *", "2026-02-01T00:00", "2026-02-28T00:00"),
        ("0 0 L 2 *", "2027-03-01T00:00", "2028-02-29T00:00"),
        ("0 18 LW * *", "2026-05-01T00:00", "2026-05-29T18:00"),  # 31 May is a Sunday
        ("0 9 * * 5L", "2026-01-01T00:00", "2026-01-30T09:00"),  # the last Friday
        ("0 9 * * FRI#2", "2026-01-01T00:00", "2026-01-09T09:00"),
        ("@daily", "2026-01-05T08:00", "2026-01-06T00:00"),
        ("@midnight", "2026-01-05T08:00", "2026-01-06T00:00"),
        ("@hourly", "2026-01-05T08:00", "2026-01-05T09:00"),
        ("@weekly", "2026-01-05T08:00", "2026-01-11T00:00"),  # Sunday
        ("@monthly", "2026-01-05T08:00", "2026-02-01T00:00"),
        ("@yearly", "2026-01-05T08:00", "2027-01-01T00:00"),
        ("@annually", "2026-01-05T08:00", "2027-01-01T00:00"),
    ],
)
def test_next_firing_in_utc(expression: str, after: str, expected: str) -> None:
    assert next_time(parse_cron(expression), utc(after)) == utc(expected)


def test_a_stepped_day_of_month_starts_with_a_star_so_both_day_fields_must_match() -> None:
    """Debian's cron: a day field that starts with ``*`` (``*/2`` too) makes the day rule AND,
    so ``*/2`` stays a restriction to odd days and the drill fires on odd-day Mondays only."""
    fired = days_fired("0 10 */2 * 1", "2026-01-01", "2026-03-01")
    assert fired == ["Mon 05 Jan", "Mon 19 Jan", "Mon 09 Feb", "Mon 23 Feb"]
    assert "Mon 12 Jan" not in fired, "an even day is not one of */2"
    assert "Wed 07 Jan" not in fired, "an odd day that is no Monday does not fire"
    assert parse_cron("0 10 */2 * 1").either_day is None, "no OR rule to warn about"


def test_both_day_fields_restricted_fire_on_either_the_or_rule() -> None:
    january = days_fired("0 10 1-7 1,4,7,10 2", "2026-01-01", "2026-02-01")
    assert january == [
        "Thu 01 Jan",
        "Fri 02 Jan",
        "Sat 03 Jan",
        "Sun 04 Jan",
        "Mon 05 Jan",
        "Tue 06 Jan",
        "Wed 07 Jan",
        "Tue 13 Jan",
        "Tue 20 Jan",
        "Tue 27 Jan",
    ], "days 1-7 and every Tuesday: ten times in January"
    either = parse_cron("0 10 1-7 1,4,7,10 2").either_day
    assert either is not None
    assert (either.day_of_month, either.day_of_week) == ("1-7", "2")
    assert either.nth_weekday == "0 10 * 1,4,7,10 2#1"


def test_the_nth_weekday_form_fires_once_a_quarter() -> None:
    fired = days_fired("0 10 * 1,4,7,10 2#1", "2026-01-01", "2027-01-01")
    assert fired == ["Tue 06 Jan", "Tue 07 Apr", "Tue 07 Jul", "Tue 06 Oct"]


@pytest.mark.parametrize(
    ("expression", "nth"),
    [
        ("0 9 8-14 * mon,thu", "0 9 * * mon#2,thu#2"),
        ("0 9 22-28 * 5", "0 9 * * 5#4"),
        ("0 9 1-10 * 2", None),  # not one week of the month
        ("0 9 1-7 * 1-5", None),  # a range of weekdays has no # form of its own
        ("0 9 1 * 1", None),
    ],
)
def test_the_suggested_nth_weekday_form(expression: str, nth: str | None) -> None:
    either = parse_cron(expression).either_day
    assert either is not None
    assert either.nth_weekday == nth


def test_wall_clock_time_in_the_drills_zone_across_daylight_saving() -> None:
    cron = parse_cron("0 10 * * *")
    winter = next_time(cron, datetime(2026, 3, 27, tzinfo=UTC), BERLIN)
    summer = next_time(cron, datetime(2026, 3, 30, tzinfo=UTC), BERLIN)
    assert (winter.hour, summer.hour) == (9, 8)  # 10:00 CET, then 10:00 CEST


@pytest.mark.parametrize(
    ("tz", "night", "first_minute_after_the_jump"),
    [
        # Berlin, 29 March 2026: 02:00 CET becomes 03:00 CEST (01:00 UTC).
        (BERLIN, "2026-03-28T12:00", "2026-03-29T01:00"),
        # New York, 8 March 2026: 02:00 EST becomes 03:00 EDT (07:00 UTC).
        (NEW_YORK, "2026-03-07T12:00", "2026-03-08T07:00"),
    ],
)
def test_a_wall_clock_time_the_spring_jump_skips_fires_once_right_after_it(
    tz: ZoneInfo, night: str, first_minute_after_the_jump: str
) -> None:
    """Debian's cron runs a job whose time was skipped at once after the jump: 02:30 fires at
    03:00 local, once, and at 02:30 again the next night."""
    cron = parse_cron("30 2 * * *")
    fired = times_between(cron, utc(night), utc(night) + timedelta(days=2), tz)
    assert fired[0] == utc(first_minute_after_the_jump)
    assert len(fired) == 2
    assert fired[1] - fired[0] == timedelta(hours=23, minutes=30)


@pytest.mark.parametrize(
    ("tz", "expression", "night", "first_pass"),
    [
        # Berlin, 25 October 2026: 03:00 CEST becomes 02:00 CET; 02:30 happens twice.
        (BERLIN, "30 2 * * *", "2026-10-24T12:00", "2026-10-25T00:30"),
        # New York, 1 November 2026: 02:00 EDT becomes 01:00 EST; 01:30 happens twice.
        (NEW_YORK, "30 1 * * *", "2026-10-31T12:00", "2026-11-01T05:30"),
    ],
)
def test_a_wall_clock_time_the_autumn_jump_repeats_fires_once_the_first_time(
    tz: ZoneInfo, expression: str, night: str, first_pass: str
) -> None:
    cron = parse_cron(expression)
    fired = times_between(cron, utc(night), utc(night) + timedelta(days=1), tz)
    assert fired == [utc(first_pass)]
    second_pass = utc(first_pass) + timedelta(hours=1)
    assert next_time(cron, second_pass - timedelta(minutes=15), tz) > second_pass, (
        "from within the repeated hour, the next firing is the next day's"
    )


def test_a_schedule_with_a_star_in_its_hour_runs_on_real_time() -> None:
    """Debian's cron only adjusts jobs at a fixed time; ``30 * * * *`` fires every real hour: not
    at all at the skipped 02:30, and at both 02:30s of the repeated hour."""
    hourly = parse_cron("30 * * * *")
    spring = times_between(hourly, utc("2026-03-28T23:00"), utc("2026-03-29T02:00"), BERLIN)
    assert [f"{at.astimezone(BERLIN):%H:%M %Z}" for at in spring] == [
        "00:30 CET",
        "01:30 CET",
        "03:30 CEST",
    ]
    autumn = times_between(hourly, utc("2026-10-24T23:00"), utc("2026-10-25T03:00"), BERLIN)
    assert [f"{at.astimezone(BERLIN):%H:%M %Z}" for at in autumn] == [
        "01:30 CEST",
        "02:30 CEST",
        "02:30 CET",
        "03:30 CET",
    ]


@pytest.mark.parametrize(
    ("expression", "says"),
    [
        ("* * * *", "five fields"),
        ("* * * * * *", "five fields"),
        ("61 * * * *", "minute field '61'"),
        ("0 24 * * *", "hour field '24'"),
        ("0 0 32 * *", "day-of-month field '32'"),
        ("0 0 30 2 *", "never falls in month '2'"),
        ("0 0 1 13 *", "month field '13'"),
        ("0 0 * * 2#6", "day-of-week field '2#6'"),
        ("*/0 * * * *", "minute field '*/0'"),
        ("a * * * *", "minute field 'a'"),
        ("5-1 * * * *", "minute field '5-1'"),
        ("* * */20 * 1L", "never fires"),
        ("@reboot", "at no time of its own"),
        ("@fortnightly", "known: @yearly"),
    ],
)
def test_bad_or_never_firing_schedules_are_refused_naming_the_fault(
    expression: str, says: str
) -> None:
    with pytest.raises(CronError, match=re.escape(says)):
        parse_cron(expression)


def test_the_config_refuses_a_bad_schedule_or_zone() -> None:
    for drill, path in (
        ("{name: d, schedule: '0 0 30 2 *'}", "drills[0].schedule"),
        ("{name: d, schedule: '0 10 * * 2', timezone: Mars/Olympus}", "drills[0].timezone"),
        ("{name: d, schedule: '0 10 * * 2', announce: [0s]}", "drills[0]"),
    ):
        with pytest.raises(ConfigError) as caught:
            parse_config(f"drills: [{drill}]")
        assert [p.path for p in caught.value.problems] == [path]


def test_a_leap_second_zone_is_refused_naming_the_zone_to_use() -> None:
    # right/America/Boise changes its clock at 09:00:27 UTC in 2025 and keeps no daylight
    # saving after 2037 in its data: a drill scheduled there would fire off the minute and,
    # later, an hour off.
    with pytest.raises(ConfigError) as caught:
        parse_config("drills: [{name: d, schedule: '0 10 * * 2', timezone: right/America/Boise}]")
    (problem,) = caught.value.problems
    assert problem.path == "drills[0].timezone"
    assert "leap seconds" in problem.message
    assert "'America/Boise'" in problem.message

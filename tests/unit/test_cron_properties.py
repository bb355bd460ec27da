"""Properties of drill schedules over random cron expressions and every time zone, checked
against cronsim itself: its plain wall-clock evaluation (no zone) says which minutes match, its
reverse walk says which firing came before, and Debian's rules for daylight saving say what a
zone does to those minutes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, tzinfo
from itertools import islice, pairwise

from cronsim import CronSim
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from engine.cron import Cron, CronError, firings, next_time, parse_cron

MINUTE = timedelta(minutes=1)
MARGIN = timedelta(hours=26)
"""More than any jump of a zone's clock since 2012 (Samoa's skipped day was in 2011)."""
FIRINGS = 4


def field(low: int, high: int, names: tuple[str, ...] = (), extra: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    value = st.integers(low, high).map(str)
    if names:
        value = value | st.sampled_from(names)
    span = st.tuples(st.integers(low, high), st.integers(low, high)).map(sorted)
    ranged = span.map(lambda ab: f"{ab[0]}-{ab[1]}")
    step = st.integers(1, high - low + 1).map(str)
    item = st.one_of(
        value,
        ranged,
        st.tuples(ranged, step).map("/".join),
        st.tuples(value, step).map("/".join),
        step.map("*/{}".format),
        *(st.just(e) for e in extra),
    )
    return st.just("*") | st.lists(item, min_size=1, max_size=3).map(",".join)


WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
NTH = st.tuples(st.integers(0, 7), st.integers(1, 5)).map(lambda dn: f"{dn[0]}#{dn[1]}")
LAST = st.integers(0, 7).map("{}L".format)
DAY_OF_WEEK = (
    field(0, 7, WEEKDAYS) | NTH | LAST | st.lists(NTH, min_size=2, max_size=3).map(",".join)
)


@st.composite
def expressions(draw: st.DrawFn) -> Cron:
    text = " ".join(
        (
            draw(field(0, 59)),
            draw(field(0, 23)),
            draw(field(1, 31) | st.sampled_from(("L", "LW"))),
            draw(field(1, 12, MONTHS)),
            draw(DAY_OF_WEEK),
        )
    )
    try:
        return parse_cron(text)
    except CronError:
        assume(False)
        raise


ZONES = st.timezones().filter(lambda tz: not str(tz).startswith("right/"))
"""Every zone a drill may name (``engine.cron.zone`` refuses the leap-second ``right/`` ones)."""
MOMENTS = st.datetimes(datetime(2012, 1, 1), datetime(2040, 1, 1)).map(
    lambda at: at.replace(tzinfo=UTC)
)


def jumps(tz: tzinfo, year: int) -> list[datetime]:
    """The moments of ``year`` at which the zone's clock jumps (its UTC offset changes)."""
    found = []
    day = datetime(year, 1, 1, tzinfo=UTC)
    while day.year == year:
        low, high = day, day + timedelta(days=1)
        if low.astimezone(tz).utcoffset() != high.astimezone(tz).utcoffset():
            while high - low > MINUTE:
                middle = low + (high - low) / 2
                same = middle.astimezone(tz).utcoffset() == low.astimezone(tz).utcoffset()
                low, high = (middle, high) if same else (low, middle)
            found.append(high)
        day += timedelta(days=1)
    return found


@st.composite
def near_a_jump(draw: st.DrawFn) -> tuple[Cron, tzinfo, datetime]:
    """A schedule whose hours are those around a jump of the zone's clock, from a moment a few
    hours either side of it: where daylight saving decides what fires."""
    tz = draw(ZONES)
    found = jumps(tz, draw(st.integers(2012, 2039)))
    assume(found)
    jump = draw(st.sampled_from(found))
    around = {wall(jump + timedelta(minutes=m), tz).hour for m in range(-120, 121, 30)}
    hour = draw(
        st.sampled_from(
            (",".join(map(str, sorted(around))), str(min(around)), str(max(around)), "*")
        )
        | field(0, 23)
    )
    text = " ".join((draw(field(0, 59)), hour, draw(st.sampled_from(("*", "L", "1-31"))), "*", "*"))
    after = jump + draw(st.integers(-120, 120)) * MINUTE + draw(st.integers(0, 59)) * MINUTE / 60
    return parse_cron(text), tz, after


CASES = st.tuples(expressions(), ZONES, MOMENTS) | near_a_jump()


def take(cron: Cron, after: datetime, tz: tzinfo) -> list[datetime]:
    found = list(islice(firings(cron, after, tz), FIRINGS))
    assume(len(found) == FIRINGS)
    return found


def wall(at: datetime, tz: tzinfo) -> datetime:
    return at.astimezone(tz).replace(tzinfo=None)


def wall_matches(cron: Cron, start: datetime, end: datetime) -> Iterator[datetime]:
    """The library's wall-clock matches in (start, end], no zone involved."""
    for found in CronSim(cron.spec, start):
        if found > end:
            return
        yield found


def exists(local: datetime, tz: tzinfo) -> bool:
    return wall(local.replace(tzinfo=tz).astimezone(UTC), tz) == local


def debian_firings(cron: Cron, local: datetime, tz: tzinfo) -> set[datetime]:
    """What Debian's cron does at a matching wall-clock minute (cron(8), "Daylight saving"):
    a job at a fixed minute and hour fires once at a time a jump back repeats (the first
    time), and at once after a jump forward that skipped it; a job with ``*`` in its minute or
    hour runs on real time: at both passes of a repeated minute, never at a skipped one."""
    fixed = not cron.fields[0].startswith("*") and not cron.fields[1].startswith("*")
    if fixed:
        while not exists(local, tz):
            local += MINUTE
        return {local.replace(tzinfo=tz, fold=0).astimezone(UTC)}
    if not exists(local, tz):
        return set()
    return {local.replace(tzinfo=tz, fold=fold).astimezone(UTC) for fold in (0, 1)}


@settings(max_examples=400)
@given(CASES)
def test_each_firing_is_after_the_last_and_at_a_minute_the_library_matches(
    case: tuple[Cron, tzinfo, datetime],
) -> None:
    cron, tz, after = case
    previous = after
    for at in take(cron, after, tz):
        assert at > previous, "strictly later than `after` and than the firing before"
        assert at.second == 0
        # The wall-clock minute matches, or it is the first one after a jump that skipped it.
        here = wall(at, tz)
        before = wall(at - MINUTE, tz)
        since = before if before < here else here - MINUTE
        assert next(iter(wall_matches(cron, since, here)), None) is not None
        previous = at


@settings(max_examples=400)
@given(CASES)
def test_no_firing_is_skipped_or_doubled_between_two_results(
    case: tuple[Cron, tzinfo, datetime],
) -> None:
    cron, tz, after = case
    found = take(cron, after, tz)
    expected: set[datetime] = set()
    for local in wall_matches(cron, wall(after, tz) - MARGIN, wall(found[-1], tz) + MARGIN):
        expected |= debian_firings(cron, local, tz)
    assert found == sorted(at for at in expected if after < at <= found[-1])


@settings(max_examples=300)
@given(expressions(), MOMENTS)
def test_in_utc_the_librarys_reverse_walk_finds_each_firing_before(
    cron: Cron, after: datetime
) -> None:
    found = take(cron, after, UTC)
    for earlier, later in pairwise(found):
        assert next(CronSim(cron.spec, later, reverse=True)) == earlier


@settings(max_examples=300)
@given(
    CASES,
    st.timedeltas(timedelta(0), timedelta(days=400)) | st.timedeltas(timedelta(0), 3 * 60 * MINUTE),
)
def test_a_later_moment_never_has_an_earlier_next_firing_in_any_zone(
    case: tuple[Cron, tzinfo, datetime], later_by: timedelta
) -> None:
    cron, tz, after = case
    try:
        first, second = next_time(cron, after, tz), next_time(cron, after + later_by, tz)
    except CronError:
        assume(False)
        return
    assert first <= second


@settings(max_examples=300)
@given(expressions())
def test_every_schedule_the_config_accepts_can_be_explained(cron: Cron) -> None:
    assert cron.explain()


@settings(max_examples=1000)
@given(st.text(st.sampled_from("0123456789*/-,#LW @ajnmotuesdfriy"), max_size=30))
def test_any_text_is_a_schedule_or_a_cron_error(text: str) -> None:
    """Nothing but a ``CronError`` (with a message) escapes from reading a schedule."""
    try:
        parse_cron(text)
    except CronError as exc:
        message = str(exc)
    else:
        return
    assert message

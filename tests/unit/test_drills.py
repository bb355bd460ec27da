"""Drills, pure: the current occurrence of a drill's schedule and what is due about it
(announcements, start, miss), postpones and skips. The schedules themselves: test_cron.py."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from engine.config import Drill
from engine.drills.duties import Announce, Miss, Start, duties
from engine.drills.schedule import DrillNote, NoteKind, current_occurrence

T0 = datetime(2026, 1, 5, 0, 0, tzinfo=UTC)  # a Monday
TUESDAYS = Drill(name="weekly", schedule="0 10 * * tue", timezone="Europe/Berlin")


def at(days: float = 0, hours: float = 0, minutes: float = 0) -> datetime:
    return T0 + timedelta(days=days, hours=hours, minutes=minutes)


# ----------------------------------------------------------------------------- occurrences


def note(
    kind: NoteKind, occurrence: datetime, due: datetime | None = None, **kw: object
) -> DrillNote:
    return DrillNote(kind=kind, occurrence=occurrence, due=due or occurrence, **kw)  # type: ignore[arg-type]


TUESDAY_10 = datetime(2026, 1, 6, 9, 0, tzinfo=UTC)  # 10:00 in Berlin


def test_announcements_at_24h_and_1h_then_the_start() -> None:
    occurrence = current_occurrence(TUESDAYS, [], at())
    assert occurrence.scheduled == TUESDAY_10
    assert duties(TUESDAYS, occurrence, TUESDAY_10 - timedelta(hours=25)) == []
    [first] = duties(TUESDAYS, occurrence, TUESDAY_10 - timedelta(hours=23))
    assert isinstance(first, Announce)
    assert first.offsets == (86400.0,)
    announced = [note(NoteKind.ANNOUNCED, TUESDAY_10, offsets=(86400.0,))]
    occurrence = current_occurrence(TUESDAYS, announced, TUESDAY_10 - timedelta(hours=2))
    assert duties(TUESDAYS, occurrence, TUESDAY_10 - timedelta(hours=2)) == []
    [second] = duties(TUESDAYS, occurrence, TUESDAY_10 - timedelta(minutes=59))
    assert isinstance(second, Announce)
    assert second.offsets == (3600.0,)
    [start] = duties(TUESDAYS, occurrence, TUESDAY_10 + timedelta(seconds=5))
    assert isinstance(start, Start)


def test_a_late_start_within_grace_runs_and_a_later_one_is_missed() -> None:
    occurrence = current_occurrence(TUESDAYS, [], TUESDAY_10 - timedelta(minutes=1))
    assert isinstance(duties(TUESDAYS, occurrence, TUESDAY_10 + timedelta(minutes=10))[0], Start)
    assert isinstance(duties(TUESDAYS, occurrence, TUESDAY_10 + timedelta(minutes=20))[0], Miss)


def test_a_bot_started_after_the_announcement_times_announces_once() -> None:
    occurrence = current_occurrence(TUESDAYS, [], TUESDAY_10 - timedelta(minutes=30))
    [announce] = duties(TUESDAYS, occurrence, TUESDAY_10 - timedelta(minutes=30))
    assert isinstance(announce, Announce)
    assert announce.offsets == (86400.0, 3600.0)


def test_postpone_moves_the_due_time_and_the_start() -> None:
    notes = [
        note(NoteKind.ANNOUNCED, TUESDAY_10, offsets=(86400.0, 3600.0)),
        note(
            NoteKind.POSTPONED,
            TUESDAY_10,
            TUESDAY_10 + timedelta(hours=1),
            by="UALICE",
            at=TUESDAY_10 - timedelta(minutes=30),
        ),
    ]
    occurrence = current_occurrence(TUESDAYS, notes, TUESDAY_10 - timedelta(minutes=20))
    assert occurrence.scheduled == TUESDAY_10
    assert occurrence.due == TUESDAY_10 + timedelta(hours=1)
    assert occurrence.postponed_by == ("UALICE",)
    assert occurrence.postponed_at == TUESDAY_10 - timedelta(minutes=30)
    assert occurrence.announced == frozenset(), "the new time is announced afresh"
    assert duties(TUESDAYS, occurrence, TUESDAY_10 - timedelta(minutes=20)) == []
    assert isinstance(duties(TUESDAYS, occurrence, TUESDAY_10 + timedelta(hours=1))[0], Start)


def announcements_until_start(
    notes: list[DrillNote], since: datetime, until: datetime | None = None
) -> list[tuple[datetime, tuple[float, ...]]]:
    """Look at the duties every 30 s from ``since`` until the drill starts (or ``until``), as
    the leader does, noting each announcement made: when, and which offsets."""
    drill = TUESDAYS
    made: list[tuple[datetime, tuple[float, ...]]] = []
    now = since
    while until is None or now < until:
        occurrence = current_occurrence(drill, notes, now)
        for duty in duties(drill, occurrence, now):
            if isinstance(duty, Start):
                return made
            assert isinstance(duty, Announce)
            made.append((now, duty.offsets))
            notes.append(
                note(
                    NoteKind.ANNOUNCED,
                    occurrence.scheduled,
                    occurrence.due,
                    offsets=duty.offsets,
                    at=now,
                )
            )
        now += timedelta(seconds=30)
    return made


def postponed(by: timedelta, at: datetime, announced: tuple[float, ...]) -> list[DrillNote]:
    notes = [note(NoteKind.ANNOUNCED, TUESDAY_10, offsets=announced)] if announced else []
    return [
        *notes,
        note(NoteKind.POSTPONED, TUESDAY_10, TUESDAY_10 + by, by="UALICE", at=at),
    ]


DAY, HOUR, MINUTE = timedelta(days=1), timedelta(hours=1), timedelta(minutes=1)


@pytest.mark.parametrize(
    ("by", "before", "announced", "expected"),
    [
        # Postponed before the 24 h notice: both offsets apply to the new time.
        (HOUR, 25 * HOUR, (), [(-23 * HOUR, (86400.0,)), (0 * HOUR, (3600.0,))]),
        (DAY, 25 * HOUR, (), [(0 * HOUR, (86400.0,)), (23 * HOUR, (3600.0,))]),
        # Between the notices: the 24 h moment of a 1 h postpone has passed, and is let go.
        (HOUR, 2 * HOUR, (86400.0,), [(0 * HOUR, (3600.0,))]),
        (DAY, 2 * HOUR, (86400.0,), [(0 * HOUR, (86400.0,)), (23 * HOUR, (3600.0,))]),
        # Half an hour before the drill, both notices made already.
        (HOUR, 30 * MINUTE, (86400.0, 3600.0), [(0 * HOUR, (3600.0,))]),
        (DAY, 30 * MINUTE, (86400.0, 3600.0), [(0 * HOUR, (86400.0,)), (23 * HOUR, (3600.0,))]),
    ],
)
def test_a_postponed_drill_is_announced_again_at_each_offset_still_ahead(
    by: timedelta,
    before: timedelta,
    announced: tuple[float, ...],
    expected: list[tuple[timedelta, tuple[float, ...]]],
) -> None:
    """Times in ``expected`` count from the drill's original time; the click is 7 s into a
    30 s duty check, so each announcement is made 7 s after its moment."""
    late = timedelta(seconds=7)
    clicked = TUESDAY_10 - before + late
    made = announcements_until_start(postponed(by, clicked, announced), clicked)
    assert [(at - TUESDAY_10, offsets) for at, offsets in made] == [
        (moment + late, offsets) for moment, offsets in expected
    ]


def test_a_notice_whose_moment_is_the_postpone_itself_is_made_at_once() -> None:
    clicked = TUESDAY_10 - timedelta(hours=23)  # 1 h later, the 24 h moment is the click
    made = announcements_until_start(postponed(HOUR, clicked, (86400.0,)), clicked)
    assert made == [(clicked, (86400.0,)), (TUESDAY_10, (3600.0,))]


def test_a_drill_postponed_twice_is_announced_for_its_last_time() -> None:
    first = TUESDAY_10 - timedelta(minutes=30)
    second = TUESDAY_10 + timedelta(minutes=10)
    notes = postponed(HOUR, first, (86400.0, 3600.0))
    assert announcements_until_start(notes, first, second) == [(TUESDAY_10, (3600.0,))]
    notes.append(
        note(NoteKind.POSTPONED, TUESDAY_10, TUESDAY_10 + DAY + HOUR, by="UBOB", at=second)
    )
    occurrence = current_occurrence(TUESDAYS, notes, second)
    assert occurrence.due == TUESDAY_10 + DAY + HOUR
    assert occurrence.postponed_by == ("UALICE", "UBOB")
    assert len(occurrence.announcements) == 2, "the first one (both offsets), the second"
    assert occurrence.announced == frozenset()
    assert announcements_until_start(notes, second) == [
        (TUESDAY_10 + HOUR, (86400.0,)),
        (TUESDAY_10 + DAY, (3600.0,)),
    ]


def test_skipping_a_postponed_drill_cancels_its_announcements_and_the_next_one_is_normal() -> None:
    clicked = TUESDAY_10 - timedelta(minutes=30)
    notes = [
        *postponed(DAY, clicked, (86400.0, 3600.0)),
        note(NoteKind.SKIPPED, TUESDAY_10, TUESDAY_10 + DAY, by="UBOB", at=clicked + MINUTE),
    ]
    for hours in (0, 23, 24):
        now = TUESDAY_10 + timedelta(hours=hours)
        current = current_occurrence(TUESDAYS, notes, now)
        assert current.scheduled == TUESDAY_10 + 7 * DAY, "the next regular firing"
        assert duties(TUESDAYS, current, now) == []
    next_tuesday = TUESDAY_10 + 7 * DAY
    assert announcements_until_start(notes, TUESDAY_10) == [
        (next_tuesday - DAY, (86400.0,)),
        (next_tuesday - HOUR, (3600.0,)),
    ]


def test_a_notes_moment_is_its_audit_events_and_not_stored_in_it() -> None:
    """Replicas of an earlier version read the same JSON (unknown keys are refused there)."""
    stamped = note(NoteKind.POSTPONED, TUESDAY_10, TUESDAY_10 + HOUR, at=TUESDAY_10)
    assert "at" not in json.loads(stamped.model_dump_json())
    assert DrillNote.model_validate_json(stamped.model_dump_json()).at is None


def test_a_skipped_or_started_occurrence_gives_way_to_the_next() -> None:
    for closing in (
        note(NoteKind.SKIPPED, TUESDAY_10, by="UBOB"),
        note(NoteKind.STARTED, TUESDAY_10, run_id="r1"),
    ):
        current = current_occurrence(TUESDAYS, [closing], TUESDAY_10 - timedelta(hours=1))
        assert current.scheduled == TUESDAY_10 + timedelta(days=7)


def test_a_postpone_past_the_next_firing_swallows_it() -> None:
    daily = Drill(name="daily", schedule="0 9 * * *")
    nine = datetime(2026, 1, 6, 9, tzinfo=UTC)
    notes = [
        note(NoteKind.POSTPONED, nine, nine + timedelta(days=1)),
        note(NoteKind.STARTED, nine, nine + timedelta(days=1), run_id="r1"),
    ]
    current = current_occurrence(daily, notes, nine + timedelta(days=1, minutes=1))
    assert current.scheduled == nine + timedelta(days=2)


# ----------------------------------------------------------------------------- daylight saving

NIGHTLY = Drill(name="nightly", schedule="30 2 * * *", timezone="Europe/Berlin")
FIRST_0230 = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST; 02:30 CET is 01:30 UTC


def starts_through_the_night(notes: list[DrillNote], since: datetime) -> list[datetime]:
    """Look at the nightly drill's duties every 30 s from ``since`` until 04:00 CET, as the
    leader does, noting what it does; the scheduled times of the starts made."""
    started = []
    now = since
    while now < datetime(2026, 10, 25, 3, tzinfo=UTC):
        occurrence = current_occurrence(NIGHTLY, notes, now)
        for duty in duties(NIGHTLY, occurrence, now):
            kind = {Announce: NoteKind.ANNOUNCED, Start: NoteKind.STARTED, Miss: NoteKind.MISSED}
            extra = {"offsets": duty.offsets} if isinstance(duty, Announce) else {}
            notes.append(
                note(kind[type(duty)], occurrence.scheduled, occurrence.due, at=now, **extra)
            )
            if isinstance(duty, Start):
                started.append(occurrence.scheduled)
        now += timedelta(seconds=30)
    return started


def test_a_drill_at_a_time_the_autumn_jump_repeats_starts_once() -> None:
    notes: list[DrillNote] = []
    assert starts_through_the_night(notes, datetime(2026, 10, 24, 22, tzinfo=UTC)) == [FIRST_0230]
    assert current_occurrence(NIGHTLY, notes, FIRST_0230 + HOUR).scheduled == datetime(
        2026, 10, 26, 1, 30, tzinfo=UTC
    ), "from the second 02:30 on, the next is 02:30 CET the next night"


def test_a_replica_back_within_the_repeated_hour_does_not_run_the_second_0230() -> None:
    """No replica ran at the first 02:30; one back at 02:05 CET (the second pass) lets that
    drill go, and does not take the second 02:30 for it."""
    notes: list[DrillNote] = []
    assert starts_through_the_night(notes, FIRST_0230 + 35 * MINUTE) == []
    next_night = datetime(2026, 10, 26, 1, 30, tzinfo=UTC)
    assert [(n.kind, n.occurrence) for n in notes] == [(NoteKind.ANNOUNCED, next_night)], (
        "nothing about the first 02:30 (not even a miss), only the next night's 24 h notice"
    )

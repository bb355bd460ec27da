"""What a readiness check reads from continuous object sync's state: the backlog's age."""

from __future__ import annotations

from datetime import timedelta

from engine.sync_records import ObjectBacklog, ObjectSyncState, object_pair
from tests.support.clock import T0

PAIR = object_pair("s3://primary", "blob://dr")
NOW = T0 + timedelta(minutes=10)


def test_the_oldest_uncopied_object_is_the_older_of_the_covered_time_and_the_pending() -> None:
    covered = T0 + timedelta(minutes=5)
    state = ObjectSyncState(
        PAIR, covered, covered_until=covered, pending=ObjectBacklog(2, 30, T0 - timedelta(hours=1))
    )

    assert state.oldest_uncopied() == T0 - timedelta(hours=1)
    assert state.backlog_age(NOW) == timedelta(hours=1, minutes=10)


def test_with_nothing_pending_the_age_is_the_time_since_the_covered_time() -> None:
    covered = T0 + timedelta(minutes=5)
    state = ObjectSyncState(PAIR, covered, covered_until=covered)

    assert state.backlog_age(NOW) == timedelta(minutes=5)


def test_before_the_first_pass_nothing_is_known() -> None:
    state = ObjectSyncState(PAIR, T0, pending=ObjectBacklog(1, 1, T0))

    assert state.oldest_uncopied() is None
    assert state.backlog_age(NOW) is None

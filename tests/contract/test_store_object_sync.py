"""Store contract: continuous object sync's state and pass history, written under the pair's
lease."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest

from engine.errors import LeaseLost
from engine.records import Lease
from engine.store import Store
from engine.sync_records import (
    ObjectBacklog,
    ObjectSyncPass,
    ObjectSyncState,
    SyncPassKind,
    SyncPassOutcome,
    object_pair,
    object_sync_lease_name,
)
from tests.support.clock import T0, ManualClock

PAIR = object_pair("s3://primary/data", "blob://dr/data")
OTHER = object_pair("s3://logs", "blob://logs")
TTL = timedelta(seconds=30)


def a_pass(minutes: int, pair: str = PAIR, copied: int = 1) -> ObjectSyncPass:
    at = T0 + timedelta(minutes=minutes)
    return ObjectSyncPass(
        pair,
        SyncPassKind.SINCE,
        SyncPassOutcome.INCOMPLETE,
        at,
        at + timedelta(seconds=4),
        examined=12,
        copied=copied,
        copied_bytes=4096 * copied,
        failed=1,
        failed_bytes=10,
        watermark=at - timedelta(minutes=15),
        detail="data/x.bin: SlowDown",
    )


def a_state(minutes: int, pair: str = PAIR) -> ObjectSyncState:
    done = a_pass(minutes, pair)
    return ObjectSyncState(
        pair,
        done.finished_at,
        watermark=done.watermark,
        listed_until=done.watermark,
        covered_until=done.started_at,
        pending=ObjectBacklog(1, 10, T0 - timedelta(hours=1)),
        last_full_at=T0,
        last_pass=done,
    )


def take(store: Store, pair: str = PAIR, owner: str = "replica-a") -> Lease:
    lease = store.acquire_lease(object_sync_lease_name(pair), owner, TTL)
    assert lease is not None
    return lease


def test_a_state_is_kept_as_written_and_read_by_another_replica(
    open_store: Callable[[], Store],
) -> None:
    store, other = open_store(), open_store()
    state = a_state(5)

    store.record_object_sync(take(store), state, passed=state.last_pass)

    assert other.get_object_sync(PAIR) == state
    assert other.get_object_sync(OTHER) is None
    assert other.list_object_sync_passes(PAIR) == [state.last_pass]


def test_a_new_state_replaces_the_old_and_a_state_without_a_pass_adds_none(
    store: Store,
) -> None:
    lease = take(store)
    first = a_state(5)
    store.record_object_sync(lease, first, passed=first.last_pass)
    held = replace(first, held="run r1 (dr-azure) syncs s3://primary", held_since=T0)

    store.record_object_sync(lease, held)

    assert store.get_object_sync(PAIR) == held
    assert store.list_object_sync_passes(PAIR) == [first.last_pass]


def test_the_history_keeps_the_newest_passes_oldest_first_per_pair(store: Store) -> None:
    lease, other_lease = take(store), take(store, OTHER)
    for minute in range(6):
        state = a_state(minute)
        store.record_object_sync(lease, state, passed=state.last_pass, keep=4)
    store.record_object_sync(other_lease, a_state(9, OTHER), passed=a_pass(9, OTHER), keep=4)

    kept = store.list_object_sync_passes(PAIR)
    assert [p.started_at for p in kept] == [T0 + timedelta(minutes=m) for m in range(2, 6)]
    assert store.list_object_sync_passes(PAIR, limit=2) == kept[-2:]
    assert store.list_object_sync_passes(PAIR, limit=0) == []
    assert store.list_object_sync_passes(OTHER) == [a_pass(9, OTHER)]
    with pytest.raises(ValueError, match="keep"):
        store.record_object_sync(lease, a_state(7), passed=a_pass(7), keep=0)


def test_only_the_pairs_lease_may_write_its_state(store: Store) -> None:
    wrong = take(store, OTHER)

    with pytest.raises(LeaseLost):
        store.record_object_sync(wrong, a_state(1), passed=a_pass(1))

    assert store.get_object_sync(PAIR) is None
    assert store.list_object_sync_passes(PAIR) == []


def test_an_expired_or_superseded_lease_writes_nothing(
    open_store: Callable[[], Store], clock: ManualClock
) -> None:
    store, other = open_store(), open_store()
    old = take(store, owner="replica-a")
    clock.advance(TTL.total_seconds() + 1)

    with pytest.raises(LeaseLost):
        store.record_object_sync(old, a_state(1), passed=a_pass(1))
    assert store.get_object_sync(PAIR) is None

    new = take(other, owner="replica-b")
    assert new.token > old.token
    newer = a_state(2)
    other.record_object_sync(new, newer, passed=newer.last_pass)
    with pytest.raises(LeaseLost):
        store.record_object_sync(old, a_state(3), passed=a_pass(3))

    assert store.get_object_sync(PAIR) == newer
    assert store.list_object_sync_passes(PAIR) == [newer.last_pass]

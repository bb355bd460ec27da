"""Store contract: leases with fencing tokens, and writes fenced by them."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest

from engine.errors import Conflict, LeaseLost
from engine.records import AuditEvent, Lease, Surface
from engine.runs import (
    Attempt,
    AttemptOutcome,
    EventKind,
    ProgressEvent,
    Run,
    RunMode,
    RunState,
    StageRecord,
    StageState,
    run_lease_name,
)
from engine.store import Store
from tests.support.clock import T0, ManualClock

TTL = timedelta(seconds=30)


def a_run(run_id: str = "r1", state: RunState = RunState.PROPOSED) -> Run:
    return Run(run_id, "dr-azure", "abc123", ("a", "b"), RunMode.LIVE, state, T0, "U1")


def take(store: Store, run_id: str = "r1", owner: str = "A") -> Lease:
    lease = store.acquire_lease(run_lease_name(run_id), owner, TTL)
    assert lease is not None
    return lease


# ----------------------------------------------------------------------------- leases


def test_a_free_lease_is_taken_and_others_are_refused(store: Store) -> None:
    lease = store.acquire_lease("leader", "A", TTL)
    assert lease is not None
    assert (lease.name, lease.owner, lease.expires_at) == ("leader", "A", T0 + TTL)
    assert store.acquire_lease("leader", "B", TTL) is None
    assert store.get_lease("leader") == lease


def test_the_holder_acquiring_again_extends_and_keeps_its_token(
    store: Store, clock: ManualClock
) -> None:
    first = store.acquire_lease("leader", "A", TTL)
    clock.advance(10)
    again = store.acquire_lease("leader", "A", TTL)
    assert again is not None
    assert first is not None
    assert again.token == first.token
    assert again.expires_at == T0 + timedelta(seconds=10) + TTL


def test_an_expired_lease_goes_to_the_next_owner_with_a_greater_token(
    store: Store, clock: ManualClock
) -> None:
    first = take(store, owner="A")
    clock.advance(29.999)
    assert store.acquire_lease(first.name, "B", TTL) is None
    clock.advance(0.001)
    assert store.get_lease(first.name) is None
    second = store.acquire_lease(first.name, "B", TTL)
    assert second is not None
    assert second.token > first.token
    assert second.owner == "B"


def test_tokens_never_repeat_across_releases_and_takeovers(
    store: Store, clock: ManualClock
) -> None:
    tokens = []
    for turn in range(6):
        lease = take(store, owner=f"owner-{turn % 2}")
        tokens.append(lease.token)
        if turn % 2:
            assert store.release_lease(lease)
        else:
            clock.advance(TTL.total_seconds())
    assert tokens == sorted(set(tokens))


def test_renewing_extends_a_held_lease(store: Store, clock: ManualClock) -> None:
    lease = take(store)
    clock.advance(20)
    renewed = store.renew_lease(lease, TTL)
    assert renewed.token == lease.token
    assert renewed.expires_at == T0 + timedelta(seconds=20) + TTL
    clock.advance(20)  # past the first expiry, within the renewed one
    assert store.get_lease(lease.name) == renewed


def test_an_expired_lease_cannot_be_renewed_even_if_nobody_took_it(
    store: Store, clock: ManualClock
) -> None:
    lease = take(store)
    clock.advance(TTL.total_seconds())
    with pytest.raises(LeaseLost):
        store.renew_lease(lease, TTL)
    again = take(store)
    assert again.token > lease.token


def test_a_lease_taken_over_cannot_be_renewed_or_released_by_its_old_owner(
    store: Store, clock: ManualClock
) -> None:
    old = take(store, owner="A")
    clock.advance(TTL.total_seconds())
    new = take(store, owner="B")
    with pytest.raises(LeaseLost):
        store.renew_lease(old, TTL)
    assert not store.release_lease(old)
    assert store.get_lease(old.name) == new


def test_a_released_lease_is_free_at_once(store: Store) -> None:
    lease = take(store, owner="A")
    assert store.release_lease(lease)
    assert store.get_lease(lease.name) is None
    assert take(store, owner="B").token > lease.token


def test_of_many_replicas_racing_for_a_lease_exactly_one_wins(
    open_store: Callable[[], Store],
) -> None:
    replicas = [open_store() for _ in range(8)]
    barrier = threading.Barrier(len(replicas))
    won: list[Lease] = []

    def race(store: Store, owner: str) -> None:
        barrier.wait()
        lease = store.acquire_lease("leader", owner, TTL)
        if lease is not None:
            won.append(lease)

    threads = [
        threading.Thread(target=race, args=(store, f"replica-{n}"))
        for n, store in enumerate(replicas)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 1
    assert replicas[0].get_lease("leader") == won[0]


# ----------------------------------------------------------------------------- fenced writes


def test_a_fenced_write_lands_whole(store: Store) -> None:
    store.create_run(a_run())
    lease = take(store)
    running = a_run(state=RunState.RUNNING)
    attempt = Attempt(1, 1, T0, T0 + timedelta(seconds=2), AttemptOutcome.SUCCEEDED)
    stage = StageRecord("r1", "a", StageState.SUCCEEDED, (attempt,), started_at=T0)
    events = [
        ProgressEvent("r1", EventKind.STAGE_STARTED, T0, stage="a", attempt=1),
        ProgressEvent("r1", EventKind.STAGE_SUCCEEDED, T0, stage="a", message="done"),
    ]
    audit = AuditEvent(T0, "U1", Surface.SLACK, "run.start", "r1")

    stored = store.record(lease, run=running, stages=[stage], events=events, audit=[audit])

    assert [e.seq for e in stored] == [1, 2]
    assert store.get_run("r1") == running
    (kept,) = store.get_stages("r1")
    assert kept.token == lease.token  # stamped by the store with the fencing token
    assert kept.attempts == (attempt,)
    assert store.list_events("r1") == stored
    assert [(a.action, a.actor) for a in store.list_audit(subject="r1")] == [("run.start", "U1")]


def test_event_numbers_continue_across_writes_and_can_be_read_from_a_point(
    store: Store,
) -> None:
    store.create_run(a_run())
    lease = take(store)
    for n in range(5):
        store.record(
            lease, events=[ProgressEvent("r1", EventKind.STAGE_PROGRESS, T0, message=str(n))]
        )
    assert [e.seq for e in store.list_events("r1")] == [1, 2, 3, 4, 5]
    assert [e.message for e in store.list_events("r1", after=3)] == ["3", "4"]


def test_parallel_stages_writing_under_one_lease_get_distinct_event_numbers(
    store: Store,
) -> None:
    store.create_run(a_run())
    lease = take(store)

    def write(stage: str) -> None:
        for _ in range(20):
            store.record(
                lease, events=[ProgressEvent("r1", EventKind.STAGE_PROGRESS, T0, stage=stage)]
            )

    threads = [threading.Thread(target=write, args=(s,)) for s in "abcd"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [e.seq for e in store.list_events("r1")] == list(range(1, 81))


def nothing_changed(store: Store) -> None:
    assert store.get_run("r1") == a_run()
    assert store.get_stages("r1") == []
    assert store.list_events("r1") == []
    assert store.list_audit(subject="r1") == []


def write_everything(store: Store, lease: Lease) -> None:
    store.record(
        lease,
        run=a_run(state=RunState.RUNNING),
        stages=[StageRecord("r1", "a", StageState.RUNNING)],
        events=[ProgressEvent("r1", EventKind.RUN_STARTED, T0)],
        audit=[AuditEvent(T0, "U1", Surface.SLACK, "run.start", "r1")],
    )


def test_a_write_under_an_expired_lease_is_refused_and_writes_nothing(
    store: Store, clock: ManualClock
) -> None:
    store.create_run(a_run())
    lease = take(store)
    clock.advance(TTL.total_seconds())
    with pytest.raises(LeaseLost):
        write_everything(store, lease)
    nothing_changed(store)


def test_the_old_owner_can_never_write_over_the_new_one(
    open_store: Callable[[], Store], clock: ManualClock
) -> None:
    old_replica, new_replica = open_store(), open_store()
    old_replica.create_run(a_run())
    old = take(old_replica, owner="A")
    clock.advance(TTL.total_seconds())
    take(new_replica, owner="B")
    with pytest.raises(LeaseLost):
        write_everything(old_replica, old)
    nothing_changed(new_replica)


def test_a_lease_covers_only_its_own_run(store: Store) -> None:
    store.create_run(a_run())
    store.create_run(a_run("r2"))
    other = take(store, run_id="r2")
    with pytest.raises(LeaseLost):
        write_everything(store, other)
    nothing_changed(store)


def test_a_fenced_write_of_a_missing_run_is_a_conflict(store: Store) -> None:
    lease = take(store, run_id="ghost")
    ghost = Run("ghost", "p", "v", (), RunMode.LIVE, RunState.RUNNING, T0, "U1")
    with pytest.raises(Conflict):
        store.record(lease, run=ghost, events=[ProgressEvent("ghost", EventKind.RUN_STARTED, T0)])
    assert store.list_events("ghost") == []

"""When continuous object sync holds off a pair (engine/plans/warming.py): while a run syncs it,
and from a live failover's cut-over until a failback succeeds."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from engine.adapters.stores.sqlite_store import SqliteStore
from engine.config import parse_config
from engine.plans.model import Plan, plan_book
from engine.plans.warming import WarmedPair
from engine.runs import Run, RunMode, RunState, StageRecord, StageState, run_lease_name
from tests.support.clock import T0, ManualClock

CONFIG = """
recovery:
  objects: {bucket: primary, container: dr, continuous: {every: 5m}}
plans:
  copy-logs:
    stages:
      - name: logs
        kind: object_sync
        params: {source: "s3://logs", destination: "blob://dr/logs", deletion: keep}
  elsewhere:
    stages:
      - name: other
        kind: object_sync
        params: {source: "s3://other", destination: "blob://other", deletion: keep}
"""
PAIR = WarmedPair("primary", "dr")


@pytest.fixture
def store() -> Iterator[SqliteStore]:
    opened = SqliteStore(":memory:", clock=ManualClock())
    yield opened
    opened.close()


@pytest.fixture
def plans() -> dict[str, Plan]:
    return plan_book(parse_config(CONFIG))


def _run(
    store: SqliteStore,
    run_id: str,
    plan: str,
    state: RunState,
    *,
    minutes: int = 0,
    mode: RunMode = RunMode.LIVE,
    started: tuple[str, ...] = (),
) -> None:
    store.create_run(
        Run(run_id, plan, "v1", (), mode, state, T0 + timedelta(minutes=minutes), "U1")
    )
    if started:
        lease = store.acquire_lease(run_lease_name(run_id), "runner", timedelta(minutes=1))
        assert lease is not None
        records = [StageRecord(run_id, name, StageState.SUCCEEDED) for name in started]
        store.record(lease, stages=records)
        store.release_lease(lease)


def test_nothing_holds_a_pair_no_run_touches(store: SqliteStore, plans: dict[str, Plan]) -> None:
    _run(store, "r0", "self-heal", RunState.RUNNING)
    _run(store, "r1", "elsewhere", RunState.RUNNING)
    _run(store, "r2", "dr-azure", RunState.AWAITING_APPROVAL)

    assert PAIR.hold(store, plans) == ""


@pytest.mark.parametrize("state", [RunState.RUNNING, RunState.PAUSED])
def test_a_run_under_way_that_syncs_the_pair_holds_it(
    store: SqliteStore, plans: dict[str, Plan], state: RunState
) -> None:
    _run(store, "r1", "dr-azure", state, mode=RunMode.REHEARSAL)

    assert PAIR.hold(store, plans) == (
        f"run r1 (dr-azure, {state.value}) syncs s3://primary or blob://dr"
    )


def test_a_run_that_writes_into_the_same_container_holds_it_too(
    store: SqliteStore, plans: dict[str, Plan]
) -> None:
    _run(store, "r1", "copy-logs", RunState.RUNNING)

    assert "run r1 (copy-logs, running)" in PAIR.hold(store, plans)


def test_a_run_of_a_plan_no_longer_configured_is_assumed_to_sync_the_pair(
    store: SqliteStore, plans: dict[str, Plan]
) -> None:
    _run(store, "r1", "removed-plan", RunState.PAUSED)

    assert "run r1 (removed-plan, paused)" in PAIR.hold(store, plans)


def test_a_failover_that_cut_over_holds_the_pair_until_a_failback_succeeds(
    store: SqliteStore, plans: dict[str, Plan]
) -> None:
    _run(
        store,
        "dr1",
        "dr-azure",
        RunState.SUCCEEDED,
        started=("check-replication-lag", "sync-objects", "switch-traffic"),
    )

    held = PAIR.hold(store, plans)
    assert held.startswith("the DR side may be serving since run dr1 (dr-azure)")
    assert "resumes once a failback succeeds" in held

    _run(store, "fb1", "failback", RunState.FAILED, minutes=10, started=("sync-objects-back",))
    assert PAIR.hold(store, plans) == held

    _run(store, "fb2", "failback", RunState.SUCCEEDED, minutes=20, started=("sync-objects-back",))
    assert PAIR.hold(store, plans) == ""


def test_a_failover_aborted_before_its_cut_over_and_a_rehearsal_hold_nothing(
    store: SqliteStore, plans: dict[str, Plan]
) -> None:
    _run(
        store,
        "dr1",
        "dr-azure",
        RunState.ABORTED,
        started=("check-replication-lag", "sync-objects", "scale-azure-sql"),
    )
    _run(
        store,
        "drill",
        "dr-azure",
        RunState.SUCCEEDED,
        minutes=5,
        mode=RunMode.REHEARSAL,
        started=("sync-objects", "switch-traffic"),
    )

    assert PAIR.hold(store, plans) == ""

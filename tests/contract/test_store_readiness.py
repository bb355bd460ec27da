"""Store contract: the latest readiness sweep, kept whole and shared by every replica."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from engine.readiness import (
    Announced,
    Area,
    CheckResult,
    Estimate,
    ReadinessSweep,
    Verdict,
)
from engine.store import Store
from tests.support.clock import T0


def a_sweep(minutes: int, traffic: Verdict = Verdict.READY) -> ReadinessSweep:
    at = T0 + timedelta(minutes=minutes)
    return ReadinessSweep(
        at=at,
        plan="dr-azure",
        checks=(
            CheckResult(
                "replication-lag",
                "replication-lag",
                Area.DATABASE,
                Verdict.READY,
                "lag 12s, within the RPO of 5m",
                subject="RDS app-db-replica",
                measured={"lag_seconds": 12.0},
                since=T0,
            ),
            CheckResult(
                "traffic-manager",
                "traffic-manager",
                Area.TRAFFIC,
                traffic,
                "azure-dr is Online",
                since=at,
            ),
        ),
        rto=Estimate(540.0, ("scale-azure-sql: 3m measured in run r1",), complete=False),
        rpo=Estimate(12.0, ("database: replication lag 12s",)),
        announced={"traffic-manager": Announced(ready=True, pending=1)},
        seconds=1.5,
    )


def test_no_sweep_is_read_before_the_first(store: Store) -> None:
    assert store.latest_readiness() is None


def test_the_latest_sweep_is_kept_as_written_and_replaces_the_one_before(store: Store) -> None:
    first, second = a_sweep(0), a_sweep(5, Verdict.NOT_READY)
    store.save_readiness(first)
    assert store.latest_readiness() == first
    store.save_readiness(second)
    kept = store.latest_readiness()
    assert kept == second
    assert kept is not None
    assert [c.name for c in kept.failing] == ["traffic-manager"]
    assert kept.rto.complete is False
    assert kept.announced["traffic-manager"] == Announced(ready=True, pending=1)


def test_every_replica_reads_the_same_latest_sweep(open_store: Callable[[], Store]) -> None:
    one, two = open_store(), open_store()
    one.save_readiness(a_sweep(0))
    assert two.latest_readiness() == a_sweep(0)
    two.save_readiness(a_sweep(5))
    assert one.latest_readiness() == a_sweep(5)

"""One readiness sweep: the checks looked at in parallel, a look past the timeout or one that
fails read as verdicts, since when each check reads what it reads, what the channel is to be
told, the sweep stored for every replica — and nothing stored by a replica that no longer
leads."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from engine.adapters.stores.sqlite_store import SqliteStore
from engine.config import parse_config
from engine.drills.report import DrillReport
from engine.errors import CloudAccessDenied, CloudUnavailable
from engine.health.readiness.check import Check, Finding, ready
from engine.health.readiness.sweep import ReadinessSweeper
from engine.plans.model import plan_book
from engine.readiness import Area, Verdict
from engine.stages import Ports
from tests.support.clock import ManualClock


class NoDrills:
    def last_success(self, name: str) -> DrillReport | None:
        return None


class Switch:
    """A look whose answer the test sets."""

    def __init__(self) -> None:
        self.answer: Finding | Exception = ready("fine")

    def __call__(self, ports: Ports) -> Finding:
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def store(tmp_path: Path, clock: ManualClock) -> Iterator[SqliteStore]:
    opened = SqliteStore(tmp_path / "phoenix.db", clock=clock)
    yield opened
    opened.close()


def sweeper(store: SqliteStore, clock: ManualClock, *looks: Check) -> ReadinessSweeper:
    config = parse_config("readiness: {timeout: 1s, confirm: 1}")
    found = ReadinessSweeper(
        config, plan_book(config), store, Ports(), clock=clock, drills=NoDrills()
    )
    found.checks = list(looks)
    return found


def test_a_sweep_is_stored_with_each_checks_verdict_and_since_when(
    store: SqliteStore, clock: ManualClock
) -> None:
    switch = Switch()
    sweep = sweeper(
        store, clock, Check("traffic-manager", "traffic-manager", Area.TRAFFIC, "tm", switch)
    )
    try:
        first = sweep.sweep()
        assert first is not None
        assert store.latest_readiness() == first.sweep
        assert first.changes == ()
        started = clock.now()

        clock.advance(300)
        again = sweep.sweep()
        assert again is not None
        assert again.sweep.checks[0].since == started, "still ready since the first sweep"
        assert not again.moved

        switch.answer = CloudAccessDenied("access denied to the profile", resource="p", action="a")
        clock.advance(300)
        stopped = sweep.sweep()
        assert stopped is not None
        [result] = stopped.sweep.checks
        assert (result.verdict, result.reason) == (
            Verdict.NOT_READY,
            "access denied to the profile",
        )
        assert result.since == clock.now()
        assert [c.check.name for c in stopped.changes] == ["traffic-manager"]
        assert stopped.moved
    finally:
        sweep.close()


def test_a_cloud_that_does_not_answer_or_a_look_past_the_timeout_reads_unknown(
    store: SqliteStore, clock: ManualClock
) -> None:
    silent = Switch()
    silent.answer = CloudUnavailable("Azure answered ServerBusy")
    release = threading.Event()

    def hangs(ports: Ports) -> Finding:
        release.wait(10)
        return ready("late")

    def breaks(ports: Ports) -> Finding:
        raise KeyError("a bug")

    sweep = sweeper(
        store,
        clock,
        Check("azure-sql", "azure-sql", Area.DATABASE, "db", silent),
        Check("aks-deployments", "aks-deployments", Area.WORKLOADS, "aks", hangs),
        Check("webhook", "webhook", Area.ACCESS, "hook", breaks),
    )
    try:
        outcome = sweep.sweep()
    finally:
        release.set()
        sweep.close()
    assert outcome is not None
    assert [(c.name, c.verdict, c.reason) for c in outcome.sweep.checks] == [
        ("azure-sql", Verdict.UNKNOWN, "did not answer: Azure answered ServerBusy"),
        ("aks-deployments", Verdict.UNKNOWN, "no answer within 1s"),
        ("webhook", Verdict.UNKNOWN, "the check failed: KeyError"),
    ]
    assert outcome.sweep.ready_count == 0


def test_a_sweep_that_may_no_longer_be_recorded_writes_nothing(
    store: SqliteStore, clock: ManualClock
) -> None:
    sweep = sweeper(store, clock, Check("slack", "slack", Area.ACCESS, "slack", Switch()))
    try:
        assert sweep.sweep(may_record=lambda: False) is None
    finally:
        sweep.close()
    assert store.latest_readiness() is None


def test_the_sweeps_of_another_plan_are_no_baseline(store: SqliteStore, clock: ManualClock) -> None:
    sweep = sweeper(store, clock, Check("slack", "slack", Area.ACCESS, "slack", Switch()))
    try:
        first = sweep.sweep()
        assert first is not None
        sweep.plan = plan_book(parse_config(""))["failback"]
        clock.advance(timedelta(minutes=5).total_seconds())
        other = sweep.sweep()
    finally:
        sweep.close()
    assert other is not None
    assert other.previous is None
    assert other.sweep.plan == "failback"

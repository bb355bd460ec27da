"""Fakes and helpers for runner tests: a sleeper that moves a manual clock, a store that
dies at a chosen write, and a kit that builds runners and tidies them (threads included)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

from engine.adapters.stores.sqlite_store import SqliteStore
from engine.errors import StoreUnavailable
from engine.plans.model import Plan, parse_plan
from engine.records import Surface
from engine.runner.execution import RunnerSettings
from engine.runner.progress import ProgressHub
from engine.runner.runner import Runner
from engine.runs import Run
from engine.stages import REGISTRY, Ports, StageRegistry
from tests.support.clock import ManualClock

TTL = timedelta(seconds=30)
FAST = RunnerSettings(lease_ttl=TTL, poll_interval=0.01, cancel_grace=2.0)


class FakeSleeper:
    """Sleeps no real time: records the delay and moves the clock by it."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.slept: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.clock.advance(seconds)


class SimulatedCrash(BaseException):
    """The process holding the lease died here (a BaseException: nothing may clean up)."""


_WRITES = frozenset(
    {
        "acquire_lease",
        "renew_lease",
        "release_lease",
        "create_run",
        "update_run",
        "record",
        "append_audit",
        "add_approval",
    }
)


class CrashingStore:
    """Wraps a store; dies just before (or just after) its ``crash_at``-th write, and from then
    on every call dies too, as a dead process would. With ``outage``, that one write fails
    with ``StoreUnavailable`` instead (nothing written) and the store is back at once."""

    def __init__(
        self, inner: Any, crash_at: int | None = None, after: bool = False, outage: bool = False
    ) -> None:
        self._inner = inner
        self._crash_at = crash_at
        self._after = after
        self._outage = outage
        self._lock = threading.Lock()
        self.writes = 0
        self.dead = False

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._inner, name)
        if not callable(target):
            return target

        def call(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                if self.dead:
                    raise SimulatedCrash("dead")
                crash_here = False
                if name in _WRITES:
                    self.writes += 1
                    crash_here = self.writes == self._crash_at
                    if crash_here and self._outage:
                        raise StoreUnavailable(f"store unreachable at write {self.writes}")
                    if crash_here and not self._after:
                        self.dead = True
                        raise SimulatedCrash(f"died before write {self.writes} ({name})")
            result = target(*args, **kwargs)
            if crash_here:
                self.dead = True
                raise SimulatedCrash(f"died after write {self.writes} ({name})")
            return result

        return call


def plan_of(name: str, text: str, registry: StageRegistry = REGISTRY) -> Plan:
    return parse_plan(name, yaml.safe_load(text), registry)


def ledger(path: Path) -> Counter[str]:
    if not path.exists():
        return Counter()
    return Counter(path.read_text().splitlines())


class Kit:
    """Builds stores and runners on one SQLite file and one manual clock; ``close`` tidies up
    and checks that no thread was left behind."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        tmp_path.mkdir(parents=True, exist_ok=True)
        self.db = tmp_path / "phoenix.db"
        self.ledger = tmp_path / "ledger"
        self.clock = ManualClock()
        self.sleeper = FakeSleeper(self.clock)
        self._stores: list[SqliteStore] = []
        self._runners: list[Runner] = []
        self._threads_before = set(threading.enumerate())

    def store(self) -> SqliteStore:
        store = SqliteStore(self.db, clock=self.clock)
        self._stores.append(store)
        return store

    def runner(
        self,
        plans: dict[str, Plan] | Plan,
        *,
        owner: str,
        store: Any = None,
        settings: RunnerSettings = FAST,
        ports: Ports | None = None,
        hub: ProgressHub | None = None,
    ) -> Runner:
        book = {plans.name: plans} if isinstance(plans, Plan) else plans
        runner = Runner(
            store if store is not None else self.store(),
            book,
            clock=self.clock,
            sleeper=self.sleeper,
            owner=owner,
            settings=settings,
            ports=ports,
            hub=hub,
        )
        self._runners.append(runner)
        return runner

    def propose(self, runner: Runner, plan: str, **kwargs: Any) -> Run:
        return runner.propose(plan, actor="U0PROPOSER", surface=Surface.SLACK, **kwargs)

    def expire_leases(self) -> None:
        self.clock.advance(TTL.total_seconds() + 1)

    def close(self) -> None:
        for runner in self._runners:
            runner.close(timeout=5)
        for store in self._stores:
            store.close()
        left = [t for t in threading.enumerate() if t not in self._threads_before and t.is_alive()]
        assert not left, f"threads left behind: {[t.name for t in left]}"


def kit_fixture(tmp_path: Path) -> Iterator[Kit]:
    kit = Kit(tmp_path)
    yield kit
    kit.close()

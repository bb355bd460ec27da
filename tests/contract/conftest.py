"""The ``store`` fixture, parametrised over every Store adapter: each must pass the same suite.

To add an adapter, add a factory to ``FACTORIES``. A factory gets the pytest request (to reach
session fixtures, e.g. a redis-server), the test's tmp_path and the test's manual clock, which
the adapter must judge expiry by; every call within one test must return a new handle onto
the same, initially empty, backing store (the suite opens a second one as another replica).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from engine.adapters.stores.redis_store import RedisStore
from engine.adapters.stores.sqlite_store import SqliteStore
from engine.store import Store
from tests.support.clock import ManualClock
from tests.support.redis_server import RedisServer

StoreFactory = Callable[[pytest.FixtureRequest, Path, ManualClock], Store]


def sqlite_store(request: pytest.FixtureRequest, tmp_path: Path, clock: ManualClock) -> Store:
    return SqliteStore(tmp_path / "contract.db", clock=clock)


def redis_store(request: pytest.FixtureRequest, tmp_path: Path, clock: ManualClock) -> Store:
    """One redis-server for the session; each test its own key prefix (so tests may run in
    parallel), the same for every handle the test opens."""
    server: RedisServer = request.getfixturevalue("redis_server")
    prefix = "contract:" + hashlib.sha256(str(tmp_path).encode()).hexdigest()[:16] + ":"
    return RedisStore(server.url, clock=clock, prefix=prefix)


FACTORIES: dict[str, StoreFactory] = {"sqlite": sqlite_store, "redis": redis_store}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(params=sorted(FACTORIES))
def open_store(
    request: pytest.FixtureRequest, tmp_path: Path, clock: ManualClock
) -> Iterator[Callable[[], Store]]:
    """Opens handles (replicas) onto one backing store; closes them after the test."""
    factory = FACTORIES[request.param]
    opened: list[Store] = []

    def open_one() -> Store:
        store = factory(request, tmp_path, clock)
        opened.append(store)
        return store

    yield open_one
    for store in opened:
        store.close()


@pytest.fixture
def store(open_store: Callable[[], Store]) -> Store:
    return open_store()

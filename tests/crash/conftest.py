"""Crash tests of the runner on a real Redis: replicas are real processes, killed with SIGKILL.

The root conftest's redis-server serves the session (each test its own key prefix, so tests
may run in parallel); a test that kills Redis itself starts its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.adapters.clock import SystemClock
from engine.adapters.stores.redis_store import RedisStore
from tests.crash.fleet import Fleet
from tests.support.redis_server import RedisServer

LEASE_TTL = 1.0
"""Seconds: short, so that an heir takes over soon after its predecessor dies."""


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of the test's own, to kill: its append-only file is synced at every
    write, so a restart loses nothing it acknowledged."""
    server = RedisServer(tmp_path / "redis", persistent=True)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def prefix() -> str:
    return f"crash:{uuid.uuid4().hex[:12]}:"


@pytest.fixture
def store(redis_server: RedisServer, prefix: str) -> Iterator[RedisStore]:
    """The test's own view of the shared store (the replicas open theirs)."""
    store = RedisStore(redis_server.url, clock=SystemClock(), prefix=prefix)
    yield store
    store.close()


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[Fleet]:
    fleet = Fleet(tmp_path)
    yield fleet
    fleet.close()

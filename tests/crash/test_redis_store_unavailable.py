"""The Redis adapter at its edges: a Redis that is down, gone silent or unreachable is a loud
``StoreUnavailable``; keys stay under their prefix; dedupe keys are collected by Redis."""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import redis

from bot.wiring.store import open_store, redacted
from engine.adapters.clock import SystemClock
from engine.adapters.stores.redis_store import RedisStore
from engine.errors import StoreUnavailable
from engine.model import Level
from engine.records import AuditEvent, Lease, ScoreSample, Surface
from engine.runs import EventKind, ProgressEvent, Run, RunMode, RunState, run_lease_name
from tests.support.redis_server import RedisServer

NOW = SystemClock().now()


def a_run(run_id: str) -> Run:
    return Run(run_id, "p", "v1", ("a",), RunMode.LIVE, RunState.PROPOSED, NOW, "U1")


def audit(subject: str) -> AuditEvent:
    return AuditEvent(NOW, "U1", Surface.CLI, "run.propose", subject)


@pytest.fixture
def raw(redis_server: RedisServer) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    yield client
    client.close()


def calls(store: RedisStore, lease: Lease) -> dict[str, Callable[[], Any]]:
    event = ProgressEvent("r1", EventKind.RUN_STARTED, NOW)
    return {
        "ping": store.ping,
        "acquire_lease": lambda: store.acquire_lease("leader", "B", timedelta(seconds=5)),
        "renew_lease": lambda: store.renew_lease(lease, timedelta(seconds=5)),
        "get_lease": lambda: store.get_lease(lease.name),
        "create_run": lambda: store.create_run(a_run("r2")),
        "record": lambda: store.record(lease, events=[event]),
        "get_run": lambda: store.get_run("r1"),
        "list_runs": lambda: store.list_runs(),
        "list_events": lambda: store.list_events("r1"),
        "append_audit": lambda: store.append_audit(audit("r1")),
        "list_audit": lambda: store.list_audit(),
        "claim": lambda: store.claim("k", timedelta(seconds=5)),
        "append_score": lambda: store.append_score(ScoreSample(NOW, 1, Level.NONE), keep=5),
    }


def test_every_call_fails_loudly_while_redis_is_down_and_works_once_it_is_back(
    own_redis: RedisServer,
) -> None:
    store = RedisStore(own_redis.url, clock=SystemClock())
    try:
        store.create_run(a_run("r1"), audit=[audit("r1")])
        lease = store.acquire_lease(run_lease_name("r1"), "A", timedelta(minutes=5))
        assert lease is not None
        own_redis.kill()
        for name, call in calls(store, lease).items():
            with pytest.raises(
                StoreUnavailable, match=r"Redis store at redis://127\.0\.0\.1"
            ) as info:
                call()
            assert isinstance(info.value.__cause__, redis.ConnectionError), name

        own_redis.start()  # same port, same append-only file: nothing acknowledged is lost
        assert store.get_run("r1") == a_run("r1")
        assert [e.action for e in store.list_audit(subject="r1")] == ["run.propose"]
        assert store.record(lease, events=[ProgressEvent("r1", EventKind.RUN_STARTED, NOW)])
    finally:
        store.close()


def test_a_redis_that_stops_answering_is_unavailable_within_the_socket_timeout(
    own_redis: RedisServer,
) -> None:
    store = RedisStore(own_redis.url, clock=SystemClock(), socket_timeout=0.3)
    assert own_redis.pid is not None
    os.kill(own_redis.pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        with pytest.raises(StoreUnavailable) as info:
            store.get_run("r1")
        assert time.monotonic() - started < 2
        assert isinstance(info.value.__cause__, redis.TimeoutError)
    finally:
        os.kill(own_redis.pid, signal.SIGCONT)
    assert store.get_run("r1") is None  # a fresh connection; the timed-out one was dropped
    store.close()


def test_an_unreachable_redis_is_a_clear_error_naming_the_url_but_not_its_password(
    own_redis: RedisServer,
) -> None:
    own_redis.stop()
    url = f"redis://:hunter2@127.0.0.1:{own_redis.port}/0"
    with pytest.raises(StoreUnavailable) as info:
        open_store(url)
    message = str(info.value)
    assert message.startswith(f"store URL redis://:***@127.0.0.1:{own_redis.port}/0: ")
    assert "Connection refused" in message
    assert "hunter2" not in message


def test_a_redis_url_opens_the_redis_store_with_its_keys_under_the_prefix(
    redis_server: RedisServer, raw: redis.Redis
) -> None:
    for url, prefix in [
        (f"{redis_server.url}?prefix=staging:", "staging:"),
        (redis_server.url, "phoenix:"),
    ]:
        store = open_store(url)
        try:
            assert isinstance(store, RedisStore)
            run_id = f"prefixed-{prefix}"
            store.create_run(a_run(run_id), audit=[audit(run_id)])
            assert store.claim(f"click-{prefix}", timedelta(seconds=30))
        finally:
            store.close()
        keys = raw.keys(f"*{run_id}*") + raw.keys(f"*click-{prefix}")
        assert len(keys) >= 3
        assert all(key.startswith(prefix) for key in keys), keys


def test_dedupe_keys_are_collected_by_redis_after_their_ttl(
    redis_server: RedisServer, raw: redis.Redis
) -> None:
    store = RedisStore(redis_server.url, clock=SystemClock(), prefix="gc:")
    try:
        assert store.claim("slack:retry:1", timedelta(seconds=30))
    finally:
        store.close()
    # Judged by the Clock; Redis' own TTL is longer, room for clocks that disagree.
    assert 30_000 < raw.pttl("gc:dedupe:slack:retry:1") <= 90_000


def test_a_password_in_the_url_never_reaches_a_message() -> None:
    assert redacted("redis://:s3cret@h:6379/0") == "redis://:***@h:6379/0"
    assert redacted("redis://h:6379/0?password=s3cret&prefix=a:") == (
        "redis://h:6379/0?password=***&prefix=a:"
    )
    assert redacted("sqlite:///./phoenix.db") == "sqlite:///./phoenix.db"


def test_without_the_redis_client_a_redis_url_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "redis", None)  # as if it were not installed
    monkeypatch.delitem(sys.modules, "engine.adapters.stores.redis_store")
    with pytest.raises(StoreUnavailable, match="the Redis client is not installed"):
        open_store("redis://:s3cret@127.0.0.1:6379/0")

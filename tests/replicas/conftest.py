"""One cluster per module: a redis-server of its own, the Slack emulator in this process, the
health and Jenkins fakes, and three ``phoenix run`` replicas. The tests of the module run in
order on it (the later ones kill replicas)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from engine.adapters.clock import SystemClock
from engine.adapters.stores.redis_store import RedisStore
from sandbox.slack import Emulator, RateBudget
from tests.cloud.jenkins_fake import JenkinsFake
from tests.replicas.cluster import (
    CONFIG,
    ENVIRONMENT,
    INTERVAL,
    JENKINS_TOKEN,
    JENKINS_TOKEN_VAR,
    JENKINS_USER,
    SMOKE_JOB,
    Cluster,
    Health,
    replica_environment,
)
from tests.support.redis_server import RedisServer


@dataclass
class World:
    slack: Emulator
    store: RedisStore
    """The test's own view of the replicas' store."""
    health: Health
    jenkins: JenkinsFake
    ledger: Path
    cluster: Cluster


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("replicas")
    redis = RedisServer(tmp / "redis")
    redis.start()
    health = Health()
    jenkins = JenkinsFake(JENKINS_USER, JENKINS_TOKEN)
    jenkins.add_job(SMOKE_JOB)
    store = RedisStore(redis.url, clock=SystemClock())
    cluster: Cluster | None = None
    try:
        with Emulator() as slack:
            slack.set_rate_budget("chat.postMessage", RateBudget(10.0, 10, scope="channel"))
            ledger = tmp / "ledger.txt"
            config = tmp / "phoenix.yaml"
            config.write_text(
                CONFIG.format(
                    environment=ENVIRONMENT,
                    health=health.url,
                    interval=INTERVAL,
                    jenkins=jenkins.url,
                    jenkins_user=JENKINS_USER,
                    token_var=JENKINS_TOKEN_VAR,
                    job=SMOKE_JOB,
                    ledger=ledger,
                )
            )
            environ = replica_environment(
                slack_api_url=slack.api_url,
                bot_token=slack.bot_token,
                app_token=slack.app_token,
                store_url=redis.url,
                config=config,
            )
            cluster = Cluster(tmp, environ)
            try:
                cluster.start(3)
                slack.wait_for_socket_connection(3, timeout=30)
                yield World(slack, store, health, jenkins, ledger, cluster)
            finally:
                cluster.stop()
    finally:
        store.close()
        jenkins.stop()
        health.stop()
        redis.stop()

"""Real servers on loopback for the signal adapters' tests, one of each per test session.

Prometheus must be installed (the Debian package ``prometheus``; ``make test`` installs it):
without it the Prometheus tests fail, they are not skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from engine.adapters.clock import SystemClock
from engine.health.collect import Collector
from engine.model import Reading, Vantage
from engine.ports import SignalSource
from tests.cloud.kube_fake import KubeFake
from tests.support.stand_ins import Moto

from .servers import (
    Exporter,
    HealthServer,
    PrometheusServer,
    RawTcpServer,
    prometheus_binary,
)

ReadOne = Callable[[SignalSource], Reading]


@pytest.fixture
def read() -> ReadOne:
    """Collect one source through the real Collector and return its only reading."""

    def read_one(source: SignalSource) -> Reading:
        (name,) = source.signals
        readings = Collector([source], {name: Vantage.INTERNAL}, SystemClock()).collect()
        assert len(readings) == 1
        return readings[0]

    return read_one


@pytest.fixture(scope="session")
def health_server() -> Iterator[HealthServer]:
    server = HealthServer()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def raw_servers() -> Iterator[dict[str, RawTcpServer]]:
    behaviours = (
        "garbage",
        "reset",
        "close",
        "silent",
        "interim",
        "huge",
        "badheader",
        "badstatus",
    )
    servers = {b: RawTcpServer(b) for b in behaviours}
    for server in servers.values():
        server.start()
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture(scope="session")
def exporter() -> Iterator[Exporter]:
    server = Exporter()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def prometheus(exporter: Exporter) -> Iterator[PrometheusServer]:
    binary = prometheus_binary()
    if binary is None:
        pytest.fail(
            "the prometheus binary is missing: install the Debian package 'prometheus' "
            "(`make test` does)"
        )
    server = PrometheusServer(binary, [f"127.0.0.1:{exporter.port}"])
    server.start()
    yield server
    server.stop()


@pytest.fixture
def aws(moto: Moto, aws_env: None) -> Moto:
    """moto, wiped, with dummy credentials and nothing of this machine's AWS setup."""
    return moto


@pytest.fixture(scope="session")
def kube_api() -> Iterator[KubeFake]:
    server = KubeFake()
    yield server
    server.stop()


@pytest.fixture
def kube(kube_api: KubeFake) -> KubeFake:
    kube_api.reset()
    return kube_api

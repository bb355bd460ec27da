"""Session fixtures that tests in several folders use: a redis-server, moto and Azurite (each
started once, on a free loopback port, and stopped by its PID), the fault proxies in front of
them, the ARM fake, and the environment a test that talks to moto needs. A folder's own
conftest keeps only what is its own."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from tests.cloud.arm_fake import ArmFake
from tests.support.fault_proxy import FaultProxy
from tests.support.object_fixtures import close_opened
from tests.support.redis_server import RedisServer
from tests.support.stand_ins import CA_VARIABLES, DUMMY_AWS, Azurite, Moto

# A property test states what holds for every input, not how fast one example runs: a time
# limit per example (hypothesis's deadline, its too_slow health check) would measure the
# machine, and a shared CI host starved of CPU fails it at random. Speed is for bench/.
settings.register_profile("properties", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("properties")


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One redis-server for the session: each test keeps to a key prefix of its own; a test
    that stops or kills Redis starts one of its own instead."""
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dummy AWS credentials, no shared config or profile, no instance metadata, and none of
    the machine's CA bundles (the stand-ins speak plain http)."""
    for name in (*CA_VARIABLES, "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in DUMMY_AWS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    """Clients the object helpers opened are closed after each test, so that no socket is
    left for the garbage collector to warn about (warnings are errors here)."""
    yield
    close_opened()


@pytest.fixture(scope="session")
def moto_server() -> Iterator[Moto]:
    server = Moto()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def _moto_proxy(moto_server: Moto) -> Iterator[FaultProxy]:
    proxy = FaultProxy(moto_server.url)
    yield proxy
    proxy.stop()


@pytest.fixture
def moto(moto_server: Moto) -> Moto:
    """moto with no state left by an earlier test."""
    moto_server.reset()
    return moto_server


@pytest.fixture
def aws_proxy(moto: Moto, _moto_proxy: FaultProxy) -> FaultProxy:
    """A proxy in front of a freshly reset moto: record calls, plan faults."""
    _moto_proxy.reset()
    return _moto_proxy


@pytest.fixture(scope="session")
def azurite() -> Iterator[Azurite]:
    server = Azurite()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def _azurite_proxy(azurite: Azurite) -> Iterator[FaultProxy]:
    proxy = FaultProxy(azurite.url)
    yield proxy
    proxy.stop()


@pytest.fixture
def azurite_proxy(_azurite_proxy: FaultProxy) -> FaultProxy:
    _azurite_proxy.reset()
    return _azurite_proxy


@pytest.fixture(scope="session")
def _arm() -> Iterator[ArmFake]:
    fake = ArmFake()
    yield fake
    fake.stop()


@pytest.fixture
def arm(_arm: ArmFake) -> ArmFake:
    """The ARM fake (Azure SQL, Traffic Manager) with no state left by an earlier test."""
    _arm.reset()
    return _arm


@pytest.fixture
def container_name() -> str:
    """A container name no other test uses (Azurite's state lives for the session)."""
    return f"t{uuid.uuid4().hex[:20]}"

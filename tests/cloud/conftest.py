"""Session fixtures for the cloud adapters' tests: moto, Azurite and the local fakes, each on
a free loopback port, started once and stopped at the end (child processes by their PID).

Each test gets clean state: moto is reset, a fresh Azurite container is made, fakes and
proxies forget their faults and recordings.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.cloud.arm_fake import ArmFake
from tests.cloud.fault_proxy import FaultProxy
from tests.cloud.object_fixtures import close_opened
from tests.cloud.stand_ins import CA_VARIABLES, DUMMY_AWS, Azurite, Moto


@pytest.fixture(autouse=True)
def _aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dummy AWS credentials, no shared config, and none of the machine's CA bundles."""
    for name in CA_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in DUMMY_AWS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
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

"""Fixtures of the stage tests: the cloud stand-ins of ``tests/cloud`` (moto, Azurite, the
ARM fake, the Kubernetes fake, a webhook receiver, a Jenkins fake) and the stage ports built
over them by the bot's own port factory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.settings import EnvSecrets
from bot.wiring.cloud import CloudPorts, build_cloud_ports
from bot.wiring.secrets import build_secrets
from engine.config import PhoenixConfig, parse_config
from tests.cloud.arm_clients import CLIENT_OPTIONS, UnusedCredential
from tests.cloud.arm_fake import ArmFake
from tests.cloud.jenkins_fake import JenkinsFake
from tests.cloud.kube_fake import KubeFake
from tests.cloud.webhook_receiver import WebhookReceiver
from tests.stages.world import (
    JENKINS_TOKEN,
    WEBHOOK_SECRET,
    Service,
    World,
    seed_aws,
    seed_azure,
    world_yaml,
)
from tests.support.fault_proxy import FaultProxy
from tests.support.object_fixtures import blob_service, body
from tests.support.stand_ins import Azurite, Moto
from tests.unit.runner_support import Kit

OBJECTS = {f"assets/{i:03d}.bin": body(f"assets/{i:03d}.bin", 1000 + 37 * i) for i in range(40)}


@pytest.fixture(autouse=True)
def _aws_env(aws_env: None) -> None:
    """Every stage here may reach moto."""


@pytest.fixture(scope="session")
def _kube() -> Iterator[KubeFake]:
    fake = KubeFake()
    yield fake
    fake.stop()


@pytest.fixture(scope="session")
def _receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver(WEBHOOK_SECRET)
    yield receiver
    receiver.stop()


@pytest.fixture(scope="session")
def _jenkins() -> Iterator[JenkinsFake]:
    fake = JenkinsFake("phoenix", JENKINS_TOKEN)
    yield fake
    fake.stop()


@pytest.fixture(scope="session")
def _service() -> Iterator[Service]:
    service = Service()
    yield service
    service.stop()


@pytest.fixture
def world(
    moto: Moto,
    azurite: Azurite,
    _arm: ArmFake,
    _kube: KubeFake,
    _receiver: WebhookReceiver,
    _jenkins: JenkinsFake,
    _service: Service,
    container_name: str,
) -> Iterator[World]:
    for fake in (_arm, _kube, _receiver, _jenkins):
        fake.reset()
    _service.faults.clear()
    zone = seed_aws(moto, OBJECTS)
    seed_azure(_arm, _kube)
    blob_service(azurite.connection_string).create_container(container_name)
    environ = {
        "PHOENIX_BLOB": azurite.connection_string,
        "PHOENIX_WEBHOOK_SECRET": WEBHOOK_SECRET.decode(),
        "PHOENIX_JENKINS_TOKEN": JENKINS_TOKEN,
    }
    config: PhoenixConfig = parse_config(
        world_yaml(
            moto.url,
            _arm.url,
            _kube.url,
            _receiver.url,
            _jenkins.url,
            _service.url,
            container_name,
            zone,
        )
    )
    ports: CloudPorts = build_cloud_ports(
        config,
        build_secrets(config.clouds, environ=environ),
        azure_credential=UnusedCredential(),
        azure_client_options=CLIENT_OPTIONS,
        kube_timeout=5,
        poll_interval=0.05,
    )
    world = World(
        config,
        ports,
        moto,
        azurite,
        _arm,
        _kube,
        _receiver,
        _jenkins,
        container_name,
        zone,
        _service,
    )
    yield world
    ports.close()


class _Kit(Kit):
    def close(self) -> None:
        # The stand-ins serve keep-alive connections on threads of this process: those are
        # the loopback servers', not the runner's, so the leftover-thread check is skipped.
        for runner in self._runners:
            runner.close(timeout=5)
        for store in self._stores:
            store.close()


@pytest.fixture
def kit(tmp_path: Path) -> Iterator[Kit]:
    """Runners on one SQLite store, for whole plans through the runner."""
    kit = _Kit(tmp_path)
    yield kit
    kit.close()


@pytest.fixture
def through_proxy(
    world: World,
    aws_proxy: FaultProxy,
) -> Iterator[CloudPorts]:
    """The world's AWS ports, reaching moto through ``aws_proxy`` (faults, call counts)."""
    aws_cloud = world.config.clouds.aws.model_copy(update={"endpoint_url": aws_proxy.url})
    clouds = world.config.clouds.model_copy(update={"aws": aws_cloud})
    ports = build_cloud_ports(
        world.config.model_copy(update={"clouds": clouds}), EnvSecrets({}), poll_interval=0.05
    )
    yield ports
    ports.close()

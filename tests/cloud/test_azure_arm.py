"""Azure SQL and Traffic Manager adapters, driven through the real management SDK clients
against the local ARM fake."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from azure.core.pipeline.policies import SansIOHTTPPolicy

from engine.adapters.azure.arm import AzureTarget
from engine.adapters.azure.sql import AzureSqlDatabases
from engine.adapters.azure.traffic import AzureTrafficManager
from engine.cloud_ports import PendingOperation, SqlSku
from engine.errors import CloudAccessDenied, CloudNotFound, CloudUnavailable
from tests.cloud.arm_fake import GROUP, SUBSCRIPTION, ArmFake, arm_error

pytestmark = pytest.mark.integration


class _StaticBearer(SansIOHTTPPolicy[Any, Any]):
    """Tests only: ARM's bearer policy refuses plain http, so the fake gets a fixed token."""

    def on_request(self, request: Any) -> None:
        request.http_request.headers["Authorization"] = "Bearer test-token"


class _UnusedCredential:
    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        raise AssertionError("the static bearer policy replaces the credential in tests")


@pytest.fixture(scope="session")
def _arm() -> Iterator[ArmFake]:
    fake = ArmFake()
    yield fake
    fake.stop()


@pytest.fixture
def arm(_arm: ArmFake) -> ArmFake:
    _arm.reset()
    return _arm


def _target(arm: ArmFake) -> AzureTarget:
    return AzureTarget(
        SUBSCRIPTION,
        GROUP,
        base_url=arm.url,
        credential=_UnusedCredential(),
        client_options={
            "authentication_policy": _StaticBearer(),
            "retry_total": 0,
            "polling_interval": 0,
        },
    )


@pytest.fixture
def sql(arm: ArmFake) -> Iterator[AzureSqlDatabases]:
    adapter = AzureSqlDatabases(_target(arm))
    yield adapter
    adapter.close()


@pytest.fixture
def traffic(arm: ArmFake) -> Iterator[AzureTrafficManager]:
    adapter = AzureTrafficManager(_target(arm))
    yield adapter
    adapter.close()


def _finish(operation: PendingOperation, limit: float = 10.0) -> None:
    deadline = time.monotonic() + limit
    while not operation.wait(0.2):
        assert time.monotonic() < deadline, f"{operation.description} did not finish"


# ----------------------------------------------------------------------------- Azure SQL


def test_database_state_reads_status_and_sku(arm: ArmFake, sql: AzureSqlDatabases) -> None:
    arm.add_database("dr-sql", "orders", sku="S0", tier="Standard", capacity=10)

    state = sql.database("dr-sql", "orders")

    assert state.online
    assert state.sku == SqlSku("S0", "Standard", 10)


def test_scale_is_a_long_running_operation_that_lands(arm: ArmFake, sql: AzureSqlDatabases) -> None:
    arm.add_database("dr-sql", "orders", sku="S0", tier="Standard", capacity=10)
    arm.lro_polls = 2

    operation = sql.scale("dr-sql", "orders", SqlSku("P2", "Premium", 250))

    assert operation is not None
    assert "orders" in operation.description
    _finish(operation)
    assert sql.database("dr-sql", "orders").sku == SqlSku("P2", "Premium", 250)
    assert arm.calls("PATCH", "/databases/orders") == 1
    assert arm.calls("GET", "/operations/") >= 3


def test_scale_to_the_current_sku_sends_nothing(arm: ArmFake, sql: AzureSqlDatabases) -> None:
    arm.add_database("dr-sql", "orders", sku="P2", tier="Premium", capacity=250)

    assert sql.scale("dr-sql", "orders", SqlSku("P2", "Premium")) is None
    assert arm.calls("PATCH") == arm.calls("PUT") == 0


def test_a_failed_operation_is_retryable(arm: ArmFake, sql: AzureSqlDatabases) -> None:
    arm.add_database("dr-sql", "orders")
    arm.fail_operations = True

    operation = sql.scale("dr-sql", "orders", SqlSku("P2", "Premium", 250))

    assert operation is not None
    with pytest.raises(CloudUnavailable, match="InternalServerError"):
        _finish(operation)


@pytest.mark.parametrize(
    ("status", "code"), [(503, "ServiceUnavailable"), (429, "TooManyRequests")]
)
def test_throttling_and_outages_are_retryable(
    arm: ArmFake, sql: AzureSqlDatabases, status: int, code: str
) -> None:
    arm.add_database("dr-sql", "orders")
    arm.faults.add(_fault(status, code, method="PATCH"))

    with pytest.raises(CloudUnavailable, match=code):
        sql.scale("dr-sql", "orders", SqlSku("P2", "Premium", 250))


def test_access_denied_names_the_database_and_the_action(
    arm: ArmFake, sql: AzureSqlDatabases
) -> None:
    arm.faults.add(_fault(403, "AuthorizationFailed", method="GET"))

    with pytest.raises(CloudAccessDenied) as raised:
        sql.database("dr-sql", "orders")

    message = str(raised.value)
    assert "orders" in message
    assert "dr-sql" in message
    assert "Microsoft.Sql/servers/databases/read" in message


def test_a_missing_database_is_fatal_and_named(arm: ArmFake, sql: AzureSqlDatabases) -> None:
    with pytest.raises(CloudNotFound, match="database ghost on server dr-sql"):
        sql.database("dr-sql", "ghost")


def test_failover_group_fails_over_to_the_secondary(arm: ArmFake, sql: AzureSqlDatabases) -> None:
    arm.add_failover_group(
        "orders-fg", primary="aws-side", secondary="dr-sql", databases=["orders"]
    )
    before = sql.failover_group("dr-sql", "orders-fg")
    assert (before.role, before.partners, before.databases) == (
        "Secondary",
        ("aws-side",),
        ("orders",),
    )

    operation = sql.failover("dr-sql", "orders-fg")

    assert operation is not None
    _finish(operation)
    assert sql.failover_group("dr-sql", "orders-fg").role == "Primary"
    assert sql.failover_group("aws-side", "orders-fg").role == "Secondary"
    assert arm.calls("POST", "/failoverGroups/orders-fg/failover") == 1


def test_failover_when_already_primary_sends_nothing(arm: ArmFake, sql: AzureSqlDatabases) -> None:
    arm.add_failover_group(
        "orders-fg", primary="dr-sql", secondary="aws-side", databases=["orders"]
    )

    assert sql.failover("dr-sql", "orders-fg") is None
    assert arm.calls("POST") == 0


def test_forced_failover_uses_the_data_loss_action(arm: ArmFake, sql: AzureSqlDatabases) -> None:
    arm.add_failover_group(
        "orders-fg", primary="aws-side", secondary="dr-sql", databases=["orders"]
    )

    operation = sql.failover("dr-sql", "orders-fg", allow_data_loss=True)

    assert operation is not None
    _finish(operation)
    assert arm.calls("POST", "/forceFailoverAllowDataLoss") == 1


# ----------------------------------------------------------------------------- Traffic Manager


def _profile(arm: ArmFake) -> None:
    arm.add_profile(
        "app",
        {
            "aws": {"target": "alb.aws.example.com", "priority": 1},
            "azure": {"target": "app.westeurope.cloudapp.azure.com", "priority": 2},
        },
    )


def test_profile_lists_endpoints_by_priority(arm: ArmFake, traffic: AzureTrafficManager) -> None:
    _profile(arm)

    profile = traffic.profile("app")

    assert (profile.routing_method, profile.fqdn) == ("Priority", "app.trafficmanager.net")
    aws = profile.endpoint("aws")
    assert aws is not None
    assert (aws.priority, aws.enabled, aws.endpoint_type, aws.target) == (
        1,
        True,
        "ExternalEndpoints",
        "alb.aws.example.com",
    )


def test_switching_priorities_and_disabling_reads_back(
    arm: ArmFake, traffic: AzureTrafficManager
) -> None:
    _profile(arm)

    assert traffic.set_endpoint("app", "azure", priority=1)
    assert traffic.set_endpoint("app", "aws", priority=2, enabled=False)

    profile = traffic.profile("app")
    azure, aws = profile.endpoint("azure"), profile.endpoint("aws")
    assert azure is not None
    assert aws is not None
    assert (azure.priority, azure.enabled) == (1, True)
    assert (aws.priority, aws.enabled) == (2, False)
    assert arm.calls("PATCH", "/ExternalEndpoints/") == 2


def test_an_endpoint_already_as_asked_is_not_touched(
    arm: ArmFake, traffic: AzureTrafficManager
) -> None:
    _profile(arm)

    assert not traffic.set_endpoint("app", "aws", priority=1, enabled=True)
    assert arm.calls("PATCH") == arm.calls("PUT") == 0


def test_a_missing_endpoint_is_fatal(arm: ArmFake, traffic: AzureTrafficManager) -> None:
    _profile(arm)

    with pytest.raises(CloudNotFound, match="endpoint gcp of profile app"):
        traffic.set_endpoint("app", "gcp", priority=1)


def test_a_traffic_manager_outage_is_retryable(arm: ArmFake, traffic: AzureTrafficManager) -> None:
    _profile(arm)
    arm.faults.add(_fault(503, "ServiceUnavailable", method="PATCH"))

    with pytest.raises(CloudUnavailable, match="ServiceUnavailable"):
        traffic.set_endpoint("app", "azure", priority=1)


def test_traffic_manager_access_denied_names_the_write_action(
    arm: ArmFake, traffic: AzureTrafficManager
) -> None:
    _profile(arm)
    arm.faults.add(_fault(403, "AuthorizationFailed", method="PATCH"))

    with pytest.raises(
        CloudAccessDenied,
        match=r"Microsoft\.Network/trafficManagerProfiles/ExternalEndpoints/write",
    ):
        traffic.set_endpoint("app", "azure", priority=1)


def _fault(status: int, code: str, **where: Any) -> Any:
    fault = arm_error(status, code, "injected")
    for key, value in where.items():
        setattr(fault, key, value)
    return fault

"""The Azure SQL adapter through the real ``SqlManagementClient`` against the ARM fake: the
service objective as Azure reports it, a change followed to its end (never sent twice), 409
while another operation runs, long-running operations that fail, and failover groups."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from azure.core.exceptions import ResourceExistsError
from azure.mgmt.sql import SqlManagementClient

from engine.adapters.azure.sql import AzureSqlDatabases
from engine.cloud_ports import PendingOperation, SqlSku
from engine.errors import CloudAccessDenied, CloudNotFound, CloudRejected, CloudUnavailable
from engine.sql_objectives import service_objective
from tests.cloud.arm_clients import arm_target
from tests.cloud.arm_fake import GROUP, ArmFake, arm_error

pytestmark = pytest.mark.integration


@pytest.fixture
def sql(arm: ArmFake) -> Iterator[AzureSqlDatabases]:
    adapter = AzureSqlDatabases(arm_target(arm), poll_interval=0.01)
    yield adapter
    adapter.close()


@pytest.fixture
def person(arm: ArmFake) -> Iterator[SqlManagementClient]:
    """Someone else's client on the same subscription: a person at the portal, or another
    runner of the bot."""
    target = arm_target(arm)
    client: SqlManagementClient = target.client(SqlManagementClient)
    yield client
    client.close()


def _finish(operation: PendingOperation, limit: float = 10.0) -> None:
    deadline = time.monotonic() + limit
    while not operation.wait(0.2):
        assert time.monotonic() < deadline, f"{operation.description} did not finish"


def _start(person: SqlManagementClient, objective: str) -> Any:
    return person.databases.begin_update(GROUP, "dr-sql", "orders", {"sku": {"name": objective}})


PATCHES = "/databases/orders"


# ----------------------------------------------------------------------------- the objective


@pytest.mark.parametrize(
    ("objective", "reported"),
    [
        ("S0", SqlSku("Standard", "Standard", 10)),
        ("P2", SqlSku("Premium", "Premium", 250)),
        ("Basic", SqlSku("Basic", "Basic", 5)),
        ("GP_Gen5_4", SqlSku("GP_Gen5", "GeneralPurpose", 4, "Gen5")),
        ("HS_Gen5_2", SqlSku("HS_Gen5", "Hyperscale", 2, "Gen5")),
    ],
)
def test_the_objective_is_read_by_name_and_the_sku_in_azures_shape(
    arm: ArmFake, sql: AzureSqlDatabases, objective: str, reported: SqlSku
) -> None:
    arm.add_database("dr-sql", "orders", objective)

    state = sql.database("dr-sql", "orders")

    assert (state.online, state.objective, state.sku, state.changing) == (
        True,
        objective,
        reported,
        False,
    )


def test_a_scale_is_a_long_running_operation_that_lands_at_the_objective(
    arm: ArmFake, sql: AzureSqlDatabases
) -> None:
    arm.add_database("dr-sql", "orders", "S0")
    arm.set_steps(3)

    operation = sql.scale("dr-sql", "orders", service_objective("GP_Gen5_4"))

    assert operation is not None
    assert "orders" in operation.description
    _finish(operation)
    state = sql.database("dr-sql", "orders")
    assert (state.objective, state.sku) == (
        "GP_Gen5_4",
        SqlSku("GP_Gen5", "GeneralPurpose", 4, "Gen5"),
    )
    assert arm.calls("PATCH", PATCHES) == 1
    assert arm.calls("GET", "/databaseAzureAsyncOperation/") >= 2


@pytest.mark.parametrize(
    ("seeded", "written"),
    [
        ("GP_Gen5_4", {"name": "GP_Gen5_4"}),
        ("GP_Gen5_4", {"name": "GP_Gen5", "tier": "GeneralPurpose", "capacity": 4}),
        ("S0", {"name": "S0", "tier": "Standard", "capacity": 10}),
        ("S0", {"name": "Standard", "capacity": 10}),
        ("P2", {"name": "p2"}),
        ("HS_Gen5_2", {"name": "HS_Gen5_2"}),
    ],
)
def test_already_at_the_objective_sends_nothing_whichever_way_it_is_written(
    arm: ArmFake, sql: AzureSqlDatabases, seeded: str, written: dict[str, Any]
) -> None:
    arm.add_database("dr-sql", "orders", seeded)

    assert sql.scale("dr-sql", "orders", service_objective(**written)) is None
    assert arm.calls("PATCH") == arm.calls("PUT") == 0


def test_a_scaling_database_stays_online_and_refuses_a_second_update(
    arm: ArmFake, sql: AzureSqlDatabases, person: SqlManagementClient
) -> None:
    arm.add_database("dr-sql", "orders", "S0")
    arm.hold_operations()
    _start(person, "P2")

    state = sql.database("dr-sql", "orders")
    assert (state.status, state.objective, state.requested_objective) == ("Online", "S0", "P2")
    assert state.changing
    with pytest.raises(ResourceExistsError) as refused:
        _start(person, "S3")
    assert refused.value.status_code == 409
    assert refused.value.error is not None
    assert refused.value.error.code == "ConflictingDatabaseOperation"


@pytest.mark.parametrize(
    ("in_flight", "patches"),
    [
        ("P2", 1),  # the change to the objective itself: followed, never sent again
        ("S3", 2),  # another change: waited out, then the scale is sent
    ],
)
def test_a_change_in_flight_is_followed_or_waited_out_never_sent_over(
    arm: ArmFake,
    sql: AzureSqlDatabases,
    person: SqlManagementClient,
    in_flight: str,
    patches: int,
) -> None:
    arm.add_database("dr-sql", "orders", "S0")
    arm.hold_operations()
    _start(person, in_flight)

    operation = sql.scale("dr-sql", "orders", service_objective("P2"))

    assert operation is not None
    assert not operation.wait(0.1)
    assert arm.calls("PATCH", PATCHES) == 1  # nothing sent over the change in flight
    arm.release_operations()
    _finish(operation)
    assert sql.database("dr-sql", "orders").objective == "P2"
    assert arm.calls("PATCH", PATCHES) == patches


def test_a_409_during_a_scale_means_wait_and_look_again(
    arm: ArmFake, sql: AzureSqlDatabases
) -> None:
    arm.add_database("dr-sql", "orders", "S0")
    refusal = arm_error(409, "ConflictingDatabaseOperation", "There is already some operation")
    refusal.method = "PATCH"
    arm.faults.add(refusal)

    operation = sql.scale("dr-sql", "orders", service_objective("GP_Gen5_4"))

    assert operation is not None
    _finish(operation)
    assert sql.database("dr-sql", "orders").objective == "GP_Gen5_4"
    assert arm.calls("PATCH", PATCHES) == 2


# ----------------------------------------------------------------------------- failures


@pytest.mark.parametrize(
    "code",
    [
        "ServerDtuQuotaExceeded",
        "SourceDatabaseEditionCouldNotBeUpgraded",
        "RegionDoesNotAllowProvisioning",
        "InvalidTierSkuCombination",
    ],
)
def test_a_failed_operation_that_can_never_succeed_is_fatal_with_its_code(
    arm: ArmFake, sql: AzureSqlDatabases, code: str
) -> None:
    arm.add_database("dr-sql", "orders", "S0")
    arm.fail_next_operation(code, "refused as asked")

    operation = sql.scale("dr-sql", "orders", service_objective("P15"))

    assert operation is not None
    with pytest.raises(CloudRejected, match=code):
        _finish(operation)
    assert arm.objective("dr-sql", "orders") == "S0"


@pytest.mark.parametrize(
    "code", ["InternalServerError", "OperationTimedOut", "OperationInterrupted"]
)
def test_a_failed_operation_of_the_service_is_retryable(
    arm: ArmFake, sql: AzureSqlDatabases, code: str
) -> None:
    arm.add_database("dr-sql", "orders", "S0")
    arm.fail_next_operation(code, "the operation failed", user_error=False)

    operation = sql.scale("dr-sql", "orders", service_objective("P2"))

    assert operation is not None
    with pytest.raises(CloudUnavailable, match=code):
        _finish(operation)


def test_a_cancelled_operation_is_fatal_and_says_so(arm: ArmFake, sql: AzureSqlDatabases) -> None:
    arm.add_database("dr-sql", "orders", "S0")
    arm.fail_next_operation("OperationCancelled", "cancelled by user", status="Canceled")

    operation = sql.scale("dr-sql", "orders", service_objective("P2"))

    assert operation is not None
    with pytest.raises(CloudRejected, match="cancelled in Azure"):
        _finish(operation)


def test_a_followed_change_that_fails_is_explained_from_the_operations_list(
    arm: ArmFake, sql: AzureSqlDatabases, person: SqlManagementClient
) -> None:
    arm.add_database("dr-sql", "orders", "S0")
    arm.hold_operations()
    _start(person, "P15")
    operation = sql.scale("dr-sql", "orders", service_objective("P15"))
    assert operation is not None
    assert not operation.wait(0.05)

    arm.fail_next_operation("ServerDtuQuotaExceeded", "over the server's DTU quota")
    arm.release_operations()

    with pytest.raises(CloudRejected, match="ServerDtuQuotaExceeded") as failed:
        _finish(operation)
    assert "reads back at S0, not P15" in str(failed.value)
    assert arm.calls("PATCH", PATCHES) == 1


@pytest.mark.parametrize(
    ("status", "code"), [(503, "ServiceUnavailable"), (429, "TooManyRequests")]
)
def test_throttling_and_outages_are_retryable(
    arm: ArmFake, sql: AzureSqlDatabases, status: int, code: str
) -> None:
    arm.add_database("dr-sql", "orders", "S0")
    fault = arm_error(status, code, "injected")
    fault.method = "PATCH"
    arm.faults.add(fault)

    with pytest.raises(CloudUnavailable, match=code):
        sql.scale("dr-sql", "orders", service_objective("P2"))


def test_access_denied_names_the_database_and_the_action(
    arm: ArmFake, sql: AzureSqlDatabases
) -> None:
    fault = arm_error(403, "AuthorizationFailed", "injected")
    fault.method = "GET"
    arm.faults.add(fault)

    with pytest.raises(CloudAccessDenied) as raised:
        sql.database("dr-sql", "orders")

    message = str(raised.value)
    assert "orders" in message
    assert "dr-sql" in message
    assert "Microsoft.Sql/servers/databases/read" in message


def test_a_missing_database_is_fatal_and_named(arm: ArmFake, sql: AzureSqlDatabases) -> None:
    with pytest.raises(CloudNotFound, match="database ghost on server dr-sql"):
        sql.database("dr-sql", "ghost")


# ----------------------------------------------------------------------------- failover groups


@pytest.mark.parametrize(
    ("allow_data_loss", "action"),
    [(False, "/failoverGroups/orders-fg/failover"), (True, "/forceFailoverAllowDataLoss")],
)
def test_failover_is_a_long_running_operation_and_reads_back_primary(
    arm: ArmFake, sql: AzureSqlDatabases, allow_data_loss: bool, action: str
) -> None:
    arm.add_failover_group(
        "orders-fg", primary="aws-side", secondary="dr-sql", databases=["orders"]
    )
    arm.set_steps(2)
    before = sql.failover_group("dr-sql", "orders-fg")
    assert (before.role, before.partners, before.databases, before.replication_state) == (
        "Secondary",
        ("aws-side",),
        ("orders",),
        "CATCH_UP",
    )

    operation = sql.failover("dr-sql", "orders-fg", allow_data_loss=allow_data_loss)

    assert operation is not None
    _finish(operation)
    assert sql.failover_group("dr-sql", "orders-fg").role == "Primary"
    assert sql.failover_group("aws-side", "orders-fg").role == "Secondary"
    assert arm.calls("POST", action) == 1
    assert arm.calls("POST") == 1
    assert arm.calls("GET", "/failoverGroupAzureAsyncOperation/") >= 1


def test_a_failover_group_reports_its_replication_state(
    arm: ArmFake, sql: AzureSqlDatabases
) -> None:
    arm.add_failover_group("orders-fg", primary="aws-side", secondary="dr-sql", databases=[])
    arm.set_replication_state("orders-fg", "SEEDING")

    assert sql.failover_group("dr-sql", "orders-fg").replication_state == "SEEDING"
    assert sql.failover_group("aws-side", "orders-fg").replication_state == "SEEDING"


def test_failover_when_already_primary_sends_nothing(arm: ArmFake, sql: AzureSqlDatabases) -> None:
    arm.add_failover_group(
        "orders-fg", primary="dr-sql", secondary="aws-side", databases=["orders"]
    )

    assert sql.failover("dr-sql", "orders-fg") is None
    assert sql.failover("dr-sql", "orders-fg", allow_data_loss=True) is None
    assert arm.calls("POST") == 0

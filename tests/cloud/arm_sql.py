"""Azure SQL as the ARM fake serves it: databases, their operations list, failover groups.

Behaviours, each with its source:

- A database's ``sku`` is Azure's split of its service objective, not the name asked for:
  ``S0`` reads ``{"name": "Standard", "tier": "Standard", "capacity": 10}``, ``GP_Gen5_4``
  ``{"name": "GP_Gen5", "tier": "GeneralPurpose", "family": "Gen5", "capacity": 4}``; the name
  is ``properties.currentServiceObjectiveName`` and ``requestedServiceObjectiveName``
  (Azure/azure-rest-api-specs, specification/sql/resource-manager/Microsoft.Sql/stable/
  2021-11-01/examples/CreateDatabaseMin.json and CreateVCoreDatabaseBySkuNameCapacity.json;
  the S1 -> Standard/20 GET of Azure/azure-sdk-for-python, sdk/sql/azure-mgmt-sql/tests/
  recordings/test_cli_mgmt_sql_database.test_database.yaml). The table below is this fake's
  own, kept apart from the product's.
- A PATCH may name the objective as ``sku.name`` (PatchVCoreDatabase.json) or give Azure's
  shape (name, tier, capacity, as the recording's ``{"name": "S1", "tier": "Standard"}``); an
  unknown one is 400 ``InvalidSku`` (Databases.json, "Error Responses").
- A scale is a long-running ``UpdateLogicalDatabase`` operation (the recording's 202 body).
  The database stays ``Online`` through it; ``requestedServiceObjectiveName`` names the target
  ("the service level objective that is in the process of being applied to the database. Once
  successfully updated, it will match", Microsoft.Sql 2014-04-01 Databases.json); ``sku`` shows
  the state the resource will be in, ``currentSku`` the one it is in (async-api-reference.md:
  "Resource properties should reflect the update that is in progress").
- While an operation runs on a database, another update is refused with 409
  ``ConflictingDatabaseOperation`` "There is already some operation on the database and the
  current operation should wait till it is done" (DatabaseOperations.json, "Error Responses").
- ``GET .../databases/DB/operations`` lists its operations with ``state`` (Pending, InProgress,
  Succeeded, Failed, CancelInProgress, Cancelled), ``percentComplete``, and for a failed one
  ``errorCode`` (a number), ``errorDescription`` and ``isUserError`` (DatabaseOperations.json,
  "DatabaseOperationProperties"). A failed scale leaves the database at its old objective.
- A failover group carries its ``replicationState``: ``CATCH_UP`` once the secondary is in
  step, ``SEEDING`` while it is first filled, ``SUSPENDED`` when replication stopped (the
  states of ``FailoverGroupReplicationState``, learn.microsoft.com .NET reference of
  Microsoft.Azure.Management.Sql.LegacySdk.Models; the recording shows ``CATCH_UP``).
- A failover group is read from either server, each with its own ``replicationRole``;
  ``failover`` (planned) and ``forceFailoverAllowDataLoss`` are POSTs answered 202, followed
  under the subscription's ``failoverGroupAzureAsyncOperation``, whose ``Location`` result is
  the failover group with the server now ``Primary`` (test_cli_mgmt_sql_failover_group
  recording; FailoverGroupForceFailoverAllowDataLoss.json).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tests.cloud.arm_operations import REGION, Answer, Operations

_DTU = {
    "Basic": ("Basic", 5),
    "S0": ("Standard", 10),
    "S1": ("Standard", 20),
    "S2": ("Standard", 50),
    "S3": ("Standard", 100),
    "S4": ("Standard", 200),
    "S6": ("Standard", 400),
    "S7": ("Standard", 800),
    "S9": ("Standard", 1600),
    "S12": ("Standard", 3000),
    "P1": ("Premium", 125),
    "P2": ("Premium", 250),
    "P4": ("Premium", 500),
    "P6": ("Premium", 1000),
    "P11": ("Premium", 1750),
    "P15": ("Premium", 4000),
}
_VCORE_TIERS = {
    "GP": "GeneralPurpose",
    "GP_S": "GeneralPurpose",
    "BC": "BusinessCritical",
    "HS": "Hyperscale",
}
_VCORE = re.compile(r"^(GP_S|GP|BC|HS)_(Gen4|Gen5|Fsv2|DC)_(\d+)$")


def sku_of(objective: str) -> dict[str, Any]:
    """The ``sku`` Azure reports for a service objective."""
    if objective in _DTU:
        tier, dtus = _DTU[objective]
        return {"name": tier, "tier": tier, "capacity": dtus}
    match = _VCORE.match(objective)
    if match is None:
        raise KeyError(objective)
    edition, family, capacity = match.groups()
    return {
        "name": f"{edition}_{family}",
        "tier": _VCORE_TIERS[edition],
        "family": family,
        "capacity": int(capacity),
    }


def objective_of(sku: dict[str, Any]) -> str | None:
    """The service objective a PATCH's ``sku`` asks for; ``None`` if Azure would not know it."""
    name = str(sku.get("name", ""))
    if name in _DTU or _VCORE.match(name):
        return name
    capacity = sku.get("capacity")
    for objective, (tier, dtus) in _DTU.items():
        if name == tier and capacity in (dtus, None):
            return objective
    candidate = f"{name}_{capacity}"
    return candidate if _VCORE.match(candidate) else None


@dataclass
class Database:
    current: str
    requested: str
    status: str = "Online"
    operations: list[dict[str, Any]] = field(default_factory=list)

    def busy(self) -> bool:
        return any(op["state"] in ("Pending", "InProgress") for op in self.operations)


@dataclass
class Group:
    role: str
    partner: str
    databases: list[str]
    state: str = "CATCH_UP"


class SqlResources:
    def __init__(self, operations: Operations) -> None:
        self._operations = operations
        self.databases: dict[tuple[str, str], Database] = {}
        self.groups: dict[tuple[str, str], Group] = {}

    def add_database(self, server: str, name: str, objective: str, status: str) -> None:
        sku_of(objective)  # a seed Azure would not hold is a mistake in the test
        self.databases[(server, name)] = Database(objective, objective, status)

    def add_failover_group(
        self, name: str, primary: str, secondary: str, databases: list[str]
    ) -> None:
        self.groups[(primary, name)] = Group("Primary", secondary, list(databases))
        self.groups[(secondary, name)] = Group("Secondary", primary, list(databases))

    # -- databases

    def serve_database(self, method: str, m: dict[str, str], body: Any, base: str) -> Answer:
        database = self.databases.get((m["server"], m["db"]))
        if database is None:
            return 404, _error("ResourceNotFound", f"database {m['db']} was not found"), {}
        url = _database_id(m)
        if m["operations"]:
            if method != "GET":
                return 405, _error("MethodNotAllowed", method), {}
            return 200, {"value": [_operation_json(url, op) for op in database.operations]}, {}
        if method == "GET":
            return 200, _database_json(url, m["db"], database), {}
        if method == "PATCH":
            return self._update(database, m, body, base)
        return 405, _error("MethodNotAllowed", method), {}

    def _update(self, database: Database, m: dict[str, str], body: Any, base: str) -> Answer:
        if database.busy() or database.requested != database.current:
            return (
                409,
                _error(
                    "ConflictingDatabaseOperation",
                    "There is already some operation on the database and the current "
                    "operation should wait till it is done.",
                ),
                {},
            )
        wanted = objective_of((body or {}).get("sku") or {})
        if wanted is None:
            return 400, _error("InvalidSku", "The user specified an invalid sku."), {}
        url = _database_id(m)
        number = len(database.operations) + 1
        entry = {
            "id": f"op-{number}",
            "startTime": f"2026-01-01T12:{number:02d}:00.000Z",
            "operation": "UpdateLogicalDatabase",
            "state": "InProgress",
            "percentComplete": 0,
            "server": m["server"],
            "database": m["db"],
        }
        database.operations.append(entry)
        database.requested = wanted

        def finish() -> Any:
            database.current = wanted
            entry.update(state="Succeeded", percentComplete=100)
            return _database_json(url, m["db"], database)

        def roll_back(status: str, code: str, message: str, user_error: bool) -> None:
            database.requested = database.current
            entry.update(
                state="Cancelled" if status == "Canceled" else "Failed",
                errorCode=40000 + len(code),
                errorDescription=f"{code}: {message}",
                isUserError=user_error,
            )

        scope = f"/subscriptions/{m['sub']}/resourceGroups/{m['rg']}"
        return self._operations.start(
            base, scope, "database", "UpdateLogicalDatabase", finish, roll_back
        )

    # -- failover groups

    def serve_group(self, method: str, m: dict[str, str], body: Any, base: str) -> Answer:
        group = self.groups.get((m["server"], m["fg"]))
        if group is None:
            return 404, _error("ResourceNotFound", f"failover group {m['fg']} was not found"), {}
        if method == "GET" and not m["action"]:
            return 200, _group_json(m, group), {}
        if method != "POST" or not m["action"]:
            return 405, _error("MethodNotAllowed", method), {}
        partner = self.groups[(group.partner, m["fg"])]

        def finish() -> Any:
            group.role, partner.role = "Primary", "Secondary"
            return _group_json(m, group)

        def roll_back(status: str, code: str, message: str, user_error: bool) -> None:
            pass  # the roles are untouched until the failover succeeds

        return self._operations.start(
            base,
            f"/subscriptions/{m['sub']}",
            "failoverGroup",
            "FailoverFailoverGroup",
            finish,
            roll_back,
        )


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def _database_id(m: dict[str, str]) -> str:
    return (
        f"/subscriptions/{m['sub']}/resourceGroups/{m['rg']}/providers/Microsoft.Sql"
        f"/servers/{m['server']}/databases/{m['db']}"
    )


def _database_json(url: str, name: str, database: Database) -> dict[str, Any]:
    vcore = "family" in sku_of(database.current)
    return {
        "sku": sku_of(database.requested),
        "kind": "v12.0,user,vcore" if vcore else "v12.0,user",
        "properties": {
            "collation": "SQL_Latin1_General_CP1_CI_AS",
            "maxSizeBytes": 268435456000,
            "status": database.status,
            "databaseId": "6c764297-577b-470f-9af4-96d3d41e2ba3",
            "creationDate": "2026-01-01T09:00:00.000Z",
            "currentServiceObjectiveName": database.current,
            "requestedServiceObjectiveName": database.requested,
            "currentSku": sku_of(database.current),
            "defaultSecondaryLocation": "northeurope",
            "catalogCollation": "SQL_Latin1_General_CP1_CI_AS",
            "readScale": "Disabled",
            "zoneRedundant": False,
        },
        "location": REGION,
        "id": url,
        "name": name,
        "type": "Microsoft.Sql/servers/databases",
    }


def _operation_json(database_url: str, op: dict[str, Any]) -> dict[str, Any]:
    properties = {
        "databaseName": op["database"],
        "operation": op["operation"],
        "operationFriendlyName": "UPDATE DATABASE",
        "percentComplete": op["percentComplete"],
        "serverName": op["server"],
        "startTime": op["startTime"],
        "state": op["state"],
        "isCancellable": op["state"] == "InProgress",
    }
    for key in ("errorCode", "errorDescription", "isUserError"):
        if key in op:
            properties[key] = op[key]
    return {
        "properties": properties,
        "id": f"{database_url}/operations/{op['id']}",
        "name": op["id"],
        "type": "Microsoft.Sql/servers/databases/operations",
    }


def _group_json(m: dict[str, str], group: Group) -> dict[str, Any]:
    servers = f"/subscriptions/{m['sub']}/resourceGroups/{m['rg']}/providers/Microsoft.Sql/servers"
    return {
        "location": REGION,
        "properties": {
            "readWriteEndpoint": {"failoverPolicy": "Manual"},
            "readOnlyEndpoint": {"failoverPolicy": "Disabled"},
            "replicationRole": group.role,
            "replicationState": group.state,
            "partnerServers": [
                {
                    "id": f"{servers}/{group.partner}",
                    "location": "northeurope",
                    "replicationRole": "Secondary" if group.role == "Primary" else "Primary",
                }
            ],
            "databases": [f"{servers}/{m['server']}/databases/{db}" for db in group.databases],
        },
        "id": f"{servers}/{m['server']}/failoverGroups/{m['fg']}",
        "name": m["fg"],
        "type": "Microsoft.Sql/servers/failoverGroups",
    }

"""Azure SQL databases and failover groups (``SqlDatabase``), through azure-mgmt-sql.

A database's size is read as its service objective (``currentServiceObjectiveName``, and
``requestedServiceObjectiveName`` while a change is pending), not as the ``sku`` Azure splits
it into. Scaling a database and failing over a group are long-running operations: the adapter
hands back a pending operation the stage waits on (an ``ObjectiveChange``, which follows a
change already in flight instead of sending a second one; an ``AzureOperation`` for a
failover). Both first read the current state and do nothing when it already is what was asked.
"""

from __future__ import annotations

from typing import Any

from azure.mgmt.sql import SqlManagementClient

from engine.adapters.azure.arm import AzureTarget, text
from engine.adapters.azure.errors import azure_error
from engine.adapters.azure.lro import AzureOperation
from engine.adapters.azure.sql_change import ObjectiveChange
from engine.cloud_ports import FailoverGroupState, SqlDatabaseState, SqlSku
from engine.sql_objectives import ServiceObjective, objective_of_sku

_DB_READ = "Microsoft.Sql/servers/databases/read"
_FG_READ = "Microsoft.Sql/servers/failoverGroups/read"
_FG_FAILOVER = "Microsoft.Sql/servers/failoverGroups/failover/action"
_FG_FORCE = "Microsoft.Sql/servers/failoverGroups/forceFailoverAllowDataLoss/action"


class AzureSqlDatabases:
    """Databases and failover groups of one resource group."""

    def __init__(self, target: AzureTarget, *, poll_interval: float = 10.0) -> None:
        self._group = target.resource_group
        self._sql: SqlManagementClient = target.client(SqlManagementClient)
        self._poll_interval = poll_interval

    def database(self, server: str, database: str) -> SqlDatabaseState:
        where = _database(server, database)
        try:
            found: Any = self._sql.databases.get(self._group, server, database)
        except Exception as exc:
            raise azure_error(exc, resource=where, action=_DB_READ) from exc
        properties = found.properties
        sku = found.sku
        reported = (
            SqlSku(text(sku.name), text(sku.tier) or None, sku.capacity, sku.family or None)
            if sku
            else SqlSku("unknown")
        )
        current = properties.current_service_objective_name if properties else None
        return SqlDatabaseState(
            server=server,
            database=database,
            status=text(properties.status) if properties and properties.status else "Unknown",
            objective=current or objective_of_sku(reported.name, reported.capacity) or "unknown",
            sku=reported,
            requested_objective=properties.requested_service_objective_name if properties else None,
        )

    def scale(
        self, server: str, database: str, objective: ServiceObjective
    ) -> ObjectiveChange | None:
        if self.database(server, database).at(objective):
            return None
        change = ObjectiveChange(
            self._sql,
            self._group,
            lambda: self.database(server, database),
            server,
            database,
            objective,
            interval=self._poll_interval,
        )
        change.start()
        return change

    def failover_group(self, server: str, group: str) -> FailoverGroupState:
        where = _group_where(server, group)
        try:
            found: Any = self._sql.failover_groups.get(self._group, server, group)
        except Exception as exc:
            raise azure_error(exc, resource=where, action=_FG_READ) from exc
        properties = found.properties
        return FailoverGroupState(
            name=group,
            server=server,
            role=text(properties.replication_role) or "Unknown",
            partners=tuple(_last(p.id) for p in properties.partner_servers or []),
            databases=tuple(_last(d) for d in properties.databases or []),
            replication_state=text(properties.replication_state) or None,
        )

    def failover(
        self, server: str, group: str, *, allow_data_loss: bool = False
    ) -> AzureOperation | None:
        if self.failover_group(server, group).role == "Primary":
            return None
        where = _group_where(server, group)
        action = _FG_FORCE if allow_data_loss else _FG_FAILOVER
        operations = self._sql.failover_groups
        begin = (
            operations.begin_force_failover_allow_data_loss
            if allow_data_loss
            else operations.begin_failover
        )
        try:
            poller = begin(self._group, server, group)
        except Exception as exc:
            raise azure_error(exc, resource=where, action=action) from exc
        return AzureOperation(
            f"fail over {where} to {server}", poller, resource=where, action=action
        )

    def close(self) -> None:
        self._sql.close()


def _last(resource_id: str | None) -> str:
    return (resource_id or "").rstrip("/").rsplit("/", 1)[-1]


def _database(server: str, database: str) -> str:
    return f"Azure SQL database {database} on server {server}"


def _group_where(server: str, group: str) -> str:
    return f"Azure SQL failover group {group} on server {server}"

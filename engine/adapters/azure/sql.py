"""Azure SQL databases and failover groups (``SqlDatabase``), through azure-mgmt-sql.

Scaling a database and failing over a group are long-running operations: the adapter starts
them and hands back an ``AzureOperation`` the stage waits on. Both first read the current
state and do nothing when it already is what was asked.
"""

from __future__ import annotations

from typing import Any

from azure.mgmt.sql import SqlManagementClient
from azure.mgmt.sql.models import DatabaseUpdate, Sku

from engine.adapters.azure.arm import AzureTarget, text
from engine.adapters.azure.errors import azure_error
from engine.adapters.polling import AzureOperation
from engine.cloud_ports import FailoverGroupState, SqlDatabaseState, SqlSku

_DB_READ = "Microsoft.Sql/servers/databases/read"
_DB_WRITE = "Microsoft.Sql/servers/databases/write"
_FG_READ = "Microsoft.Sql/servers/failoverGroups/read"
_FG_FAILOVER = "Microsoft.Sql/servers/failoverGroups/failover/action"
_FG_FORCE = "Microsoft.Sql/servers/failoverGroups/forceFailoverAllowDataLoss/action"


class AzureSqlDatabases:
    """Databases and failover groups of one resource group."""

    def __init__(self, target: AzureTarget) -> None:
        self._group = target.resource_group
        self._sql: SqlManagementClient = target.client(SqlManagementClient)

    def database(self, server: str, database: str) -> SqlDatabaseState:
        where = _database(server, database)
        try:
            found: Any = self._sql.databases.get(self._group, server, database)
        except Exception as exc:
            raise azure_error(exc, resource=where, action=_DB_READ) from exc
        properties = found.properties
        sku = found.sku
        return SqlDatabaseState(
            server=server,
            database=database,
            status=text(properties.status) if properties and properties.status else "Unknown",
            sku=SqlSku(text(sku.name), text(sku.tier) or None, sku.capacity)
            if sku
            else SqlSku("unknown"),
        )

    def scale(self, server: str, database: str, sku: SqlSku) -> AzureOperation | None:
        current = self.database(server, database).sku
        if _same_sku(current, sku):
            return None
        where = _database(server, database)
        update = DatabaseUpdate(sku=Sku(name=sku.name, tier=sku.tier, capacity=sku.capacity))
        try:
            poller = self._sql.databases.begin_update(self._group, server, database, update)
        except Exception as exc:
            raise azure_error(exc, resource=where, action=_DB_WRITE) from exc
        return AzureOperation(
            f"scale {where} to {sku.name}", poller, resource=where, action=_DB_WRITE
        )

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


def _same_sku(current: SqlSku, wanted: SqlSku) -> bool:
    return (
        current.name == wanted.name
        and (wanted.tier is None or current.tier == wanted.tier)
        and (wanted.capacity is None or current.capacity == wanted.capacity)
    )


def _last(resource_id: str | None) -> str:
    return (resource_id or "").rstrip("/").rsplit("/", 1)[-1]


def _database(server: str, database: str) -> str:
    return f"Azure SQL database {database} on server {server}"


def _group_where(server: str, group: str) -> str:
    return f"Azure SQL failover group {group} on server {server}"

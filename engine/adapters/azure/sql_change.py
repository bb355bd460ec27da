"""A change of an Azure SQL database's service objective, followed until it reads back there.

Scaling a database is a long-running operation, and the database stays ``Online`` through it:
what shows the change is ``requestedServiceObjectiveName`` differing from
``currentServiceObjectiveName``, and the database's operations list, where it runs as an
``UpdateLogicalDatabase`` operation (Azure/azure-rest-api-specs,
specification/sql/resource-manager/Microsoft.Sql/stable/2021-11-01/DatabaseOperations.json).
A second update sent meanwhile is refused with 409 ``ConflictingDatabaseOperation``.

So each look at the database decides afresh, which makes a retried or resumed attempt safe:

- at the target, nothing else in flight: done;
- a change in flight: waited out. When it is the change to the target (sent by an earlier
  attempt, another runner, or a person), it is followed, never sent a second time;
- idle elsewhere: the update is sent once, and its long-running operation followed. A refusal
  because another operation got there first means: wait, and look again;
- idle elsewhere after the change to the target was sent or followed: it ended without
  reaching it, and the operations list says why.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from azure.mgmt.sql import SqlManagementClient
from azure.mgmt.sql.models import DatabaseUpdate, Sku

from engine.adapters.azure.arm import text
from engine.adapters.azure.errors import azure_error, in_flight
from engine.adapters.azure.lro import AzureOperation
from engine.cloud_ports import SqlDatabaseState
from engine.errors import CloudRejected, CloudUnavailable, StageError
from engine.sql_objectives import ServiceObjective, same_objective
from engine.text import clip

DB_WRITE = "Microsoft.Sql/servers/databases/write"
DB_OPERATIONS = "Microsoft.Sql/servers/databases/operations/read"
_RUNNING = frozenset({"pending", "inprogress", "cancelinprogress"})


class ObjectiveChange:
    """A ``PendingOperation``: done once the database reads back at ``target``."""

    def __init__(
        self,
        sql: SqlManagementClient,
        group: str,
        read: Callable[[], SqlDatabaseState],
        server: str,
        database: str,
        target: ServiceObjective,
        *,
        interval: float,
    ) -> None:
        self._sql = sql
        self._group = group
        self._read = read
        self._server = server
        self._database = database
        self._target = target
        self._interval = interval
        self._where = f"Azure SQL database {database} on server {server}"
        self._lro: AzureOperation | None = None
        self._sent = False
        self._followed = False

    @property
    def description(self) -> str:
        return f"scale {self._where} to {self._target}"

    def start(self) -> None:
        """The first look: sends the update now if nothing is in flight."""
        self._look()

    def wait(self, seconds: float) -> bool:
        deadline = time.monotonic() + max(0.0, seconds)
        while True:
            if self._lro is not None:
                if not self._lro.wait(max(0.0, deadline - time.monotonic())):
                    return False
                self._lro = None
            if self._look():
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            if self._lro is None:
                time.sleep(min(self._interval, remaining))

    def _look(self) -> bool:
        state = self._read()
        if state.at(self._target):
            return True
        if state.changing:
            self._followed |= same_objective(state.requested_objective, self._target.name)
            return False
        running = [op for op in self._operations() if _state(op) in _RUNNING]
        if running:
            return False
        if self._sent or self._followed:
            raise self._ended_elsewhere(state)
        self._send()
        return False

    def _send(self) -> None:
        # Azure accepts a service objective name as ``sku.name`` (PatchVCoreDatabase.json).
        update = DatabaseUpdate(sku=Sku(name=self._target.name))
        try:
            poller = self._sql.databases.begin_update(
                self._group, self._server, self._database, update
            )
        except Exception as exc:
            if in_flight(exc):
                return  # another operation got there first: look again
            raise azure_error(exc, resource=self._where, action=DB_WRITE) from exc
        self._sent = True
        self._lro = AzureOperation(self.description, poller, resource=self._where, action=DB_WRITE)

    def _operations(self) -> list[Any]:
        try:
            return list(
                self._sql.database_operations.list_by_database(
                    self._group, self._server, self._database
                )
            )
        except Exception as exc:
            raise azure_error(exc, resource=self._where, action=DB_OPERATIONS) from exc

    def _ended_elsewhere(self, state: SqlDatabaseState) -> StageError:
        done = [op for op in self._operations() if op.properties and op.properties.start_time]
        last = max(done, key=lambda op: op.properties.start_time, default=None)
        reads = f"{self._where} reads back at {state.objective}, not {self._target}"
        if last is None or _state(last) not in ("failed", "cancelled"):
            return CloudUnavailable(clip(f"{reads}: the change ended without reaching it"))
        p = last.properties
        detail = " ".join(str(x) for x in (p.error_code, p.error_description) if x) or "no detail"
        what = f"{reads}: its {text(p.operation) or 'change'} operation"
        if _state(last) == "cancelled":
            return CloudRejected(clip(f"{what} was cancelled ({detail})"))
        if p.is_user_error:
            return CloudRejected(clip(f"{what} failed and cannot succeed as asked ({detail})"))
        return CloudUnavailable(clip(f"{what} failed ({detail})"))


def _state(operation: Any) -> str:
    return text(operation.properties.state if operation.properties else None).casefold()

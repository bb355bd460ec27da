"""ARM's long-running operations, as the ARM fake serves them.

- The request answers 202 with ``Azure-AsyncOperation`` (the status resource) and ``Location``
  (the result), and ``Retry-After`` (Azure/azure-resource-manager-rpc,
  v1.0/async-api-reference.md; MicrosoftDocs/azure-docs, articles/azure-resource-manager/
  management/async-operations.md). Azure SQL's 202 carries a body naming the operation
  (``{"operation": "UpdateLogicalDatabase", "startTime": ...}``) and its status URLs live under
  ``.../locations/REGION/`` (the recordings cited in ``arm_fake``). ``Retry-After`` is 0 here so
  that tests do not wait; Azure's own recordings show it absent or 0.
- The status resource answers 200 with ``{"name", "status", "startTime"}``: ``InProgress``,
  then ``Succeeded``, ``Failed`` or ``Canceled``; a failed or cancelled one carries
  ``error.code`` and ``error.message`` (async-api-reference.md, "Azure-AsyncOperation Resource
  format").
- The ``Location`` URL answers 202 with no body while the operation runs, then what the
  request would have answered had it been synchronous (async-api-reference.md, "202 Accepted
  and Location Headers"; the failover recording's final GET returns the failover group).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

API_VERSION = "2025-01-01"
REGION = "westeurope"
STARTED = "2026-01-01T12:00:00.000Z"

Answer = tuple[int, Any, dict[str, str]]


@dataclass
class Operation:
    op_id: str
    steps_left: int
    finish: Callable[[], Any]
    """Lands the change; returns what the ``Location`` URL then answers."""
    roll_back: Callable[[str, str, str, bool], None]
    """Undoes the change's visible start when the operation fails: (status, code, message,
    user error)."""
    status: str = "InProgress"
    error: dict[str, str] | None = None
    result: Any = None


class Operations:
    def __init__(self) -> None:
        self.steps = 1
        self.held = False
        self.fail_next: tuple[str, str, str, bool] | None = None
        self._running: dict[str, Operation] = {}
        self._ids = itertools.count(1)

    def start(
        self,
        base: str,
        scope: str,
        kind: str,
        name: str,
        finish: Callable[[], Any],
        roll_back: Callable[[str, str, str, bool], None],
    ) -> Answer:
        """Start an operation of ``kind`` (``database``, ``failoverGroup``) under ``scope``
        (a resource group's or a subscription's path); the 202 answer to the request."""
        op_id = f"00000000-0000-0000-0000-{next(self._ids):012d}"
        self._running[op_id] = Operation(op_id, self.steps, finish, roll_back)
        where = f"{base}{scope}/providers/Microsoft.Sql/locations/{REGION}/{kind}"
        headers = {
            "Azure-AsyncOperation": f"{where}AzureAsyncOperation/{op_id}?api-version={API_VERSION}",
            "Location": f"{where}OperationResults/{op_id}?api-version={API_VERSION}",
            "Retry-After": "0",
        }
        return 202, {"operation": name, "startTime": STARTED}, headers

    def advance(self) -> None:
        """One step of Azure's own work on every running operation."""
        if self.held:
            return
        for operation in self._running.values():
            if operation.status == "InProgress":
                operation.steps_left -= 1
                if operation.steps_left <= 0:
                    self._end(operation)

    def running(self) -> bool:
        return any(op.status == "InProgress" for op in self._running.values())

    def serve(self, method: str, m: dict[str, str], body: Any, base: str) -> Answer:
        operation = self._running.get(m["id"])
        if operation is None or method != "GET":
            return 404, {"error": {"code": "OperationIdNotFound", "message": m["id"]}}, {}
        if m["which"].lower() == "azureasyncoperation":
            status: dict[str, Any] = {
                "name": operation.op_id,
                "status": operation.status,
                "startTime": STARTED,
            }
            if operation.error is not None:
                status["error"] = operation.error
            return 200, status, {}
        if operation.status == "InProgress":
            location = f"{base}{m['path']}?api-version={API_VERSION}"
            return 202, None, {"Location": location, "Retry-After": "0"}
        if operation.error is not None:
            return 400, {"error": operation.error}, {}
        return 200, operation.result, {}

    def _end(self, operation: Operation) -> None:
        if self.fail_next is None:
            operation.result = operation.finish()
            operation.status = "Succeeded"
            return
        status, code, message, user_error = self.fail_next
        self.fail_next = None
        operation.status = status
        operation.error = {"code": code, "message": message}
        operation.roll_back(status, code, message, user_error)

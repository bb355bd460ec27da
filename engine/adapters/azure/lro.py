"""An Azure long-running operation, as a ``PendingOperation``.

ARM answers a long-running request with 201 or 202 and ``Azure-AsyncOperation`` and/or
``Location`` (and ``Retry-After``); azure-core's ``LROPoller`` follows them on its own thread at
the interval the service asks for. The status resource reads ``InProgress`` (or another word
of the provider's) until ``Succeeded``, ``Failed`` or ``Canceled``; a ``Failed`` one carries
``error.code`` and ``error.message`` (Azure/azure-resource-manager-rpc,
v1.0/async-api-reference.md, "Azure-AsyncOperation Resource format"; MicrosoftDocs/azure-docs,
articles/azure-resource-manager/management/async-operations.md).

How an operation that ended badly is reported: ``Canceled`` (by a person, or by Azure) and a
code that says it can never succeed are fatal, with the code in the message; any other
failure (throttling, a server error, an operation interrupted by another) is retryable.
"""

from __future__ import annotations

import json
from typing import Any

from azure.core.exceptions import HttpResponseError

from engine.adapters.azure.errors import NEVER_SUCCEEDS, azure_error
from engine.errors import CloudRejected, CloudUnavailable, StageError
from engine.text import clip


class AzureOperation:
    """An Azure long-running operation followed by its ``LROPoller``."""

    def __init__(self, description: str, poller: Any, *, resource: str, action: str) -> None:
        self._description = description
        self._poller = poller
        self._resource = resource
        self._action = action

    @property
    def description(self) -> str:
        return self._description

    def wait(self, seconds: float) -> bool:
        try:
            self._poller.wait(timeout=max(0.0, seconds))
            if not self._poller.done():
                return False
            self._poller.result()
        except HttpResponseError as exc:
            if exc.status_code is not None and exc.status_code < 400:
                # The status poll itself worked: the operation ended badly on Azure's side.
                raise operation_failed(self._description, exc.response) from exc
            raise azure_error(exc, resource=self._resource, action=self._action) from exc
        except Exception as exc:
            raise azure_error(exc, resource=self._resource, action=self._action) from exc
        return True


def operation_failed(description: str, response: Any) -> StageError:
    """Our error for an operation whose status resource reads ``Failed`` or ``Canceled``."""
    status, code, message = _status(response)
    detail = f"{code}: {message}" if message else code
    if status.casefold() == "canceled":
        return CloudRejected(clip(f"{description} was cancelled in Azure ({detail or status})"))
    if code in NEVER_SUCCEEDS:
        return CloudRejected(clip(f"{description} failed in Azure and cannot succeed: {detail}"))
    return CloudUnavailable(clip(f"{description} failed in Azure ({detail or status})"))


def _status(response: Any) -> tuple[str, str, str]:
    """(status, error code, error message) of an operation status resource."""
    try:
        body = json.loads(response.text()) if response is not None else {}
    except (ValueError, TypeError):
        body = {}
    if not isinstance(body, dict):
        body = {}
    error = body.get("error")
    if not isinstance(error, dict):
        error = {}
    return (
        str(body.get("status") or "Failed"),
        str(error.get("code") or ""),
        str(error.get("message") or ""),
    )

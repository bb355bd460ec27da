"""azure-core's errors become ours at the Azure adapters' boundary.

429 and 5xx, timeouts and unreachable endpoints are ``CloudUnavailable`` (retryable); 401/403
and a credential that cannot get a token are ``CloudAccessDenied`` naming the RBAC action;
404 is ``CloudNotFound``; any other refusal is ``CloudRejected``. Messages name the resource
and Azure's error code, never a key or token.
"""

from __future__ import annotations

from enum import Enum
from typing import Final

from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)

from engine.errors import (
    CloudAccessDenied,
    CloudNotFound,
    CloudRejected,
    CloudUnavailable,
    StageError,
)

MESSAGE_LIMIT: Final = 300

_RETRYABLE_CODES: Final = frozenset(
    {
        "ServerBusy",
        "OperationTimedOut",
        "InternalError",
        "Md5Mismatch",
        "Conflict",
        "AnotherOperationInProgress",
        "OperationInProgress",
    }
)


def azure_error(exc: Exception, *, resource: str, action: str) -> StageError:
    """Our error for an exception of an Azure SDK call on ``resource``; ``action`` is the RBAC
    action (``Microsoft.Sql/servers/databases/write``) or data action it needs."""
    if isinstance(exc, HttpResponseError) and exc.status_code is not None:
        return _response_error(exc, exc.status_code, resource, action)
    if isinstance(exc, ClientAuthenticationError):
        return CloudAccessDenied(
            f"could not authenticate to Azure for {action} on {resource}",
            resource=resource,
            action=action,
        )
    if isinstance(exc, ServiceRequestError | ServiceResponseError):
        return CloudUnavailable(_clip(f"Azure did not answer {action} on {resource}"))
    return CloudUnavailable(_clip(f"{action} on {resource} failed: {type(exc).__name__}"))


def _response_error(exc: HttpResponseError, status: int, resource: str, action: str) -> StageError:
    code = _code(exc)
    label = code or str(status)
    if status in (401, 403):
        return CloudAccessDenied(
            _clip(f"access denied to {resource}: the Azure identity needs {action} ({label})"),
            resource=resource,
            action=action,
        )
    if status == 429 or status >= 500 or code in _RETRYABLE_CODES:
        return CloudUnavailable(_clip(f"Azure answered {label} to {action} on {resource}"))
    if status == 404:
        return CloudNotFound(_clip(f"{resource} does not exist ({label})"), resource=resource)
    return CloudRejected(_clip(f"Azure refused {action} on {resource}: {label}"))


def _code(exc: HttpResponseError) -> str:
    code = getattr(exc, "error_code", None)
    if not code and exc.error is not None:
        code = exc.error.code
    if isinstance(code, Enum):  # the storage SDK's StorageErrorCode
        return str(code.value)
    return str(code or "")


def _clip(text: str) -> str:
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"

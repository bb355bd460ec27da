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
from engine.text import clip

OPERATION_IN_FLIGHT: Final = frozenset(
    {
        # 409 "There is already some operation on the database and the current operation
        # should wait till it is done", and its kin: wait, look again, never give up.
        "ConflictingDatabaseOperation",
        "ConflictingServerOperation",
        "ConflictingSystemOperationInProgress",
        "UpdateSloInProgress",
        "SkuAssignmentInProgress",
        "SimultaneousSkuChangeNotAllowed",
        "OperationInterrupted",
        "UpdateSloFailedDatabaseTooBusy",
        # 400 "copy or failover operation ... is currently in progress"
        "UpdateNotAllowedIfGeoDrOperationInProgress",
        # ARM's generic words for the same
        "Conflict",
        "AnotherOperationInProgress",
        "OperationInProgress",
    }
)
NEVER_SUCCEEDS: Final = frozenset(
    {
        # the edition cannot change this way
        "SourceDatabaseEditionCouldNotBeUpgraded",
        "TargetDatabaseEditionCouldNotBeDowngraded",
        "CannotChangeToOrFromDataWarehouseTier",
        "TierChangeUnsupportedDueToMemoryOptimizedObject",
        "TierChangeUnsupportedDueToCDCEnabledDatabase",
        "DatabaseIsCurrentlyPinned",
        # no such SKU, or not in this combination
        "InvalidSku",
        "InvalidTier",
        "InvalidTierSkuCombination",
        "UnsupportedCapacity",
        "DatabaseInvalidSkuPropertyCombination",
        "InvalidMaxSizeTierCombination",
        # over a quota, or too big for the target
        "ServerDtuQuotaExceeded",
        "CurrentMemoryUsageExceedsSkuQuota",
        "CurrentDatabaseSizeExceedsMaxSize",
        "CurrentDatabaseLogSizeExceedsMaxSize",
        "QuotaExceeded",
        # not offered in this region or to this subscription
        "ProvisioningDisabled",
        "OfferDisabledOnSubscription",
        "RegionDoesNotAllowProvisioning",
        "RegionDoesNotSupportVersion",
        "SkuNotAvailable",
    }
)
_RETRYABLE_CODES: Final = OPERATION_IN_FLIGHT | {
    "ServerBusy",
    "OperationTimedOut",
    "InternalError",
    "Md5Mismatch",
}


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
        return CloudUnavailable(clip(f"Azure did not answer {action} on {resource}"))
    return CloudUnavailable(clip(f"{action} on {resource} failed: {type(exc).__name__}"))


def _response_error(exc: HttpResponseError, status: int, resource: str, action: str) -> StageError:
    code = _code(exc)
    label = code or str(status)
    if code in NEVER_SUCCEEDS:
        return CloudRejected(clip(f"Azure refused {action} on {resource}: {label}"))
    if status in (401, 403):
        return CloudAccessDenied(
            clip(f"access denied to {resource}: the Azure identity needs {action} ({label})"),
            resource=resource,
            action=action,
        )
    if status == 429 or status >= 500 or code in _RETRYABLE_CODES:
        return CloudUnavailable(clip(f"Azure answered {label} to {action} on {resource}"))
    if status == 404:
        return CloudNotFound(clip(f"{resource} does not exist ({label})"), resource=resource)
    return CloudRejected(clip(f"Azure refused {action} on {resource}: {label}"))


def in_flight(exc: Exception) -> bool:
    """Whether Azure refused a change because another operation on the resource is in flight
    (which is waited out, not reported)."""
    return (
        isinstance(exc, HttpResponseError)
        and exc.status_code in (400, 409)
        and _code(exc) in OPERATION_IN_FLIGHT
    )


def _code(exc: HttpResponseError) -> str:
    code = getattr(exc, "error_code", None)
    if not code and exc.error is not None:
        code = exc.error.code
    if isinstance(code, Enum):  # the storage SDK's StorageErrorCode
        return str(code.value)
    return str(code or "")

"""botocore's errors become ours at the AWS adapters' boundary.

Throttling, timeouts, unreachable endpoints and 5xx are ``CloudUnavailable`` (retryable);
a refused permission is ``CloudAccessDenied`` naming the IAM action; a missing resource is
``CloudNotFound``; any other refusal is ``CloudRejected``. Messages name the resource and
AWS's error code, never a credential.
"""

from __future__ import annotations

from typing import Final

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    ParamValidationError,
    PartialCredentialsError,
)

from engine.errors import (
    CloudAccessDenied,
    CloudNotFound,
    CloudRejected,
    CloudUnavailable,
    StageError,
)
from engine.text import clip

_RETRYABLE_CODES: Final = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "SlowDown",
        "PriorRequestNotComplete",
        "RequestTimeout",
        "RequestTimeoutException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalError",
        "InternalFailure",
        "InternalServerError",
        "ServerException",
        "OperationAborted",
        "InvalidDBInstanceState",
        "InvalidDBInstanceStateFault",
        "ResourceInUseException",
        "BadDigest",
    }
)
_DENIED_CODES: Final = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "AuthorizationError",
        "UnauthorizedOperation",
        "UnauthorizedException",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidAccessKeyId",
        "MissingAuthenticationToken",
    }
)
_NOT_FOUND_CODES: Final = frozenset(
    {
        "NotFound",
        "NoSuchBucket",
        "NoSuchKey",
        "NoSuchHostedZone",
        "NoSuchChange",
        "NoSuchHealthCheck",
        "DBInstanceNotFound",
        "DBInstanceNotFoundFault",
        "DBClusterNotFoundFault",
        "ResourceNotFoundException",
        # SQS: the query protocol's code, and the JSON protocol's.
        "AWS.SimpleQueueService.NonExistentQueue",
        "QueueDoesNotExist",
    }
)


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def http_status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)


def aws_error(exc: Exception, *, resource: str, action: str) -> StageError:
    """Our error for an exception of a boto3 call on ``resource``; ``action`` is the IAM action
    the call needs (``rds:PromoteReadReplica``). Raise it ``from exc``."""
    if isinstance(exc, ClientError):
        return _client_error(exc, resource, action)
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return CloudAccessDenied(
            f"no usable AWS credentials for {action} on {resource}",
            resource=resource,
            action=action,
        )
    if isinstance(exc, ParamValidationError):
        return CloudRejected(clip(f"{action} on {resource}: invalid request: {exc}"))
    if isinstance(exc, BotoCoreError):
        return CloudUnavailable(clip(f"AWS did not answer {action} on {resource}: {exc}"))
    return CloudUnavailable(clip(f"{action} on {resource} failed: {type(exc).__name__}"))


def _client_error(exc: ClientError, resource: str, action: str) -> StageError:
    code = error_code(exc)
    status = http_status(exc)
    said = _said(exc)
    if code in _DENIED_CODES or status in (401, 403):
        return CloudAccessDenied(
            clip(
                f"access denied to {resource}: the AWS identity needs {action} ({code or status})"
            ),
            resource=resource,
            action=action,
        )
    if code in _RETRYABLE_CODES or status == 429 or status >= 500:
        return CloudUnavailable(clip(f"AWS answered {code or status} to {action} on {resource}"))
    if code in _NOT_FOUND_CODES or status == 404:
        return CloudNotFound(
            clip(f"{resource} does not exist ({code or status})"), resource=resource
        )
    return CloudRejected(clip(f"AWS refused {action} on {resource}: {code or status}{said}"))


def _said(exc: ClientError) -> str:
    message = str(exc.response.get("Error", {}).get("Message", "") or "")
    return f": {message}" if message else ""

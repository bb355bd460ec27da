"""Secrets Manager references (``arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-AbCdEf``),
read with ``GetSecretValue``.

The region is the ARN's: one client per region, made on first use, at the configured AWS
endpoint when there is one (``clouds.aws.endpoint_url``). The current version
(``AWSCURRENT``) is read. A ``SecretString`` is returned exactly as stored: a JSON document
stays a JSON document (no key is picked out of it), so a webhook key or a bearer token is
stored as plain text. A ``SecretBinary`` must be UTF-8 text.

Failures are ``SecretError`` (``SecretUnavailable`` when another try may succeed) with a
one-line reason that names the ARN: never the value, never what AWS said.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from typing import TYPE_CHECKING, Final

import boto3
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    PartialCredentialsError,
)

from engine.adapters.aws.clients import AwsTarget, aws_client
from engine.adapters.aws.errors import error_code, http_status
from engine.errors import SecretError, SecretUnavailable

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

ACTION: Final = "secretsmanager:GetSecretValue"

_DENIED: Final = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidClientTokenId",
        "MissingAuthenticationToken",
    }
)
_TRANSIENT: Final = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "InternalServiceError",
        "InternalFailure",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)


class SecretsManagerSecrets:
    """Resolves Secrets Manager ARNs. ``target`` holds the endpoint and call limits; its
    region is replaced by each ARN's."""

    def __init__(
        self, target: AwsTarget | None = None, *, session: boto3.session.Session | None = None
    ) -> None:
        self._target = target or AwsTarget()
        self._session = session
        self._clients: dict[str, SecretsManagerClient] = {}
        self._lock = threading.Lock()

    def resolve(self, reference: str) -> str:
        region = _region(reference)
        try:
            answer = self._client(region).get_secret_value(SecretId=reference)
        except Exception as exc:
            raise _error(exc, reference, region) from exc
        text = answer.get("SecretString")
        if text is None and "SecretBinary" in answer:
            try:
                text = answer["SecretBinary"].decode("utf-8")
            except UnicodeDecodeError:
                raise SecretError(
                    f"cannot use secret {reference}: its SecretBinary is not UTF-8 text"
                ) from None
        if not text:
            raise SecretError(f"secret {reference} is empty")
        return text

    def close(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()

    def _client(self, region: str) -> SecretsManagerClient:
        with self._lock:
            client = self._clients.get(region)
            if client is None:
                target = replace(self._target, region=region)
                client = aws_client("secretsmanager", target, self._session)
                self._clients[region] = client
            return client


def _region(reference: str) -> str:
    parts = reference.split(":", 6)
    if len(parts) < 7 or parts[2] != "secretsmanager" or not parts[3]:
        raise SecretError(f"cannot resolve {reference}: not a Secrets Manager secret ARN")
    return parts[3]


def _error(exc: Exception, reference: str, region: str) -> SecretError:
    cannot = f"cannot read secret {reference}"
    if isinstance(exc, ClientError):
        code = error_code(exc)
        status = http_status(exc)
        label = code or f"HTTP {status}"
        if code in _DENIED or status in (401, 403):
            return SecretError(
                f"{cannot}: {_short(label)}: the bot's role may not read it (it needs {ACTION})"
            )
        if code == "ResourceNotFoundException" or status == 404:
            return SecretError(f"{cannot}: ResourceNotFound: no such secret in {region}")
        if code == "DecryptionFailure":
            return SecretError(
                f"{cannot}: DecryptionFailure: KMS would not decrypt it (the bot's role may "
                "need kms:Decrypt on the secret's key)"
            )
        if code == "InvalidRequestException":
            return SecretError(
                f"{cannot}: InvalidRequest: it is marked for deletion, or has no current value"
            )
        if code in _TRANSIENT or status == 429 or status >= 500:
            return SecretUnavailable(f"{cannot}: Secrets Manager answered {_short(label)}")
        return SecretError(f"{cannot}: Secrets Manager refused the request ({_short(label)})")
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return SecretError(f"{cannot}: no usable AWS credentials")
    if isinstance(exc, BotoCoreError):
        return SecretUnavailable(
            f"{cannot}: Secrets Manager in {region} did not answer ({type(exc).__name__})"
        )
    return SecretUnavailable(f"{cannot}: the call failed ({type(exc).__name__})")


def _short(code: str) -> str:
    return code.removesuffix("Exception")


class _NoSecretBodies(logging.Filter):
    """botocore logs every response body at DEBUG: never one that holds a secret value."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        return not any(
            isinstance(arg, bytes | bytearray)
            and (b'"SecretString"' in arg or b'"SecretBinary"' in arg)
            for arg in args
        )


def _guard_logs() -> None:
    logger = logging.getLogger("botocore.parsers")
    if not any(isinstance(f, _NoSecretBodies) for f in logger.filters):
        logger.addFilter(_NoSecretBodies())


_guard_logs()

"""The secret resolver of a configuration: ``env:VAR`` from the process environment (through
``bot.settings``, its only reader), Secrets Manager ARNs and Key Vault URIs from the clouds,
each of those two behind a short cache (``engine.secrets.SECRET_TTL``).

No cloud client is made, nor its SDK imported, until a reference of its kind is first
resolved: a configuration holding only ``env:`` references never loads boto3 or azure. Tests
reach stand-ins through the ``clouds`` overrides (``aws.endpoint_url``, ``azure.key_vault_url``)
plus the ``azure_credential`` / ``key_vault_options`` hooks, which production leaves alone.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.settings import EnvSecrets
from engine.config import Clouds
from engine.secrets import SECRET_TTL, CachedSecrets, SecretsByKind, SecretStore

if TYPE_CHECKING:
    from engine.adapters.aws.clients import AwsTarget


def build_secrets(
    clouds: Clouds,
    *,
    environ: Mapping[str, str] | None = None,
    azure_credential: Any = None,
    key_vault_options: Mapping[str, Any] | None = None,
    aws_target: AwsTarget | None = None,
    ttl: timedelta = SECRET_TTL,
    monotonic: Callable[[], float] = time.monotonic,
) -> SecretsByKind:
    """``environ`` replaces the process environment for ``env:`` references; ``aws_target``
    the AWS call limits (its region is each ARN's, its endpoint ``clouds.aws.endpoint_url``
    when that is set); ``monotonic`` the cache's clock."""

    def secrets_manager() -> SecretStore:
        from engine.adapters.aws.clients import AwsTarget
        from engine.adapters.aws.secrets import SecretsManagerSecrets

        target = aws_target or AwsTarget()
        if clouds.aws.endpoint_url is not None:
            target = replace(target, endpoint_url=clouds.aws.endpoint_url)
        return SecretsManagerSecrets(target)

    def key_vault() -> SecretStore:
        from engine.adapters.azure.keyvault import KeyVaultSecrets

        return KeyVaultSecrets(
            credential=azure_credential,
            endpoint_url=clouds.azure.key_vault_url,
            client_options=key_vault_options,
        )

    return SecretsByKind(
        EnvSecrets(environ),
        secrets_manager=CachedSecrets(_MadeOnFirstUse(secrets_manager), ttl, monotonic=monotonic),
        key_vault=CachedSecrets(_MadeOnFirstUse(key_vault), ttl, monotonic=monotonic),
    )


class _MadeOnFirstUse:
    """A secret store made (its adapter module and SDK imported) when first asked to resolve."""

    def __init__(self, make: Callable[[], SecretStore]) -> None:
        self._make = make
        self._store: SecretStore | None = None
        self._lock = threading.Lock()

    def resolve(self, reference: str) -> str:
        with self._lock:
            if self._store is None:
                self._store = self._make()
            store = self._store
        return store.resolve(reference)

    def close(self) -> None:
        with self._lock:
            store, self._store = self._store, None
        if store is not None:
            store.close()

"""Secret references resolved by kind, and a short cache in front of the cloud stores.

A ``SecretRef`` names where a secret is held (``engine.fields.secret_kind``):
``env:VAR``, an AWS Secrets Manager ARN or a Key Vault secret URI. ``SecretsByKind`` hands
each reference to the resolver of its kind; the composition root supplies them (the
environment's from ``bot.settings``, the clouds' from ``engine.adapters``).

``CachedSecrets`` keeps a resolved value for a short time, so that a probe's bearer token is
not fetched from the cloud on every evaluation. Only answers are kept, never a failure, and
a rotated secret is read again once its value has aged past the TTL.

A secret store can be down exactly when it matters: Secrets Manager in the failed region
during a DR failover. When the store is *unavailable* (``SecretUnavailable``: unreachable,
throttled, 5xx) the last value read is still used for up to ``SECRET_STALE_FOR``, with a
warning, so probes keep their tokens and the webhook its key. A refused or missing secret
(revoked, deleted) is never answered from the cache.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Final, Protocol

from engine.errors import SecretError, SecretUnavailable
from engine.fields import SecretKind, secret_kind

SECRET_TTL: Final = timedelta(minutes=5)
"""How long a value read from a cloud secret store is used before it is read again."""

SECRET_STALE_FOR: Final = timedelta(hours=24)
"""How long a value read earlier is still used while its store is unavailable."""


class SecretResolver(Protocol):
    """What stages and adapters resolve a ``SecretRef`` through."""

    def resolve(self, reference: str) -> str:
        """The value a ``SecretRef`` names; ``SecretError`` (naming only the reference) if it
        cannot be resolved."""
        ...


log = logging.getLogger(__name__)

_LABELS: Final[dict[SecretKind, str]] = {
    "env": "environment",
    "secretsmanager": "AWS Secrets Manager",
    "keyvault": "Azure Key Vault",
}


class SecretStore(SecretResolver, Protocol):
    """A resolver that holds connections (SDK clients) until it is closed."""

    def close(self) -> None: ...


class SecretsByKind:
    """Resolves each reference through the resolver of its kind. A kind without a resolver
    is refused by name; errors name the reference, never a value."""

    def __init__(
        self,
        env: SecretResolver,
        *,
        secrets_manager: SecretStore | None = None,
        key_vault: SecretStore | None = None,
    ) -> None:
        self._env = env
        self._stores: dict[SecretKind, SecretStore | None] = {
            "secretsmanager": secrets_manager,
            "keyvault": key_vault,
        }

    def resolve(self, reference: str) -> str:
        kind = secret_kind(reference)
        if kind is None:
            # Possibly a pasted secret: never echo it.
            raise SecretError(
                "not a secret reference: env:VAR, a Secrets Manager ARN or a Key Vault secret URI"
            )
        if kind == "env":
            return self._env.resolve(reference)
        store = self._stores[kind]
        if store is None:
            raise SecretError(f"cannot resolve {reference}: no {_LABELS[kind]} client is wired")
        return store.resolve(reference)

    def close(self) -> None:
        for store in self._stores.values():
            if store is not None:
                store.close()


class CachedSecrets:
    """Keeps each value ``source`` resolved for ``ttl``; failures are never kept, so the next
    call asks again. While ``source`` is unavailable, a value read less than ``stale_for``
    ago is used instead. ``monotonic`` is the clock (seconds), swappable in tests."""

    def __init__(
        self,
        source: SecretStore,
        ttl: timedelta = SECRET_TTL,
        *,
        stale_for: timedelta = SECRET_STALE_FOR,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._source = source
        self._ttl = ttl.total_seconds()
        self._stale_for = stale_for.total_seconds()
        self._monotonic = monotonic
        self._values: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def resolve(self, reference: str) -> str:
        now = self._monotonic()
        with self._lock:
            kept = self._values.get(reference)
        if kept is not None and now - kept[0] < self._ttl:
            return kept[1]
        try:
            value = self._source.resolve(reference)
        except SecretUnavailable as exc:
            if kept is None or now - kept[0] >= self._stale_for:
                raise
            log.warning(
                "secret store unavailable; using the value read %.0f s ago: %s",
                now - kept[0],
                exc,
            )
            return kept[1]
        except SecretError:
            with self._lock:
                self._values.pop(reference, None)
            raise
        with self._lock:
            self._values[reference] = (now, value)
        return value

    def forget(self) -> None:
        """Drop every kept value: the next call of each reference reads the store."""
        with self._lock:
            self._values.clear()

    def close(self) -> None:
        self.forget()
        self._source.close()

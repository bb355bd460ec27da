"""Key Vault references (``https://VAULT.vault.azure.net/secrets/NAME[/VERSION]``), read with
``azure.keyvault.secrets.SecretClient``.

One client per vault, made on first use, authenticated with ``DefaultAzureCredential``
(workload identity on AKS) unless a credential is given; the bot's identity needs the data
action below (the built-in role "Key Vault Secrets User", or a ``get`` secret permission on a
vault that uses access policies). Without a version the current one is read. The value is
returned exactly as stored: a JSON document stays a JSON document.

``endpoint_url`` sends every vault's requests to one URL instead (a stand-in in tests);
``client_options`` go to each ``SecretClient`` (``connection_verify``, ``retry_total``,
``verify_challenge_resource`` ...): production leaves both alone.

Failures are ``SecretError`` (``SecretUnavailable`` when another try may succeed) with a
one-line reason that names the URI: never the value, never what the vault said.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlsplit

from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.keyvault.secrets import SecretClient

from engine.errors import SecretError, SecretUnavailable

ACTION: Final = "Microsoft.KeyVault/vaults/secrets/getSecret/action"
_IDENTIFIER: Final = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")


class KeyVaultSecrets:
    """Resolves Key Vault secret URIs."""

    def __init__(
        self,
        *,
        credential: Any = None,
        endpoint_url: str | None = None,
        client_options: Mapping[str, Any] | None = None,
    ) -> None:
        self._credential = credential
        self._own_credential: Any = None
        self._endpoint_url = endpoint_url
        self._options = dict(client_options or {})
        self._clients: dict[str, SecretClient] = {}
        self._lock = threading.Lock()

    def resolve(self, reference: str) -> str:
        vault, name, version = _parts(reference)
        try:
            secret = self._client(vault).get_secret(name, version)
        except Exception as exc:
            raise _error(exc, reference) from exc
        if secret.value is None:
            raise SecretError(f"secret {reference} has no value")
        if not secret.value:
            raise SecretError(f"secret {reference} is empty")
        return secret.value

    def close(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
            credential, self._own_credential = self._own_credential, None
        for client in clients:
            client.close()
        if credential is not None:
            credential.close()

    def _client(self, vault: str) -> SecretClient:
        url = self._endpoint_url or vault
        with self._lock:
            client = self._clients.get(url)
            if client is None:
                client = SecretClient(url, self._credential_locked(), **self._options)
                self._clients[url] = client
            return client

    def _credential_locked(self) -> Any:
        if self._credential is not None:
            return self._credential
        if self._own_credential is None:
            from azure.identity import DefaultAzureCredential

            self._own_credential = DefaultAzureCredential()
        return self._own_credential


def _parts(reference: str) -> tuple[str, str, str | None]:
    """(vault URL, secret name, version or ``None``) of a Key Vault secret URI."""
    split = urlsplit(reference)
    path = split.path.strip("/").split("/")
    if split.scheme != "https" or not split.hostname or len(path) not in (2, 3):
        raise SecretError(f"cannot resolve {reference}: not a Key Vault secret URI")
    if path[0] != "secrets" or not path[1]:
        raise SecretError(f"cannot resolve {reference}: not a Key Vault secret URI")
    return f"https://{split.netloc}", path[1], path[2] if len(path) == 3 else None


def _error(exc: Exception, reference: str) -> SecretError:
    cannot = f"cannot read secret {reference}"
    if isinstance(exc, HttpResponseError) and exc.status_code is not None:
        status = exc.status_code
        code, inner = _codes(exc)
        label = "/".join(c for c in (code, inner) if c) or f"HTTP {status}"
        if status == 404:
            return SecretError(f"{cannot}: {label}: no such secret (or version) in the vault")
        if status == 403 and inner == "SecretDisabled":
            return SecretError(f"{cannot}: {label}: the secret (or this version) is disabled")
        if status == 403:
            return SecretError(
                f"{cannot}: {label}: the bot's identity may not read it (it needs {ACTION}, "
                "e.g. the Key Vault Secrets User role)"
            )
        if status == 401:
            return SecretError(f"{cannot}: {label}: the vault did not accept the bot's token")
        if status == 429 or status >= 500:
            return SecretUnavailable(f"{cannot}: Key Vault answered {label}")
        return SecretError(f"{cannot}: Key Vault refused the request ({label})")
    if isinstance(exc, ClientAuthenticationError):
        return SecretError(
            f"{cannot}: the bot's Azure credential gave no token ({type(exc).__name__})"
        )
    if isinstance(exc, ServiceRequestError | ServiceResponseError):
        return SecretUnavailable(f"{cannot}: the vault did not answer ({type(exc).__name__})")
    return SecretError(f"{cannot}: the call failed ({type(exc).__name__})")


def _codes(exc: HttpResponseError) -> tuple[str, str]:
    """The error code and inner error code the vault sent, when they are plain identifiers
    (nothing else of its answer is repeated)."""
    error = exc.error
    code = str(getattr(error, "code", "") or "")
    inner_error = getattr(error, "innererror", None)
    inner = str(inner_error.get("code", "") or "") if isinstance(inner_error, dict) else ""
    return (
        code if _IDENTIFIER.match(code) else "",
        inner if _IDENTIFIER.match(inner) else "",
    )

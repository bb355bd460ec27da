"""A local Azure Key Vault speaking the secrets REST API over TLS, for the real
``SecretClient``: ``GET /secrets/{name}[/{version}]?api-version=...``.

Like the service, it first answers a request without a bearer token with 401 and the
``WWW-Authenticate`` challenge that names the tenant and the resource to get a token for;
the client's challenge policy then asks its credential for that token and sends it. A token
other than the one the vault accepts gets 401; a secret the caller is denied gets 403
``Forbidden`` (``ForbiddenByRbac``); a missing secret or version 404 ``SecretNotFound``.
Every token it was sent is recorded, and ``faults`` fail requests on purpose.
"""

from __future__ import annotations

import re
import ssl
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from azure.core.credentials import AccessToken

from tests.support.http_fake import FakeServer, JsonHandler

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
RESOURCE = "https://vault.azure.net"
TOKEN = "kv-test-access-token"
CHALLENGE = (
    f'Bearer authorization="https://login.microsoftonline.com/{TENANT}", resource="{RESOURCE}"'
)
_PATH = re.compile(r"^/secrets/(?P<name>[A-Za-z0-9-]+)(?:/(?P<version>[0-9a-f]*))?/?$")


@dataclass
class _Version:
    version: str
    value: str
    enabled: bool = True
    created: int = field(default_factory=lambda: int(time.time()))


class KeyVaultFake(FakeServer):
    def __init__(self, tls: ssl.SSLContext, *, token: str = TOKEN) -> None:
        self.token = token
        self.secrets: dict[str, list[_Version]] = {}
        self.denied: set[str] = set()
        self.tokens: list[str] = []
        """Every bearer token a request carried."""
        self.reads: list[str] = []
        """The path of every authorised secret read."""
        self.challenges = 0
        super().__init__(_VaultHandler, tls=tls)

    def set_secret(self, name: str, value: str) -> str:
        """A new current version of ``name``; its version id."""
        version = uuid.uuid4().hex
        with self.lock:
            self.secrets.setdefault(name, []).append(_Version(version, value))
        return version

    def disable(self, name: str, version: str) -> None:
        with self.lock:
            for held in self.secrets[name]:
                if held.version == version:
                    held.enabled = False

    def reset(self) -> None:
        self.faults.clear()
        with self.lock:
            self.secrets.clear()
            self.denied.clear()
            self.tokens.clear()
            self.reads.clear()
            self.challenges = 0


class StaticCredential:
    """A ``TokenCredential`` that hands out one fixed token and records what it was asked."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.asked: list[tuple[tuple[str, ...], str | None]] = []

    def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        **kwargs: Any,
    ) -> AccessToken:
        self.asked.append((scopes, tenant_id))
        return AccessToken(self.token, int(time.time()) + 3600)


def _error(code: str, message: str, inner: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if inner is not None:
        error["innererror"] = {"code": inner}
    return {"error": error}


class _VaultHandler(JsonHandler):
    def do_GET(self) -> None:
        vault: KeyVaultFake = self.owner
        split = urlsplit(self.path)
        if "api-version" not in parse_qs(split.query):
            self.send(400, _error("BadParameter", "The 'api-version' query parameter is missing"))
            return
        given = self.headers.get("Authorization", "")
        if not given.startswith("Bearer "):
            with vault.lock:
                vault.challenges += 1
            self.send(
                401,
                _error("Unauthorized", "AKV10000: Request is missing a Bearer or PoP token."),
                {"WWW-Authenticate": CHALLENGE},
            )
            return
        token = given.removeprefix("Bearer ")
        with vault.lock:
            vault.tokens.append(token)
        if token != vault.token:
            self.send(
                401,
                _error("Unauthorized", "AKV10032: Invalid issuer."),
                {"WWW-Authenticate": CHALLENGE},
            )
            return
        if self.fault():
            return
        match = _PATH.match(split.path)
        if match is None:
            self.send(404, _error("NotFound", "no such route"))
            return
        name, version = match["name"], match["version"] or ""
        with vault.lock:
            denied = name in vault.denied
            versions = list(vault.secrets.get(name, []))
            if not denied:
                vault.reads.append(split.path)
        if denied:
            self.send(
                403,
                _error(
                    "Forbidden",
                    "Caller is not authorized to perform action on resource.",
                    "ForbiddenByRbac",
                ),
            )
            return
        found = [v for v in versions if v.version == version] if version else versions[-1:]
        if not found:
            self.send(
                404,
                _error(
                    "SecretNotFound",
                    f"A secret with (name/id) {name}/{version} was not found in this key vault.",
                ),
            )
            return
        held = found[0]
        if not held.enabled:
            self.send(
                403,
                _error(
                    "Forbidden",
                    "Operation get is not allowed on a disabled secret.",
                    "SecretDisabled",
                ),
            )
            return
        self.send(
            200,
            {
                "value": held.value,
                "id": f"{vault.url}/secrets/{name}/{held.version}",
                "attributes": {
                    "enabled": True,
                    "created": held.created,
                    "updated": held.created,
                    "recoveryLevel": "Recoverable+Purgeable",
                    "recoverableDays": 90,
                },
                "tags": {},
            },
        )

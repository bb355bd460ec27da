"""The bot's Azure identity (``Identity``): a token for Azure Resource Manager from its
credential (``DefaultAzureCredential`` unless one is given: workload identity on AKS, a managed
identity, the environment ...). Getting one proves the identity works; what it may do with
each resource is proven by the reads of the checks that look at them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from azure.core.exceptions import ClientAuthenticationError

from engine.adapters.azure.errors import azure_error
from engine.errors import CloudAccessDenied
from engine.text import clip

ARM_SCOPE: Final = "https://management.azure.com/.default"
"""The scope the management SDK clients ask their tokens for."""
_WHO = "the bot's Azure identity"


class AzureIdentity:
    def __init__(self, credential: Any = None) -> None:
        self._own = credential is None
        if credential is None:
            from azure.identity import DefaultAzureCredential

            credential = DefaultAzureCredential()
        self._credential = credential

    @property
    def service(self) -> str:
        return "Azure"

    def whoami(self) -> str:
        try:
            token = self._credential.get_token(ARM_SCOPE)
        except ClientAuthenticationError as exc:
            # The credential's own words say which source it tried and why it failed; they
            # carry no token.
            raise CloudAccessDenied(
                clip(f"{_WHO} got no token for Azure Resource Manager: {exc.message}"),
                resource=_WHO,
                action="get a token",
            ) from exc
        except Exception as exc:
            raise azure_error(exc, resource=_WHO, action="get a token") from exc
        until = datetime.fromtimestamp(token.expires_on, UTC)
        return f"a Resource Manager token valid until {until:%H:%M} UTC"

    def close(self) -> None:
        # A credential handed in is its giver's to close.
        close = getattr(self._credential, "close", None) if self._own else None
        if close is not None:
            close()

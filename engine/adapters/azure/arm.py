"""What the Azure management adapters share: where the resources are, and how to build a
client (``DefaultAzureCredential`` unless a credential is given)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


@dataclass(frozen=True)
class AzureTarget:
    subscription_id: str
    resource_group: str
    base_url: str | None = None
    """The ARM endpoint; ``None`` for Azure's public cloud."""
    credential: Any = None
    """A ``TokenCredential``; ``None`` means ``DefaultAzureCredential`` (managed identity,
    workload identity, environment, Azure CLI ...)."""
    client_options: Mapping[str, Any] = field(default_factory=dict)
    """Passed to the SDK client: ``retry_total``, ``polling_interval``, ``transport`` ..."""

    def client(self, factory: Any) -> Any:
        credential = self.credential
        if credential is None:
            from azure.identity import DefaultAzureCredential

            credential = DefaultAzureCredential()
        options = dict(self.client_options)
        if self.base_url is not None:
            options["base_url"] = self.base_url
        return factory(credential, self.subscription_id, **options)


def text(value: Any) -> str:
    """An SDK enum's wire value (``str()`` of a str-enum is its Python name), or ``str``."""
    if value is None:
        return ""
    return str(value.value) if isinstance(value, Enum) else str(value)

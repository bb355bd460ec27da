"""The real Azure management clients, pointed at the ARM fake: a fixed bearer token over
plain http (ARM's own bearer policy refuses non-TLS), no SDK retries, no LRO delay."""

from __future__ import annotations

from typing import Any

from azure.core.pipeline.policies import SansIOHTTPPolicy

from engine.adapters.azure.arm import AzureTarget
from tests.cloud.arm_fake import GROUP, SUBSCRIPTION, ArmFake


class StaticBearer(SansIOHTTPPolicy[Any, Any]):
    """Tests only: ARM's bearer policy refuses plain http, so the fake gets a fixed token."""

    def on_request(self, request: Any) -> None:
        request.http_request.headers["Authorization"] = "Bearer test-token"


class UnusedCredential:
    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        raise AssertionError("the static bearer policy replaces the credential in tests")


CLIENT_OPTIONS: dict[str, Any] = {
    "authentication_policy": StaticBearer(),
    "retry_total": 0,
    "polling_interval": 0,
}


def arm_target(arm: ArmFake) -> AzureTarget:
    return AzureTarget(
        SUBSCRIPTION,
        GROUP,
        base_url=arm.url,
        credential=UnusedCredential(),
        client_options=CLIENT_OPTIONS,
    )

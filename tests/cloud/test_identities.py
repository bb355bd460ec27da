"""The bot's identities: AWS's through STS GetCallerIdentity against moto (refusals in STS's
own wire format through the fault proxy), Azure's through the real ManagedIdentityCredential
against a local App Service managed identity endpoint."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from azure.identity import ManagedIdentityCredential

from engine.adapters.aws.clients import AwsTarget
from engine.adapters.aws.identity import AwsIdentity
from engine.adapters.azure.identity import AzureIdentity
from engine.errors import CloudAccessDenied, CloudUnavailable
from tests.cloud.aws_faults import query_error
from tests.cloud.identity_fake import HEADER_SECRET, ManagedIdentityEndpoint
from tests.support.fault_proxy import FaultProxy
from tests.support.ports import closed_port

pytestmark = pytest.mark.integration


def _aws(url: str) -> AwsIdentity:
    return AwsIdentity(AwsTarget(region="us-east-1", endpoint_url=url, max_attempts=1))


def test_the_aws_identity_is_who_sts_says_the_credentials_are(aws_proxy: FaultProxy) -> None:
    identity = _aws(aws_proxy.url)
    try:
        assert identity.whoami().startswith("arn:aws:")
        assert aws_proxy.calls("POST", "/") == 1
    finally:
        identity.close()


def test_expired_aws_credentials_are_denied_and_the_message_names_no_credential(
    aws_proxy: FaultProxy,
) -> None:
    aws_proxy.faults.add(query_error(403, "ExpiredToken", method="POST"))
    identity = _aws(aws_proxy.url)
    try:
        with pytest.raises(CloudAccessDenied) as denied:
            identity.whoami()
    finally:
        identity.close()
    assert "sts:GetCallerIdentity" in str(denied.value)
    assert "ExpiredToken" in str(denied.value)
    assert "testing" not in str(denied.value)  # the dummy key id and secret


def test_sts_out_of_reach_is_unavailable() -> None:
    with closed_port() as port:
        identity = _aws(f"http://127.0.0.1:{port}")
        try:
            with pytest.raises(CloudUnavailable) as unavailable:
                identity.whoami()
        finally:
            identity.close()
    assert "sts:GetCallerIdentity" in str(unavailable.value)


@pytest.fixture(scope="module")
def _endpoint() -> Iterator[ManagedIdentityEndpoint]:
    fake = ManagedIdentityEndpoint()
    yield fake
    fake.stop()


@pytest.fixture
def managed_identity(
    _endpoint: ManagedIdentityEndpoint, monkeypatch: pytest.MonkeyPatch
) -> ManagedIdentityEndpoint:
    _endpoint.reset()
    monkeypatch.setenv("IDENTITY_ENDPOINT", _endpoint.endpoint)
    monkeypatch.setenv("IDENTITY_HEADER", HEADER_SECRET)
    return _endpoint


def test_the_azure_identity_gets_a_resource_manager_token(
    managed_identity: ManagedIdentityEndpoint,
) -> None:
    identity = AzureIdentity(ManagedIdentityCredential())

    assert identity.whoami().startswith("a Resource Manager token valid until ")
    assert managed_identity.asked == ["https://management.azure.com"]


def test_an_identity_azure_will_not_issue_a_token_for_is_denied_without_the_token(
    managed_identity: ManagedIdentityEndpoint,
) -> None:
    managed_identity.revoked = True
    identity = AzureIdentity(ManagedIdentityCredential())

    with pytest.raises(CloudAccessDenied) as denied:
        identity.whoami()
    assert "no managed identity is assigned" in str(denied.value)
    assert HEADER_SECRET not in str(denied.value)

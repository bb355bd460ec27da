"""Secret references resolved from the clouds: Secrets Manager through moto's server (behind
the fault proxy, which counts the calls), Key Vault through a local vault that speaks the
REST API over TLS to the real ``SecretClient``, both through the resolver the bot wires."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from bot.wiring.secrets import build_secrets
from engine.adapters.aws.clients import AwsTarget
from engine.adapters.http.probes import HttpProbes
from engine.config import Clouds, HttpSignal
from engine.config.recovery import AwsCloud, AzureCloud
from engine.errors import SecretError, SecretUnavailable
from engine.model import Reading, Status
from engine.secrets import SECRET_TTL, SecretsByKind
from tests.cloud.aws_faults import json_error
from tests.cloud.keyvault_fake import RESOURCE, TENANT, TOKEN, KeyVaultFake, StaticCredential
from tests.support.clock import ManualClock
from tests.support.fault_proxy import FaultProxy
from tests.support.http_fake import Fault
from tests.support.object_fixtures import OPENED
from tests.support.probe_network import ScriptedNetwork
from tests.support.stand_ins import Moto
from tests.support.tls import LoopbackTls, loopback_tls

pytestmark = pytest.mark.integration

VALUE = "whsec-7f3a9c1e5b"
"""The secret value: it must never show up in an error or a log line."""
REGION = "eu-west-1"
"""Not the configured region (us-east-1): the ARN's region is the one asked."""
VAULT = "https://phoenix-dr.vault.azure.net"
FAST_AWS = AwsTarget(max_attempts=1, connect_timeout=2, read_timeout=10)


class Ticks:
    """The cache's monotonic clock, moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def past_ttl(self) -> None:
        self.now += SECRET_TTL.total_seconds() + 1


def clouds(aws_url: str | None = None, vault_url: str | None = None) -> Clouds:
    return Clouds(
        aws=AwsCloud(region="us-east-1", endpoint_url=aws_url),
        azure=AzureCloud(key_vault_url=vault_url),
    )


def secretsmanager(moto: Moto, region: str = REGION) -> Any:
    client = boto3.session.Session().client(
        "secretsmanager", region_name=region, endpoint_url=moto.url
    )
    OPENED.append(client)
    return client


def create(moto: Moto, name: str, value: str | bytes, region: str = REGION) -> str:
    """The secret's full ARN."""
    field = "SecretBinary" if isinstance(value, bytes) else "SecretString"
    arn: str = secretsmanager(moto, region).create_secret(Name=name, **{field: value})["ARN"]
    return arn


@pytest.fixture
def ticks() -> Ticks:
    return Ticks()


@pytest.fixture
def sm(aws_proxy: FaultProxy, ticks: Ticks) -> Iterator[SecretsByKind]:
    secrets = build_secrets(
        clouds(aws_url=aws_proxy.url), environ={}, aws_target=FAST_AWS, monotonic=ticks
    )
    yield secrets
    secrets.close()


def reads(proxy: FaultProxy, arn: str) -> int:
    return proxy.calls("POST", f'"SecretId": "{arn}"')


def raised(secrets: SecretsByKind, reference: str) -> SecretError:
    with pytest.raises(SecretError) as caught:
        secrets.resolve(reference)
    assert VALUE not in str(caught.value)
    return caught.value


def test_env_references_come_from_the_given_environment_only() -> None:
    secrets = build_secrets(clouds(), environ={"HOOK": "from-env"})
    try:
        assert secrets.resolve("env:HOOK") == "from-env"
        with pytest.raises(SecretError, match="env:PATH is not set"):
            secrets.resolve("env:PATH")
    finally:
        secrets.close()


# ----------------------------------------------------------------------------- Secrets Manager


def test_an_arn_resolves_from_the_region_it_names(
    moto: Moto, aws_proxy: FaultProxy, sm: SecretsByKind
) -> None:
    arn = create(moto, "phoenix/webhook", VALUE)

    assert sm.resolve(arn) == VALUE
    assert reads(aws_proxy, arn) == 1


def test_a_value_is_kept_for_the_ttl_and_a_rotated_one_read_after_it(
    moto: Moto, aws_proxy: FaultProxy, sm: SecretsByKind, ticks: Ticks
) -> None:
    arn = create(moto, "phoenix/probe-token", "token-1")
    assert sm.resolve(arn) == "token-1"
    secretsmanager(moto).put_secret_value(SecretId=arn, SecretString="token-2")  # rotated

    ticks.now += SECRET_TTL.total_seconds() - 1
    assert sm.resolve(arn) == "token-1"
    assert reads(aws_proxy, arn) == 1  # a kept value costs no call

    ticks.past_ttl()
    assert sm.resolve(arn) == "token-2"
    assert reads(aws_proxy, arn) == 2


@pytest.mark.parametrize(
    ("status", "code"), [(500, "InternalServiceError"), (400, "ThrottlingException")]
)
def test_a_transient_failure_is_unavailable_and_never_kept(
    moto: Moto, aws_proxy: FaultProxy, sm: SecretsByKind, status: int, code: str
) -> None:
    arn = create(moto, "phoenix/webhook", VALUE)
    aws_proxy.faults.add(json_error(status, code, method="POST", path="SecretId"))

    error = raised(sm, arn)

    assert isinstance(error, SecretUnavailable)
    assert str(error) == (
        f"cannot read secret {arn}: Secrets Manager answered {code.removesuffix('Exception')}"
    )
    assert sm.resolve(arn) == VALUE  # asked again at once: the failure was not kept
    assert reads(aws_proxy, arn) == 2


def test_a_missing_secret_names_the_arn(moto: Moto, sm: SecretsByKind) -> None:
    arn = f"arn:aws:secretsmanager:{REGION}:123456789012:secret:phoenix/absent-AbCdEf"

    error = raised(sm, arn)

    assert not isinstance(error, SecretUnavailable)
    assert str(error) == f"cannot read secret {arn}: ResourceNotFound: no such secret in {REGION}"


def test_access_denied_names_the_arn_not_the_value_nor_what_aws_said(
    moto: Moto, aws_proxy: FaultProxy, sm: SecretsByKind
) -> None:
    arn = create(moto, "phoenix/webhook", VALUE)
    said = f"User arn:aws:sts::123456789012:assumed-role/bot is not authorized ({VALUE})"
    aws_proxy.faults.add(json_error(400, "AccessDeniedException", said, path="SecretId"))

    error = raised(sm, arn)

    assert str(error) == (
        f"cannot read secret {arn}: AccessDenied: the bot's role may not read it "
        "(it needs secretsmanager:GetSecretValue)"
    )
    assert "assumed-role" not in str(error)


def test_a_secret_marked_for_deletion_is_refused_clearly(moto: Moto, sm: SecretsByKind) -> None:
    arn = create(moto, "phoenix/old", VALUE)
    secretsmanager(moto).delete_secret(SecretId=arn, RecoveryWindowInDays=7)

    assert "InvalidRequest: it is marked for deletion" in str(raised(sm, arn))


def test_an_unreachable_secrets_manager_is_unavailable() -> None:
    secrets = build_secrets(clouds(aws_url="http://127.0.0.1:9"), environ={}, aws_target=FAST_AWS)
    arn = f"arn:aws:secretsmanager:{REGION}:123456789012:secret:phoenix/webhook-AbCdEf"
    try:
        error = raised(secrets, arn)
    finally:
        secrets.close()
    assert isinstance(error, SecretUnavailable)
    assert str(error) == (
        f"cannot read secret {arn}: Secrets Manager in {REGION} did not answer "
        "(EndpointConnectionError)"
    )


def test_a_json_secret_string_is_returned_as_stored(moto: Moto, sm: SecretsByKind) -> None:
    document = '{"username": "phoenix", "password": "p4ss"}'
    assert sm.resolve(create(moto, "phoenix/json", document)) == document


def test_a_binary_secret_is_used_as_utf8_text_or_refused(moto: Moto, sm: SecretsByKind) -> None:
    assert sm.resolve(create(moto, "phoenix/text-bytes", VALUE.encode())) == VALUE

    arn = create(moto, "phoenix/raw-bytes", b"\xff\xfe\x00key")
    error = raised(sm, arn)
    assert str(error) == f"cannot use secret {arn}: its SecretBinary is not UTF-8 text"


def _probes(arn: str, sm: SecretsByKind, sent: list[str | None]) -> HttpProbes:
    """An http signal whose bearer token is ``arn``; the service records what it was sent."""

    def service(request: httpx.Request) -> httpx.Response:
        sent.append(request.headers.get("Authorization"))
        return httpx.Response(200)

    signal = HttpSignal.model_validate(
        {"name": "api", "kind": "http", "targets": ["http://api/health"], "bearer_token": arn}
    )
    return HttpProbes(
        [signal],
        ManualClock(),
        secrets=sm.resolve,
        network_factory=lambda: ScriptedNetwork(service),
    )


def test_a_probes_bearer_token_is_read_once_per_ttl_not_once_per_evaluation(
    moto: Moto, aws_proxy: FaultProxy, sm: SecretsByKind, ticks: Ticks
) -> None:
    arn = create(moto, "phoenix/probe-token", "token-1")
    sent: list[str | None] = []
    probes = _probes(arn, sm, sent)

    def evaluate() -> Reading:
        [reading] = asyncio.run(probes.collect())
        ticks.now += 30  # the evaluation interval
        return reading

    assert [evaluate().status for _ in range(3)] == [Status.OK] * 3
    assert reads(aws_proxy, arn) == 1
    secretsmanager(moto).put_secret_value(SecretId=arn, SecretString="token-2")  # rotated
    aws_proxy.faults.add(json_error(500, "InternalServiceError", path="SecretId"))
    ticks.past_ttl()

    # The store is down (its region failed): the last token keeps the probe judging, and the
    # store is asked again at the next evaluation.
    assert evaluate().status == Status.OK
    aws_proxy.faults.clear()
    assert evaluate().status == Status.OK
    assert sent == ["Bearer token-1"] * 4 + ["Bearer token-2"]
    assert reads(aws_proxy, arn) == 3


def test_a_probe_whose_token_was_never_read_is_unknown_while_the_store_is_down(
    moto: Moto, aws_proxy: FaultProxy, sm: SecretsByKind
) -> None:
    arn = create(moto, "phoenix/probe-token", "token-1")
    aws_proxy.faults.add(json_error(500, "InternalServiceError", path="SecretId"))
    sent: list[str | None] = []
    probes = _probes(arn, sm, sent)
    [failed] = asyncio.run(probes.collect())
    assert failed.status == Status.UNKNOWN, "unknown, never down"
    assert sent == [], "no probe is sent without its token"
    assert failed.detail == (
        f"bearer token {arn} could not be resolved: cannot read secret {arn}: "
        "Secrets Manager answered InternalServiceError"
    )


# ----------------------------------------------------------------------------- Key Vault


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> LoopbackTls:
    return loopback_tls(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def _vault(tls: LoopbackTls) -> Iterator[KeyVaultFake]:
    fake = KeyVaultFake(tls.server_context())
    yield fake
    fake.stop()


@pytest.fixture
def vault(_vault: KeyVaultFake) -> KeyVaultFake:
    _vault.reset()
    return _vault


@pytest.fixture
def new_vault(tls: LoopbackTls) -> Iterator[KeyVaultFake]:
    """A vault on a port not used before: the SDK keeps a vault's challenge for the whole
    process, so only a new one shows the first request's challenge."""
    fake = KeyVaultFake(tls.server_context())
    yield fake
    fake.stop()


def vault_options(ca_file: Path) -> dict[str, Any]:
    # Tests only: trust the throwaway CA, and accept a challenge for vault.azure.net from a
    # vault at 127.0.0.1.
    return {"connection_verify": str(ca_file), "verify_challenge_resource": False, "retry_total": 0}


def key_vault(
    vault_url: str, tls: LoopbackTls, credential: StaticCredential, ticks: Ticks | None = None
) -> SecretsByKind:
    return build_secrets(
        clouds(vault_url=vault_url),
        environ={},
        azure_credential=credential,
        key_vault_options=vault_options(tls.ca_file),
        monotonic=ticks or Ticks(),
    )


@pytest.fixture
def credential() -> StaticCredential:
    return StaticCredential()


@pytest.fixture
def kv(
    vault: KeyVaultFake, tls: LoopbackTls, credential: StaticCredential, ticks: Ticks
) -> Iterator[SecretsByKind]:
    secrets = key_vault(vault.url, tls, credential, ticks)
    yield secrets
    secrets.close()


def test_a_vault_uri_resolves_after_the_bearer_challenge(
    new_vault: KeyVaultFake, tls: LoopbackTls, credential: StaticCredential
) -> None:
    vault = new_vault
    vault.set_secret("webhook-key", VALUE)
    secrets = key_vault(vault.url, tls, credential)
    try:
        assert secrets.resolve(f"{VAULT}/secrets/webhook-key") == VALUE
    finally:
        secrets.close()

    assert vault.challenges == 1  # the first request went without a token, as with Azure
    assert credential.asked == [((f"{RESOURCE}/.default",), TENANT)]
    assert vault.tokens == [TOKEN]
    assert vault.reads == ["/secrets/webhook-key/"]


def test_a_version_is_read_as_named_and_the_latest_is_reread_after_the_ttl(
    vault: KeyVaultFake, kv: SecretsByKind, ticks: Ticks
) -> None:
    first = vault.set_secret("probe-token", "token-1")
    latest = f"{VAULT}/secrets/probe-token"
    assert kv.resolve(latest) == "token-1"
    vault.set_secret("probe-token", "token-2")  # rotated

    assert kv.resolve(latest) == "token-1"  # kept
    assert kv.resolve(f"{latest}/{first}") == "token-1"
    assert len(vault.reads) == 2

    ticks.past_ttl()
    assert kv.resolve(latest) == "token-2"
    assert len(vault.reads) == 3


def test_a_missing_secret_names_the_uri(vault: KeyVaultFake, kv: SecretsByKind) -> None:
    uri = f"{VAULT}/secrets/absent"

    error = raised(kv, uri)

    assert str(error) == (
        f"cannot read secret {uri}: SecretNotFound: no such secret (or version) in the vault"
    )


def test_a_denied_identity_gets_the_role_it_needs(vault: KeyVaultFake, kv: SecretsByKind) -> None:
    vault.set_secret("webhook-key", VALUE)
    vault.denied.add("webhook-key")
    uri = f"{VAULT}/secrets/webhook-key"

    error = raised(kv, uri)

    assert str(error) == (
        f"cannot read secret {uri}: Forbidden/ForbiddenByRbac: the bot's identity may not read "
        "it (it needs Microsoft.KeyVault/vaults/secrets/getSecret/action, e.g. the Key Vault "
        "Secrets User role)"
    )
    assert "not authorized" not in str(error)  # the vault's own words stay out


def test_a_disabled_version_is_refused_clearly(vault: KeyVaultFake, kv: SecretsByKind) -> None:
    version = vault.set_secret("webhook-key", VALUE)
    vault.disable("webhook-key", version)

    error = raised(kv, f"{VAULT}/secrets/webhook-key/{version}")

    assert "Forbidden/SecretDisabled: the secret (or this version) is disabled" in str(error)


def test_a_token_the_vault_refuses_is_access_denied(vault: KeyVaultFake, tls: LoopbackTls) -> None:
    vault.set_secret("webhook-key", VALUE)
    secrets = key_vault(vault.url, tls, StaticCredential("not-the-vaults-token"))
    try:
        error = raised(secrets, f"{VAULT}/secrets/webhook-key")
    finally:
        secrets.close()
    assert "the vault did not accept the bot's token" in str(error)
    assert "not-the-vaults-token" not in str(error)
    assert vault.reads == []


def test_a_vault_outage_is_unavailable_and_never_kept(
    vault: KeyVaultFake, kv: SecretsByKind
) -> None:
    vault.set_secret("webhook-key", VALUE)
    body = b'{"error": {"code": "ServiceUnavailable", "message": "busy"}}'
    vault.faults.add(Fault(503, body, (("Content-Type", "application/json"),), method="GET"))
    uri = f"{VAULT}/secrets/webhook-key"

    error = raised(kv, uri)

    assert isinstance(error, SecretUnavailable)
    assert str(error) == f"cannot read secret {uri}: Key Vault answered ServiceUnavailable"
    assert kv.resolve(uri) == VALUE


def test_an_unreachable_vault_is_unavailable(tls: LoopbackTls) -> None:
    secrets = key_vault("https://127.0.0.1:9", tls, StaticCredential())
    uri = f"{VAULT}/secrets/webhook-key"
    try:
        error = raised(secrets, uri)
    finally:
        secrets.close()
    assert isinstance(error, SecretUnavailable)
    assert str(error) == f"cannot read secret {uri}: the vault did not answer (ServiceRequestError)"


# ----------------------------------------------------------------------------- never the value


def test_no_log_line_or_error_holds_a_value(
    moto: Moto,
    aws_proxy: FaultProxy,
    sm: SecretsByKind,
    vault: KeyVaultFake,
    kv: SecretsByKind,
    caplog: pytest.LogCaptureFixture,
) -> None:
    arn = create(moto, "phoenix/webhook", VALUE)
    vault.set_secret("webhook-key", VALUE)
    uri = f"{VAULT}/secrets/webhook-key"
    errors: list[str] = []
    caplog.set_level(logging.DEBUG)  # every library's debug logging, botocore's and azure's

    assert sm.resolve(arn) == VALUE
    assert kv.resolve(uri) == VALUE
    aws_proxy.faults.add(json_error(400, "AccessDeniedException", path="SecretId"))
    for secrets, reference in ((sm, arn.replace("webhook", "other")), (kv, uri + "-other")):
        with pytest.raises(SecretError) as caught:
            secrets.resolve(reference)
        errors.append(str(caught.value))

    assert caplog.records  # the libraries did log: none of it holds the value
    assert VALUE not in caplog.text
    assert all(VALUE not in e for e in errors)

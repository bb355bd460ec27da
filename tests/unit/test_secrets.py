"""Secret references by kind, and the short cache in front of the cloud secret stores."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.settings import EnvSecrets
from engine.errors import SecretError, SecretUnavailable
from engine.fields import secret_kind
from engine.secrets import CachedSecrets, SecretsByKind

ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:phoenix/webhook-AbCdEf"
URI = "https://phoenix-dr.vault.azure.net/secrets/webhook-key"


class Store:
    """A secret store that answers from a dict, or fails as told; counts its reads."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values
        self.fail: SecretError | None = None
        self.reads = 0
        self.closed = False

    def resolve(self, reference: str) -> str:
        self.reads += 1
        if self.fail is not None:
            raise self.fail
        return self.values[reference]

    def close(self) -> None:
        self.closed = True


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("reference", "kind"),
    [
        ("env:PHOENIX_WEBHOOK_SECRET", "env"),
        (ARN, "secretsmanager"),
        ("arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:x", "secretsmanager"),
        (URI, "keyvault"),
        (f"{URI}/0123456789abcdef0123456789abcdef", "keyvault"),
        ("hunter2", None),
        ("https://example.com/secrets/x", None),
    ],
)
def test_a_reference_has_one_kind(reference: str, kind: str | None) -> None:
    assert secret_kind(reference) == kind


def test_each_kind_goes_to_its_own_resolver() -> None:
    aws, azure = Store({ARN: "from-aws"}), Store({URI: "from-azure"})
    secrets = SecretsByKind(EnvSecrets({"HOOK": "from-env"}), secrets_manager=aws, key_vault=azure)

    assert secrets.resolve("env:HOOK") == "from-env"
    assert secrets.resolve(ARN) == "from-aws"
    assert secrets.resolve(URI) == "from-azure"
    secrets.close()
    assert aws.closed
    assert azure.closed


def test_a_kind_without_a_resolver_and_a_non_reference_are_refused_without_echo() -> None:
    secrets = SecretsByKind(EnvSecrets({}))

    with pytest.raises(SecretError, match=f"cannot resolve {URI}: no Azure Key Vault client"):
        secrets.resolve(URI)
    with pytest.raises(SecretError) as raised:
        secrets.resolve("hunter2")
    assert "hunter2" not in str(raised.value)


def test_the_environment_alone_refuses_a_cloud_reference_by_name() -> None:
    with pytest.raises(SecretError, match=f"cannot resolve {ARN}: not an env:VAR reference"):
        EnvSecrets({}).resolve(ARN)


def test_a_value_is_kept_for_the_ttl_then_read_again() -> None:
    store, ticks = Store({ARN: "v1"}), Ticks()
    cached = CachedSecrets(store, timedelta(minutes=5), monotonic=ticks)

    assert cached.resolve(ARN) == "v1"
    store.values[ARN] = "v2"  # rotated
    ticks.now = 299.0
    assert cached.resolve(ARN) == "v1"
    assert store.reads == 1

    ticks.now = 300.0
    assert cached.resolve(ARN) == "v2"
    assert store.reads == 2


def test_a_failure_is_never_kept() -> None:
    store = Store({ARN: "v1"})
    cached = CachedSecrets(store, monotonic=Ticks())
    store.fail = SecretUnavailable(f"cannot read secret {ARN}: Secrets Manager answered 503")

    for _ in range(2):
        with pytest.raises(SecretUnavailable):
            cached.resolve(ARN)
    store.fail = None
    assert cached.resolve(ARN) == "v1"
    assert store.reads == 3


def test_an_unavailable_store_is_bridged_with_the_last_value_for_a_bounded_time(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store, ticks = Store({ARN: "v1"}), Ticks()
    cached = CachedSecrets(
        store, timedelta(minutes=5), stale_for=timedelta(hours=1), monotonic=ticks
    )
    assert cached.resolve(ARN) == "v1"
    store.fail = SecretUnavailable(f"cannot read secret {ARN}: Secrets Manager is unreachable")

    ticks.now = 3599.0  # the region is down: the last value keeps probes and webhooks going
    assert cached.resolve(ARN) == "v1"
    assert store.reads == 2, "the store is still asked each time past the TTL"
    assert "v1" not in caplog.text
    assert ARN in caplog.text

    ticks.now = 3600.0
    with pytest.raises(SecretUnavailable):
        cached.resolve(ARN)


def test_a_refused_or_missing_secret_is_never_answered_from_the_cache() -> None:
    store, ticks = Store({ARN: "v1"}), Ticks()
    cached = CachedSecrets(store, timedelta(minutes=5), monotonic=ticks)
    assert cached.resolve(ARN) == "v1"

    ticks.now = 301.0
    store.fail = SecretError(f"cannot read secret {ARN}: AccessDenied")
    with pytest.raises(SecretError):
        cached.resolve(ARN)
    store.fail = SecretUnavailable(f"cannot read secret {ARN}: Secrets Manager is unreachable")
    with pytest.raises(SecretUnavailable):
        cached.resolve(ARN)  # revoked first: nothing is kept to bridge with

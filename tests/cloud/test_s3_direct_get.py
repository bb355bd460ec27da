"""GetObject sent as one signed request gives what botocore's ``get_object`` gives, and fails
and retries as it does."""

from __future__ import annotations

from typing import Any

import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from engine.adapters.aws.clients import AwsTarget, aws_client
from engine.adapters.aws.s3_get import DirectGet
from tests.cloud.aws_faults import s3_error
from tests.support.fault_proxy import FaultProxy
from tests.support.object_fixtures import OPENED, REGION, body, make_bucket
from tests.support.stand_ins import Moto

pytestmark = pytest.mark.integration

KEYS = [
    "plain.bin",
    "a b/ä ö ü.bin",
    "odd&chars=%41+?#x",
    "日本/データ.txt",
    "~tilde/semi;colon,comma",
    "double//slash/",
    "emoji/🙂",
]


def _client(endpoint: str, max_attempts: int = 1) -> Any:
    target = AwsTarget(region=REGION, endpoint_url=endpoint, max_attempts=max_attempts)
    client = aws_client("s3", target)
    OPENED.append(client)
    return client


def _direct(endpoint: str, bucket: str, max_attempts: int = 1) -> DirectGet:
    direct = DirectGet.for_bucket(_client(endpoint, max_attempts), bucket, max_attempts)
    assert direct is not None
    return direct


def test_answers_equal_get_objects_for_odd_keys(moto: Moto) -> None:
    client = make_bucket(moto.url, "direct", {key: body(key, 700) for key in KEYS})
    client.put_object(
        Bucket="direct", Key="typed", Body=b"<p/>", ContentType="text/html", Metadata={"a": "1"}
    )
    direct = _direct(moto.url, "direct")

    for key in [*KEYS, "typed"]:
        ours = direct.get(key)
        theirs = client.get_object(Bucket="direct", Key=key)
        assert ours["Body"].read() == theirs["Body"].read()
        for field in ("ContentLength", "ETag", "LastModified", "ContentType", "Metadata"):
            assert ours[field] == theirs[field], (key, field)


def test_a_missing_key_is_the_same_client_error(moto: Moto) -> None:
    make_bucket(moto.url, "direct")

    with pytest.raises(ClientError) as raised:
        _direct(moto.url, "direct").get("nothing/here")

    assert raised.value.response["Error"]["Code"] == "NoSuchKey"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_a_transient_error_is_retried_like_botocore(moto: Moto, aws_proxy: FaultProxy) -> None:
    make_bucket(moto.url, "direct", {"k": b"value"})
    aws_proxy.faults.add(s3_error(503, "SlowDown", method="GET", path="/direct/k$"))

    answer = _direct(aws_proxy.url, "direct", max_attempts=3).get("k")

    assert answer["Body"].read() == b"value"
    assert aws_proxy.calls("GET", "/direct/k") == 2


def test_with_one_attempt_a_throttle_is_raised(moto: Moto, aws_proxy: FaultProxy) -> None:
    make_bucket(moto.url, "direct", {"k": b"value"})
    aws_proxy.faults.add(s3_error(503, "SlowDown", method="GET", path="/direct/k$"))

    with pytest.raises(ClientError, match="SlowDown"):
        _direct(aws_proxy.url, "direct").get("k")


def test_access_denied_is_not_retried(moto: Moto, aws_proxy: FaultProxy) -> None:
    make_bucket(moto.url, "direct", {"k": b"value"})
    aws_proxy.faults.add(s3_error(403, "AccessDenied", method="GET", path="/direct/k$", times=-1))

    with pytest.raises(ClientError, match="AccessDenied"):
        _direct(aws_proxy.url, "direct", max_attempts=3).get("k")
    assert aws_proxy.calls("GET", "/direct/k") == 1


def test_an_unsigned_client_keeps_get_object(moto: Moto) -> None:
    import boto3

    client = boto3.session.Session().client(
        "s3",
        region_name=REGION,
        endpoint_url=moto.url,
        config=Config(signature_version=UNSIGNED),
    )
    OPENED.append(client)

    assert DirectGet.for_bucket(client, "direct", 1) is None


def test_the_request_is_signed_as_botocore_signs_get_object(
    moto: Moto, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime
    from types import SimpleNamespace

    import botocore.auth

    from engine.adapters.aws.s3_get import _built_request

    fixed = datetime(2030, 1, 2, tzinfo=UTC)
    if hasattr(botocore.auth, "get_current_datetime"):
        monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: fixed)
    else:
        # Older botocore reads the clock as datetime.datetime.utcnow().
        class Frozen(datetime):
            @classmethod
            def utcnow(cls) -> datetime:
                return fixed.replace(tzinfo=None)

        monkeypatch.setattr(botocore.auth, "datetime", SimpleNamespace(datetime=Frozen))
    client = _client(moto.url)
    direct = _direct(moto.url, "direct")

    for key in KEYS:
        built = _built_request(client, "direct", key)
        ours = direct._signed(key)
        assert built is not None
        assert (ours.url, ours.headers["Authorization"]) == built, key

"""The fast ListObjectsV2 parser gives botocore's own answer, page for page."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from engine.adapters.aws.clients import AwsTarget, aws_client
from engine.adapters.aws.s3 import S3Bucket
from engine.errors import CloudUnavailable
from tests.cloud.aws_faults import s3_error
from tests.support.fault_proxy import FaultProxy
from tests.support.http_fake import Fault
from tests.support.object_fixtures import OPENED, REGION, make_bucket, s3_store
from tests.support.stand_ins import Moto

pytestmark = pytest.mark.integration

KEYS = [
    "plain.txt",
    "dir/a b.txt",
    "dir/ümlaut/ø.bin",
    "dir/odd&chars=%41+?.txt",
    "dir/sub/deep/x",
    "other/1",
    "other/2",
    "z/",
]


def _pages(client: Any, **options: Any) -> list[dict[str, Any]]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket="listing", **options)
    found = []
    for page in pages:
        page = dict(page)
        page.pop("ResponseMetadata")
        found.append(page)
    return found


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"PaginationConfig": {"PageSize": 3}},
        {"Delimiter": "/"},
        {"Prefix": "dir/", "Delimiter": "/"},
        {"StartAfter": "dir/z", "FetchOwner": True},
        {"Prefix": "nothing/"},
    ],
)
def test_fast_pages_equal_botocores(moto: Moto, options: dict[str, Any]) -> None:
    make_bucket(moto.url, "listing", {key: key.encode() for key in KEYS})
    plain = boto3.session.Session().client("s3", region_name=REGION, endpoint_url=moto.url)
    fast = aws_client("s3", AwsTarget(region=REGION, endpoint_url=moto.url))
    OPENED.extend([plain, fast])

    assert _pages(fast, **options) == _pages(plain, **options)


def test_an_unknown_element_falls_back_to_botocore() -> None:
    from engine.adapters.aws.s3_listing import _page, _Unknown

    page = (
        b'<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        b"<Name>b</Name><Contents><Key>k</Key><Size>1</Size><NewThing>x</NewThing></Contents>"
        b"</ListBucketResult>"
    )
    with pytest.raises(_Unknown):
        _page(page, str)


# A listing page is checked for an error embedded in a 200 by the fast parser alone;
# botocore's own check (a second parse of every page) is skipped for listings only.


def test_a_200_listing_page_holding_an_error_is_retried(moto: Moto, aws_proxy: FaultProxy) -> None:
    make_bucket(moto.url, "listing", {key: key.encode() for key in KEYS})
    aws_proxy.faults.add(s3_error(200, "InternalError", method="GET", path="list-type=2"))
    store = S3Bucket("listing", AwsTarget(region=REGION, endpoint_url=aws_proxy.url))
    OPENED.append(store)

    assert sorted(o.key for o in store.list()) == sorted(KEYS)
    assert aws_proxy.calls("GET", "list-type=2") == 2


@pytest.mark.parametrize(
    "body",
    [
        b"<?xml version='1.0' encoding='UTF-8'?><Error><Code>InternalError</Code>"
        b"<Message>injected</Message></Error>",
        b'<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>list',
    ],
    ids=["error-body", "cut-short"],
)
def test_a_200_listing_page_that_is_no_listing_is_an_error(
    moto: Moto, aws_proxy: FaultProxy, body: bytes
) -> None:
    make_bucket(moto.url, "listing", {"k": b"v"})
    headers = (("Content-Type", "application/xml"),)
    aws_proxy.faults.add(Fault(200, body, headers, method="GET", path="list-type=2"))

    with pytest.raises(CloudUnavailable):
        list(s3_store(aws_proxy.url, "listing").list())


def test_other_operations_keep_botocores_check_of_200_bodies(
    moto: Moto, aws_proxy: FaultProxy
) -> None:
    make_bucket(moto.url, "listing", {"k": b"v"})
    aws_proxy.faults.add(s3_error(200, "InternalError", method="PUT", path="/listing/copy"))
    client = aws_client("s3", AwsTarget(region=REGION, endpoint_url=aws_proxy.url, max_attempts=1))
    OPENED.append(client)

    with pytest.raises(ClientError, match="InternalError"):
        client.copy_object(
            Bucket="listing", Key="copy", CopySource={"Bucket": "listing", "Key": "k"}
        )

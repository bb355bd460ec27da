"""The fast ListObjectsV2 parser gives botocore's own answer, page for page."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from engine.adapters.aws_clients import AwsTarget, aws_client
from tests.cloud.object_fixtures import OPENED, REGION, make_bucket
from tests.cloud.stand_ins import Moto

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
    from engine.adapters.aws_s3_listing import _page, _Unknown

    page = (
        b'<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        b"<Name>b</Name><Contents><Key>k</Key><Size>1</Size><NewThing>x</NewThing></Contents>"
        b"</ListBucketResult>"
    )
    with pytest.raises(_Unknown):
        _page(page, str)

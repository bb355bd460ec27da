"""The private parts of botocore and azure-storage-blob that the object sync's fast paths use.

Each is checked to be there, and in use, with the installed releases: a release that drops or
moves one fails here, before pyproject's upper bound is raised, never in a failover. Each is
then hidden, as a release without it would leave the client, and the store must do the same
work through the SDK's public API.
"""

from __future__ import annotations

import hashlib
from typing import Any

import boto3
import botocore.handlers
import botocore.session
import pytest

from engine.adapters.aws.clients import AwsTarget, aws_client
from engine.adapters.aws.s3 import S3Bucket
from engine.adapters.aws.s3_get import DirectGet
from engine.adapters.aws.s3_listing import botocore_200_error_check, replace_200_error_check
from engine.adapters.azure.blob import BlobContainer
from engine.cloud_ports import ObjectStore
from tests.cloud.aws_faults import s3_error
from tests.support.fault_proxy import FaultProxy
from tests.support.object_fixtures import OPENED, REGION, blob_service, body, make_bucket
from tests.support.stand_ins import Azurite, Moto

pytestmark = pytest.mark.integration

OBJECTS = {f"k/{i}": body(f"k/{i}", 100 + i) for i in range(5)}
ERROR_PAGE = (
    b"<?xml version='1.0' encoding='UTF-8'?><Error><Code>InternalError</Code>"
    b"<Message>injected</Message></Error>"
)


class Without:
    """``target`` as a release without ``hidden`` would hand it out: its public API intact,
    the named private attributes gone (or, with ``replaced``, themselves without some)."""

    def __init__(self, target: Any, *hidden: str, **replaced: Any) -> None:
        self._target = target
        self._hidden = frozenset(hidden)
        self._replaced = replaced

    def __getattr__(self, name: str) -> Any:
        if name in self._hidden:
            raise AttributeError(name)
        if name in self._replaced:
            return self._replaced[name]
        return getattr(self._target, name)


class SessionWithout:
    """A boto3 session whose clients lack ``hidden``; ``sent`` gathers the URLs of the
    GetObject requests that go through botocore's own per-call machinery."""

    def __init__(self, *hidden: str) -> None:
        self._session = boto3.session.Session()
        self._hidden = hidden
        self.sent: list[str] = []

    def client(self, *args: Any, **kwargs: Any) -> Any:
        client = self._session.client(*args, **kwargs)
        OPENED.append(client)
        client.meta.events.register(
            "before-send.s3.GetObject", lambda request, **_: self.sent.append(request.url)
        )
        return Without(client, *self._hidden)


def read_all(store: ObjectStore) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    for info in store.list():
        reader = store.open(info.key)
        try:
            found[info.key] = b"".join(reader.chunks())
        finally:
            reader.close()
    return found


def parse_event(emitter: Any, operation: str, body: bytes) -> int:
    """The status a 200 answer carrying ``body`` has once botocore's before-parse handlers ran."""
    model = botocore.session.get_session().get_service_model("s3").operation_model(operation)
    response = {"status_code": 200, "headers": {}, "body": body}
    emitter.emit(
        f"before-parse.s3.{operation}",
        operation_model=model,
        response_dict=response,
        customized_response_dict={},
    )
    status: int = response["status_code"]
    return status


# ----------------------------------------------------------------------------- botocore


def test_botocore_still_has_the_parts_a_direct_get_signs_and_sends_with(moto: Moto) -> None:
    make_bucket(moto.url, "hooks", OBJECTS)
    client = aws_client("s3", AwsTarget(region=REGION, endpoint_url=moto.url))
    OPENED.append(client)

    assert client._request_signer._credentials is not None
    assert client._endpoint.http_session is not None
    assert DirectGet.for_bucket(client, "hooks", 1) is not None

    session = SessionWithout()
    store = S3Bucket("hooks", AwsTarget(region=REGION, endpoint_url=moto.url), session=session)
    OPENED.append(store)
    assert read_all(store) == OBJECTS
    assert session.sent == [], "the reads went through botocore's get_object, not directly"


@pytest.mark.parametrize("hidden", ["_request_signer", "_endpoint"])
def test_without_them_reads_go_through_get_object(moto: Moto, hidden: str) -> None:
    make_bucket(moto.url, "hooks", OBJECTS)
    session = SessionWithout(hidden)
    store = S3Bucket("hooks", AwsTarget(region=REGION, endpoint_url=moto.url), session=session)
    OPENED.append(store)

    assert read_all(store) == OBJECTS
    assert len(session.sent) == len(OBJECTS)


def test_botocore_checks_200_bodies_where_the_listing_check_replaces_it() -> None:
    check = botocore_200_error_check()
    assert callable(check), "botocore.handlers._handle_200_error is gone"
    stock = botocore.session.get_session().get_component("event_emitter")
    assert parse_event(stock, "ListObjectsV2", ERROR_PAGE) == 500

    ours = botocore.session.get_session().get_component("event_emitter")
    assert replace_200_error_check(ours)

    # Listing pages are checked by the fast parser alone; every other answer as before.
    assert parse_event(ours, "ListObjectsV2", ERROR_PAGE) == 200
    assert parse_event(ours, "CopyObject", ERROR_PAGE) == 500


def test_without_it_botocores_own_check_stays_and_an_error_page_is_retried(
    moto: Moto, aws_proxy: FaultProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delattr(botocore.handlers, "_handle_200_error")
    emitter = botocore.session.get_session().get_component("event_emitter")
    assert not replace_200_error_check(emitter)
    assert parse_event(emitter, "ListObjectsV2", ERROR_PAGE) == 500

    make_bucket(moto.url, "hooks", OBJECTS)
    aws_proxy.faults.add(s3_error(200, "InternalError", method="GET", path="list-type=2"))
    store = S3Bucket("hooks", AwsTarget(region=REGION, endpoint_url=aws_proxy.url))
    OPENED.append(store)

    assert read_all(store) == OBJECTS
    assert aws_proxy.calls("GET", "list-type=2") == 2


# ----------------------------------------------------------------------------- azure-storage-blob


def test_the_container_client_still_offers_its_pipeline(
    azurite: Azurite, container_name: str
) -> None:
    container = blob_service(azurite.connection_string).create_container(container_name)

    assert callable(container._client._send_request)
    store = BlobContainer(container)
    data = body("one-put", 100)
    assert store.put_blob("k", data, hashlib.md5(data).digest(), {}, "text/plain") is not None
    assert read_all(store) == {"k": data}


@pytest.mark.parametrize("hidden", ["_client", "_client._send_request"])
def test_without_it_the_container_writes_and_lists_through_the_sdk(
    azurite: Azurite, container_name: str, hidden: str
) -> None:
    container = blob_service(azurite.connection_string).create_container(container_name)
    if hidden == "_client":
        client = Without(container, "_client")
    else:
        client = Without(container, _client=Without(container._client, "_send_request"))
    store = BlobContainer(client)
    assert store.put_blob("k", b"x", hashlib.md5(b"x").digest(), {}, "text/plain") is None

    for key, data in OBJECTS.items():
        writer = store.writer(key, content_type="application/octet-stream")
        writer.write(data)
        writer.commit({"origin": "s3"})

    assert read_all(store) == OBJECTS
    assert {o.key: o.metadata for o in store.list()} == {k: {"origin": "s3"} for k in OBJECTS}

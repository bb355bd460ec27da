"""The S3 and Blob ``ObjectStore`` adapters on their own: streaming reads and writes,
metadata, listings, and how their faults surface."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError

from engine.adapters.azure.blob import BlobContainer
from engine.adapters.azure.blob_listing import _sdk_listing
from engine.cloud_ports import ObjectStore
from engine.errors import CloudAccessDenied, CloudNotFound, CloudUnavailable
from tests.cloud.aws_faults import s3_error
from tests.support.fault_proxy import FaultProxy
from tests.support.http_fake import Fault
from tests.support.object_fixtures import blob_store, body, make_bucket, proxied, s3_store
from tests.support.stand_ins import Azurite, Moto

pytestmark = pytest.mark.integration

MiB = 1024 * 1024


@pytest.fixture(params=["s3", "blob"])
def store(request: pytest.FixtureRequest, moto: Moto, azurite: Azurite, container_name: str) -> Any:
    if request.param == "s3":
        make_bucket(moto.url, "objects")
        return s3_store(moto.url, "objects", part_size=5 * MiB, read_chunk=MiB)
    return blob_store(azurite.connection_string, container_name, block_size=MiB, read_chunk=MiB)


def _write(store: ObjectStore, key: str, data: bytes, chunk: int = MiB, **metadata: str) -> Any:
    writer = store.writer(key, content_type="application/x-test")
    for start in range(0, len(data), chunk):
        writer.write(data[start : start + chunk])
    return writer.commit(metadata)


@pytest.mark.parametrize("size", [0, 10, 3 * MiB + 5, 11 * MiB])
def test_a_written_object_reads_back_in_chunks(store: ObjectStore, size: int) -> None:
    data = body(f"obj-{size}", size)

    written = _write(store, "dir/obj.bin", data, sha="abc")

    assert written.size == size
    assert written.md5 == hashlib.md5(data).hexdigest()
    reader = store.open("dir/obj.bin")
    try:
        chunks = list(reader.chunks())
    finally:
        reader.close()
    assert b"".join(chunks) == data
    assert all(len(c) <= MiB for c in chunks)
    assert reader.info.size == size
    head = store.head("dir/obj.bin")
    assert head is not None
    assert (head.size, head.metadata, head.content_type) == (
        size,
        {"sha": "abc"},
        "application/x-test",
    )
    assert head.etag == reader.info.etag


def test_listing_pages_through_a_prefix(store: ObjectStore) -> None:
    for i in range(12):
        _write(store, f"a/{i:02d}", b"x" * i, k=str(i))
    _write(store, "b/other", b"y")

    listed = {o.key: o for o in store.list("a/")}

    assert sorted(listed) == [f"a/{i:02d}" for i in range(12)]
    assert listed["a/05"].size == 5
    if store.lists_metadata:
        assert listed["a/05"].metadata == {"k": "5"}
    else:
        assert listed["a/05"].metadata is None


def test_missing_keys(store: ObjectStore) -> None:
    assert store.head("nothing/here") is None
    store.delete("nothing/here")  # already gone is fine
    with pytest.raises(CloudNotFound, match="nothing/here"):
        store.open("nothing/here")


def test_delete_removes_the_object(store: ObjectStore) -> None:
    _write(store, "gone", b"data")

    store.delete("gone")

    assert store.head("gone") is None


def test_an_aborted_write_leaves_nothing(store: ObjectStore) -> None:
    writer = store.writer("half")
    writer.write(body("half", 6 * MiB))
    writer.abort()

    assert store.head("half") is None


def test_the_fast_blob_listing_matches_the_sdks(azurite: Azurite, container_name: str) -> None:
    container = blob_store(azurite.connection_string, container_name)
    for key in ["plain", "with space/ä ö", "odd&chars=%41?x", "deep/a/b/c.txt"]:
        _write(container, key, body(key, 100), origin="s3")

    fast = sorted(container.list(), key=lambda o: o.key)
    sdk = sorted(_sdk_listing(container._container, ""), key=lambda o: o.key)

    assert fast == sdk
    assert [o.key for o in fast] == sorted(
        ["plain", "with space/ä ö", "odd&chars=%41?x", "deep/a/b/c.txt"]
    )


def test_a_container_reached_through_a_sas_token_writes_lists_and_reads(
    azurite: Azurite, container_name: str
) -> None:
    blob_store(azurite.connection_string, container_name)  # made with the account key
    token = azurite.account_sas_url().partition("?")[2]
    sas = BlobContainer.from_connection_string(
        f"BlobEndpoint={azurite.endpoint};SharedAccessSignature={token}",
        container_name,
        retry_total=0,
    )
    try:
        assert "?" in sas._container.url, "the token rides in the container's URL"
        keys = ["a", "deep/b c"]
        for key in keys:
            _write(sas, key, body(key, 100), origin="s3")
        assert sorted(o.key for o in sas.list()) == keys
        assert [o.key for o in sas.list("deep/")] == ["deep/b c"]
        reader = sas.open("deep/b c")
        try:
            assert b"".join(reader.chunks()) == body("deep/b c", 100)
        finally:
            reader.close()
    finally:
        sas.close()


def test_s3_slowdown_is_retryable(moto: Moto, aws_proxy: FaultProxy) -> None:
    make_bucket(moto.url, "objects", {"k": b"v"})
    aws_proxy.faults.add(s3_error(503, "SlowDown", method="GET"))

    with pytest.raises(CloudUnavailable, match="SlowDown"):
        s3_store(aws_proxy.url, "objects").open("k")


def test_s3_access_denied_on_write_names_put_object(moto: Moto, aws_proxy: FaultProxy) -> None:
    make_bucket(moto.url, "objects")
    aws_proxy.faults.add(s3_error(403, "AccessDenied", method="PUT"))
    writer = s3_store(aws_proxy.url, "objects").writer("k")
    writer.write(b"v")

    with pytest.raises(CloudAccessDenied, match="s3:PutObject") as raised:
        writer.commit({})
    assert "s3://objects/k" in str(raised.value)


def test_blob_server_busy_is_retryable(
    azurite: Azurite, azurite_proxy: FaultProxy, container_name: str
) -> None:
    blob_store(azurite.connection_string, container_name)
    through = proxied(azurite.connection_string, azurite.url, azurite_proxy.url)
    azurite_proxy.faults.add(_storage_error(503, "ServerBusy", method="PUT", times=-1))
    writer = blob_store(through, container_name, create=False).writer("k")
    writer.write(b"v")

    with pytest.raises(CloudUnavailable, match="ServerBusy"):
        writer.commit({})


def test_blob_forbidden_listing_names_the_container(
    azurite: Azurite, azurite_proxy: FaultProxy, container_name: str
) -> None:
    through = proxied(azurite.connection_string, azurite.url, azurite_proxy.url)
    azurite_proxy.faults.add(_storage_error(403, "AuthorizationPermissionMismatch", method="GET"))
    container: BlobContainer = blob_store(through, container_name)

    with pytest.raises(CloudAccessDenied, match="AuthorizationPermissionMismatch") as raised:
        list(container.list())
    assert container_name in str(raised.value)
    assert "blobs/read" in str(raised.value)


def test_a_missing_container_is_fatal(azurite: Azurite, container_name: str) -> None:
    container = blob_store(azurite.connection_string, container_name, create=False)

    with pytest.raises(CloudNotFound, match=container_name):
        list(container.list())


def _storage_error(status: int, code: str, **where: Any) -> Fault:
    body_ = (
        '<?xml version="1.0" encoding="utf-8"?>'
        f"<Error><Code>{code}</Code><Message>injected</Message></Error>"
    )
    headers = (("Content-Type", "application/xml"), ("x-ms-error-code", code))
    return Fault(status, body_.encode(), headers, **where)


ODD_KEYS = [
    "a b/ä ö ü.bin",
    "odd&chars=%41+?#x",
    "日本/データ.txt",
    "~tilde/semi;colon",
    "emoji/🙂",
]


def test_odd_key_names_are_written_read_and_listed_as_they_are(store: ObjectStore) -> None:
    for key in ODD_KEYS:
        _write(store, key, key.encode(), origin="odd")

    assert sorted(o.key for o in store.list()) == sorted(ODD_KEYS)
    for key in ODD_KEYS:
        head = store.head(key)
        assert head is not None
        assert (head.size, head.metadata) == (len(key.encode()), {"origin": "odd"})
        reader = store.open(key)
        try:
            assert b"".join(reader.chunks()) == key.encode()
        finally:
            reader.close()


def test_a_blob_body_that_does_not_match_its_md5_is_refused(
    azurite: Azurite, container_name: str
) -> None:
    container: BlobContainer = blob_store(azurite.connection_string, container_name)
    wrong = hashlib.md5(b"other bytes", usedforsecurity=False).digest()

    with pytest.raises(HttpResponseError) as raised:
        container.put_blob("k", b"these bytes", wrong, {}, "application/octet-stream")

    assert raised.value.status_code == 400  # Md5Mismatch on Azure, InvalidOperation on Azurite
    assert container.head("k") is None

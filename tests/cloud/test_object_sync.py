"""engine/sync/incremental.py between moto's S3 and Azurite, through the real adapters."""

from __future__ import annotations

import hashlib
import tracemalloc
from collections.abc import Mapping
from typing import Any

import pytest

from engine.cloud_ports import ObjectInfo, ObjectStore, ObjectWriter
from engine.errors import CloudAccessDenied, CloudNotFound, SyncIncomplete
from engine.sync.incremental import SyncOptions, SyncProgress, attempt_sync, sync
from engine.sync.plan import HASH_KEY, SOURCE_ETAG_KEY, SyncPlan
from tests.cloud.aws_faults import s3_error
from tests.support.fault_proxy import FaultProxy
from tests.support.object_fixtures import (
    blob_service,
    blob_store,
    blobs,
    body,
    make_bucket,
    proxied,
    s3_client,
    s3_store,
)
from tests.support.stand_ins import Azurite, Moto

pytestmark = pytest.mark.integration

MiB = 1024 * 1024
SIZES = [0, 1, 100, 4096, 65536, 300_000]


def _objects(count: int = 30, prefix: str = "data/") -> dict[str, bytes]:
    keys = [f"{prefix}{i:03d}/{'deep/' if i % 3 == 0 else ''}obj-{i}.bin" for i in range(count)]
    return {key: body(key, SIZES[i % len(SIZES)]) for i, key in enumerate(keys)}


def _options(**overrides: Any) -> SyncOptions:
    return SyncOptions(**{"concurrency": 4, "progress_interval": 0.0, **overrides})


def _put_calls(proxy: FaultProxy) -> int:
    return proxy.calls("PUT", "/")


def test_first_sync_copies_everything_with_hash_and_source_etag(
    moto: Moto, azurite: Azurite, container_name: str
) -> None:
    objects = _objects()
    objects["data/big.bin"] = body("big", 3 * MiB + 17)  # staged as blocks of 1 MiB
    make_bucket(moto.url, "primary", objects)
    s3_client(moto.url).put_object(
        Bucket="primary", Key="data/page.html", Body=b"<p>hi</p>", ContentType="text/html"
    )
    objects["data/page.html"] = b"<p>hi</p>"
    destination = blob_store(azurite.connection_string, container_name, block_size=MiB)

    report = sync(s3_store(moto.url, "primary"), destination, _options())

    assert (report.copied, report.unchanged, report.failed) == (len(objects), 0, ())
    assert report.copied_bytes == sum(len(b) for b in objects.values())
    assert blobs(azurite.connection_string, container_name) == objects
    listed = {o.key: o for o in destination.list()}
    etags = {o.key: o.etag for o in s3_store(moto.url, "primary").list()}
    for key, data in objects.items():
        metadata = listed[key].metadata or {}
        assert metadata[HASH_KEY] == hashlib.sha256(data).hexdigest()
        assert metadata[SOURCE_ETAG_KEY] == etags[key]
        assert listed[key].md5 == hashlib.md5(data).hexdigest()
    assert listed["data/page.html"].content_type == "text/html"


def test_resync_without_changes_copies_nothing(
    moto: Moto, azurite: Azurite, azurite_proxy: FaultProxy, container_name: str
) -> None:
    objects = _objects()
    make_bucket(moto.url, "primary", objects)
    source = s3_store(moto.url, "primary")
    sync(source, blob_store(azurite.connection_string, container_name), _options())
    through_proxy = proxied(azurite.connection_string, azurite.url, azurite_proxy.url)

    again = sync(source, blob_store(through_proxy, container_name, create=False), _options())

    assert (again.copied, again.unchanged, again.deleted) == (0, len(objects), 0)
    assert _put_calls(azurite_proxy) == 0


def test_changed_object_is_copied_again(moto: Moto, azurite: Azurite, container_name: str) -> None:
    objects = _objects()
    client = make_bucket(moto.url, "primary", objects)
    source = s3_store(moto.url, "primary")
    destination = blob_store(azurite.connection_string, container_name)
    sync(source, destination, _options())
    changed_key = "data/004/obj-4.bin"
    changed = bytes(reversed(objects[changed_key]))  # same size, new content
    client.put_object(Bucket="primary", Key=changed_key, Body=changed)

    report = sync(source, destination, _options())

    assert (report.copied, report.unchanged) == (1, len(objects) - 1)
    assert blobs(azurite.connection_string, container_name)[changed_key] == changed


class _Crash(Exception):
    pass


def test_a_sync_killed_midway_resumes_with_only_the_rest(
    moto: Moto, azurite: Azurite, container_name: str
) -> None:
    objects = _objects(60)
    make_bucket(moto.url, "primary", objects)
    source = s3_store(moto.url, "primary")
    destination = blob_store(azurite.connection_string, container_name)

    def crash_after_20(progress: SyncProgress) -> None:
        if progress.objects_done >= 20:
            raise _Crash

    with pytest.raises(_Crash):
        sync(source, destination, _options(), progress=crash_after_20)
    landed = blobs(azurite.connection_string, container_name)
    assert 20 <= len(landed) < len(objects)
    assert all(objects[key] == data for key, data in landed.items())

    resumed = sync(source, destination, _options())

    assert resumed.copied == len(objects) - len(landed)
    assert resumed.unchanged == len(landed)
    assert blobs(azurite.connection_string, container_name) == objects


def test_mirror_deletes_what_the_source_lost_and_keep_does_not(
    moto: Moto, azurite: Azurite, container_name: str
) -> None:
    objects = _objects(10)
    client = make_bucket(moto.url, "primary", objects)
    source = s3_store(moto.url, "primary")
    destination = blob_store(azurite.connection_string, container_name)
    sync(source, destination, _options())
    gone = sorted(objects)[:3]
    for key in gone:
        client.delete_object(Bucket="primary", Key=key)

    kept = sync(source, destination, _options(deletion="keep"))
    assert kept.deleted == 0
    assert set(blobs(azurite.connection_string, container_name)) == set(objects)

    mirrored = sync(source, destination, _options(deletion="mirror"))
    assert mirrored.deleted == 3
    assert set(blobs(azurite.connection_string, container_name)) == set(objects) - set(gone)


def test_mirror_refuses_to_delete_more_than_max_delete(
    moto: Moto, azurite: Azurite, container_name: str
) -> None:
    make_bucket(moto.url, "primary", {})
    destination = blob_store(azurite.connection_string, container_name)
    container = blob_service(azurite.connection_string).get_container_client(container_name)
    for i in range(5):
        container.upload_blob(f"old-{i}", b"x")

    with pytest.raises(Exception, match="would delete 5 objects"):
        sync(s3_store(moto.url, "primary"), destination, _options(deletion="mirror", max_delete=2))
    assert len(blobs(azurite.connection_string, container_name)) == 5


def test_only_the_prefix_is_synced_into_the_destination_prefix(
    moto: Moto, azurite: Azurite, container_name: str
) -> None:
    objects = {**_objects(6, "keep/"), **_objects(4, "other/")}
    make_bucket(moto.url, "primary", objects)
    destination = blob_store(azurite.connection_string, container_name)

    report = sync(
        s3_store(moto.url, "primary"),
        destination,
        _options(prefix="keep/", destination_prefix="dr/keep/", deletion="mirror"),
    )

    assert report.copied == 6
    landed = blobs(azurite.connection_string, container_name)
    assert landed == {"dr/" + k: v for k, v in objects.items() if k.startswith("keep/")}


def test_progress_reports_objects_and_bytes(
    moto: Moto, azurite: Azurite, container_name: str
) -> None:
    objects = _objects(25)
    make_bucket(moto.url, "primary", objects)
    seen: list[SyncProgress] = []

    sync(
        s3_store(moto.url, "primary"),
        blob_store(azurite.connection_string, container_name),
        _options(),
        progress=seen.append,
    )

    total_bytes = sum(len(b) for b in objects.values())
    assert seen[0].objects_done == 0
    assert (seen[0].objects_total, seen[0].bytes_total) == (len(objects), total_bytes)
    assert (seen[-1].objects_done, seen[-1].bytes_done, seen[-1].fraction) == (
        len(objects),
        total_bytes,
        1.0,
    )
    done = [p.objects_done for p in seen]
    assert done == sorted(done)
    assert len(set(done)) > 3


def test_a_50_mib_object_streams_in_bounded_memory(
    moto: Moto, azurite: Azurite, container_name: str
) -> None:
    big = body("huge", 50 * MiB)
    make_bucket(moto.url, "primary", {"huge.bin": big})
    source = s3_store(moto.url, "primary", read_chunk=MiB)
    destination = blob_store(azurite.connection_string, container_name, block_size=4 * MiB)
    expected = hashlib.sha256(big).hexdigest()
    del big

    tracemalloc.start()
    try:
        report = sync(source, destination, _options())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert report.copied_bytes == 50 * MiB
    assert peak < 16 * MiB, f"peak {peak / MiB:.1f} MiB for a 50 MiB object"
    stored = destination.head("huge.bin")
    assert stored is not None
    assert (stored.metadata or {})[HASH_KEY] == expected


def test_failback_blob_to_s3_uses_the_same_engine(
    moto: Moto, azurite: Azurite, aws_proxy: FaultProxy, container_name: str
) -> None:
    objects = _objects(12)
    objects["big/multipart.bin"] = body("multipart", 11 * MiB)  # 3 parts of 5 MiB at most
    container = blob_store(azurite.connection_string, container_name)
    for key, data in objects.items():
        writer = container.writer(key)
        writer.write(data)
        writer.commit({})
    make_bucket(moto.url, "restored")
    destination = s3_store(aws_proxy.url, "restored", part_size=5 * MiB)

    first = sync(container, destination, _options())

    assert first.copied == len(objects)
    client = s3_client(moto.url)
    for key, data in objects.items():
        answer = client.get_object(Bucket="restored", Key=key)
        assert answer["Body"].read() == data
        assert answer["Metadata"][HASH_KEY] == hashlib.sha256(data).hexdigest()

    aws_proxy.reset()
    again = sync(container, destination, _options())
    assert (again.copied, again.unchanged) == (0, len(objects))
    assert aws_proxy.calls("PUT", "/") == 0


def test_a_throttled_object_fails_alone_and_the_next_run_copies_it(
    moto: Moto, aws_proxy: FaultProxy, azurite: Azurite, container_name: str
) -> None:
    objects = _objects(10)
    make_bucket(moto.url, "primary", objects)
    victim = "data/005/obj-5.bin"
    aws_proxy.faults.add(_s3_fault(503, "SlowDown", method="GET", path=f"/primary/{victim}$"))
    source = s3_store(aws_proxy.url, "primary")
    destination = blob_store(azurite.connection_string, container_name)

    with pytest.raises(SyncIncomplete, match=victim) as raised:
        sync(source, destination, _options())
    assert "SlowDown" in str(raised.value)
    assert set(blobs(azurite.connection_string, container_name)) == set(objects) - {victim}

    again = sync(source, destination, _options())
    assert again.copied == 1


def test_a_missing_bucket_is_fatal_and_named(
    moto: Moto, azurite: Azurite, container_name: str
) -> None:
    with pytest.raises(CloudNotFound, match="s3://nowhere"):
        sync(
            s3_store(moto.url, "nowhere"),
            blob_store(azurite.connection_string, container_name),
            _options(),
        )


def test_access_denied_names_the_missing_permission(
    moto: Moto, aws_proxy: FaultProxy, azurite: Azurite, container_name: str
) -> None:
    make_bucket(moto.url, "primary", _objects(3))
    aws_proxy.faults.add(_s3_fault(403, "AccessDenied", method="GET", path="list-type=2", times=-1))

    with pytest.raises(CloudAccessDenied, match="s3:ListBucket") as raised:
        sync(
            s3_store(aws_proxy.url, "primary"),
            blob_store(azurite.connection_string, container_name),
            _options(),
        )
    assert "s3://primary" in str(raised.value)


def test_what_was_written_is_read_back_and_checked(
    moto: Moto, azurite: Azurite, container_name: str
) -> None:
    objects = _objects(6)
    make_bucket(moto.url, "primary", objects)
    source = s3_store(moto.url, "primary")
    real = blob_store(azurite.connection_string, container_name)
    liar = _DropsLastByte(real, "data/004/obj-4.bin")

    with pytest.raises(SyncIncomplete, match=r"obj-4\.bin: read back"):
        sync(source, liar, _options())

    healed = sync(source, real, _options())
    assert healed.copied == 1
    assert blobs(azurite.connection_string, container_name) == objects


def test_given_work_lists_neither_side_and_copies_only_what_differs(
    moto: Moto,
    aws_proxy: FaultProxy,
    azurite: Azurite,
    azurite_proxy: FaultProxy,
    container_name: str,
) -> None:
    objects = _objects(30)
    client = make_bucket(moto.url, "primary", objects)
    sync(
        s3_store(moto.url, "primary"),
        blob_store(azurite.connection_string, container_name),
        _options(),
    )
    same_size, new = "data/004/obj-4.bin", "data/new.bin"
    client.put_object(Bucket="primary", Key=same_size, Body=bytes(reversed(objects[same_size])))
    client.put_object(Bucket="primary", Key=new, Body=b"fresh")
    listed = {o.key: o for o in s3_store(moto.url, "primary").list()}
    untouched = sorted(objects)[10:13]
    work = SyncPlan(probe=[listed[k] for k in (same_size, new, *untouched)])
    aws_proxy.reset()
    through_proxy = proxied(azurite.connection_string, azurite.url, azurite_proxy.url)

    report = attempt_sync(
        s3_store(aws_proxy.url, "primary"),
        blob_store(through_proxy, container_name, create=False),
        _options(),
        work=work,
    )

    assert (report.copied, report.unchanged, report.failed) == (2, 3, ())
    assert aws_proxy.calls("GET", "list-type=2") == 0
    assert azurite_proxy.calls("GET", "comp=list") == 0
    assert _put_calls(azurite_proxy) == 2
    landed = blobs(azurite.connection_string, container_name)
    assert landed[same_size] == bytes(reversed(objects[same_size]))
    assert landed[new] == b"fresh"


def test_given_deletions_happen_only_under_mirror(
    moto: Moto, azurite: Azurite, container_name: str
) -> None:
    objects = _objects(5)
    client = make_bucket(moto.url, "primary", objects)
    source = s3_store(moto.url, "primary")
    destination = blob_store(azurite.connection_string, container_name)
    sync(source, destination, _options())
    gone = sorted(objects)[0]
    client.delete_object(Bucket="primary", Key=gone)

    kept = attempt_sync(source, destination, _options(), work=SyncPlan(extra=[gone]))
    assert kept.deleted == 0
    assert gone in blobs(azurite.connection_string, container_name)

    mirrored = attempt_sync(
        source, destination, _options(deletion="mirror"), work=SyncPlan(extra=[gone])
    )
    assert mirrored.deleted == 1
    assert set(blobs(azurite.connection_string, container_name)) == set(objects) - {gone}


def test_an_attempt_reports_what_failed_with_its_size_and_age_instead_of_raising(
    moto: Moto, aws_proxy: FaultProxy, azurite: Azurite, container_name: str
) -> None:
    objects = _objects(8)
    make_bucket(moto.url, "primary", objects)
    victim = "data/005/obj-5.bin"
    aws_proxy.faults.add(_s3_fault(503, "SlowDown", method="GET", path=f"/primary/{victim}$"))
    listed = {o.key: o for o in s3_store(moto.url, "primary").list()}

    report = attempt_sync(
        s3_store(aws_proxy.url, "primary"),
        blob_store(azurite.connection_string, container_name),
        _options(),
    )

    assert report.copied == len(objects) - 1
    assert [f.key for f in report.failed] == [victim]
    assert report.failed_bytes == len(objects[victim])
    assert listed[victim].last_modified is not None
    assert report.oldest_failed == listed[victim].last_modified


# ----------------------------------------------------------------------------- helpers


def _s3_fault(status: int, code: str, **where: Any) -> Any:
    return s3_error(status, code, **where)


class _DropsLastByte:
    """A destination whose writer silently loses the last byte of one key: the engine must
    notice when it reads the destination back."""

    def __init__(self, inner: ObjectStore, victim: str) -> None:
        self._inner = inner
        self._victim = victim

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def writer(self, key: str, *, content_type: str | None = None) -> ObjectWriter:
        writer = self._inner.writer(key, content_type=content_type)
        if key != self._victim:
            return writer
        return _Truncating(writer)


class _Truncating:
    def __init__(self, inner: ObjectWriter) -> None:
        self._inner = inner
        self._held = b""
        self._size = 0

    def write(self, chunk: bytes) -> None:
        self._inner.write(self._held)
        self._held = chunk
        self._size += len(chunk)

    def commit(self, metadata: Mapping[str, str]) -> ObjectInfo:
        self._inner.write(self._held[:-1])
        info = self._inner.commit(metadata)
        return ObjectInfo(info.key, self._size, info.etag, metadata=info.metadata)

    def abort(self) -> None:
        self._inner.abort()

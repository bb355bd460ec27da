"""The sync engine's rules, on in-memory stores (no server needed)."""

from __future__ import annotations

import hashlib

import pytest

from engine.cloud_ports import ObjectInfo
from engine.errors import CloudAccessDenied, StageCancelled
from engine.sync.incremental import SyncOptions, sync
from engine.sync.plan import HASH_KEY, SOURCE_ETAG_KEY, KeyMap, verdict
from tests.cloud.memory_store import MemoryStore


def _info(
    size: int = 3, etag: str = "e1", metadata: dict[str, str] | None = None, md5: str | None = None
) -> ObjectInfo:
    return ObjectInfo("k", size, etag, metadata=metadata, md5=md5)


@pytest.mark.parametrize(
    ("source", "destination", "expected"),
    [
        (_info(), None, "copy"),
        (_info(size=3), _info(size=4, metadata={}), "copy"),
        (_info(), _info(metadata=None), "check"),
        (_info(), _info(etag="x", metadata={SOURCE_ETAG_KEY: "e1"}), "same"),
        (_info(), _info(etag="x", metadata={SOURCE_ETAG_KEY: "e0"}), "copy"),
        (_info(metadata={HASH_KEY: "h"}), _info(etag="x", metadata={HASH_KEY: "h"}), "same"),
        (
            _info(metadata={HASH_KEY: "h"}),
            _info(etag="x", metadata={HASH_KEY: "other", SOURCE_ETAG_KEY: "e1"}),
            "copy",
        ),
        (_info(md5="m"), _info(etag="x", metadata={}, md5="m"), "same"),
        (_info(md5=None), _info(etag="x", metadata={}, md5=None), "copy"),
    ],
)
def test_what_counts_as_unchanged(
    source: ObjectInfo, destination: ObjectInfo | None, expected: str
) -> None:
    assert verdict(source, destination) == expected


def test_key_map_moves_a_prefix() -> None:
    assert KeyMap("data/", "dr/data/").target("data/a/b") == "dr/data/a/b"
    assert KeyMap("data/").target("data/a") == "data/a"


def test_server_side_copy_is_used_where_both_sides_can() -> None:
    source = MemoryStore("memory://s3", signs_urls=True)
    destination = MemoryStore("memory://blob", copies_from_url=True)
    source.put("a", b"hello")

    report = sync(source, destination, SyncOptions(progress_interval=0))

    assert report.copied == 1
    assert destination.url_copies == [("a", "memory://memory://s3/a?expires=3600")]
    assert destination.writes == 0
    assert destination.objects["a"][1].metadata == {SOURCE_ETAG_KEY: source.objects["a"][1].etag}
    assert sync(source, destination, SyncOptions()).copied == 0


def test_streaming_is_used_when_the_source_cannot_sign() -> None:
    source = MemoryStore("memory://s3")
    destination = MemoryStore("memory://blob", copies_from_url=True)
    source.put("a", b"hello")

    sync(source, destination, SyncOptions(progress_interval=0))

    assert destination.url_copies == []
    assert destination.objects["a"][0] == b"hello"
    assert destination.objects["a"][1].metadata == {
        HASH_KEY: hashlib.sha256(b"hello").hexdigest(),
        SOURCE_ETAG_KEY: source.objects["a"][1].etag,
    }


def test_a_fatal_error_stops_the_sync_at_once() -> None:
    source = MemoryStore("memory://s3")
    for i in range(50):
        source.put(f"k{i:02d}", b"x")
    destination = MemoryStore("memory://blob")

    def denied(key: str) -> None:
        raise CloudAccessDenied("no", resource=key, action="s3:GetObject")

    source.open = denied  # type: ignore[method-assign,assignment]

    with pytest.raises(CloudAccessDenied):
        sync(source, destination, SyncOptions(concurrency=2))
    assert destination.writes == 0


def test_cancellation_stops_between_objects() -> None:
    source = MemoryStore("memory://s3")
    for i in range(40):
        source.put(f"k{i:02d}", b"x" * 10)
    destination = MemoryStore("memory://blob")
    calls = 0

    def check() -> None:
        nonlocal calls
        calls += 1
        if calls > 3:
            raise StageCancelled("stop")

    with pytest.raises(StageCancelled):
        sync(source, destination, SyncOptions(concurrency=2, progress_interval=0), check=check)
    assert 0 < len(destination.objects) < 40


def test_an_s3_destination_is_checked_with_head_before_copying() -> None:
    source = MemoryStore("memory://blob")
    destination = MemoryStore("memory://s3", lists_metadata=False)
    source.put("a", b"abc")
    first = sync(source, destination, SyncOptions())
    assert first.copied == 1

    again = sync(source, destination, SyncOptions())

    assert (again.copied, again.unchanged) == (0, 1)
    assert destination.writes == 1


def test_an_object_deleted_after_the_listing_is_skipped() -> None:
    source = MemoryStore("memory://s3")
    source.put("stays", b"1")
    source.put("goes", b"2")
    destination = MemoryStore("memory://blob")
    listed = list(source.list())
    del source.objects["goes"]
    source.list = lambda prefix="": iter(listed)  # type: ignore[method-assign,assignment,misc]

    report = sync(source, destination, SyncOptions())

    assert (report.copied, report.vanished, report.failed) == (1, 1, ())
    assert set(destination.objects) == {"stays"}

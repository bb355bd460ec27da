"""Continuous object sync (engine/sync/continuous.py) between moto's S3 and Azurite: passes
that copy only what changed, remember where they are in the Store, and never overlap."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from engine.adapters.stores.sqlite_store import SqliteStore
from engine.cloud_ports import ChangeFeed
from engine.records import Lease
from engine.store import Store
from engine.sync.continuous import ContinuousOptions, ContinuousSync
from engine.sync.incremental import Deletion, SyncOptions, sync
from engine.sync_records import (
    ObjectSyncPass,
    ObjectSyncState,
    SyncPassKind,
    SyncPassOutcome,
    object_pair,
    object_sync_lease_name,
)
from tests.cloud.aws_faults import s3_error
from tests.cloud.test_s3_events import events_queue, feed
from tests.support.clock import ManualClock
from tests.support.fault_proxy import FaultProxy
from tests.support.object_fixtures import blob_store, blobs, body, make_bucket, proxied, s3_store
from tests.support.stand_ins import Azurite, Moto

pytestmark = pytest.mark.integration

PAIR = object_pair("s3://primary", "blob://dr")
DAY = timedelta(hours=24)


def _objects(count: int = 20) -> dict[str, bytes]:
    return {f"data/{i:03d}.bin": body(f"data/{i:03d}.bin", 100 + i) for i in range(count)}


def _filled(moto: Moto, objects: dict[str, bytes]) -> Any:
    client = make_bucket(moto.url, "primary", objects)
    # Listings date objects to the second: the first pass must begin in a later second than
    # the fill, or a margin of zero would still count the fill as recent.
    time.sleep(1.1)
    return client


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def store(tmp_path: Path, clock: ManualClock) -> Iterator[Store]:
    opened = SqliteStore(tmp_path / "state.db", clock=clock)
    yield opened
    opened.close()


class Warm:
    """Builds the continuous sync of ``primary`` -> ``container`` the way the bot does."""

    def __init__(self, azurite: Azurite, container: str, store: Store, clock: ManualClock):
        self.azurite = azurite
        self.container = container
        self.store = store
        self.clock = clock
        blob_store(azurite.connection_string, container)

    def __call__(
        self,
        s3_url: str,
        *,
        margin: float = 0,
        deletion: Deletion = "keep",
        feed: ChangeFeed | None = None,
        blob_url: str | None = None,
        owner: str = "replica-a",
        store: Store | None = None,
        feed_limit: int = 10_000,
    ) -> ContinuousSync:
        connection = self.azurite.connection_string
        if blob_url is not None:
            connection = proxied(connection, self.azurite.url, blob_url)
        source = s3_store(s3_url, "primary")
        options = ContinuousOptions(
            SyncOptions(concurrency=4, progress_interval=0.0, deletion=deletion),
            margin=timedelta(seconds=margin),
            full_every=DAY,
            look_every=0.0,
            feed_limit=feed_limit,
        )
        return ContinuousSync(
            PAIR,
            source,
            source,
            blob_store(connection, self.container, create=False),
            store or self.store,
            clock=self.clock,
            owner=owner,
            options=options,
            feed=feed,
        )


@pytest.fixture
def warm(azurite: Azurite, container_name: str, store: Store, clock: ManualClock) -> Warm:
    return Warm(azurite, container_name, store, clock)


def _ran(sync: ContinuousSync, hold: Callable[[], str] = lambda: "") -> ObjectSyncPass:
    done = sync.run(hold)
    assert done is not None
    return done


def _state(store: Store) -> ObjectSyncState:
    state = store.get_object_sync(PAIR)
    assert state is not None
    return state


def test_the_first_pass_is_full_and_the_next_reads_only_what_changed(
    moto: Moto,
    aws_proxy: FaultProxy,
    azurite_proxy: FaultProxy,
    warm: Warm,
    store: Store,
    clock: ManualClock,
) -> None:
    objects = _objects()
    client = _filled(moto, objects)
    first = _ran(warm(moto.url))
    assert (first.kind, first.outcome, first.copied) == (
        SyncPassKind.FULL,
        SyncPassOutcome.SUCCEEDED,
        len(objects),
    )
    same_size = "data/004.bin"
    client.put_object(Bucket="primary", Key=same_size, Body=bytes(reversed(objects[same_size])))
    client.put_object(Bucket="primary", Key="data/new.bin", Body=b"new")
    clock.advance(300)

    second = _ran(warm(aws_proxy.url, blob_url=azurite_proxy.url))

    assert (second.kind, second.outcome) == (SyncPassKind.SINCE, SyncPassOutcome.SUCCEEDED)
    assert (second.examined, second.copied, second.copied_bytes) == (2, 2, 104 + 3)
    assert azurite_proxy.calls("GET", "comp=list") == 0
    assert azurite_proxy.calls("PUT", "/") == 2
    assert aws_proxy.calls("GET", "list-type=2") == 1
    landed = blobs(warm.azurite.connection_string, warm.container)
    assert landed[same_size] == bytes(reversed(objects[same_size]))
    assert landed["data/new.bin"] == b"new"
    state = _state(store)
    assert state.covered_until == second.started_at == clock.now()
    assert state.last_full_at == first.started_at
    assert first.watermark is not None
    assert second.watermark is not None
    assert second.watermark >= first.watermark
    assert store.list_object_sync_passes(PAIR) == [first, second]


def test_a_since_pass_reads_the_container_only_for_what_a_listing_may_have_seen(
    moto: Moto, azurite_proxy: FaultProxy, warm: Warm, clock: ManualClock
) -> None:
    objects = _objects(4)
    client = _filled(moto, objects)
    _ran(warm(moto.url, margin=60))
    time.sleep(1.1)  # S3 dates to the second: the write below comes after the listing
    keys = sorted(objects)
    client.put_object(Bucket="primary", Key=keys[0], Body=bytes(reversed(objects[keys[0]])))
    clock.advance(300)

    since = _ran(warm(moto.url, margin=60, blob_url=azurite_proxy.url))

    # Within the margin, the fill is compared again; the new write is copied at once.
    assert (since.kind, since.examined, since.copied) == (SyncPassKind.SINCE, 4, 1)
    assert azurite_proxy.calls("HEAD", keys[0]) == 1  # read back after writing; no look before
    assert all(azurite_proxy.calls("HEAD", key) == 1 for key in keys[1:])
    assert azurite_proxy.calls("PUT", "/") == 1
    assert blobs(warm.azurite.connection_string, warm.container)[keys[0]] == bytes(
        reversed(objects[keys[0]])
    )


def test_a_pass_after_a_restart_takes_up_from_the_watermark_in_the_store(
    moto: Moto, aws_proxy: FaultProxy, warm: Warm, tmp_path: Path, clock: ManualClock
) -> None:
    client = _filled(moto, _objects())
    _ran(warm(moto.url))
    warm.store.close()
    client.put_object(Bucket="primary", Key="data/after.bin", Body=b"after the restart")

    reopened = SqliteStore(tmp_path / "state.db", clock=clock)
    try:
        again = _ran(warm(aws_proxy.url, store=reopened))
    finally:
        reopened.close()

    assert (again.kind, again.examined, again.copied) == (SyncPassKind.SINCE, 1, 1)
    assert blobs(warm.azurite.connection_string, warm.container)["data/after.bin"] == (
        b"after the restart"
    )


def _stamp(key: str, when: datetime) -> Callable[[str, str, bytes], bytes]:
    """A listing that dates ``key`` to ``when``, as S3 does an object whose upload began then
    (a multipart upload is dated by its initiation: Amazon S3 User Guide, "Working with
    object metadata"); moto dates every object by the end of its upload."""
    stamp = when.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    block = re.compile(
        rf"(<Contents><Key>{re.escape(key)}</Key>.*?<LastModified>)[^<]*(</LastModified>)",
        re.S,
    )

    def rewrite(method: str, path: str, payload: bytes) -> bytes:
        if method != "GET" or "list-type=2" not in path:
            return payload
        return block.sub(rf"\g<1>{stamp}\g<2>", payload.decode()).encode()

    return rewrite


def test_an_object_dated_before_the_last_pass_is_copied_within_the_margin_and_by_a_full_pass(
    moto: Moto, aws_proxy: FaultProxy, warm: Warm, clock: ManualClock
) -> None:
    client = _filled(moto, _objects())
    first = _ran(warm(moto.url, margin=60))
    assert first.watermark is not None
    began = first.watermark + timedelta(seconds=60)  # S3's clock when the first pass began
    client.put_object(Bucket="primary", Key="late.bin", Body=b"began 30 s before the pass")
    client.put_object(Bucket="primary", Key="later.bin", Body=b"began 2 min before the pass")
    stamps = [_stamp("late.bin", began - timedelta(seconds=30))]
    stamps.append(_stamp("later.bin", began - timedelta(minutes=2)))
    aws_proxy.rewrite = lambda m, p, b: stamps[1](m, p, stamps[0](m, p, b))

    since = _ran(warm(aws_proxy.url, margin=60))

    assert since.kind is SyncPassKind.SINCE
    landed = blobs(warm.azurite.connection_string, warm.container)
    assert "late.bin" in landed
    assert "later.bin" not in landed  # beyond the margin: left to the full pass

    clock.advance(DAY.total_seconds())
    full = _ran(warm(aws_proxy.url, margin=60))

    assert (full.kind, full.copied) == (SyncPassKind.FULL, 1)
    assert "later.bin" in blobs(warm.azurite.connection_string, warm.container)


def test_deletions_reach_the_container_under_mirror_at_the_next_full_pass(
    moto: Moto, warm: Warm, clock: ManualClock
) -> None:
    objects = _objects(6)
    client = _filled(moto, objects)
    _ran(warm(moto.url, deletion="mirror"))
    gone = sorted(objects)[:2]
    for key in gone:
        client.delete_object(Bucket="primary", Key=key)

    since = _ran(warm(moto.url, deletion="mirror"))
    assert (since.kind, since.deleted) == (SyncPassKind.SINCE, 0)
    assert set(blobs(warm.azurite.connection_string, warm.container)) == set(objects)

    clock.advance(DAY.total_seconds())
    full = _ran(warm(moto.url, deletion="mirror"))
    assert (full.kind, full.deleted) == (SyncPassKind.FULL, 2)
    assert set(blobs(warm.azurite.connection_string, warm.container)) == set(objects) - set(gone)


def test_a_failed_object_is_pending_holds_the_watermark_and_is_copied_next_time(
    moto: Moto, aws_proxy: FaultProxy, warm: Warm, store: Store, clock: ManualClock
) -> None:
    client = _filled(moto, _objects())
    first = _ran(warm(moto.url))
    victim = "data/victim.bin"
    client.put_object(Bucket="primary", Key=victim, Body=b"v" * 1000)
    client.put_object(Bucket="primary", Key="data/fine.bin", Body=b"fine")
    dated = client.head_object(Bucket="primary", Key=victim)["LastModified"]
    aws_proxy.faults.add(s3_error(503, "SlowDown", method="GET", path=f"/primary/{victim}$"))
    clock.advance(300)

    failed = _ran(warm(aws_proxy.url))

    assert (failed.outcome, failed.copied, failed.failed, failed.failed_bytes) == (
        SyncPassOutcome.INCOMPLETE,
        1,
        1,
        1000,
    )
    assert victim in failed.detail
    assert "SlowDown" in failed.detail
    state = _state(store)
    assert (state.pending.objects, state.pending.bytes, state.pending.oldest) == (1, 1000, dated)
    assert state.watermark is not None
    assert state.watermark <= dated
    assert state.oldest_uncopied() == min(dated, clock.now())
    assert first.watermark is not None
    assert state.watermark >= first.watermark

    clock.advance(300)
    healed = _ran(warm(aws_proxy.url))

    assert (healed.outcome, healed.copied) == (SyncPassOutcome.SUCCEEDED, 1)
    assert _state(store).pending.objects == 0
    assert blobs(warm.azurite.connection_string, warm.container)[victim] == b"v" * 1000


def test_an_events_pass_reads_only_the_named_keys_and_removes_what_the_bucket_lost(
    moto: Moto,
    aws_proxy: FaultProxy,
    azurite_proxy: FaultProxy,
    warm: Warm,
) -> None:
    _, url = events_queue(moto.url, "primary")
    objects = _objects(8)
    client = make_bucket(moto.url, "primary")
    for key, data in objects.items():
        client.put_object(Bucket="primary", Key=key, Body=data)
    full = _ran(warm(moto.url, deletion="mirror", feed=feed(moto.url, url)))
    assert (full.kind, full.copied) == (SyncPassKind.FULL, len(objects))

    # The notices of the fill name objects the full pass copied: nothing is written again.
    caught_up = _ran(warm(moto.url, deletion="mirror", feed=feed(moto.url, url)))
    assert (caught_up.kind, caught_up.examined, caught_up.copied) == (
        SyncPassKind.EVENTS,
        len(objects),
        0,
    )

    keys = sorted(objects)
    client.put_object(Bucket="primary", Key=keys[0], Body=bytes(reversed(objects[keys[0]])))
    client.delete_object(Bucket="primary", Key=keys[1])
    client.delete_object(Bucket="primary", Key=keys[2])
    client.put_object(Bucket="primary", Key=keys[2], Body=b"back again")
    aws_proxy.reset()

    events = _ran(
        warm(
            aws_proxy.url,
            deletion="mirror",
            feed=feed(moto.url, url),
            blob_url=azurite_proxy.url,
        )
    )

    assert (events.kind, events.outcome) == (SyncPassKind.EVENTS, SyncPassOutcome.SUCCEEDED)
    assert (events.copied, events.deleted) == (2, 1)
    assert aws_proxy.calls("GET", "list-type=2") == 0
    assert azurite_proxy.calls("GET", "comp=list") == 0
    landed = blobs(warm.azurite.connection_string, warm.container)
    assert landed[keys[0]] == bytes(reversed(objects[keys[0]]))
    assert keys[1] not in landed
    assert landed[keys[2]] == b"back again"
    assert feed(moto.url, url).receive(10) == []  # every notice handled was acknowledged


def test_an_events_pass_copies_a_new_write_at_once_and_reads_first_what_may_be_there(
    moto: Moto, azurite_proxy: FaultProxy, warm: Warm
) -> None:
    sqs, url = events_queue(moto.url, "primary")
    objects = _objects(4)
    client = make_bucket(moto.url, "primary", objects)
    _ran(warm(moto.url, feed=feed(moto.url, url)))
    _ran(warm(moto.url, feed=feed(moto.url, url)))  # the fill's notices: nothing to copy
    time.sleep(1.1)  # S3 dates to the second: the writes below come after the last listing
    first, second = sorted(objects)[:2]
    client.put_object(Bucket="primary", Key=first, Body=bytes(reversed(objects[first])))
    azurite_proxy.reset()

    fresh = _ran(warm(moto.url, feed=feed(moto.url, url), blob_url=azurite_proxy.url))

    assert (fresh.kind, fresh.examined, fresh.copied) == (SyncPassKind.EVENTS, 1, 1)
    assert azurite_proxy.calls("HEAD", first) == 1  # read back after writing; no look before
    landed = blobs(warm.azurite.connection_string, warm.container)
    assert landed[first] == bytes(reversed(objects[first]))

    # A receiver took the next notice, copied the object and died before acknowledging it:
    # the notice comes back, and its object is read before anything is written again.
    client.put_object(Bucket="primary", Key=second, Body=b"rewritten")
    taken = sqs.receive_message(QueueUrl=url, VisibilityTimeout=0, WaitTimeSeconds=1)
    assert len(taken["Messages"]) == 1
    sync(
        s3_store(moto.url, "primary"),
        blob_store(warm.azurite.connection_string, warm.container, create=False),
    )
    azurite_proxy.reset()

    again = _ran(warm(moto.url, feed=feed(moto.url, url), blob_url=azurite_proxy.url))

    assert (again.examined, again.copied) == (1, 0)
    assert azurite_proxy.calls("HEAD", second) == 1
    assert azurite_proxy.calls("PUT", second) == 0
    assert feed(moto.url, url).receive(10) == []


def test_an_events_pass_takes_notices_up_to_its_limit_and_is_covered_only_once_dry(
    moto: Moto, warm: Warm, store: Store, clock: ManualClock
) -> None:
    sqs, url = events_queue(moto.url, "primary")
    full = _ran(warm(moto.url, feed=feed(moto.url, url)))
    sqs.purge_queue(QueueUrl=url)  # S3's test message
    objects = _objects(130)
    make_bucket(moto.url, "primary", objects)
    clock.advance(300)

    limited = _ran(warm(moto.url, feed=feed(moto.url, url), feed_limit=120))

    assert (limited.examined, limited.copied) == (120, 120)
    assert _state(store).covered_until == full.started_at
    clock.advance(300)

    rest = _ran(warm(moto.url, feed=feed(moto.url, url)))

    assert limited.copied + rest.copied == len(objects)
    assert _state(store).covered_until == rest.started_at
    assert blobs(warm.azurite.connection_string, warm.container) == objects
    assert feed(moto.url, url).receive(10) == []


def _s3_notice(key: str, sequencer: str, *, etag: str = "", size: int = 0) -> str:
    """An S3 event notification as S3 sends it (Amazon S3 User Guide, "Event message
    structure"): a write names the version's eTag and size, and each event a sequencer."""
    found: dict[str, Any] = {"key": key, "sequencer": sequencer}
    event = "ObjectRemoved:Delete"
    if etag:
        found |= {"eTag": etag, "size": size}
        event = "ObjectCreated:Put"
    at = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    record = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "eventTime": at,
        "eventName": event,
        "s3": {"bucket": {"name": "primary"}, "object": found},
    }
    return json.dumps({"Records": [record]})


def test_notices_out_of_order_and_twice_leave_the_container_as_the_bucket_is(
    moto: Moto, aws_proxy: FaultProxy, warm: Warm
) -> None:
    sqs, url = events_queue(moto.url, "primary")
    client = make_bucket(moto.url, "primary", {"data/a": b"first", "data/b": b"second"})
    _ran(warm(moto.url, deletion="mirror", feed=feed(moto.url, url)))
    time.sleep(1.1)
    # "data/a" deleted and written again at the same size, "data/b" deleted.
    client.delete_object(Bucket="primary", Key="data/a")
    client.put_object(Bucket="primary", Key="data/a", Body=b"again")
    client.delete_object(Bucket="primary", Key="data/b")
    etag = client.head_object(Bucket="primary", Key="data/a")["ETag"].strip('"')
    sqs.purge_queue(QueueUrl=url)  # the notices S3 sent, replaced by ones with sequencers
    for message in (
        _s3_notice("data/a", "0062E99A88DC407460", etag=etag, size=5),
        _s3_notice("data/a", "0062E99A88DC407450"),
        _s3_notice("data/a", "0062E99A88DC407460", etag=etag, size=5),
        _s3_notice("data/b", "0062E99A88DC407470"),
        _s3_notice("data/b", "0062E99A88DC4074", etag="old", size=6),
    ):
        sqs.send_message(QueueUrl=url, MessageBody=message)
    aws_proxy.reset()

    events = _ran(warm(aws_proxy.url, deletion="mirror", feed=feed(moto.url, url)))

    assert (events.outcome, events.copied, events.deleted) == (SyncPassOutcome.SUCCEEDED, 1, 1)
    assert blobs(warm.azurite.connection_string, warm.container) == {"data/a": b"again"}
    # The write of "data/a" is its last change: copied without asking the bucket first.
    assert aws_proxy.calls("HEAD", "data/a") == 0
    assert aws_proxy.calls("HEAD", "data/b") == 1  # a removal is the bucket's to confirm
    assert feed(moto.url, url).receive(10) == []


def test_a_pass_never_overlaps_another(moto: Moto, warm: Warm, store: Store) -> None:
    _filled(moto, _objects(3))
    running = store.acquire_lease(object_sync_lease_name(PAIR), "replica-b", timedelta(minutes=1))
    assert isinstance(running, Lease)

    assert warm(moto.url).run() is None

    assert blobs(warm.azurite.connection_string, warm.container) == {}
    assert store.get_object_sync(PAIR) is None


def test_a_hold_keeps_a_pass_from_starting_and_stops_one_that_runs(
    moto: Moto, warm: Warm, store: Store, clock: ManualClock
) -> None:
    objects = _objects(40)
    _filled(moto, objects)

    assert warm(moto.url).run(lambda: "run r1 (dr-azure) syncs s3://primary") is None
    held = _state(store)
    assert (held.held, held.held_since, held.last_pass) == (
        "run r1 (dr-azure) syncs s3://primary",
        clock.now(),
        None,
    )

    looks: list[int] = []

    def hold_after_a_few_looks() -> str:
        looks.append(1)
        return "run r2 (dr-azure) started" if len(looks) > 3 else ""

    stopped = _ran(warm(moto.url), hold_after_a_few_looks)

    assert stopped.outcome is SyncPassOutcome.STOPPED
    assert "run r2 (dr-azure) started" in stopped.detail
    state = _state(store)
    assert (state.held, state.watermark, state.covered_until, state.last_full_at) == (
        "",
        None,
        None,
        None,
    )
    assert len(blobs(warm.azurite.connection_string, warm.container)) < len(objects)

    resumed = _ran(warm(moto.url))
    assert (resumed.kind, resumed.outcome) == (SyncPassKind.FULL, SyncPassOutcome.SUCCEEDED)
    assert blobs(warm.azurite.connection_string, warm.container) == objects


def test_a_pass_that_cannot_reach_s3_fails_and_changes_nothing_it_knew(
    moto: Moto, aws_proxy: FaultProxy, warm: Warm, store: Store, clock: ManualClock
) -> None:
    _filled(moto, _objects(3))
    _ran(warm(moto.url))
    before = _state(store)
    aws_proxy.faults.add(s3_error(503, "SlowDown", method="HEAD", path="/primary", times=-1))
    clock.advance(300)

    failed = _ran(warm(aws_proxy.url))

    assert failed.outcome is SyncPassOutcome.FAILED
    assert "503" in failed.detail
    assert "s3://primary" in failed.detail
    after = _state(store)
    assert (after.watermark, after.covered_until, after.pending) == (
        before.watermark,
        before.covered_until,
        before.pending,
    )
    assert after.last_pass == failed

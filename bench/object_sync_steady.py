"""Benchmark: a steady-state pass of continuous object sync, against a full pass and against
rclone, from moto's S3 to Azurite.

A bucket of 20,000 objects is copied once into a container; then, in each round, each tool in
turn makes a pass with nothing changed, and one after 1 % of the objects changed (half
rewritten at the same size, half at another), each pass timed:

- ``full``: the engine's full sync (both sides listed and compared), as a failover runs it;
- ``since``: a continuous pass from the watermark (the bucket listed, only what was modified
  since compared), the watermark as a pass just before the change left it;
- ``events``: a continuous pass fed by the bucket's S3 Event Notifications in SQS (nothing
  listed), including the long poll that finds the queue dry;
- ``rclone``: ``rclone sync --checksum`` (both sides listed, MD5s compared).

Every pass is checked: each changed object is in the container with the new bytes. The tools
take turns in a rotating order, and after rclone's turn an untimed full sync restores the
engine's metadata on what rclone wrote. The emulators are CPU-bound on small machines: only
the ratios mean something.

At the end the emulators' own costs are measured in the same run, to tell them from ours:
200 writes and 200 ``head``s through the Blob adapter (16 at a time) into an empty container
of a fresh Azurite, into an empty container beside the bench's, and into the bench's own; and
moto listing the bench's bucket against a bucket a tenth its size. Prints one JSON line.

    .venv/bin/python bench/object_sync_steady.py [--objects N] [--rounds N] [--margin S]

Needs rclone (apt-get install -y rclone), npm for Azurite (installed into .servers/ on first
use) and the project's test dependencies.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.object_sync import REGION, _rclone, stand_ins
from engine.adapters.aws.clients import AwsTarget
from engine.adapters.aws.s3 import S3Bucket
from engine.adapters.aws.s3_events import S3EventQueue
from engine.adapters.azure.blob import BlobContainer
from engine.adapters.clock import SystemClock
from engine.adapters.stores.sqlite_store import SqliteStore
from engine.sync.continuous import ContinuousOptions, ContinuousSync
from engine.sync.incremental import SyncOptions, attempt_sync
from engine.sync_records import ObjectSyncState, object_pair, object_sync_lease_name
from tests.support.stand_ins import Azurite, Moto

BUCKET, CONTAINER = "steady", "steady"
PAIR = object_pair(f"s3://{BUCKET}", f"blob://{CONTAINER}")
TOOLS = ("full", "since", "events", "rclone")
PHASES = ("unchanged", "changed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=20_000)
    parser.add_argument("--size", type=int, default=4096)
    parser.add_argument("--changed", type=float, default=0.01)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--margin", type=float, default=0.0, help="seconds")
    args = parser.parse_args()
    with stand_ins() as (rclone, config, moto, azurite):
        bench = _Bench(args, moto, azurite, config.parent)
        try:
            sync_with_rclone = partial(
                _rclone, rclone, config, BUCKET, CONTAINER, transfers=args.concurrency
            )
            result = bench.run(sync_with_rclone)
        finally:
            bench.close()
    print(json.dumps(result, sort_keys=True))


class _Bench:
    def __init__(self, args: argparse.Namespace, moto: Moto, azurite: Azurite, scratch: Path):
        import boto3
        from azure.storage.blob import BlobServiceClient

        self.args = args
        self.azurite = azurite
        self.target = AwsTarget(region=REGION, endpoint_url=moto.url, max_attempts=3)
        self.random = random.Random(15)
        session = boto3.session.Session()
        self.s3 = session.client("s3", region_name=REGION, endpoint_url=moto.url)
        self.sqs = session.client("sqs", region_name=REGION, endpoint_url=moto.url)
        self.service = BlobServiceClient.from_connection_string(azurite.connection_string)
        self.container = self.service.get_container_client(CONTAINER)
        self.keys = [f"objects/{i % 100:02d}/{i:06d}.bin" for i in range(args.objects)]
        self.version: dict[str, int] = dict.fromkeys(self.keys, 0)
        self.source = S3Bucket(BUCKET, self.target)
        self.s3.create_bucket(Bucket=BUCKET)
        self.queue_url: str = self.sqs.create_queue(QueueName="steady-events")["QueueUrl"]
        self.feed = S3EventQueue(self.queue_url, BUCKET, self.target)
        self.destination = BlobContainer.from_connection_string(
            azurite.connection_string, CONTAINER, pool_size=args.concurrency
        )
        self.store = SqliteStore(scratch / "state.db", clock=SystemClock())
        self.options = SyncOptions(concurrency=args.concurrency)
        self._rclone: Callable[[], None] = lambda: None
        continuous = ContinuousOptions(
            self.options, margin=timedelta(seconds=args.margin), full_every=timedelta(days=1)
        )
        self.since = self._continuous(continuous, feed=False)
        self.events = self._continuous(continuous, feed=True)

    def _continuous(self, options: ContinuousOptions, *, feed: bool) -> ContinuousSync:
        return ContinuousSync(
            PAIR,
            self.source,
            self.source,
            self.destination,
            self.store,
            clock=SystemClock(),
            owner="bench",
            options=options,
            feed=self.feed if feed else None,
        )

    def close(self) -> None:
        for closing in (self.source, self.feed, self.destination, self.store, self.service):
            closing.close()
        self.s3.close()
        self.sqs.close()

    # -- set-up

    def _notify(self) -> None:
        """The bucket's notifications to the queue, from now on (the fill sends none)."""
        url = self.queue_url
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        self.s3.put_bucket_notification_configuration(
            Bucket=BUCKET,
            NotificationConfiguration={
                "QueueConfigurations": [
                    {
                        "QueueArn": arn["Attributes"]["QueueArn"],
                        "Events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"],
                    }
                ]
            },
        )

    def _body(self, key: str) -> bytes:
        version = self.version[key]
        size = self.args.size + (version % 2) * 17  # odd versions at another size
        seed = hashlib.sha256(f"{key}@{version}".encode()).digest()
        return (seed * (size // len(seed) + 1))[:size]

    def _put(self, key: str) -> None:
        self.s3.put_object(Bucket=BUCKET, Key=key, Body=self._body(key))

    def _fill(self) -> None:
        with ThreadPoolExecutor(16) as pool:
            list(pool.map(self._put, self.keys))
        self.service.create_container(CONTAINER)
        report = attempt_sync(self.source, self.destination, self.options)
        if report.copied != len(self.keys) or report.failed:
            raise SystemExit(f"the initial copy failed: {report.summary()}")
        self._notify()

    def _change(self) -> list[str]:
        """Rewrite 1 % of the objects: half at the same size, half at another."""
        count = max(2, round(len(self.keys) * self.args.changed))
        changed = self.random.sample(self.keys, count)
        for n, key in enumerate(changed):
            # Even steps keep the size's parity (the same size), odd ones flip it.
            self.version[key] += 2 if n % 2 == 0 else 1
        with ThreadPoolExecutor(16) as pool:
            list(pool.map(self._put, changed))
        return changed

    def _drain(self) -> None:
        """Forget the notices of earlier changes (SQS allows one purge a minute)."""
        while notices := self.feed.receive(1000):
            self.feed.acknowledge(notices)

    def _watermark_now(self) -> None:
        """The state a full pass that ended now would leave: the watermark at S3's now less
        the margin, the bucket listed until now."""
        now = SystemClock().now()
        lease = self.store.acquire_lease(object_sync_lease_name(PAIR), "bench", timedelta(1))
        assert lease is not None
        listed = self.source.store_time()
        watermark = listed - timedelta(seconds=self.args.margin)
        state = ObjectSyncState(
            PAIR,
            now,
            watermark=watermark,
            listed_until=listed,
            covered_until=now,
            last_full_at=now,
        )
        self.store.record_object_sync(lease, state)
        self.store.release_lease(lease)

    def _check(self, changed: list[str]) -> None:
        for key in changed:
            properties = self.container.get_blob_client(key).get_blob_properties()
            md5 = properties.content_settings.content_md5
            expected = hashlib.md5(self._body(key), usedforsecurity=False).digest()
            if md5 is None or bytes(md5) != expected:
                got = base64.b64encode(bytes(md5)).decode() if md5 else None
                raise SystemExit(f"{key}: the container holds another version (md5 {got})")

    # -- the run

    def run(self, rclone: Callable[[], None]) -> dict[str, Any]:
        self._rclone = rclone
        started = time.perf_counter()
        self._fill()
        setup = time.perf_counter() - started
        times: dict[str, list[float]] = {f"{t}.{p}": [] for t in TOOLS for p in PHASES}
        examined: dict[str, list[int]] = {"since": [], "events": []}
        for round_ in range(self.args.rounds):
            order = TOOLS[round_ % len(TOOLS) :] + TOOLS[: round_ % len(TOOLS)]
            for tool in order:
                # Listings date objects to the second: the previous change, the watermark and
                # this change each fall in a second of their own.
                time.sleep(1.1)
                self._watermark_now()
                time.sleep(1.1)
                self._drain()
                times[f"{tool}.unchanged"].append(self._timed(tool, [], examined)[0])
                time.sleep(1.1)
                changed = self._change()
                seconds, copied = self._timed(tool, changed, examined)
                times[f"{tool}.changed"].append(seconds)
                if copied != len(changed):
                    raise SystemExit(f"{tool} copied {copied} of {len(changed)} changed objects")
                self._check(changed)
                if tool == "rclone":
                    # Untimed: the engine's metadata back on what rclone wrote.
                    attempt_sync(self.source, self.destination, self.options)
        median = {key: statistics.median(values) for key, values in times.items()}
        result: dict[str, Any] = {
            "bench": "object_sync_steady",
            "objects": len(self.keys),
            "object_size": self.args.size,
            "changed_per_pass": max(2, round(len(self.keys) * self.args.changed)),
            "rounds": self.args.rounds,
            "concurrency": self.args.concurrency,
            "margin_s": self.args.margin,
            "setup_s": round(setup, 1),
            "since_examined": max(examined["since"]),
            "events_examined": max(examined["events"]),
        }
        result |= {f"{key}_s": round(seconds, 3) for key, seconds in median.items()}
        result["emulators"] = self._emulator_costs()
        for phase in PHASES:
            for tool in ("since", "events"):
                ratio = median[f"full.{phase}"] / median[f"{tool}.{phase}"]
                result[f"{phase}.full_over_{tool}"] = round(ratio, 2)
                ratio = median[f"rclone.{phase}"] / median[f"{tool}.{phase}"]
                result[f"{phase}.rclone_over_{tool}"] = round(ratio, 2)
        return result

    # -- the emulators' own costs

    def _emulator_costs(self) -> dict[str, dict[str, float]]:
        """What the same Blob operations cost as Azurite holds more blobs, and what a listing
        costs moto per object as the bucket grows."""
        count = len(self.keys)
        writes: dict[str, float] = {}
        heads: dict[str, float] = {}
        fresh = Azurite()
        try:
            places = (
                ("empty_emulator", fresh.connection_string, "probe"),
                (f"empty_container_beside_{count}", self.azurite.connection_string, "probe"),
                (f"container_of_{count}", self.azurite.connection_string, CONTAINER),
            )
            for place, connection, container in places:
                writes[place], heads[place] = self._blob_operations(connection, container)
        finally:
            fresh.stop()
        return {
            "azurite_200_writes_s": writes,
            "azurite_200_heads_s": heads,
            "moto_list_per_1000_s": self._listing_costs(),
        }

    def _blob_operations(self, connection: str, container: str) -> tuple[float, float]:
        from azure.storage.blob import BlobServiceClient

        service = BlobServiceClient.from_connection_string(connection)
        if not service.get_container_client(container).exists():
            service.create_container(container)
        service.close()
        store = BlobContainer.from_connection_string(
            connection, container, pool_size=self.args.concurrency
        )
        keys = [f"probe/{n:04d}.bin" for n in range(200)]
        data = bytes(self.args.size)

        def write(key: str) -> None:
            writer = store.writer(key)
            writer.write(data)
            writer.commit({})

        try:
            with ThreadPoolExecutor(self.args.concurrency) as pool:
                began = time.perf_counter()
                list(pool.map(write, keys))
                wrote = time.perf_counter() - began
                began = time.perf_counter()
                list(pool.map(store.head, keys))
                read = time.perf_counter() - began
        finally:
            store.close()
        return round(wrote, 3), round(read, 3)

    def _listing_costs(self) -> dict[str, float]:
        small = max(1000, len(self.keys) // 10)
        self.s3.create_bucket(Bucket="steady-small")
        data = bytes(self.args.size)
        with ThreadPoolExecutor(16) as pool:
            list(
                pool.map(
                    lambda n: self.s3.put_object(Bucket="steady-small", Key=f"{n:06d}", Body=data),
                    range(small),
                )
            )
        costs: dict[str, float] = {}
        for bucket, count in (("steady-small", small), (BUCKET, len(self.keys))):
            listed = S3Bucket(bucket, self.target)
            began = time.perf_counter()
            found = sum(1 for _ in listed.list())
            costs[f"bucket_of_{count}"] = round((time.perf_counter() - began) * 1000 / found, 3)
            listed.close()
        return costs

    def _timed(
        self, tool: str, changed: list[str], examined: dict[str, list[int]]
    ) -> tuple[float, int]:
        """One pass of ``tool``: its seconds, and how many objects it copied."""
        began = time.perf_counter()
        if tool == "full":
            copied = attempt_sync(self.source, self.destination, self.options).copied
        elif tool == "rclone":
            self._rclone()
            copied = len(changed)
        else:
            done = (self.since if tool == "since" else self.events).run()
            if done is None:
                raise SystemExit(f"the {tool} pass did not run")
            copied = done.copied
            if changed:
                examined[tool].append(done.examined)
        return time.perf_counter() - began, copied


if __name__ == "__main__":
    main()

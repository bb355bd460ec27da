"""Benchmark: engine/sync/incremental.py against rclone, syncing the same data from moto's S3
to Azurite.

Both tools run in the same process tree against the same two servers, alternating, each into
a fresh container: 500 x 64 KiB and 5,000 x 4 KiB, a full copy and then a no-op re-sync
(rclone with --checksum, so both compare content hashes, not times). The emulators are
CPU-bound on small machines: only the ratios mean something. Prints one JSON line.

    .venv/bin/python bench/object_sync.py [--rounds N] [--concurrency N]

Needs rclone (apt-get install -y rclone), npm for Azurite (installed into .servers/ on first
use) and the project's test dependencies.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.adapters.aws.clients import AwsTarget
from engine.adapters.aws.s3 import S3Bucket
from engine.adapters.azure.blob import BlobContainer
from engine.sync.incremental import SyncOptions, sync
from tests.support.stand_ins import (
    CA_VARIABLES,
    DUMMY_AWS,
    Azurite,
    Moto,
    child_env,
)

DATASETS = {"500x64KiB": (500, 64 * 1024), "5000x4KiB": (5000, 4 * 1024)}
REGION = "us-east-1"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rclone-transfers", type=int, default=16)
    args = parser.parse_args()
    with stand_ins() as (rclone, config, moto, azurite):
        results = _run(args, rclone, config, moto, azurite)
    print(json.dumps(results, sort_keys=True))


@contextmanager
def stand_ins() -> Iterator[tuple[str, Path, Moto, Azurite]]:
    """rclone, its configuration (in a scratch folder of its own), moto and Azurite, for as
    long as the block runs."""
    rclone = shutil.which("rclone")
    if rclone is None:
        sys.exit("rclone is not installed: apt-get install -y rclone")
    for name in CA_VARIABLES:
        os.environ.pop(name, None)
    os.environ.update(DUMMY_AWS)
    moto, azurite = Moto(), Azurite()
    try:
        with tempfile.TemporaryDirectory() as scratch:
            config = Path(scratch) / "rclone.conf"
            config.write_text(_rclone_config(moto.url, azurite.account_sas_url()))
            yield rclone, config, moto, azurite
    finally:
        azurite.stop()
        moto.stop()


def _run(
    args: argparse.Namespace, rclone: str, config: Path, moto: Moto, azurite: Azurite
) -> dict[str, object]:
    from azure.storage.blob import BlobServiceClient

    service = BlobServiceClient.from_connection_string(azurite.connection_string)
    target = AwsTarget(region=REGION, endpoint_url=moto.url, max_attempts=3)
    times: dict[str, list[float]] = {}
    containers = iter(range(1_000_000))
    for dataset, (count, size) in DATASETS.items():
        bucket = f"bench-{count}"
        _fill(moto.url, bucket, count, size)
        source = S3Bucket(bucket, target)
        for round_ in range(args.rounds):
            tools: list[tuple[str, Callable[[str], None]]] = [
                ("engine", partial(_engine, source, azurite, concurrency=args.concurrency)),
                (
                    "rclone",
                    partial(_rclone, rclone, config, bucket, transfers=args.rclone_transfers),
                ),
            ]
            if round_ % 2:
                tools.reverse()
            for tool, run in tools:
                container = f"bench{next(containers)}{tool}"
                service.create_container(container)
                for phase in ("copy", "noop"):
                    started = time.perf_counter()
                    run(container)
                    times.setdefault(f"{dataset}.{phase}.{tool}", []).append(
                        time.perf_counter() - started
                    )
                _check(service, container, count, size)
                # Azurite slows down as it holds more blobs: every measurement starts alike.
                service.delete_container(container)
        source.close()
    service.close()
    result: dict[str, object] = {
        "bench": "object_sync",
        "rounds": args.rounds,
        "concurrency": args.concurrency,
        "rclone_transfers": args.rclone_transfers,
    }
    for key, values in sorted(times.items()):
        result[f"{key}_s"] = round(statistics.median(values), 3)
    for dataset in DATASETS:
        for phase in ("copy", "noop"):
            ours = statistics.median(times[f"{dataset}.{phase}.engine"])
            theirs = statistics.median(times[f"{dataset}.{phase}.rclone"])
            result[f"{dataset}.{phase}.rclone_over_engine"] = round(theirs / ours, 2)
    return result


def _engine(source: S3Bucket, azurite: Azurite, container: str, *, concurrency: int) -> None:
    destination = BlobContainer.from_connection_string(
        azurite.connection_string, container, pool_size=concurrency
    )
    try:
        sync(source, destination, SyncOptions(concurrency=concurrency))
    finally:
        destination.close()


def _rclone(rclone: str, config: Path, bucket: str, container: str, *, transfers: int) -> None:
    subprocess.run(
        [
            rclone,
            "sync",
            f"s3:{bucket}",
            f"az:{container}",
            "--config",
            str(config),
            "--checksum",
            "--transfers",
            str(transfers),
            "--checkers",
            str(max(8, transfers)),
            "--retries",
            "1",
            "--low-level-retries",
            "3",
            "--quiet",
        ],
        check=True,
        env=child_env(),
    )


def _rclone_config(moto_url: str, sas_url: str) -> str:
    return (
        "[s3]\ntype = s3\nprovider = Other\n"
        f"endpoint = {moto_url}\nregion = {REGION}\n"
        f"access_key_id = {DUMMY_AWS['AWS_ACCESS_KEY_ID']}\n"
        f"secret_access_key = {DUMMY_AWS['AWS_SECRET_ACCESS_KEY']}\n"
        "force_path_style = true\n\n"
        f"[az]\ntype = azureblob\nsas_url = {sas_url}\n"
    )


def _fill(endpoint: str, bucket: str, count: int, size: int) -> None:
    import boto3

    client = boto3.session.Session().client("s3", region_name=REGION, endpoint_url=endpoint)
    client.create_bucket(Bucket=bucket)

    def put(i: int) -> None:
        body = (f"{bucket}/{i:06d}|".encode() * (size // 8 + 1))[:size]
        client.put_object(Bucket=bucket, Key=f"objects/{i % 50:02d}/{i:06d}.bin", Body=body)

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(put, range(count)))
    client.close()


def _check(service: object, container: str, count: int, size: int) -> None:
    client = service.get_container_client(container)  # type: ignore[attr-defined]
    found = [b.size for b in client.list_blobs()]
    if len(found) != count or set(found) != {size}:
        raise SystemExit(f"{container}: {len(found)} blobs, sizes {sorted(set(found))[:5]}")


if __name__ == "__main__":
    main()

"""Shared set-up for object store tests: buckets and containers filled with known bytes."""

from __future__ import annotations

import hashlib
from typing import Any

import boto3
from azure.storage.blob import BlobServiceClient

from engine.adapters.aws.clients import AwsTarget
from engine.adapters.aws.s3 import S3Bucket
from engine.adapters.azure.blob import BlobContainer

REGION = "us-east-1"
OPENED: list[Any] = []
"""Clients and stores made by these helpers; conftest closes them after each test, so no
socket is left for the garbage collector to complain about."""


def close_opened() -> None:
    while OPENED:
        OPENED.pop().close()


def _opened(thing: Any) -> Any:
    OPENED.append(thing)
    return thing


def s3_client(endpoint: str) -> Any:
    return _opened(boto3.session.Session().client("s3", region_name=REGION, endpoint_url=endpoint))


def make_bucket(endpoint: str, name: str, objects: dict[str, bytes] | None = None) -> Any:
    client = s3_client(endpoint)
    client.create_bucket(Bucket=name)
    for key, body in (objects or {}).items():
        client.put_object(Bucket=name, Key=key, Body=body)
    return client


def s3_store(endpoint: str, bucket: str, **options: Any) -> S3Bucket:
    target = AwsTarget(region=REGION, endpoint_url=endpoint, max_attempts=1)
    return _opened(S3Bucket(bucket, target, **options))


def blob_service(connection_string: str) -> BlobServiceClient:
    return _opened(BlobServiceClient.from_connection_string(connection_string))


def blob_store(
    connection_string: str, container: str, *, create: bool = True, **options: Any
) -> BlobContainer:
    if create:
        blob_service(connection_string).create_container(container)
    return _opened(
        BlobContainer.from_connection_string(connection_string, container, retry_total=0, **options)
    )


def proxied(connection_string: str, azurite_url: str, proxy_url: str) -> str:
    return connection_string.replace(azurite_url, proxy_url)


def body(key: str, size: int) -> bytes:
    """Deterministic bytes of ``size`` for ``key``."""
    seed = hashlib.sha256(key.encode()).digest()
    return (seed * (size // len(seed) + 1))[:size]


def blobs(connection_string: str, container: str) -> dict[str, bytes]:
    client = blob_service(connection_string).get_container_client(container)
    return {b.name: client.download_blob(b.name).readall() for b in client.list_blobs()}

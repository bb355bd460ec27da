"""Checks of the real dependencies: a database answers ``SELECT 1``, an S3 bucket answers
HeadBucket. Each opens its own short-lived connection with a short timeout, so a check tells
what a request would meet now."""

from __future__ import annotations

import sqlite3
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.config import Config

from reference_services.probes import CheckResult


def database_check(url: str, timeout: float) -> CheckResult:
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        path = url.removeprefix("sqlite:///")
        # mode=rw: a missing file is a missing database, not a new empty one.
        with sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=timeout) as db:
            db.execute("SELECT 1").fetchone()
        return CheckResult(True, "sqlite answers")
    if scheme in ("postgresql", "postgres"):
        import psycopg  # only where a PostgreSQL is used

        with psycopg.connect(url, connect_timeout=max(1, int(timeout))) as db:
            db.execute("SELECT 1").fetchone()
        return CheckResult(True, "postgresql answers")
    return CheckResult(False, f"unsupported database URL scheme {scheme!r}")


def s3_client(endpoint_url: str | None, timeout: float) -> Any:
    config = Config(connect_timeout=timeout, read_timeout=timeout, retries={"max_attempts": 1})
    return boto3.session.Session().client("s3", endpoint_url=endpoint_url, config=config)


def bucket_check(client: Any, bucket: str) -> CheckResult:
    client.head_bucket(Bucket=bucket)
    return CheckResult(True, f"s3://{bucket} answers")

"""The reference services' settings, from the environment (the only reader of it here)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceSettings:
    database_url: str | None
    """sqlite:///PATH or postgresql://USER:PASSWORD@HOST:PORT/DB (Service A)."""
    bucket: str | None
    """The S3 bucket the service needs (Service A reads it; Service B works from it)."""
    s3_endpoint_url: str | None
    """An S3 stand-in or VPC endpoint; empty: AWS's own (boto3's default chain and region)."""
    check_timeout: float
    faults: bool
    """Expose POST /fault/{down,slow,restore} for rehearsals (never in production)."""
    poll_interval: float
    """Service B: seconds between looks at the inbox."""
    stall_after: float
    """Service B: a worker loop silent this long is stalled (/live answers 503)."""


def load(environ: Mapping[str, str] | None = None) -> ServiceSettings:
    env = os.environ if environ is None else environ
    return ServiceSettings(
        database_url=env.get("DATABASE_URL") or None,
        bucket=env.get("S3_BUCKET") or None,
        s3_endpoint_url=env.get("S3_ENDPOINT_URL") or None,
        check_timeout=float(env.get("CHECK_TIMEOUT", "2")),
        faults=env.get("FAULT_INJECTION", "").lower() in ("1", "true", "yes"),
        poll_interval=float(env.get("POLL_INTERVAL", "5")),
        stall_after=float(env.get("STALL_AFTER", "60")),
    )

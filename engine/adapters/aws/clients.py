"""How the AWS adapters make their boto3 clients: region and endpoint overridable, boto3's
default credential chain, short timeouts, and a connection pool sized for concurrent calls."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.utils import parse_timestamp

from engine.adapters.aws.s3_listing import FastListingParserFactory, replace_200_error_check


@dataclass(frozen=True)
class AwsTarget:
    """Where an AWS API is. ``endpoint_url`` points at a stand-in (or a VPC endpoint)."""

    region: str | None = None
    endpoint_url: str | None = None
    max_attempts: int = 3
    """botocore's own attempts per call (standard mode): absorbs a blip of throttling; the
    stage's retry policy handles anything longer."""
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    max_pool_connections: int = 32


def aws_client(
    service: str, target: AwsTarget, session: boto3.session.Session | None = None
) -> Any:
    config = Config(
        connect_timeout=target.connect_timeout,
        read_timeout=target.read_timeout,
        retries={"total_max_attempts": target.max_attempts, "mode": "standard"},
        max_pool_connections=target.max_pool_connections,
        # Whole-body CRC checksums cost CPU on every request; uploads carry Content-MD5
        # instead, which S3 checks.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    # One service name for every AWS adapter: typed at the call site (``S3Client`` ...).
    factory: Any = session or boto3.session.Session(botocore_session=_botocore_session())
    return factory.client(
        service, region_name=target.region, endpoint_url=target.endpoint_url, config=config
    )


def _botocore_session() -> botocore.session.Session:
    session = botocore.session.get_session()
    # dateutil's general parser costs ~0.1 ms a timestamp: half the time of parsing an S3
    # listing. AWS's timestamps are ISO 8601, which the standard library parses in C.
    session.register_component("response_parser_factory", FastListingParserFactory(_timestamp))
    replace_200_error_check(session.get_component("event_emitter"))
    return session


def _timestamp(value: Any) -> datetime:
    if not isinstance(value, str):
        return parse_timestamp(value)  # epoch seconds, as JSON protocols send them
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)  # RFC 1123, as in Last-Modified headers
        except (TypeError, ValueError):
            return parse_timestamp(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)

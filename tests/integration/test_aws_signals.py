"""The AWS signal kinds against moto's server: RDS replica lag from CloudWatch, and a
Route 53 health check."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest

from engine.adapters.aws.signals import RdsReplicaLag, Route53HealthCheck
from engine.adapters.clock import SystemClock
from engine.config import RdsReplicaLagSignal, Route53HealthCheckSignal
from engine.model import Status
from tests.support.ports import closed_port
from tests.support.stand_ins import Moto

from .conftest import ReadOne
from .servers import RawTcpServer

pytestmark = pytest.mark.integration

REGION = "eu-west-1"


def lag_signal(endpoint: str, **fields: Any) -> RdsReplicaLagSignal:
    return RdsReplicaLagSignal.model_validate(
        {
            "name": "rds-lag",
            "kind": "rds_replica_lag",
            "db_instance": "app-db-replica",
            "aws": {"endpoint_url": endpoint},
            "timeout": "3s",
            **fields,
        }
    )


def health_signal(endpoint: str, check: str, **fields: Any) -> Route53HealthCheckSignal:
    return Route53HealthCheckSignal.model_validate(
        {
            "name": "external-uptime",
            "kind": "route53_health_check",
            "health_check_id": check,
            "aws": {"endpoint_url": endpoint},
            "timeout": "3s",
            **fields,
        }
    )


def put_lag(aws: Moto, seconds: float, at: datetime, db: str = "app-db-replica") -> None:
    cloudwatch = boto3.client("cloudwatch", region_name=REGION, endpoint_url=aws.url)
    cloudwatch.put_metric_data(
        Namespace="AWS/RDS",
        MetricData=[
            {
                "MetricName": "ReplicaLag",
                "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": db}],
                "Timestamp": at,
                "Value": seconds,
                "Unit": "Seconds",
            }
        ],
    )


def test_the_most_recent_lag_datapoint_counts(read: ReadOne, aws: Moto) -> None:
    now = datetime.now(UTC)
    put_lag(aws, 400, now - timedelta(minutes=3))
    put_lag(aws, 12, now)
    put_lag(aws, 999, now, db="another-db")
    reading = read(RdsReplicaLag(lag_signal(aws.url), SystemClock(), region=REGION))
    assert reading.status == Status.OK
    assert reading.value == 12
    assert reading.detail.startswith("replica lag 12s at ")


@pytest.mark.parametrize(("seconds", "status"), [(61, Status.DEGRADED), (301, Status.DOWN)])
def test_lag_beyond_the_thresholds(
    read: ReadOne, aws: Moto, seconds: float, status: Status
) -> None:
    put_lag(aws, seconds, datetime.now(UTC))
    reading = read(RdsReplicaLag(lag_signal(aws.url), SystemClock(), region=REGION))
    assert reading.status == status
    assert reading.value == seconds


def test_no_datapoint_within_the_lookback_is_unknown(read: ReadOne, aws: Moto) -> None:
    put_lag(aws, 5, datetime.now(UTC) - timedelta(minutes=20))
    reading = read(RdsReplicaLag(lag_signal(aws.url), SystemClock(), region=REGION))
    assert reading.status == Status.UNKNOWN
    assert reading.detail == "no ReplicaLag datapoint for app-db-replica in the last 5m"


def test_a_healthy_route53_health_check_is_ok(read: ReadOne, aws: Moto) -> None:
    route53 = boto3.client("route53", region_name="us-east-1", endpoint_url=aws.url)
    check = route53.create_health_check(
        CallerReference=f"phoenix-{time.time_ns()}",
        HealthCheckConfig={
            "Type": "HTTPS",
            "FullyQualifiedDomainName": "api.example.com",
            "ResourcePath": "/health",
            "Port": 443,
        },
    )["HealthCheck"]["Id"]
    reading = read(Route53HealthCheck(health_signal(aws.url, check), SystemClock(), region=REGION))
    assert reading.status == Status.OK  # moto's checkers always report success
    assert reading.value == 0.0
    assert reading.detail == "0 of 1 checkers report a failure"


def test_a_missing_health_check_is_unknown(read: ReadOne, aws: Moto) -> None:
    check = "11111111-2222-3333-4444-555555555555"
    reading = read(Route53HealthCheck(health_signal(aws.url, check), SystemClock(), region=REGION))
    assert reading.status == Status.UNKNOWN
    assert reading.detail == f"health check {check} does not exist"


def test_an_unreachable_endpoint_is_unknown(read: ReadOne, aws: Moto) -> None:
    with closed_port() as port:
        endpoint = f"http://127.0.0.1:{port}"
        reading = read(RdsReplicaLag(lag_signal(endpoint), SystemClock(), region=REGION))
    assert reading.status == Status.UNKNOWN
    assert reading.detail == f"cannot reach {endpoint}/"


def test_an_endpoint_that_never_answers_is_unknown_within_the_timeout(
    read: ReadOne, aws: Moto, raw_servers: dict[str, RawTcpServer]
) -> None:
    signal = health_signal(raw_servers["silent"].base, "abc", timeout="0.5s")
    started = time.monotonic()
    reading = read(Route53HealthCheck(signal, SystemClock(), region=REGION))
    assert time.monotonic() - started < 4  # the worker thread gave up too, not after 60 s
    assert reading.status == Status.UNKNOWN
    assert "did not answer within 0.5s" in reading.detail


def test_without_credentials_the_reading_says_so(
    read: ReadOne, aws: Moto, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    reading = read(RdsReplicaLag(lag_signal(aws.url), SystemClock(), region=REGION))
    assert reading.status == Status.UNKNOWN
    assert reading.detail == "no AWS credentials found"


@pytest.fixture
def unavailable() -> Iterator[tuple[str, list[str]]]:
    """An AWS endpoint that answers every request 503 ServiceUnavailable, and what it saw."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            seen.append(self.path)
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


def test_a_failing_endpoint_is_asked_once_per_evaluation(
    read: ReadOne, unavailable: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # botocore would retry a 503; the evaluation, 30 s later, is this signal's next attempt.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    endpoint, seen = unavailable
    reading = read(RdsReplicaLag(lag_signal(endpoint), SystemClock(), region=REGION))
    assert reading.status == Status.UNKNOWN
    assert len(seen) == 1, reading.detail
    reading = read(Route53HealthCheck(health_signal(endpoint, "abc"), SystemClock(), region=REGION))
    assert reading.status == Status.UNKNOWN
    assert len(seen) == 2

"""The AWS signal kinds: a Route 53 health check, and RDS replica lag from CloudWatch.

boto3 is synchronous: each call runs in a worker thread with short connect and read
timeouts and a single attempt, so the thread ends close to the signal's timeout even when
the evaluation has stopped waiting for it. Credentials come from boto3's default chain.
Every botocore error becomes one short sentence on an ``unknown`` reading.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)

from engine.adapters.aws.clients import AwsTarget, aws_client
from engine.adapters.single_signal import SingleSignalSource
from engine.config import (
    AwsAccess,
    RdsReplicaLagSignal,
    Route53HealthCheckSignal,
    status_from_thresholds,
)
from engine.duration import format_duration
from engine.errors import ProbeTimeout, SignalError
from engine.model import Reading, Status
from engine.ports import Clock
from engine.text import clip

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_route53 import Route53Client

REASON_LIMIT: Final = 200
MAX_DATAPOINTS: Final = 1440
"""CloudWatch returns at most this many datapoints per call: the period grows with lookback."""

C = TypeVar("C")


class _LazyClient(Generic[C]):
    """A boto3 client made on first use, in the worker thread, and kept while it works."""

    def __init__(self, make: Callable[[], C]) -> None:
        self._make = make
        self._client: C | None = None
        self._lock = threading.Lock()

    def get(self) -> C:
        with self._lock:
            if self._client is None:
                self._client = self._make()
            return self._client


def _target(region: str, access: AwsAccess, timeout: float) -> AwsTarget:
    """One attempt per call, bounded by the signal's timeout."""
    return AwsTarget(
        region=region,
        endpoint_url=access.endpoint_url,
        max_attempts=1,
        connect_timeout=timeout,
        read_timeout=timeout,
    )


class Route53HealthCheck(SingleSignalSource[Route53HealthCheckSignal]):
    """The ``SignalSource`` of one ``route53_health_check`` signal: the share of Route 53's
    checkers whose last report is a failure, judged by the signal's thresholds."""

    def __init__(self, signal: Route53HealthCheckSignal, clock: Clock, *, region: str) -> None:
        super().__init__(signal, clock)
        self._client: _LazyClient[Route53Client] = _LazyClient(
            lambda: aws_client("route53", _target(region, signal.aws, self._timeout))
        )

    async def collect(self) -> list[Reading]:
        signal = self._signal
        try:
            observations = await self._in_thread(
                self._observations, f"Route 53 did not answer within {self._timeout:g}s"
            )
        except SignalError as exc:
            return self._unknown(str(exc))
        now = self._clock.now()
        if not observations:
            reason = f"health check {signal.health_check_id} has no checker reports yet"
            return [Reading.unknown(signal.name, signal.vantage, reason, now)]
        failing = [o for o in observations if _report(o).startswith("Failure")]
        value = len(failing) / len(observations)
        status = status_from_thresholds(value, signal.thresholds)
        detail = f"{len(failing)} of {len(observations)} checkers report a failure"
        if failing:
            first = failing[0]
            detail += f"; {first.get('Region', '?')}: {_report(first)}"
        return [
            Reading(signal.name, status, value, clip(detail, REASON_LIMIT), signal.vantage, now)
        ]

    def _observations(self) -> list[dict[str, Any]]:
        check = self._signal.health_check_id
        try:
            answer = self._client.get().get_health_check_status(HealthCheckId=check)
        except ClientError as exc:
            if _error_code(exc) == "NoSuchHealthCheck":
                raise SignalError(f"health check {check} does not exist") from exc
            raise SignalError(_client_error(exc)) from exc
        except BotoCoreError as exc:
            raise _boto_error(exc, self._timeout) from exc
        return [dict(o) for o in answer.get("HealthCheckObservations", [])]


class RdsReplicaLag(SingleSignalSource[RdsReplicaLagSignal]):
    """The ``SignalSource`` of one ``rds_replica_lag`` signal: the latest CloudWatch
    ``AWS/RDS ReplicaLag`` datapoint (seconds) within ``lookback``, judged by thresholds."""

    def __init__(self, signal: RdsReplicaLagSignal, clock: Clock, *, region: str) -> None:
        super().__init__(signal, clock)
        self._client: _LazyClient[CloudWatchClient] = _LazyClient(
            lambda: aws_client("cloudwatch", _target(region, signal.aws, self._timeout))
        )

    async def collect(self) -> list[Reading]:
        signal = self._signal
        try:
            latest = await self._in_thread(
                self._latest, f"CloudWatch did not answer within {self._timeout:g}s"
            )
        except SignalError as exc:
            return self._unknown(str(exc))
        now = self._clock.now()
        if latest is None:
            reason = (
                f"no ReplicaLag datapoint for {signal.db_instance} "
                f"in the last {format_duration(signal.lookback)}"
            )
            return [Reading.unknown(signal.name, signal.vantage, reason, now)]
        seconds, at = latest
        status: Status = status_from_thresholds(seconds, signal.thresholds)
        detail = f"replica lag {seconds:g}s at {at:%H:%M:%S} UTC"
        return [Reading(signal.name, status, seconds, detail, signal.vantage, now)]

    def _latest(self) -> tuple[float, datetime] | None:
        signal = self._signal
        end = self._clock.now()
        lookback = max(signal.lookback, timedelta(minutes=1))
        period = 60 * max(1, math.ceil(lookback.total_seconds() / 60 / MAX_DATAPOINTS))
        try:
            answer = self._client.get().get_metric_statistics(
                Namespace="AWS/RDS",
                MetricName="ReplicaLag",
                Dimensions=[{"Name": "DBInstanceIdentifier", "Value": signal.db_instance}],
                StartTime=end - lookback,
                # EndTime is exclusive (and may be cut to the second): reach a period ahead so
                # a datapoint from this very second is in.
                EndTime=end + timedelta(seconds=period),
                Period=period,
                Statistics=["Maximum"],
            )
        except ClientError as exc:
            raise SignalError(_client_error(exc)) from exc
        except BotoCoreError as exc:
            raise _boto_error(exc, self._timeout) from exc
        points = [p for p in answer.get("Datapoints", []) if "Maximum" in p and "Timestamp" in p]
        if not points:
            return None
        newest = max(points, key=lambda p: p["Timestamp"])
        return float(newest["Maximum"]), newest["Timestamp"]


def _report(observation: dict[str, Any]) -> str:
    report = observation.get("StatusReport") or {}
    return str(report.get("Status", ""))


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _client_error(exc: ClientError) -> str:
    error = exc.response.get("Error", {})
    code = error.get("Code") or "error"
    message = error.get("Message") or ""
    return clip(f"AWS answered {code}" + (f": {message}" if message else ""), REASON_LIMIT)


def _boto_error(exc: BotoCoreError, timeout: float) -> SignalError:
    if isinstance(exc, ConnectTimeoutError | ReadTimeoutError):
        return ProbeTimeout(f"AWS did not answer within {timeout:g}s")
    if isinstance(exc, NoCredentialsError):
        return SignalError("no AWS credentials found")
    if isinstance(exc, EndpointConnectionError):
        endpoint = exc.kwargs.get("endpoint_url", "the AWS endpoint")
        return SignalError(f"cannot reach {endpoint}")
    return SignalError(clip(f"AWS call failed: {exc}", REASON_LIMIT))

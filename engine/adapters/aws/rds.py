"""RDS read replicas (``ReplicaDatabase``) and their CloudWatch ``ReplicaLag``
(``ReplicationLagSource``), through boto3.

A cross-region replica is described and promoted through a client of the replica's region.
``promote`` acts only on an instance that still names a replication source; a promotion
already in progress answers ``InvalidDBInstanceState``, which is retryable, and a retried
stage then finds the instance standalone.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

import boto3

from engine.adapters.aws.clients import AwsTarget, aws_client
from engine.adapters.aws.errors import aws_error
from engine.cloud_ports import DatabaseInstance, ReplicaLag
from engine.errors import CloudNotFound

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_rds import RDSClient

MAX_DATAPOINTS: Final = 1440


class RdsInstances:
    """RDS instances of one region."""

    def __init__(
        self, target: AwsTarget | None = None, *, session: boto3.session.Session | None = None
    ) -> None:
        self._rds: RDSClient = aws_client("rds", target or AwsTarget(), session)

    def describe(self, instance: str) -> DatabaseInstance:
        where = f"RDS instance {instance}"
        try:
            found = self._rds.describe_db_instances(DBInstanceIdentifier=instance)["DBInstances"]
        except Exception as exc:
            raise aws_error(exc, resource=where, action="rds:DescribeDBInstances") from exc
        if not found:
            raise CloudNotFound(f"{where} does not exist", resource=where)
        return _instance(found[0])

    def promote(self, instance: str) -> bool:
        if not self.describe(instance).is_replica:
            return False
        where = f"RDS instance {instance}"
        try:
            self._rds.promote_read_replica(DBInstanceIdentifier=instance)
        except Exception as exc:
            raise aws_error(exc, resource=where, action="rds:PromoteReadReplica") from exc
        return True

    def close(self) -> None:
        self._rds.close()


class CloudWatchReplicaLag:
    """The newest ``AWS/RDS ReplicaLag`` datapoint (seconds) of a replica."""

    def __init__(
        self, target: AwsTarget | None = None, *, session: boto3.session.Session | None = None
    ) -> None:
        self._cloudwatch: CloudWatchClient = aws_client(
            "cloudwatch", target or AwsTarget(), session
        )

    def replica_lag(self, instance: str, lookback: timedelta) -> ReplicaLag | None:
        end = datetime.now(UTC)
        lookback = max(lookback, timedelta(minutes=1))
        period = 60 * max(1, math.ceil(lookback.total_seconds() / 60 / MAX_DATAPOINTS))
        try:
            answer = self._cloudwatch.get_metric_statistics(
                Namespace="AWS/RDS",
                MetricName="ReplicaLag",
                Dimensions=[{"Name": "DBInstanceIdentifier", "Value": instance}],
                StartTime=end - lookback,
                EndTime=end + timedelta(seconds=period),
                Period=period,
                Statistics=["Maximum"],
            )
        except Exception as exc:
            where = f"ReplicaLag of RDS instance {instance}"
            raise aws_error(exc, resource=where, action="cloudwatch:GetMetricStatistics") from exc
        points = [p for p in answer.get("Datapoints", []) if "Maximum" in p and "Timestamp" in p]
        if not points:
            return None
        newest = max(points, key=lambda p: p["Timestamp"])
        return ReplicaLag(float(newest["Maximum"]), newest["Timestamp"])

    def close(self) -> None:
        self._cloudwatch.close()


def _instance(raw: Any) -> DatabaseInstance:
    endpoint = raw.get("Endpoint") or {}
    return DatabaseInstance(
        identifier=raw["DBInstanceIdentifier"],
        status=raw.get("DBInstanceStatus", "unknown"),
        engine=raw.get("Engine", ""),
        replica_source=raw.get("ReadReplicaSourceDBInstanceIdentifier") or None,
        replicas=tuple(raw.get("ReadReplicaDBInstanceIdentifiers", [])),
        endpoint=endpoint.get("Address"),
    )

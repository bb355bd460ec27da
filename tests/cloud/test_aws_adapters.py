"""The RDS, CloudWatch, Route 53 and EKS adapters, against moto's server (with a fault and
recording proxy in front where a test needs one)."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from engine.adapters.aws.clients import AwsTarget
from engine.adapters.aws.eks import EksNodeGroups
from engine.adapters.aws.rds import CloudWatchReplicaLag, RdsInstances
from engine.adapters.aws.route53 import Route53Failover, dns_name
from engine.cloud_ports import PendingOperation
from engine.errors import CloudAccessDenied, CloudNotFound, CloudUnavailable
from tests.cloud.aws_faults import query_error, rest_json_error, route53_error
from tests.support.fault_proxy import FaultProxy
from tests.support.object_fixtures import OPENED
from tests.support.stand_ins import Moto

pytestmark = pytest.mark.integration

PRIMARY_REGION = "us-east-1"
DR_REGION = "us-west-2"


def _client(service: str, url: str, region: str = PRIMARY_REGION) -> Any:
    client = boto3.session.Session().client(service, region_name=region, endpoint_url=url)
    OPENED.append(client)
    return client


def _target(url: str, region: str = PRIMARY_REGION) -> AwsTarget:
    return AwsTarget(region=region, endpoint_url=url, max_attempts=1)


def _adapter(adapter: Any) -> Any:
    OPENED.append(adapter)
    return adapter


def _finish(operation: PendingOperation) -> None:
    deadline = time.monotonic() + 10
    while not operation.wait(0.2):
        assert time.monotonic() < deadline


# ----------------------------------------------------------------------------- RDS


def _replica_pair(moto: Moto) -> None:
    source = _client("rds", moto.url)
    source.create_db_instance(
        DBInstanceIdentifier="orders",
        Engine="postgres",
        DBInstanceClass="db.r6g.large",
        MasterUsername="phoenix",
        MasterUserPassword="not-a-secret-1",
        AllocatedStorage=100,
    )
    arn = source.describe_db_instances(DBInstanceIdentifier="orders")["DBInstances"][0][
        "DBInstanceArn"
    ]
    _client("rds", moto.url, DR_REGION).create_db_instance_read_replica(
        DBInstanceIdentifier="orders-dr",
        SourceDBInstanceIdentifier=arn,
        DBInstanceClass="db.r6g.large",
    )


def test_a_cross_region_replica_is_described_and_promoted(
    moto: Moto, aws_proxy: FaultProxy
) -> None:
    _replica_pair(moto)
    dr = _adapter(RdsInstances(_target(aws_proxy.url, DR_REGION)))

    replica = dr.describe("orders-dr")
    assert replica.is_replica
    assert replica.replica_source is not None
    assert replica.replica_source.endswith(":db:orders")
    assert (replica.status, replica.engine) == ("available", "postgres")
    source = _adapter(RdsInstances(_target(moto.url))).describe("orders")
    assert not source.is_replica
    assert source.replicas[0].endswith(":db:orders-dr")

    assert dr.promote("orders-dr")
    assert aws_proxy.calls("POST", "Action=PromoteReadReplica") == 1


def test_promoting_a_standalone_instance_sends_nothing(moto: Moto, aws_proxy: FaultProxy) -> None:
    _replica_pair(moto)
    primary = _adapter(RdsInstances(_target(aws_proxy.url)))

    assert not primary.promote("orders")
    assert aws_proxy.calls("POST", "Action=PromoteReadReplica") == 0


def test_rds_throttling_is_retryable(moto: Moto, aws_proxy: FaultProxy) -> None:
    _replica_pair(moto)
    aws_proxy.faults.add(query_error(400, "Throttling", path="Action=PromoteReadReplica"))
    dr = _adapter(RdsInstances(_target(aws_proxy.url, DR_REGION)))

    with pytest.raises(CloudUnavailable, match="Throttling"):
        dr.promote("orders-dr")


def test_rds_access_denied_names_the_iam_action(moto: Moto, aws_proxy: FaultProxy) -> None:
    _replica_pair(moto)
    aws_proxy.faults.add(query_error(403, "AccessDenied", path="Action=PromoteReadReplica"))
    dr = _adapter(RdsInstances(_target(aws_proxy.url, DR_REGION)))

    with pytest.raises(CloudAccessDenied, match="rds:PromoteReadReplica") as raised:
        dr.promote("orders-dr")
    assert "orders-dr" in str(raised.value)
    assert raised.value.action == "rds:PromoteReadReplica"


def test_a_missing_instance_is_fatal_and_named(moto: Moto) -> None:
    with pytest.raises(CloudNotFound, match="RDS instance ghost"):
        _adapter(RdsInstances(_target(moto.url))).describe("ghost")


def test_replica_lag_is_the_newest_datapoint(moto: Moto) -> None:
    cloudwatch = _client("cloudwatch", moto.url, DR_REGION)
    now = datetime.now(UTC)
    for seconds, value in ((240, 3.0), (120, 42.0), (10, 7.5)):
        cloudwatch.put_metric_data(
            Namespace="AWS/RDS",
            MetricData=[
                {
                    "MetricName": "ReplicaLag",
                    "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": "orders-dr"}],
                    "Timestamp": now - timedelta(seconds=seconds),
                    "Value": value,
                    "Unit": "Seconds",
                }
            ],
        )
    lag = _adapter(CloudWatchReplicaLag(_target(moto.url, DR_REGION)))

    latest = lag.replica_lag("orders-dr", timedelta(minutes=10))
    assert latest is not None
    assert latest.seconds == 7.5
    assert lag.replica_lag("other", timedelta(minutes=10)) is None


def test_a_cloudwatch_outage_is_retryable(moto: Moto, aws_proxy: FaultProxy) -> None:
    aws_proxy.faults.add(query_error(503, "ServiceUnavailable", method="POST"))
    lag = _adapter(CloudWatchReplicaLag(_target(aws_proxy.url, DR_REGION)))

    with pytest.raises(CloudUnavailable):
        lag.replica_lag("orders-dr", timedelta(minutes=5))


# ----------------------------------------------------------------------------- Route 53

NAME = "app.example.com"


def _zone(moto: Moto) -> str:
    route53 = _client("route53", moto.url)
    zone: str = route53.create_hosted_zone(Name="example.com", CallerReference="phoenix")[
        "HostedZone"
    ]["Id"]
    check = route53.create_health_check(
        CallerReference="aws-alb",
        HealthCheckConfig={
            "Type": "HTTPS",
            "FullyQualifiedDomainName": "alb.aws.example.com",
            "Port": 443,
            "ResourcePath": "/health",
        },
    )["HealthCheck"]["Id"]

    def record(set_id: str, role: str, value: str, health: str | None) -> dict[str, Any]:
        raw: dict[str, Any] = {
            "Name": f"{NAME}.",
            "Type": "CNAME",
            "SetIdentifier": set_id,
            "Failover": role,
            "TTL": 60,
            "ResourceRecords": [{"Value": value}],
        }
        if health:
            raw["HealthCheckId"] = health
        return raw

    route53.change_resource_record_sets(
        HostedZoneId=zone,
        ChangeBatch={
            "Changes": [
                {
                    "Action": "CREATE",
                    "ResourceRecordSet": record("aws", "PRIMARY", "alb.aws.example.com", check),
                },
                {
                    "Action": "CREATE",
                    "ResourceRecordSet": record(
                        "azure", "SECONDARY", "app.trafficmanager.net", None
                    ),
                },
                {
                    "Action": "CREATE",
                    "ResourceRecordSet": {
                        "Name": f"www.{NAME}.",
                        "Type": "CNAME",
                        "TTL": 60,
                        "ResourceRecords": [{"Value": NAME}],
                    },
                },
            ]
        },
    )
    return zone


def test_failover_records_are_read(moto: Moto) -> None:
    zone = _zone(moto)
    dns = _adapter(Route53Failover(_target(moto.url)))

    records = {r.set_identifier: r for r in dns.records(zone, NAME, "CNAME")}

    assert set(records) == {"aws", "azure"}
    assert (records["aws"].role, records["aws"].values, records["aws"].ttl) == (
        "PRIMARY",
        ("alb.aws.example.com",),
        60,
    )
    assert records["aws"].health_check_id
    assert records["azure"].role == "SECONDARY"


def test_make_primary_swaps_roles_atomically_and_waits_for_insync(
    moto: Moto, aws_proxy: FaultProxy
) -> None:
    zone = _zone(moto)
    dns = _adapter(Route53Failover(_target(aws_proxy.url), poll_interval=0.05))

    change = dns.make_primary(zone, NAME, "CNAME", "azure")

    assert change is not None
    _finish(change)
    roles = {r.set_identifier: r.role for r in dns.records(zone, NAME, "CNAME")}
    assert roles == {"aws": "SECONDARY", "azure": "PRIMARY"}
    assert aws_proxy.calls("POST", "/rrset") == 1
    aws_record = next(r for r in dns.records(zone, NAME, "CNAME") if r.set_identifier == "aws")
    assert aws_record.health_check_id  # carried over unchanged


def test_make_primary_when_already_primary_changes_nothing(
    moto: Moto, aws_proxy: FaultProxy
) -> None:
    zone = _zone(moto)
    dns = _adapter(Route53Failover(_target(aws_proxy.url)))

    assert dns.make_primary(zone, NAME, "CNAME", "aws") is None
    assert aws_proxy.calls("POST", "/rrset") == 0


def test_make_primary_keeps_each_record_as_it_was_and_fails_back_to_the_original(
    moto: Moto, aws_proxy: FaultProxy
) -> None:
    zone = _zone(moto)
    dns = _adapter(Route53Failover(_target(aws_proxy.url), poll_interval=0.05))
    before = {r.set_identifier: r for r in dns.records(zone, NAME, "CNAME")}

    over = dns.make_primary(zone, NAME, "CNAME", "azure")
    assert over is not None
    _finish(over)
    during = {r.set_identifier: r for r in dns.records(zone, NAME, "CNAME")}
    back = dns.make_primary(zone, NAME, "CNAME", "aws")
    assert back is not None
    _finish(back)

    # Only the role changes (UPSERT with the record as listed); failing back restores
    # exactly what was there, and the record of another name is untouched.
    assert {k: replace(r, role=before[k].role) for k, r in during.items()} == before
    assert {r.set_identifier: r for r in dns.records(zone, NAME, "CNAME")} == before
    assert dns.records(zone, f"www.{NAME}", "CNAME") == []
    assert aws_proxy.calls("POST", "/rrset") == 2


def test_a_prior_change_still_being_applied_is_retried_by_the_client(
    moto: Moto, aws_proxy: FaultProxy
) -> None:
    zone = _zone(moto)
    aws_proxy.faults.add(route53_error(400, "PriorRequestNotComplete", method="POST"))
    # Production's client: botocore's standard retry mode, a few attempts per call.
    target = AwsTarget(region=PRIMARY_REGION, endpoint_url=aws_proxy.url)
    dns = _adapter(Route53Failover(target, poll_interval=0.05))

    change = dns.make_primary(zone, NAME, "CNAME", "azure")

    assert change is not None
    _finish(change)
    roles = {r.set_identifier: r.role for r in dns.records(zone, NAME, "CNAME")}
    assert roles == {"aws": "SECONDARY", "azure": "PRIMARY"}
    assert aws_proxy.calls("POST", "/rrset") == 2


def test_route53_throttling_is_retryable(moto: Moto, aws_proxy: FaultProxy) -> None:
    zone = _zone(moto)
    aws_proxy.faults.add(route53_error(400, "PriorRequestNotComplete", method="POST"))
    dns = _adapter(Route53Failover(_target(aws_proxy.url)))

    with pytest.raises(CloudUnavailable, match="PriorRequestNotComplete"):
        dns.make_primary(zone, NAME, "CNAME", "azure")


def test_route53_access_denied_names_the_action(moto: Moto, aws_proxy: FaultProxy) -> None:
    zone = _zone(moto)
    aws_proxy.faults.add(route53_error(403, "AccessDenied", method="POST"))
    dns = _adapter(Route53Failover(_target(aws_proxy.url)))

    with pytest.raises(CloudAccessDenied, match="route53:ChangeResourceRecordSets") as raised:
        dns.make_primary(zone, NAME, "CNAME", "azure")
    assert NAME in str(raised.value)


def test_an_unknown_record_or_zone_is_fatal(moto: Moto) -> None:
    zone = _zone(moto)
    dns = _adapter(Route53Failover(_target(moto.url)))

    with pytest.raises(CloudNotFound, match="gcp"):
        dns.make_primary(zone, NAME, "CNAME", "gcp")
    with pytest.raises(CloudNotFound, match="ZNOSUCHZONE"):
        dns.records("ZNOSUCHZONE", NAME, "CNAME")


# ----------------------------------------------------------------------------- EKS


def _node_group(moto: Moto) -> None:
    eks = _client("eks", moto.url)
    role = "arn:aws:iam::123456789012:role/eks"
    eks.create_cluster(name="prod", roleArn=role, resourcesVpcConfig={"subnetIds": ["subnet-1"]})
    eks.create_nodegroup(
        clusterName="prod",
        nodegroupName="workers",
        nodeRole=role,
        subnets=["subnet-1"],
        scalingConfig={"minSize": 2, "maxSize": 4, "desiredSize": 3},
    )


def test_a_node_group_is_scaled_and_its_bounds_widened(moto: Moto, aws_proxy: FaultProxy) -> None:
    _node_group(moto)
    groups = _adapter(EksNodeGroups(_target(aws_proxy.url)))

    assert groups.scale_node_group("prod", "workers", 6)

    after = groups.node_group("prod", "workers")
    assert (after.minimum, after.maximum, after.desired, after.status) == (2, 6, 6, "ACTIVE")
    assert aws_proxy.calls("POST", "/update-config") == 1


def test_a_node_group_already_sized_is_not_updated(moto: Moto, aws_proxy: FaultProxy) -> None:
    _node_group(moto)
    groups = _adapter(EksNodeGroups(_target(aws_proxy.url)))

    assert not groups.scale_node_group("prod", "workers", 3)
    assert aws_proxy.calls("POST", "/update-config") == 0


def test_eks_throttling_is_retryable(moto: Moto, aws_proxy: FaultProxy) -> None:
    _node_group(moto)
    aws_proxy.faults.add(rest_json_error(429, "ThrottlingException", method="POST"))
    groups = _adapter(EksNodeGroups(_target(aws_proxy.url)))

    with pytest.raises(CloudUnavailable, match="ThrottlingException"):
        groups.scale_node_group("prod", "workers", 6)


def test_eks_access_denied_and_missing_group_are_fatal(moto: Moto, aws_proxy: FaultProxy) -> None:
    _node_group(moto)
    groups = _adapter(EksNodeGroups(_target(aws_proxy.url)))
    with pytest.raises(CloudNotFound, match="node group spare of cluster prod"):
        groups.node_group("prod", "spare")

    aws_proxy.faults.add(rest_json_error(403, "AccessDeniedException", method="POST"))
    with pytest.raises(CloudAccessDenied, match="eks:UpdateNodegroupConfig"):
        groups.scale_node_group("prod", "workers", 6)


def test_names_are_compared_as_route53_lists_them_escaped() -> None:
    # Route 53 lists "*" and other characters outside a-z, 0-9, "-" and "_" as octal escapes
    # (moto does not, so the listing path cannot show it).
    assert dns_name("\\052.App.Example.com") == "*.app.example.com."
    assert dns_name("app.example.com.") == dns_name("APP.example.com")

"""The world the stage tests act on: phoenix.yaml pointing at the stand-ins, the resources
seeded in them, a service to verify, and a context to call a stage with."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
from pydantic import BaseModel

from bot.wiring.cloud import CloudPorts
from engine.config import PhoenixConfig
from engine.errors import StageCancelled
from engine.runs import RunMode, idempotency_key
from engine.stages import REGISTRY, Ports, StageResult
from tests.cloud.arm_fake import GROUP, SUBSCRIPTION, ArmFake
from tests.cloud.jenkins_fake import JenkinsFake
from tests.cloud.kube_fake import KubeFake
from tests.cloud.webhook_receiver import WebhookReceiver
from tests.support.http_fake import FakeServer, JsonHandler
from tests.support.object_fixtures import OPENED
from tests.support.stand_ins import Azurite, Moto

WEBHOOK_SECRET = b"stage-webhook-secret"
JENKINS_TOKEN = "stage-jenkins-token"
REGION = "us-east-1"
STANDBY = "us-west-2"
BUCKET = "app-assets"
DOMAIN = "app.example.com"
STANDBY_REPLICA = "app-db-dr"
"""The cross-region read replica of ``app-db`` in the standby region (level 2)."""
REGION_DOMAIN = "api.example.com"
"""The name whose Route 53 failover pair a region failover switches: ``east`` -> ``west``."""
STANDBY_CLUSTER = "standby"
NODE_GROUP = "workers"


def world_yaml(
    moto: str,
    arm: str,
    kube: str,
    receiver: str,
    jenkins: str,
    service: str,
    container: str,
    zone: str,
) -> str:
    return f"""
clouds:
  aws: {{region: {REGION}, standby_region: {STANDBY}, endpoint_url: "{moto}"}}
  azure:
    subscription_id: {SUBSCRIPTION}
    resource_group: {GROUP}
    arm_url: "{arm}"
    storage: {{connection_string: env:PHOENIX_BLOB}}
  clusters:
    aks-dr: {{api_url: "{kube}"}}
    eks-primary: {{api_url: "{kube}"}}
  jenkins: {{url: "{jenkins}", user: phoenix, api_token: env:PHOENIX_JENKINS_TOKEN}}
recovery:
  database: {{replica: app-db-replica, catch_up_within: 1s}}
  objects: {{bucket: {BUCKET}, container: {container}, deletion: mirror}}
  azure_sql:
    server: dr-sql
    database: app
    sku: {{name: GP_Gen5_4, tier: GeneralPurpose, capacity: 4}}
    standby_sku: {{name: S0, tier: Standard, capacity: 10}}
  aks:
    cluster: aks-dr
    namespace: shop
    deployments: {{service-a: 3, service-b: 2}}
  traffic:
    profile: phoenix
    dr_endpoint: azure
    aws_endpoint: aws
    route53: {{zone_id: {zone}, name: {DOMAIN}, dr_record: azure, primary_record: aws}}
  verify: {{urls: ["{service}/health", "{service}/ready"]}}
  notify: {{url: "{receiver}/webhook/phoenix", secret: env:PHOENIX_WEBHOOK_SECRET}}
  self_heal: {{cluster: eks-primary, namespace: prod}}
  region_failover:
    replica: {STANDBY_REPLICA}
    route53: {{zone_id: {zone}, name: {REGION_DOMAIN}, dr_record: west, primary_record: east}}
    node_group: {{cluster: {STANDBY_CLUSTER}, name: {NODE_GROUP}, desired: 3}}
"""


class _ServiceHandler(JsonHandler):
    def do_GET(self) -> None:
        service: Service = self.owner
        with service.lock:
            service.hits += 1
        if self.fault():
            return
        self.send(200, {"status": "ok"})


class Service(FakeServer):
    """A service answering ``GET /health``; ``faults`` make it fail on purpose."""

    def __init__(self) -> None:
        self.hits = 0
        super().__init__(_ServiceHandler)


def aws(service: str, moto: Moto, region: str = REGION) -> Any:
    client = boto3.session.Session().client(service, region_name=region, endpoint_url=moto.url)
    OPENED.append(client)
    return client


def seed_aws(moto: Moto, objects: dict[str, bytes], lag: float = 12.0) -> str:
    """The primary RDS, its replica (lag ``lag``), a cross-region replica, the bucket, and
    the Route 53 failover pair; returns the hosted zone id."""
    rds = aws("rds", moto)
    rds.create_db_instance(
        DBInstanceIdentifier="app-db",
        Engine="postgres",
        DBInstanceClass="db.r6g.large",
        MasterUsername="phoenix",
        MasterUserPassword="not-a-secret-1",
        AllocatedStorage=20,
    )
    rds.create_db_instance_read_replica(
        DBInstanceIdentifier="app-db-replica", SourceDBInstanceIdentifier="app-db"
    )
    put_lag(moto, "app-db-replica", lag)
    s3 = aws("s3", moto)
    s3.create_bucket(Bucket=BUCKET)
    for key, body in objects.items():
        s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    route53 = aws("route53", moto)
    zone = route53.create_hosted_zone(Name="example.com", CallerReference=str(time.time()))
    zone_id = zone["HostedZone"]["Id"].rsplit("/", 1)[-1]
    route53.change_resource_record_sets(
        HostedZoneId=zone_id,
        ChangeBatch={
            "Changes": [
                {
                    "Action": "CREATE",
                    "ResourceRecordSet": {
                        "Name": DOMAIN,
                        "Type": "A",
                        "SetIdentifier": ident,
                        "Failover": role,
                        "TTL": 60,
                        "ResourceRecords": [{"Value": value}],
                    },
                }
                for ident, role, value in (
                    ("aws", "PRIMARY", "192.0.2.10"),
                    ("azure", "SECONDARY", "192.0.2.20"),
                )
            ]
        },
    )
    return zone_id


def seed_standby_region(moto: Moto, zone_id: str, *, promoted: bool = False) -> None:
    """What a region failover acts on: the cross-region read replica of ``app-db`` in the
    standby region (lag 4s), the standby EKS cluster's node group at 0 nodes, and the Route 53
    failover pair of ``REGION_DOMAIN`` (``east`` PRIMARY, ``west`` SECONDARY).

    ``promoted``: the state after a completed failover instead — a standalone instance (what
    RDS describes once a promotion finished; moto keeps naming the source after promoting),
    ``west`` PRIMARY, and the node group at 3 nodes."""
    west = aws("rds", moto, STANDBY)
    if promoted:
        west.create_db_instance(
            DBInstanceIdentifier=STANDBY_REPLICA,
            Engine="postgres",
            DBInstanceClass="db.r6g.large",
            MasterUsername="phoenix",
            MasterUserPassword="not-a-secret-1",
            AllocatedStorage=20,
        )
    else:
        source = aws("rds", moto).describe_db_instances(DBInstanceIdentifier="app-db")
        west.create_db_instance_read_replica(
            DBInstanceIdentifier=STANDBY_REPLICA,
            SourceDBInstanceIdentifier=source["DBInstances"][0]["DBInstanceArn"],
            DBInstanceClass="db.r6g.large",
        )
    put_lag(moto, STANDBY_REPLICA, 4, STANDBY)
    eks = aws("eks", moto, STANDBY)
    role = "arn:aws:iam::123456789012:role/eks"
    eks.create_cluster(
        name=STANDBY_CLUSTER, roleArn=role, resourcesVpcConfig={"subnetIds": ["subnet-1"]}
    )
    size = 3 if promoted else 0
    eks.create_nodegroup(
        clusterName=STANDBY_CLUSTER,
        nodegroupName=NODE_GROUP,
        nodeRole=role,
        subnets=["subnet-1"],
        scalingConfig={"minSize": 0, "maxSize": 3 if promoted else 2, "desiredSize": size},
    )
    roles = ("SECONDARY", "PRIMARY") if promoted else ("PRIMARY", "SECONDARY")
    aws("route53", moto).change_resource_record_sets(
        HostedZoneId=zone_id,
        ChangeBatch={
            "Changes": [
                {
                    "Action": "CREATE",
                    "ResourceRecordSet": {
                        "Name": REGION_DOMAIN,
                        "Type": "A",
                        "SetIdentifier": ident,
                        "Failover": role,
                        "TTL": 60,
                        "ResourceRecords": [{"Value": value}],
                    },
                }
                for ident, role, value in (
                    ("east", roles[0], "192.0.2.30"),
                    ("west", roles[1], "192.0.2.40"),
                )
            ]
        },
    )


def failover_roles(world: World, name: str) -> dict[str, str]:
    """Set identifier -> failover role of the Route 53 records of ``name``."""
    answer = aws("route53", world.moto).list_resource_record_sets(HostedZoneId=world.zone_id)
    return {
        r["SetIdentifier"]: r["Failover"]
        for r in answer["ResourceRecordSets"]
        if r.get("SetIdentifier") and r["Name"].rstrip(".") == name
    }


def node_group_size(world: World) -> tuple[int, int, int, str]:
    """(min, max, desired, status) of the standby node group, as EKS describes it."""
    raw = aws("eks", world.moto, STANDBY).describe_nodegroup(
        clusterName=STANDBY_CLUSTER, nodegroupName=NODE_GROUP
    )["nodegroup"]
    c = raw["scalingConfig"]
    return c["minSize"], c["maxSize"], c["desiredSize"], raw["status"]


def replicas(world: World, namespace: str) -> dict[str, int]:
    """Deployment -> its desired replicas in ``namespace`` of the Kubernetes fake."""
    with world.kube.lock:
        return {
            name: d["spec"]["replicas"]
            for (ns, name), d in world.kube.deployments.items()
            if ns == namespace
        }


def put_lag(
    moto: Moto,
    instance: str,
    seconds: float,
    region: str = REGION,
    at: datetime | None = None,
) -> None:
    aws("cloudwatch", moto, region).put_metric_data(
        Namespace="AWS/RDS",
        MetricData=[
            {
                "MetricName": "ReplicaLag",
                "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": instance}],
                "Timestamp": at or datetime.now(UTC),
                "Value": seconds,
                "Unit": "Seconds",
            }
        ],
    )


def seed_azure(arm: ArmFake, kube: KubeFake) -> None:
    arm.add_database("dr-sql", "app", "S0")
    arm.add_profile(
        "phoenix",
        {
            "aws": {"target": "alb.example.com", "priority": 1},
            "azure": {"target": "dr.example.net", "priority": 2},
        },
    )
    kube.add_deployment("shop", "service-a", replicas=0)
    kube.add_deployment("shop", "service-b", replicas=0)
    kube.add_deployment("prod", "api", replicas=3)
    kube.add_deployment("prod", "worker", replicas=2)


@dataclass
class World:
    config: PhoenixConfig
    ports: CloudPorts
    moto: Moto
    azurite: Azurite
    arm: ArmFake
    kube: KubeFake
    receiver: WebhookReceiver
    jenkins: JenkinsFake
    container: str
    zone_id: str = ""
    service: Service | None = None


class Crash(BaseException):
    """The process died here (nothing may clean up)."""


@dataclass
class Context:
    """A ``StageContext`` for calling a stage directly: records progress; ``crash_after``
    progress reports it dies, as a killed process would."""

    ports: Ports
    run_id: str = "20260101-120000-abc123"
    stage: str = "stage"
    attempt: int = 1
    mode: RunMode = RunMode.LIVE
    crash_after: int | None = None
    reported: list[tuple[str, float | None]] = field(default_factory=list)
    cancelled: bool = False

    @property
    def idempotency_key(self) -> str:
        return idempotency_key(self.run_id, self.stage)

    def check(self) -> None:
        if self.cancelled:
            raise StageCancelled("stopped")

    def wait(self, seconds: float) -> None:
        self.check()
        time.sleep(min(seconds, 0.05))

    def progress(self, message: str, fraction: float | None = None) -> None:
        self.check()
        self.reported.append((message, fraction))
        if self.crash_after is not None and len(self.reported) >= self.crash_after:
            raise Crash(f"died after {len(self.reported)} progress reports")


def params(kind: str, data: dict[str, Any]) -> BaseModel:
    found = REGISTRY.get(kind)
    assert found is not None
    return found.parse(data)


def attempt(kind: str, data: dict[str, Any], ctx: Context) -> StageResult | str:
    """One attempt as the runner makes it: ``holds`` first, then ``run``."""
    found = REGISTRY.get(kind)
    assert found is not None
    parsed = found.parse(data)
    if found.implementation.holds(ctx, parsed):
        return "end state already held"
    result: StageResult | str = found.implementation.run(ctx, parsed)
    return result


def facts(result: StageResult | str) -> dict[str, Any]:
    assert isinstance(result, StageResult), result
    return dict(result.facts)

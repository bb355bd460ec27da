"""The simulated clouds: one in-memory AWS (EKS, RDS with a cross-cloud replica, S3, Route 53)
and one Azure (AKS, Azure SQL, Blob Storage, Traffic Manager), with fault injection.

The world holds state only; the adapters beside it (``ports``, ``signals``) read and change it
through the same ports and signal sources as the real SDK adapters, so a stage or the scorer
cannot tell the difference. Changes converge over ``convergence`` seconds of the world's clock,
as real control planes do, so stages must poll as they would in a cloud.

Faults are what a rehearsal breaks: replication lag, EKS nodes NotReady, a regional outage of
AWS, and a partition that cuts only the observer (the bot) off from AWS while the rest of the
internet still reaches it.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from engine.cloud_ports import TrafficEndpoint
from engine.errors import CloudNotFound, CloudUnavailable
from engine.ports import Clock
from engine.sql_objectives import ServiceObjective, service_objective

AWS, AZURE = "aws", "azure"
PRIMARY_ENDPOINT, DR_ENDPOINT = "aws-primary", "azure-dr"


@dataclass
class SimNode:
    name: str
    ready: bool = True
    schedulable: bool = True
    labels: dict[str, str] = field(default_factory=dict)


@dataclass
class SimDeployment:
    namespace: str
    name: str
    desired: int
    generation: int = 1
    changed_at: datetime | None = None
    """When the spec last changed: pods are ready ``convergence`` seconds later."""
    restarted_at: str | None = None
    failing: bool = False
    """Its pods crash (a bad state, a leak ...): none is ready until a restart replaces them."""
    image: str = ""
    """The image its pods run."""


@dataclass
class SimCluster:
    name: str
    cloud: str
    nodes: list[SimNode]
    deployments: dict[tuple[str, str], SimDeployment]
    node_group_desired: int = 0


@dataclass
class SimDatabase:
    identifier: str
    status: str
    engine: str
    replica_source: str | None
    endpoint: str
    promoted_at: datetime | None = None


@dataclass
class SimObject:
    body: bytes
    etag: str
    last_modified: datetime
    metadata: dict[str, str]
    content_type: str | None


@dataclass
class SimBucket:
    name: str
    cloud: str
    objects: dict[str, SimObject] = field(default_factory=dict)


@dataclass
class SimSql:
    """The DR database: at ``objective``; while a change is in flight (it stays Online, as in
    Azure), ``requested`` is where it goes, reached at ``scaling_until``."""

    server: str
    database: str
    objective: ServiceObjective
    requested: ServiceObjective | None = None
    scaling_until: datetime | None = None
    failover_group: str = "phoenix-fog"
    role: str = "Secondary"
    replication_state: str = "CATCH_UP"

    def settle(self, now: datetime) -> None:
        if self.requested is not None and self.scaling_until and now >= self.scaling_until:
            self.objective, self.requested, self.scaling_until = self.requested, None, None


@dataclass
class SimRecord:
    set_identifier: str
    role: str
    value: str
    health_check_id: str | None = None


@dataclass
class SimFaults:
    replica_lag: float = 4.0
    """Seconds the replica feeding the DR side lags behind."""
    nodes_not_ready: int = 0
    """EKS nodes whose Ready condition is False."""
    aws_outage: bool = False
    """The primary region's compute is down: its EKS cluster (nodes, pods, Kubernetes API),
    the services behind its load balancer and the RDS control plane answer no one. S3 and
    CloudWatch, regional services of their own, still answer (see ``aws_reachable``)."""
    partition: bool = False
    """The observer (the bot) cannot reach AWS; the rest of the internet can."""
    dr_endpoint_disabled: bool = False
    """Someone disabled the DR endpoint in Traffic Manager."""
    release_not_on_dr: bool = False
    """The primary runs a new release whose images never reached the DR side."""
    geo_link_broken: bool = False
    """The Azure SQL failover group stopped replicating (``SUSPENDED``)."""
    blob_throttled: bool = False
    """The DR container refuses writes (Blob Storage throttling it): copies to it fail."""


@dataclass(frozen=True)
class Topology:
    """Names of the simulated resources (what a sandbox phoenix.yaml refers to)."""

    region: str = "us-east-1"
    dr_region: str = "eastus2"
    eks: str = "prod-eks"
    aks: str = "dr-aks"
    node_group: str = "prod-nodes"
    namespace: str = "prod"
    services: tuple[str, ...] = ("service-a", "service-b")
    primary_db: str = "app-db"
    replica_db: str = "app-db-replica"
    bucket: str = "app-assets"
    blob_account: str = "phoenixdr"
    container: str = "app-assets"
    sql_server: str = "phoenix-dr-sql"
    sql_database: str = "app"
    traffic_profile: str = "phoenix-tm"
    zone_id: str = "Z0SANDBOX"
    record: str = "app.example.com."
    health_check_id: str = "11111111-2222-3333-4444-555555555555"
    primary_registry: str = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
    dr_registry: str = "phoenixdr.azurecr.io"
    release: str = "1.4.2"


class SimWorld:
    """The state of both clouds, guarded by one lock. Thread-safe."""

    def __init__(
        self,
        clock: Clock,
        topology: Topology | None = None,
        *,
        convergence: float = 1.0,
        eks_nodes: int = 3,
        objects: int = 12,
    ) -> None:
        self.clock = clock
        self.topology = top = topology or Topology()
        self.convergence = timedelta(seconds=convergence)
        self.lock = threading.RLock()
        self.faults = SimFaults()
        self.version = 0
        self._listeners: list[Callable[[], None]] = []
        now = clock.now()
        self.eks = SimCluster(
            top.eks,
            AWS,
            [
                SimNode(f"ip-10-0-{i}-1.ec2.internal", labels={"role": "app"})
                for i in range(eks_nodes)
            ],
            {
                (top.namespace, s): SimDeployment(
                    top.namespace,
                    s,
                    2,
                    image=image(top.primary_registry, top.namespace, s, top.release),
                )
                for s in top.services
            },
            node_group_desired=eks_nodes,
        )
        self.aks = SimCluster(
            top.aks,
            AZURE,
            [SimNode(f"aks-dr-{i}", labels={"role": "app"}) for i in range(1)],
            {
                (top.namespace, s): SimDeployment(
                    top.namespace, s, 0, image=image(top.dr_registry, top.namespace, s, top.release)
                )
                for s in top.services
            },
        )
        self.databases = {
            top.primary_db: SimDatabase(
                top.primary_db, "available", "postgres", None, f"{top.primary_db}.rds.sim"
            ),
            top.replica_db: SimDatabase(
                top.replica_db, "available", "postgres", top.primary_db, f"{top.replica_db}.rds.sim"
            ),
        }
        self.s3 = SimBucket(top.bucket, AWS)
        self.blob = SimBucket(top.container, AZURE)
        for index in range(objects):
            body = f"asset {index}\n".encode() * (index + 1)
            key = f"assets/file-{index:03d}.txt"
            self.s3.objects[key] = make_object(body, now, {}, "text/plain")
            if index < objects - 2:
                self.blob.objects[key] = make_object(body, now, {}, "text/plain")
        self.sql = SimSql(top.sql_server, top.sql_database, service_objective("S0"))
        self.traffic: dict[str, TrafficEndpoint] = {
            PRIMARY_ENDPOINT: TrafficEndpoint(
                PRIMARY_ENDPOINT, "ExternalEndpoints", "alb.us-east-1.sim", 1, True
            ),
            DR_ENDPOINT: TrafficEndpoint(
                DR_ENDPOINT, "AzureEndpoints", "dr-aks.eastus2.sim", 2, True
            ),
        }
        self.records = [
            SimRecord("aws", "PRIMARY", "alb.us-east-1.sim", top.health_check_id),
            SimRecord("azure", "SECONDARY", "phoenix-tm.trafficmanager.net"),
        ]
        self.webhooks: list[tuple[str, str, dict[str, object]]] = []

    # ------------------------------------------------------------------ change notification

    def subscribe(self, listener: Callable[[], None]) -> None:
        """``listener`` is called (outside the lock) after every change."""
        self._listeners.append(listener)

    def changed(self) -> None:
        with self.lock:
            self.version += 1
        for listener in list(self._listeners):
            listener()

    # ------------------------------------------------------------------ reachability

    def aws_reachable(self, what: str, *, outlives_outage: bool = False) -> None:
        """Raise ``CloudUnavailable`` when the observer cannot reach AWS: a partition cuts
        every API; a regional outage every API but those that ``outlive`` it (S3 and
        CloudWatch, which a compute outage of the region leaves answering)."""
        with self.lock:
            faults = self.faults
            if faults.aws_outage and not outlives_outage:
                raise CloudUnavailable(
                    f"{what}: AWS {self.topology.region} does not answer (regional outage)"
                )
            if faults.partition:
                raise CloudUnavailable(f"{what}: connect timeout to AWS {self.topology.region}")

    def serving_side(self) -> str | None:
        """Where Traffic Manager sends users: the enabled endpoint of the lowest priority."""
        with self.lock:
            live = [e for e in self.traffic.values() if e.enabled and e.priority is not None]
            if not live:
                return None
            best = min(live, key=lambda e: e.priority or 0)
            return AWS if best.name == PRIMARY_ENDPOINT else AZURE

    # ------------------------------------------------------------------ derived state

    def ready_replicas(self, cluster: SimCluster, deployment: SimDeployment) -> int:
        with self.lock:
            if cluster.cloud == AWS and self.faults.aws_outage:
                return 0
            if deployment.failing:
                return 0
            ready_nodes = self.ready_nodes(cluster)
            if not ready_nodes:
                return 0
            settled = (
                deployment.changed_at is None
                or self.clock.now() - deployment.changed_at >= self.convergence
            )
            return deployment.desired if settled else 0

    def ready_nodes(self, cluster: SimCluster) -> int:
        with self.lock:
            if cluster.cloud == AWS and self.faults.aws_outage:
                return 0
            return sum(1 for n in cluster.nodes if n.ready)

    def azure_serves(self) -> bool:
        """Whether the DR side would answer users: every service has ready pods on AKS."""
        with self.lock:
            return all(self.ready_replicas(self.aks, d) > 0 for d in self.aks.deployments.values())

    def replica_lag(self) -> float:
        with self.lock:
            replica = self.databases[self.topology.replica_db]
            return 0.0 if replica.replica_source is None else self.faults.replica_lag

    def cluster(self, name: str) -> SimCluster:
        for cluster in (self.eks, self.aks):
            if cluster.name == name:
                return cluster
        raise CloudNotFound(f"no cluster {name!r}", resource=name)

    # ------------------------------------------------------------------ faults

    def set_replica_lag(self, seconds: float) -> None:
        with self.lock:
            self.faults.replica_lag = max(0.0, seconds)
        self.changed()

    def set_nodes_not_ready(self, count: int) -> None:
        with self.lock:
            count = max(0, min(count, len(self.eks.nodes)))
            self.faults.nodes_not_ready = count
            for index, node in enumerate(self.eks.nodes):
                node.ready = index >= count
        self.changed()

    def set_pods_failing(self, service: str, failing: bool) -> None:
        """The pods of ``service`` on EKS crash (or stop crashing): until a restart replaces
        them, none is ready."""
        with self.lock:
            deployment = self.eks.deployments.get((self.topology.namespace, service))
            if deployment is None:
                where = f"no deployment {service!r} on {self.eks.name}"
                raise CloudNotFound(where, resource=service)
            deployment.failing = failing
        self.changed()

    def pods_failing(self, service: str) -> bool:
        with self.lock:
            deployment = self.eks.deployments.get((self.topology.namespace, service))
            return deployment is not None and deployment.failing

    def set_aws_outage(self, down: bool) -> None:
        with self.lock:
            self.faults.aws_outage = down
        self.changed()

    def set_partition(self, cut: bool) -> None:
        with self.lock:
            self.faults.partition = cut
        self.changed()

    def set_dr_endpoint_disabled(self, disabled: bool) -> None:
        """Someone disables (or enables again) the DR endpoint in Traffic Manager."""
        with self.lock:
            self.faults.dr_endpoint_disabled = disabled
            current = self.traffic[DR_ENDPOINT]
            self.traffic[DR_ENDPOINT] = replace(current, enabled=not disabled)
        self.changed()

    def set_release_not_on_dr(self, missing: bool) -> None:
        """The primary rolls out a new release whose images never reached the DR side's
        registry (or rolls back to the release the DR side has)."""
        top = self.topology
        release = f"{top.release}-hotfix" if missing else top.release
        with self.lock:
            self.faults.release_not_on_dr = missing
            for deployment in self.eks.deployments.values():
                deployment.image = image(
                    top.primary_registry, top.namespace, deployment.name, release
                )
        self.changed()

    def set_geo_link_broken(self, broken: bool) -> None:
        with self.lock:
            self.faults.geo_link_broken = broken
            self.sql.replication_state = "SUSPENDED" if broken else "CATCH_UP"
        self.changed()

    def write_to_s3(self, count: int, age: timedelta) -> None:
        """``count`` new objects in S3, written ``age`` ago (the DR side has not copied them)."""
        at = self.clock.now() - age
        with self.lock:
            start = len(self.s3.objects)
            for index in range(start, start + count):
                body = f"new asset {index}\n".encode() * 64
                key = f"assets/new-{index:05d}.txt"
                self.s3.objects[key] = make_object(body, at, {}, "text/plain")
        self.changed()

    def set_blob_throttled(self, throttled: bool) -> None:
        with self.lock:
            self.faults.blob_throttled = throttled
        self.changed()

    def blob_writable(self, what: str) -> None:
        """Raise ``CloudUnavailable`` as a throttled container answers a write (503)."""
        with self.lock:
            if self.faults.blob_throttled:
                raise CloudUnavailable(f"{what}: Blob Storage answered 503 ServerBusy")

    def restore(self) -> None:
        """Clear every fault (what was failed over stays failed over; objects written to S3
        stay until a sync copies them)."""
        if self.faults.release_not_on_dr:
            self.set_release_not_on_dr(False)
        if self.faults.dr_endpoint_disabled:
            self.set_dr_endpoint_disabled(False)
        with self.lock:
            self.faults = SimFaults()
            self.sql.replication_state = "CATCH_UP"
            for node in self.eks.nodes:
                node.ready = True
            for deployment in self.eks.deployments.values():
                deployment.failing = False
        self.changed()

    # ------------------------------------------------------------------ a view for people

    def snapshot(self) -> dict[str, object]:
        """The world as JSON-ready data, for the sandbox page."""
        with self.lock:
            faults = self.faults
            return {
                "version": self.version,
                "faults": {
                    "replica_lag": faults.replica_lag,
                    "nodes_not_ready": faults.nodes_not_ready,
                    "aws_outage": faults.aws_outage,
                    "partition": faults.partition,
                    "dr_endpoint_disabled": faults.dr_endpoint_disabled,
                    "release_not_on_dr": faults.release_not_on_dr,
                    "geo_link_broken": faults.geo_link_broken,
                    "blob_throttled": faults.blob_throttled,
                },
                "serving": self.serving_side(),
                "eks": _cluster_view(self, self.eks),
                "aks": _cluster_view(self, self.aks),
                "replica": {
                    "lag_seconds": self.replica_lag(),
                    "promoted": self.databases[self.topology.replica_db].replica_source is None,
                },
                "objects": {"s3": len(self.s3.objects), "blob": len(self.blob.objects)},
                "sql": {
                    "sku": self.sql.objective.name,
                    "role": self.sql.role,
                    "replication": self.sql.replication_state,
                },
                "traffic": [
                    {"name": e.name, "priority": e.priority, "enabled": e.enabled}
                    for e in self.traffic.values()
                ],
                "webhooks": [event for _, event, _ in self.webhooks],
            }


def _cluster_view(world: SimWorld, cluster: SimCluster) -> dict[str, object]:
    return {
        "name": cluster.name,
        "nodes_ready": world.ready_nodes(cluster),
        "nodes": len(cluster.nodes),
        "deployments": {
            d.name: f"{world.ready_replicas(cluster, d)}/{d.desired}"
            for d in cluster.deployments.values()
        },
    }


def image(registry: str, namespace: str, service: str, release: str) -> str:
    """A service's image reference in a registry, as the deployments of the world name it."""
    return f"{registry}/{namespace}/{service}:{release}"


def make_object(
    body: bytes, at: datetime, metadata: dict[str, str], content_type: str | None
) -> SimObject:
    etag = hashlib.md5(body, usedforsecurity=False).hexdigest()
    return SimObject(body, etag, at, dict(metadata), content_type)

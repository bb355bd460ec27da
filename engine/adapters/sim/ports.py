"""The cloud ports over the simulated world: what the real boto3 and Azure adapters do, on
``SimWorld`` state. Calls to AWS fail with ``CloudUnavailable`` while the observer cannot
reach it (a regional outage, or a partition), exactly as a timed-out SDK call would."""

from __future__ import annotations

import itertools
import time
from collections.abc import Collection, Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from engine.adapters.sim.world import (
    AWS,
    PRIMARY_ENDPOINT,
    SimBucket,
    SimCluster,
    SimNode,
    SimSql,
    SimWorld,
    make_object,
)
from engine.cloud_ports import (
    BuildServer,
    Cluster,
    DatabaseInstance,
    Delivery,
    DeploymentState,
    DnsFailover,
    FailoverGroupState,
    FailoverRecord,
    Identity,
    JenkinsBuild,
    NodeGroups,
    NodeGroupState,
    NodeState,
    ObjectInfo,
    ObjectStore,
    PendingOperation,
    QueuedBuild,
    ReplicaDatabase,
    ReplicaLag,
    ReplicationLagSource,
    SqlDatabase,
    SqlDatabaseState,
    SqlSku,
    StuckPod,
    TrafficEndpoint,
    TrafficProfile,
    TrafficRouter,
    WebhookSender,
)
from engine.errors import CloudNotFound, CloudRejected, CloudUnavailable
from engine.sql_objectives import ServiceObjective, same_objective

# ----------------------------------------------------------------------------- long operations


class SimOperation:
    """Done once the world's clock passes ``done_at``."""

    def __init__(self, world: SimWorld, description: str, done_at: datetime) -> None:
        self._world = world
        self._description = description
        self._done_at = done_at

    @property
    def description(self) -> str:
        return self._description

    def wait(self, seconds: float) -> bool:
        remaining = (self._done_at - self._world.clock.now()).total_seconds()
        if remaining <= 0:
            return True
        # The sandbox runs on the wall clock; waiting is real (cooperative, short).
        time.sleep(min(seconds, remaining))
        return self._world.clock.now() >= self._done_at


# ----------------------------------------------------------------------------- object stores


class _Reader:
    def __init__(self, info: ObjectInfo, body: bytes, chunk: int) -> None:
        self._info = info
        self._body = body
        self._chunk = chunk

    @property
    def info(self) -> ObjectInfo:
        return self._info

    def chunks(self) -> Iterator[bytes]:
        for start in range(0, len(self._body), self._chunk):
            yield self._body[start : start + self._chunk]

    def close(self) -> None:
        return None


class _Writer:
    def __init__(self, store: SimObjectStore, key: str, content_type: str | None) -> None:
        self._store = store
        self._key = key
        self._content_type = content_type
        self._parts: list[bytes] = []
        self._aborted = False

    def write(self, chunk: bytes) -> None:
        self._parts.append(bytes(chunk))

    def commit(self, metadata: Mapping[str, str]) -> ObjectInfo:
        if self._aborted:
            raise CloudRejected(f"{self._store.name}/{self._key}: the write was aborted")
        return self._store.put(self._key, b"".join(self._parts), metadata, self._content_type)

    def abort(self) -> None:
        self._aborted = True
        self._parts.clear()


class SimObjectStore:
    """An S3 bucket or a Blob container of the world."""

    def __init__(self, world: SimWorld, bucket: SimBucket, name: str, chunk: int = 64 * 1024):
        self._world = world
        self._bucket = bucket
        self._name = name
        self._chunk = chunk

    @property
    def name(self) -> str:
        return self._name

    @property
    def lists_metadata(self) -> bool:
        return self._bucket.cloud != AWS

    @property
    def copies_from_url(self) -> bool:
        return False

    def _reach(self) -> None:
        if self._bucket.cloud == AWS:
            self._world.aws_reachable(self._name, outlives_outage=True)

    def _info(self, key: str, with_metadata: bool = True) -> ObjectInfo | None:
        found = self._bucket.objects.get(key)
        if found is None:
            return None
        return ObjectInfo(
            key,
            len(found.body),
            found.etag,
            found.last_modified,
            dict(found.metadata) if with_metadata else None,
            found.etag if self._bucket.cloud != AWS else None,
            found.content_type,
        )

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        self._reach()
        with self._world.lock:
            keys = sorted(k for k in self._bucket.objects if k.startswith(prefix))
            infos = [self._info(k, self.lists_metadata) for k in keys]
        yield from (i for i in infos if i is not None)

    def head(self, key: str) -> ObjectInfo | None:
        self._reach()
        with self._world.lock:
            return self._info(key)

    def store_time(self) -> datetime:
        self._reach()
        return self._world.clock.now()

    def open(self, key: str) -> _Reader:
        self._reach()
        with self._world.lock:
            info = self._info(key)
            if info is None:
                raise CloudNotFound(f"{self._name}/{key} does not exist", resource=key)
            body = self._bucket.objects[key].body
        return _Reader(info, body, self._chunk)

    def writer(self, key: str, *, content_type: str | None = None) -> _Writer:
        self._reach()
        return _Writer(self, key, content_type)

    def put(
        self, key: str, body: bytes, metadata: Mapping[str, str], content_type: str | None
    ) -> ObjectInfo:
        self._reach()
        if self._bucket.cloud != AWS:
            self._world.blob_writable(f"{self._name}/{key}")
        with self._world.lock:
            self._bucket.objects[key] = make_object(
                body, self._world.clock.now(), dict(metadata), content_type
            )
            info = self._info(key)
        self._world.changed()
        assert info is not None
        return info

    def delete(self, key: str) -> None:
        self._reach()
        with self._world.lock:
            self._bucket.objects.pop(key, None)
        self._world.changed()

    def signed_url(self, key: str, expires: timedelta) -> str | None:
        return None

    def copy_from_url(
        self, key: str, url: str, *, size: int, metadata: Mapping[str, str]
    ) -> ObjectInfo:
        raise CloudRejected(f"{self._name} cannot copy from a URL")


# ----------------------------------------------------------------------------- AWS


class SimRds:
    """``ReplicaDatabase`` and ``ReplicationLagSource`` of the world's RDS."""

    def __init__(self, world: SimWorld) -> None:
        self._world = world

    def describe(self, instance: str) -> DatabaseInstance:
        self._world.aws_reachable(f"RDS {instance}")
        with self._world.lock:
            db = self._world.databases.get(instance)
            if db is None:
                raise CloudNotFound(f"no RDS instance {instance!r}", resource=instance)
            if db.promoted_at is not None:
                settled = self._world.clock.now() - db.promoted_at >= self._world.convergence
                db.status = "available" if settled else "modifying"
            replicas = tuple(
                d.identifier for d in self._world.databases.values() if d.replica_source == instance
            )
            return DatabaseInstance(
                db.identifier, db.status, db.engine, db.replica_source, replicas, db.endpoint
            )

    def promote(self, instance: str) -> bool:
        self.describe(instance)
        with self._world.lock:
            db = self._world.databases[instance]
            if db.replica_source is None:
                return False
            db.replica_source = None
            db.status = "modifying"
            db.promoted_at = self._world.clock.now()
        self._world.changed()
        return True

    def replica_lag(self, instance: str, lookback: timedelta) -> ReplicaLag | None:
        self._world.aws_reachable(f"CloudWatch ReplicaLag of {instance}", outlives_outage=True)
        with self._world.lock:
            if instance not in self._world.databases:
                return None
            return ReplicaLag(self._world.replica_lag(), self._world.clock.now())


class SimRoute53:
    """``DnsFailover`` of the world's one failover record."""

    def __init__(self, world: SimWorld) -> None:
        self._world = world

    def records(self, zone_id: str, name: str, record_type: str) -> list[FailoverRecord]:
        self._check(zone_id, name)
        with self._world.lock:
            return [
                FailoverRecord(
                    r.set_identifier,
                    "PRIMARY" if r.role == "PRIMARY" else "SECONDARY",
                    (r.value,),
                    60,
                    r.health_check_id,
                )
                for r in self._world.records
            ]

    def make_primary(
        self, zone_id: str, name: str, record_type: str, set_identifier: str
    ) -> PendingOperation | None:
        self._check(zone_id, name)
        with self._world.lock:
            records = self._world.records
            if not any(r.set_identifier == set_identifier for r in records):
                raise CloudNotFound(f"no record {set_identifier!r}", resource=set_identifier)
            for record in records:
                if record.set_identifier == set_identifier and record.role == "PRIMARY":
                    return None
            for record in records:
                record.role = "PRIMARY" if record.set_identifier == set_identifier else "SECONDARY"
            done = self._world.clock.now() + self._world.convergence
        self._world.changed()
        return SimOperation(self._world, f"Route 53 change of {name}", done)

    def _check(self, zone_id: str, name: str) -> None:
        # Route 53 is global: a regional outage does not take it away, a partition does not.
        top = self._world.topology
        if zone_id != top.zone_id or name.rstrip(".") != top.record.rstrip("."):
            raise CloudNotFound(f"no record {name} in zone {zone_id}", resource=name)


class SimNodeGroups:
    """``NodeGroups`` of the world's EKS cluster."""

    def __init__(self, world: SimWorld) -> None:
        self._world = world

    def node_group(self, cluster: str, name: str) -> NodeGroupState:
        self._world.aws_reachable(f"EKS node group {name}")
        group = self._group(cluster, name)
        with self._world.lock:
            return NodeGroupState(
                cluster, name, "ACTIVE", 0, max(group.node_group_desired, 10), len(group.nodes)
            )

    def scale_node_group(
        self,
        cluster: str,
        name: str,
        desired: int,
        *,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> bool:
        self._world.aws_reachable(f"EKS node group {name}")
        group = self._group(cluster, name)
        with self._world.lock:
            if len(group.nodes) == desired:
                return False
            _resize(group, desired, prefix="ip-10-0-")
        self._world.changed()
        return True

    def _group(self, cluster: str, name: str) -> SimCluster:
        found = self._world.cluster(cluster)
        if name != self._world.topology.node_group and found.cloud == AWS:
            raise CloudNotFound(f"no node group {name!r} in {cluster}", resource=name)
        return found


def _resize(cluster: SimCluster, desired: int, *, prefix: str) -> None:
    while len(cluster.nodes) < desired:
        cluster.nodes.append(SimNode(f"{prefix}{len(cluster.nodes)}", labels={"role": "app"}))
    del cluster.nodes[desired:]
    cluster.node_group_desired = desired


# ----------------------------------------------------------------------------- Kubernetes


class SimKubernetes:
    """``Cluster`` over one of the world's clusters (EKS or AKS)."""

    def __init__(self, world: SimWorld, name: str) -> None:
        self._world = world
        self._name = name

    def _cluster(self) -> SimCluster:
        cluster = self._world.cluster(self._name)
        if cluster.cloud == AWS:
            self._world.aws_reachable(f"the Kubernetes API of {self._name}")
        return cluster

    def _state(self, cluster: SimCluster, namespace: str, name: str) -> DeploymentState:
        deployment = cluster.deployments.get((namespace, name))
        if deployment is None:
            raise CloudNotFound(f"no deployment {namespace}/{name}", resource=name)
        ready = self._world.ready_replicas(cluster, deployment)
        return DeploymentState(
            namespace,
            name,
            deployment.desired,
            ready,
            ready,
            ready,
            deployment.desired if ready == deployment.desired else ready,
            deployment.generation,
            deployment.generation,
            deployment.restarted_at,
            images=(deployment.image,) if deployment.image else (),
        )

    def deployments(self, namespace: str, selector: str | None = None) -> list[DeploymentState]:
        cluster = self._cluster()
        with self._world.lock:
            return [
                self._state(cluster, ns, name)
                for ns, name in sorted(cluster.deployments)
                if ns == namespace
            ]

    def deployment(self, namespace: str, name: str) -> DeploymentState:
        cluster = self._cluster()
        with self._world.lock:
            return self._state(cluster, namespace, name)

    def scale(self, namespace: str, name: str, replicas: int) -> bool:
        cluster = self._cluster()
        with self._world.lock:
            self._state(cluster, namespace, name)
            deployment = cluster.deployments[(namespace, name)]
            if deployment.desired == replicas:
                return False
            deployment.desired = replicas
            deployment.changed_at = self._world.clock.now()
        self._world.changed()
        return True

    def restart(self, namespace: str, name: str, at: datetime) -> bool:
        """``kubectl rollout restart``: new pods replace the old (crashing ones too); the
        ``restartedAt`` stamp is written as kubectl writes it."""
        cluster = self._cluster()
        stamp = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        with self._world.lock:
            self._state(cluster, namespace, name)
            deployment = cluster.deployments[(namespace, name)]
            if deployment.restarted_at == stamp:
                return False
            deployment.restarted_at = stamp
            deployment.generation += 1
            deployment.failing = False
            deployment.changed_at = self._world.clock.now()
        self._world.changed()
        return True

    def stuck_pods(self, namespace: str, name: str) -> list[StuckPod]:
        """With no Ready node, a deployment's pods that are not ready wait for one, as the
        scheduler reports them (Pending, ``Unschedulable``)."""
        cluster = self._cluster()
        with self._world.lock:
            state = self._state(cluster, namespace, name)
            total = len(cluster.nodes)
            if self._world.ready_nodes(cluster) or state.ready >= state.desired:
                return []
            message = (
                f"0/{total} nodes are available: {total} node(s) had untolerated taint "
                "{node.kubernetes.io/not-ready: }."
            )
            return [
                StuckPod(f"{name}-{index}", "unschedulable", "Unschedulable", message)
                for index in range(state.desired - state.ready)
            ]

    def nodes(self) -> list[NodeState]:
        cluster = self._cluster()
        with self._world.lock:
            return [
                NodeState(n.name, n.ready, n.schedulable, dict(n.labels)) for n in cluster.nodes
            ]


# ----------------------------------------------------------------------------- Azure


class SimTrafficManager:
    """``TrafficRouter`` of the world's one Traffic Manager profile (priority routing)."""

    def __init__(self, world: SimWorld) -> None:
        self._world = world

    def profile(self, profile: str) -> TrafficProfile:
        self._check(profile)
        with self._world.lock:
            endpoints = tuple(
                TrafficEndpoint(
                    e.name,
                    e.endpoint_type,
                    e.target,
                    e.priority,
                    e.enabled,
                    self._monitor(e.name, e.enabled),
                )
                for e in self._world.traffic.values()
            )
        return TrafficProfile(profile, "Priority", f"{profile}.trafficmanager.net", endpoints)

    def _monitor(self, name: str, enabled: bool) -> str:
        if not enabled:
            return "Disabled"
        if name == PRIMARY_ENDPOINT:
            return "Degraded" if self._world.faults.aws_outage else "Online"
        return "Online" if self._world.azure_serves() else "Degraded"

    def set_endpoint(
        self,
        profile: str,
        endpoint: str,
        *,
        priority: int | None = None,
        enabled: bool | None = None,
    ) -> bool:
        self._check(profile)
        with self._world.lock:
            current = self._world.traffic.get(endpoint)
            if current is None:
                raise CloudNotFound(f"no endpoint {endpoint!r} in {profile}", resource=endpoint)
            wanted = replace(
                current,
                priority=current.priority if priority is None else priority,
                enabled=current.enabled if enabled is None else enabled,
            )
            if wanted == current:
                return False
            clash = next(
                (
                    e.name
                    for e in self._world.traffic.values()
                    if e.name != endpoint and priority is not None and e.priority == priority
                ),
                None,
            )
            if clash is not None:
                # As Traffic Manager answers it (400): no two endpoints share a priority.
                raise CloudRejected(
                    f"Traffic Manager refused priority {priority} for {endpoint}: {clash} holds it"
                )
            self._world.traffic[endpoint] = wanted
        self._world.changed()
        return True

    def _check(self, profile: str) -> None:
        if profile != self._world.topology.traffic_profile:
            raise CloudNotFound(f"no Traffic Manager profile {profile!r}", resource=profile)


class SimAzureSql:
    """``SqlDatabase`` of the world's Azure SQL database and failover group."""

    def __init__(self, world: SimWorld) -> None:
        self._world = world

    def database(self, server: str, database: str) -> SqlDatabaseState:
        sql = self._check(server, database)
        with self._world.lock:
            sql.settle(self._world.clock.now())
            at = sql.objective
            return SqlDatabaseState(
                server,
                database,
                "Online",
                at.name,
                SqlSku(at.sku_name, at.tier, at.capacity, at.family),
                sql.requested.name if sql.requested else at.name,
            )

    def scale(
        self, server: str, database: str, objective: ServiceObjective
    ) -> PendingOperation | None:
        sql = self._check(server, database)
        with self._world.lock:
            sql.settle(self._world.clock.now())
            if sql.requested is None and same_objective(sql.objective.name, objective.name):
                return None
            if sql.requested is None:
                sql.requested = objective
                sql.scaling_until = self._world.clock.now() + self._world.convergence
            elif not same_objective(sql.requested.name, objective.name):
                # As Azure answers a second update while one is in flight (409).
                raise CloudUnavailable(
                    f"{database} is changing to {sql.requested.name}: wait for it, then scale"
                )
            done = sql.scaling_until
        self._world.changed()
        assert done is not None
        return SimOperation(self._world, f"scale {database} to {objective}", done)

    def failover_group(self, server: str, group: str) -> FailoverGroupState:
        sql = self._check(server, None)
        if group != sql.failover_group:
            raise CloudNotFound(f"no failover group {group!r}", resource=group)
        with self._world.lock:
            return FailoverGroupState(
                group,
                server,
                sql.role,
                ("rds-bridge",),
                (sql.database,),
                replication_state=sql.replication_state,
            )

    def failover(
        self, server: str, group: str, *, allow_data_loss: bool = False
    ) -> PendingOperation | None:
        self.failover_group(server, group)
        with self._world.lock:
            sql = self._world.sql
            if sql.role == "Primary":
                return None
            sql.role = "Primary"
            done = self._world.clock.now() + self._world.convergence
        self._world.changed()
        return SimOperation(self._world, f"fail over {group} to {server}", done)

    def _check(self, server: str, database: str | None) -> SimSql:
        sql = self._world.sql
        if server != sql.server or (database is not None and database != sql.database):
            raise CloudNotFound(f"no database {server}/{database}", resource=str(database))
        return sql


# ----------------------------------------------------------------------------- identities


class SimIdentity:
    """``Identity`` of the bot in the world's AWS or Azure: AWS's answers while the observer
    can reach it (STS is global: a regional outage leaves it answering, a partition does not)."""

    def __init__(self, world: SimWorld, cloud: str) -> None:
        self._world = world
        self._cloud = cloud

    @property
    def service(self) -> str:
        return "AWS" if self._cloud == AWS else "Azure"

    def whoami(self) -> str:
        if self._cloud == AWS:
            self._world.aws_reachable("STS GetCallerIdentity", outlives_outage=True)
            return "arn:aws:sts::123456789012:assumed-role/cloudphoenix/sandbox"
        return "a Resource Manager token of the sandbox's managed identity"


# ----------------------------------------------------------------------------- notifications


class SimWebhook:
    """``WebhookSender``: records each notification once per delivery id."""

    def __init__(self, world: SimWorld) -> None:
        self._world = world

    def send(self, event: str, payload: Mapping[str, object], *, delivery_id: str) -> Delivery:
        with self._world.lock:
            if not any(d == delivery_id for d, _, _ in self._world.webhooks):
                self._world.webhooks.append((delivery_id, event, dict(payload)))
        self._world.changed()
        return Delivery(delivery_id, 200)


class SimJenkins:
    """``BuildServer``: every build succeeds at once."""

    def __init__(self) -> None:
        self._numbers = itertools.count(1)
        self._builds: list[tuple[JenkinsBuild, dict[str, str]]] = []

    def trigger(self, job: str, parameters: Mapping[str, str]) -> QueuedBuild:
        number = next(self._numbers)
        build = JenkinsBuild(job, number, f"sim://jenkins/{job}/{number}", False, "SUCCESS")
        self._builds.append((build, dict(parameters)))
        return QueuedBuild(job, f"sim://jenkins/queue/{number}")

    def undeclared_parameters(self, job: str, names: Collection[str]) -> list[str]:
        return []  # every simulated job declares whatever it is given

    def build_of(self, queued: QueuedBuild) -> JenkinsBuild | None:
        number = int(queued.queue_url.rsplit("/", 1)[-1])
        return self.build(queued.job, number)

    def build(self, job: str, number: int) -> JenkinsBuild:
        for build, _ in self._builds:
            if build.job == job and build.number == number:
                return build
        raise CloudNotFound(f"no build {job}#{number}", resource=job)

    def find_build(self, job: str, parameters: Mapping[str, str]) -> JenkinsBuild | None:
        for build, given in reversed(self._builds):
            if build.job == job and all(given.get(k) == v for k, v in parameters.items()):
                return build
        return None

    def find_queued(self, job: str, parameters: Mapping[str, str]) -> QueuedBuild | None:
        return None  # a simulated build leaves the queue at once


def _conforms(world: SimWorld) -> None:
    """Never called: mypy checks here that each sim adapter satisfies its port."""
    _objects: ObjectStore = SimObjectStore(world, world.s3, "s3://sim")
    _replicas: ReplicaDatabase = SimRds(world)
    _lag: ReplicationLagSource = SimRds(world)
    _dns: DnsFailover = SimRoute53(world)
    _traffic: TrafficRouter = SimTrafficManager(world)
    _sql: SqlDatabase = SimAzureSql(world)
    _cluster: Cluster = SimKubernetes(world, world.topology.eks)
    _groups: NodeGroups = SimNodeGroups(world)
    _webhook: WebhookSender = SimWebhook(world)
    _jenkins: BuildServer = SimJenkins()
    _identity: Identity = SimIdentity(world, AWS)

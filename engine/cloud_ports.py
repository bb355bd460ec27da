"""What recovery stages need from the clouds, as small Protocols in domain terms.

Adapters in ``engine.adapters`` implement them over the real SDKs; stages and the object sync
are written against these only. Every method raises an error of ``engine.errors`` (never an
SDK's): ``CloudUnavailable`` for throttling, timeouts and 5xx (retryable), and
``CloudAccessDenied`` / ``CloudNotFound`` / ``CloudRejected`` for what another attempt cannot
fix. Methods that change something first check whether the end state already holds and then
do nothing, so a retried or resumed stage never acts twice; they return whether they acted.
Waiting for a change to converge is the stage's job: ports offer a read to poll, or a
``PendingOperation`` to wait on cooperatively.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal, Protocol, runtime_checkable

from engine.sql_objectives import ServiceObjective, same_objective

# ----------------------------------------------------------------------------- object stores


@dataclass(frozen=True)
class ObjectInfo:
    """One object (an S3 object or a blob) as listed, read or written.

    ``etag`` is the store's version tag, without quotes: it changes whenever the object does,
    but it is not always a digest (S3 multipart and KMS objects, every Azure blob).
    ``metadata`` is ``None`` when the listing does not carry user metadata (S3): ask ``head``.
    ``md5`` is a digest of the body the store itself vouches for (Azure's Content-MD5, or an
    MD5 the store verified on upload), hex; ``None`` when it has none.
    """

    key: str
    size: int
    etag: str
    last_modified: datetime | None = None
    metadata: Mapping[str, str] | None = None
    md5: str | None = None
    content_type: str | None = None


class ObjectReader(Protocol):
    """A streaming read of one object: the body arrives in chunks, never whole."""

    @property
    def info(self) -> ObjectInfo:
        """The version being read (its size and etag come from the read, not the listing)."""
        ...

    def chunks(self) -> Iterator[bytes]:
        """The body, in chunks of at most the store's read chunk size."""
        ...

    def close(self) -> None: ...


class ObjectWriter(Protocol):
    """A streaming write of one object. Nothing is visible under the key before ``commit``."""

    def write(self, chunk: bytes) -> None: ...

    def commit(self, metadata: Mapping[str, str]) -> ObjectInfo:
        """Make the object visible with this user metadata (known only once the body is
        written, so it may hold the body's hash). Returns what the store recorded."""
        ...

    def abort(self) -> None:
        """Drop what was written (an unfinished multipart upload, staged blocks). Idempotent."""
        ...


class ObjectStore(Protocol):
    """A bucket or container: the unit an object sync reads from or writes to."""

    @property
    def name(self) -> str:
        """For messages and logs, e.g. ``s3://bucket`` or ``azure://account/container``."""
        ...

    @property
    def lists_metadata(self) -> bool:
        """Whether ``list`` fills ``ObjectInfo.metadata`` (else it is ``None``; use ``head``)."""
        ...

    @property
    def copies_from_url(self) -> bool:
        """Whether ``copy_from_url`` works here: the store pulls a body itself from a URL."""
        ...

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        """Every object whose key starts with ``prefix``, page by page (in no set order)."""
        ...

    def head(self, key: str) -> ObjectInfo | None:
        """One object with its metadata, or ``None`` if there is none under ``key``."""
        ...

    def open(self, key: str) -> ObjectReader:
        """Start reading ``key``; raises ``CloudNotFound`` if it does not exist."""
        ...

    def writer(self, key: str, *, content_type: str | None = None) -> ObjectWriter: ...

    def delete(self, key: str) -> None:
        """Delete ``key``; a key that is already gone is not an error."""
        ...

    def signed_url(self, key: str, expires: timedelta) -> str | None:
        """A URL another service can GET ``key`` from until ``expires``; ``None`` if this store
        cannot sign one."""
        ...

    def copy_from_url(
        self, key: str, url: str, *, size: int, metadata: Mapping[str, str]
    ) -> ObjectInfo:
        """Server-side copy: the store fetches ``url`` into ``key``. Only where
        ``copies_from_url``; otherwise ``CloudRejected``."""
        ...


@runtime_checkable
class StoreClock(Protocol):
    """The clock an object store stamps ``last_modified`` with."""

    def store_time(self) -> datetime:
        """What that clock reads now (e.g. the ``Date`` of a cheap request), so that a
        modification time may be compared with the store's own now, never with ours."""
        ...


@dataclass(frozen=True)
class ObjectChange:
    """A key a change feed says was written or removed: a hint to look at that key again,
    never the truth about it, since feeds deliver late, more than once and out of order."""

    key: str
    removed: bool = False
    etag: str = ""
    """The version written, as the notice names it (without quotes); empty if unknown."""
    size: int = 0
    at: datetime | None = None
    """When the source says the change happened (its own clock); None if the notice says not."""
    sequencer: str = ""
    """Orders the changes of one key (S3's hexadecimal ``sequencer``: the greater value is the
    later change, once the shorter is right-padded with zeros); empty if unknown."""

    def after(self, other: ObjectChange) -> bool:
        """Whether this change of a key happened after ``other`` as far as their sequencers
        tell; False when either has none."""
        if not (self.sequencer and other.sequencer):
            return False
        width = max(len(self.sequencer), len(other.sequencer))
        ours, theirs = (s.lower().ljust(width, "0") for s in (self.sequencer, other.sequencer))
        return ours > theirs


@dataclass(frozen=True)
class ChangeNotice:
    """One delivery of a change feed (an SQS message) and the changes it names."""

    receipt: str
    """The handle ``acknowledge`` takes it back by."""
    changes: tuple[ObjectChange, ...] = ()
    problem: str = ""
    """Why the notice could not be read, if it could not (it names no changes then)."""
    redelivered: bool = False
    """Whether the feed handed this notice out before: whoever received it then may have
    handled its changes already."""


class ChangeFeed(Protocol):
    """The changes of one bucket, as its own notifications report them (S3 Event
    Notifications delivered to an SQS queue)."""

    @property
    def name(self) -> str: ...

    def receive(self, limit: int, *, confirm: bool = True) -> list[ChangeNotice]:
        """Up to ``limit`` notices waiting now; fewer (or none) when the feed runs dry, which
        it is known to be only with ``confirm`` (without, the feed may answer early, before it
        has looked everywhere). A notice received stays hidden from other receivers for a
        while; unacknowledged, it is delivered again."""
        ...

    def acknowledge(self, notices: Sequence[ChangeNotice]) -> int:
        """Remove handled notices from the feed for good; returns how many could not be
        (those come back later, which is harmless: a notice is only a hint)."""
        ...


# ----------------------------------------------------------------------------- long-running work


class PendingOperation(Protocol):
    """A cloud operation that finishes later (an Azure LRO, a Route 53 change ...)."""

    @property
    def description(self) -> str: ...

    def wait(self, seconds: float) -> bool:
        """Wait up to ``seconds``; True once the operation has succeeded. Raises our error if
        it failed. A stage calls it in a loop, checking for cancellation in between."""
        ...


# ----------------------------------------------------------------------------- RDS


@dataclass(frozen=True)
class DatabaseInstance:
    """An RDS instance as ``describe`` sees it."""

    identifier: str
    status: str
    """RDS's word: ``available``, ``modifying``, ``backing-up`` ..."""
    engine: str
    replica_source: str | None
    """The source instance (id or ARN) while this is a read replica; ``None`` once standalone."""
    replicas: tuple[str, ...] = ()
    endpoint: str | None = None

    @property
    def is_replica(self) -> bool:
        return self.replica_source is not None


@dataclass(frozen=True)
class ReplicaLag:
    seconds: float
    at: datetime


class ReplicationLagSource(Protocol):
    def replica_lag(self, instance: str, lookback: timedelta) -> ReplicaLag | None:
        """The newest replica lag reading within ``lookback``; ``None`` if there is none."""
        ...


class ReplicaDatabase(Protocol):
    """A relational database with read replicas (RDS)."""

    def describe(self, instance: str) -> DatabaseInstance: ...

    def promote(self, instance: str) -> bool:
        """Promote a read replica to a standalone primary. False if it already is standalone.
        Promotion continues in the background: poll ``describe`` until it is available."""
        ...


# ----------------------------------------------------------------------------- DNS and traffic


@dataclass(frozen=True)
class FailoverRecord:
    """One Route 53 failover record of a name: PRIMARY serves while its health check passes."""

    set_identifier: str
    role: Literal["PRIMARY", "SECONDARY"]
    values: tuple[str, ...]
    """Record values, or the alias target's DNS name."""
    ttl: int | None = None
    health_check_id: str | None = None
    alias: bool = False


class DnsFailover(Protocol):
    """Route 53 failover routing for one record name and type."""

    def records(self, zone_id: str, name: str, record_type: str) -> list[FailoverRecord]: ...

    def make_primary(
        self, zone_id: str, name: str, record_type: str, set_identifier: str
    ) -> PendingOperation | None:
        """Swap roles so the record ``set_identifier`` is PRIMARY, in one atomic change.
        ``None`` if it already is; else the change, done once Route 53 reports INSYNC."""
        ...


@dataclass(frozen=True)
class TrafficEndpoint:
    """A Traffic Manager endpoint: with priority routing, the enabled, healthy endpoint of the
    lowest priority number takes the traffic."""

    name: str
    endpoint_type: str
    """``ExternalEndpoints``, ``AzureEndpoints`` or ``NestedEndpoints``."""
    target: str | None
    priority: int | None
    enabled: bool
    monitor_status: str | None = None
    """Traffic Manager's ``endpointMonitorStatus``: ``Online``; ``CheckingEndpoint`` until the
    first probe after enabling; ``Degraded`` (probes failing) and ``Stopped`` (nothing running
    behind it), which get no traffic whatever the priority; ``Disabled``; ``Inactive``."""


@dataclass(frozen=True)
class TrafficProfile:
    name: str
    routing_method: str
    fqdn: str | None
    endpoints: tuple[TrafficEndpoint, ...]
    enabled: bool = True
    """``profileStatus`` Enabled: a disabled profile answers no DNS query at all."""

    def endpoint(self, name: str) -> TrafficEndpoint | None:
        return next((e for e in self.endpoints if e.name == name), None)


class TrafficRouter(Protocol):
    """Azure Traffic Manager profiles in one resource group."""

    def profile(self, profile: str) -> TrafficProfile: ...

    def set_endpoint(
        self,
        profile: str,
        endpoint: str,
        *,
        priority: int | None = None,
        enabled: bool | None = None,
    ) -> bool:
        """Set what is given, read it back, and return whether anything changed. Fields left
        as ``None`` are kept. Raises ``CloudUnavailable`` if the read-back disagrees, and
        ``CloudRejected`` for a priority another endpoint holds (Traffic Manager refuses it)."""
        ...


# ----------------------------------------------------------------------------- Azure SQL


@dataclass(frozen=True)
class SqlSku:
    """A database's ``sku`` as Azure reports it (not as it was asked for): ``GP_Gen5_4`` reads
    back as ``GP_Gen5`` / ``GeneralPurpose`` / capacity 4, ``S0`` as ``Standard`` /
    ``Standard`` / capacity 10. See ``engine.sql_objectives``."""

    name: str
    tier: str | None = None
    capacity: int | None = None
    family: str | None = None


@dataclass(frozen=True)
class SqlDatabaseState:
    server: str
    database: str
    status: str
    """Azure's word: ``Online``, ``Paused``, ``Restoring`` ... A database being scaled stays
    ``Online`` for the whole change."""
    objective: str
    """``currentServiceObjectiveName``: ``S0``, ``GP_Gen5_4`` ..."""
    sku: SqlSku
    requested_objective: str | None = None
    """``requestedServiceObjectiveName``: differs from ``objective`` while a change of the
    database's size is in flight."""

    @property
    def online(self) -> bool:
        return self.status == "Online"

    @property
    def changing(self) -> bool:
        return self.requested_objective is not None and not same_objective(
            self.requested_objective, self.objective
        )

    def at(self, objective: ServiceObjective) -> bool:
        """At ``objective``, with no change to another one in flight."""
        return same_objective(self.objective, objective.name) and not self.changing


@dataclass(frozen=True)
class FailoverGroupState:
    name: str
    server: str
    """The server this state was read from."""
    role: str
    """That server's ``replicationRole``: ``Primary`` or ``Secondary``."""
    partners: tuple[str, ...] = ()
    databases: tuple[str, ...] = ()
    replication_state: str | None = None
    """The group's ``replicationState``: ``CATCH_UP`` once the secondary is transactionally
    consistent and kept in step; ``SEEDING`` while it is first filled (not yet able to fail
    over); ``SUSPENDED`` when replication stopped."""


class SqlDatabase(Protocol):
    """Azure SQL databases and failover groups in one resource group."""

    def database(self, server: str, database: str) -> SqlDatabaseState: ...

    def scale(
        self, server: str, database: str, objective: ServiceObjective
    ) -> PendingOperation | None:
        """Bring the database to ``objective``. ``None`` if it is there already; else the
        change, done once the database reads back at ``objective``. A change to it already in
        flight (started by an earlier attempt, another runner or a person) is followed, never
        started twice; another change in flight is waited out before this one is sent."""
        ...

    def failover_group(self, server: str, group: str) -> FailoverGroupState: ...

    def failover(
        self, server: str, group: str, *, allow_data_loss: bool = False
    ) -> PendingOperation | None:
        """Make ``server`` (the secondary) the group's primary. ``None`` if it already is."""
        ...


# ----------------------------------------------------------------------------- Kubernetes and EKS


@dataclass(frozen=True)
class DeploymentState:
    """A Deployment's spec and status, enough to judge a rollout as ``kubectl rollout status``
    does."""

    namespace: str
    name: str
    desired: int
    updated: int
    ready: int
    available: int
    current: int
    """All pods of the deployment, old and new (``status.replicas``)."""
    generation: int
    observed_generation: int
    restarted_at: str | None = None
    """The ``kubectl.kubernetes.io/restartedAt`` annotation of the pod template."""
    deadline_exceeded: str | None = None
    """The controller's message once the rollout has made no progress for the deployment's
    ``progressDeadlineSeconds`` (condition ``Progressing`` False, ``ProgressDeadlineExceeded``)."""
    images: tuple[str, ...] = ()
    """The image references of the pod template's containers (init containers first), as
    written: ``registry/repository:tag`` or ``...@sha256:digest``."""

    @property
    def observed(self) -> bool:
        """Whether the controller has seen the latest spec: only then does the status speak
        of it."""
        return self.observed_generation >= self.generation

    @property
    def rolled_out(self) -> bool:
        """What ``kubectl rollout status`` calls "successfully rolled out" (kubernetes/kubectl
        pkg/polymorphichelpers/rollout_status.go): the latest spec observed, every desired
        replica updated, no old pod left, every updated one available."""
        return (
            self.observed
            and self.deadline_exceeded is None
            and self.updated >= self.desired
            and self.current <= self.updated
            and self.available >= self.updated
        )


@dataclass(frozen=True)
class StuckPod:
    """A pod of a deployment's current rollout that cannot start, as the cluster says why."""

    name: str
    trouble: Literal["image", "unschedulable"]
    """``image``: its image cannot be pulled (``ImagePullBackOff``, ``InvalidImageName``);
    ``unschedulable``: no node can take it (``PodScheduled`` False, ``Unschedulable``)."""
    reason: str
    """The cluster's own word for it, e.g. ``ImagePullBackOff``."""
    message: str


@dataclass(frozen=True)
class NodeState:
    name: str
    ready: bool
    schedulable: bool
    labels: Mapping[str, str] = field(default_factory=dict)


class Cluster(Protocol):
    """Workloads of one Kubernetes cluster (EKS or AKS)."""

    def deployments(self, namespace: str, selector: str | None = None) -> list[DeploymentState]:
        """Deployments of a namespace, optionally filtered by a label selector."""
        ...

    def deployment(self, namespace: str, name: str) -> DeploymentState: ...

    def scale(self, namespace: str, name: str, replicas: int) -> bool:
        """Set the desired replicas through the scale subresource; False if already so."""
        ...

    def restart(self, namespace: str, name: str, at: datetime) -> bool:
        """Restart a deployment's pods as ``kubectl rollout restart`` does, stamping ``at``.
        False if the deployment already carries that stamp (the same restart, retried)."""
        ...

    def stuck_pods(self, namespace: str, name: str) -> list[StuckPod]:
        """The pods of the deployment's newest ReplicaSet that cannot start; empty while
        every pod of it is running or still starting."""
        ...

    def nodes(self) -> list[NodeState]: ...


@dataclass(frozen=True)
class NodeGroupState:
    cluster: str
    name: str
    status: str
    """EKS's word: ``ACTIVE``, ``UPDATING``, ``DEGRADED`` ..."""
    minimum: int
    maximum: int
    desired: int


class NodeGroups(Protocol):
    """EKS managed node groups."""

    def node_group(self, cluster: str, name: str) -> NodeGroupState: ...

    def scale_node_group(
        self,
        cluster: str,
        name: str,
        desired: int,
        *,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> bool:
        """Set the desired size (and bounds, widened to fit where not given); False if the
        group is already so. Poll ``node_group`` until it is ACTIVE again."""
        ...


# ----------------------------------------------------------------------------- identities


class Identity(Protocol):
    """An identity the bot holds with an outside service (AWS, Azure, Slack)."""

    @property
    def service(self) -> str:
        """``AWS``, ``Azure``, ``Slack``: for messages."""
        ...

    def whoami(self) -> str:
        """Who the bot is there, from the cheapest call that proves the identity works (one
        that needs no permission beyond holding it). ``CloudAccessDenied`` when it is refused
        or expired, ``CloudUnavailable`` when the service does not answer."""
        ...


# ----------------------------------------------------------------------------- notifications


@dataclass(frozen=True)
class Delivery:
    delivery_id: str
    status: int


class WebhookSender(Protocol):
    def send(self, event: str, payload: Mapping[str, object], *, delivery_id: str) -> Delivery:
        """POST ``payload`` as JSON, signed. Reuse ``delivery_id`` on a retry of the same
        notification (e.g. a UUID derived from the stage's idempotency key), so the receiver
        can drop the duplicate."""
        ...


@dataclass(frozen=True)
class JenkinsBuild:
    job: str
    number: int
    url: str
    building: bool
    result: str | None
    """``SUCCESS``, ``FAILURE``, ``UNSTABLE``, ``ABORTED``; ``None`` while building."""

    @property
    def succeeded(self) -> bool:
        return not self.building and self.result == "SUCCESS"


@dataclass(frozen=True)
class QueuedBuild:
    """A build request waiting in Jenkins's queue; it becomes a build when it leaves it."""

    job: str
    queue_url: str


class BuildServer(Protocol):
    """Jenkins: parameterised jobs, followed from the queue to the build's result."""

    def trigger(self, job: str, parameters: Mapping[str, str]) -> QueuedBuild: ...

    def undeclared_parameters(self, job: str, names: Collection[str]) -> list[str]:
        """Those of ``names`` that ``job`` does not declare: Jenkins drops them from a
        trigger without a word."""
        ...

    def build_of(self, queued: QueuedBuild) -> JenkinsBuild | None:
        """The build a queue item became, ``None`` while it waits. ``CloudRejected`` if
        Jenkins cancelled it."""
        ...

    def build(self, job: str, number: int) -> JenkinsBuild: ...

    def find_build(self, job: str, parameters: Mapping[str, str]) -> JenkinsBuild | None:
        """The newest recent build of ``job`` run with all of ``parameters`` (e.g. the
        stage's idempotency key), so a retried stage follows it instead of triggering again."""
        ...

    def find_queued(self, job: str, parameters: Mapping[str, str]) -> QueuedBuild | None:
        """A request of ``job`` with all of ``parameters`` still waiting in the queue."""
        ...

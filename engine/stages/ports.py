"""The ports recovery stages reach the clouds through, each behind a typed key.

Stage params name resources (a bucket, a database, a profile ...); how to reach the cloud
that holds them (regions, endpoints, subscriptions, cluster access) is configuration, so each
key below is a small factory: given a resource's coordinates it hands back a port of
``engine.cloud_ports``. The composition root (``bot.wiring.cloud``) provides them; a test
provides the same over loopback stand-ins.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

from engine.cloud_ports import (
    BuildServer,
    Cluster,
    DnsFailover,
    NodeGroups,
    ObjectStore,
    ReplicaDatabase,
    ReplicationLagSource,
    SqlDatabase,
    TrafficRouter,
    WebhookSender,
)
from engine.secrets import SecretResolver
from engine.stages.context import PortKey

StoreKind = Literal["s3", "blob"]
LagSource = Literal["cloudwatch", "promql"]


class ObjectStores(Protocol):
    def store(self, kind: StoreKind, name: str) -> ObjectStore:
        """An S3 bucket (in the configured AWS region) or a Blob container (of the configured
        storage account)."""
        ...


class Databases(Protocol):
    def replica_database(self, region: str | None) -> ReplicaDatabase:
        """RDS in ``region`` (the configured AWS region when ``None``)."""
        ...

    def replication_lag(
        self, source: LagSource, region: str | None, query: str | None
    ) -> ReplicationLagSource:
        """CloudWatch ``ReplicaLag`` in ``region``, or a PromQL ``query`` (``{instance}`` in
        it stands for the instance asked about)."""
        ...


class AwsInfrastructure(Protocol):
    def dns_failover(self) -> DnsFailover: ...

    def node_groups(self, region: str | None) -> NodeGroups: ...


class AzureResources(Protocol):
    def sql_databases(self, resource_group: str | None) -> SqlDatabase:
        """Azure SQL in ``resource_group`` (the configured one when ``None``)."""
        ...

    def traffic_router(self, resource_group: str | None) -> TrafficRouter: ...


class Clusters(Protocol):
    def cluster(self, name: str) -> Cluster:
        """The cluster of that name in the configuration's ``clouds.clusters``."""
        ...


class Webhooks(Protocol):
    def webhook(self, url: str, secret: str) -> WebhookSender:
        """A sender signing with ``secret`` (already resolved: never logged)."""
        ...


class BuildServers(Protocol):
    def build_server(self) -> BuildServer: ...


@dataclass(frozen=True)
class HttpAnswer:
    url: str
    status: int | None
    """``None`` when no answer came (refused, timed out ...)."""
    seconds: float
    error: str = ""


class HttpChecks(Protocol):
    def get(self, url: str, timeout: float) -> HttpAnswer:
        """One GET; never raises for a failed request, the answer says what happened."""
        ...

    def request(
        self, method: str, url: str, timeout: float, headers: Mapping[str, str] | None = None
    ) -> HttpAnswer:
        """One request of ``method`` without a body, as ``get`` answers it."""
        ...


OBJECT_STORES: PortKey[ObjectStores] = PortKey("object stores")
DATABASES: PortKey[Databases] = PortKey("AWS databases")
AWS_INFRA: PortKey[AwsInfrastructure] = PortKey("AWS infrastructure (Route 53, EKS)")
AZURE: PortKey[AzureResources] = PortKey("Azure resources (SQL, Traffic Manager)")
CLUSTERS: PortKey[Clusters] = PortKey("Kubernetes clusters")
WEBHOOKS: PortKey[Webhooks] = PortKey("webhook sender")
BUILD_SERVERS: PortKey[BuildServers] = PortKey("Jenkins server")
HTTP: PortKey[HttpChecks] = PortKey("HTTP client")
SECRETS: PortKey[SecretResolver] = PortKey("secret resolver")

"""The stage ports of the sandbox: what ``bot.wiring.cloud.CloudPorts`` hands the runner, over
the simulated world instead of the cloud SDKs.

The real recovery stages (``engine.stages``) run unchanged against these: what a plan does to
the world (a rollout restart, AKS scaled, Traffic Manager switched ...) is what the stage did
through a port, and the signals follow from the world. The ``verify`` stage's HTTP checks go
through the observer's network, so the public endpoint answers from whichever side Traffic
Manager serves.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.settings import EnvSecrets
from bot.wiring.cloud import CloudPorts
from engine.adapters.http.checks import HttpxChecks
from engine.adapters.sim import (
    AWS,
    AZURE,
    SimAzureSql,
    SimIdentity,
    SimJenkins,
    SimKubernetes,
    SimNodeGroups,
    SimObjectStore,
    SimRds,
    SimRoute53,
    SimTrafficManager,
    SimWebhook,
    SimWorld,
)
from engine.cloud_ports import (
    BuildServer,
    Cluster,
    DnsFailover,
    Identity,
    NodeGroups,
    ObjectStore,
    ReplicaDatabase,
    ReplicationLagSource,
    SqlDatabase,
    TrafficRouter,
    WebhookSender,
)
from engine.config import PhoenixConfig
from engine.errors import CloudNotFound, StageFatal
from engine.stages.ports import HttpChecks, LagSource, StoreKind
from sandbox.network import ObserverNetwork


class SimCloudPorts(CloudPorts):
    """Every stage port over ``world``; cluster names are those of ``clouds.clusters``."""

    def __init__(
        self,
        config: PhoenixConfig,
        world: SimWorld,
        network: ObserverNetwork,
        secrets: Mapping[str, str],
    ) -> None:
        super().__init__(config.clouds, config.primary.region, EnvSecrets(secrets))
        self.world = world
        self._network = network

    # -- ObjectStores

    def store(self, kind: StoreKind, name: str) -> ObjectStore:
        bucket = self.world.s3 if kind == "s3" else self.world.blob
        if bucket.name != name:
            where = "S3 bucket" if kind == "s3" else "Blob container"
            raise CloudNotFound(f"no {where} {name!r} in the sandbox", resource=name)
        return self._once((kind, name), lambda: SimObjectStore(self.world, bucket, name))

    # -- Databases

    def replica_database(self, region: str | None) -> ReplicaDatabase:
        return self._once(("rds",), lambda: SimRds(self.world))

    def replication_lag(
        self, source: LagSource, region: str | None, query: str | None
    ) -> ReplicationLagSource:
        if source != "cloudwatch":
            raise StageFatal("the sandbox reads replication lag from CloudWatch only")
        return self._once(("rds",), lambda: SimRds(self.world))

    # -- AwsInfrastructure

    def dns_failover(self) -> DnsFailover:
        return self._once(("route53",), lambda: SimRoute53(self.world))

    def node_groups(self, region: str | None) -> NodeGroups:
        return self._once(("eks",), lambda: SimNodeGroups(self.world))

    # -- AzureResources

    def sql_databases(self, resource_group: str | None) -> SqlDatabase:
        return self._once(("sql",), lambda: SimAzureSql(self.world))

    def traffic_router(self, resource_group: str | None) -> TrafficRouter:
        return self._once(("traffic",), lambda: SimTrafficManager(self.world))

    # -- Clusters

    def cluster(self, name: str) -> Cluster:
        if name not in self._clouds.clusters:
            known = ", ".join(sorted(self._clouds.clusters)) or "none"
            raise StageFatal(f"no cluster {name!r} in clouds.clusters (known: {known})")
        self.world.cluster(name)  # CloudNotFound unless the world has it
        return self._once(("cluster", name), lambda: SimKubernetes(self.world, name))

    # -- Webhooks, BuildServers, HttpChecks

    def webhook(self, url: str, secret: str) -> WebhookSender:
        return SimWebhook(self.world)

    def build_server(self) -> BuildServer:
        if self._clouds.jenkins is None:
            raise StageFatal("no Jenkins is configured (clouds.jenkins)")
        return self._once(("jenkins",), SimJenkins)

    def checks(self) -> HttpChecks:
        return self._once(("http",), lambda: HttpxChecks(transport=self._network.sync_transport()))

    # -- Identities

    def aws_identity(self) -> Identity:
        return self._once(("aws-identity",), lambda: SimIdentity(self.world, AWS))

    def azure_identity(self) -> Identity:
        return self._once(("azure-identity",), lambda: SimIdentity(self.world, AZURE))

    def close(self) -> None:
        with self._lock:
            made, self._made = list(self._made.values()), {}
        for adapter in made:
            close = getattr(adapter, "close", None)
            if close is not None:
                close()

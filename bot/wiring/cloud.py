"""The port factory of the recovery stages: adapters built from phoenix.yaml's ``clouds:``
section, on first use (a cloud the plans never touch is never contacted), one per resource
coordinates, closed together.

Secrets named by reference (``env:VAR``, a Secrets Manager ARN, a Key Vault URI) are resolved
at the time of use through one resolver (``bot.wiring.secrets``), owned and closed with the
ports, and never logged. An adapter's module (and its SDK) is imported when a port of its kind
is first asked for, not with this module. Tests reach stand-ins through ``clouds`` overrides
(``endpoint_url``, ``arm_url``, ``key_vault_url``, a cluster's ``api_url`` or
``eks.endpoint_url``) plus the ``azure_credential`` / ``azure_client_options`` hooks below,
which production leaves alone.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

from bot.wiring.secrets import build_secrets
from engine.cloud_ports import (
    BuildServer,
    ChangeFeed,
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
from engine.config import Clouds, PhoenixConfig
from engine.errors import SecretError, SecretUnavailable, StageFatal, StageRetryable
from engine.health.readiness.access import IDENTITIES
from engine.secrets import SecretResolver
from engine.stages import PortKey, Ports
from engine.stages.objects import MAX_CONCURRENCY
from engine.stages.ports import (
    AWS_INFRA,
    AZURE,
    BUILD_SERVERS,
    CLUSTERS,
    DATABASES,
    HTTP,
    OBJECT_STORES,
    SECRETS,
    WEBHOOKS,
    HttpChecks,
    LagSource,
    StoreKind,
)

if TYPE_CHECKING:
    from engine.adapters.aws.clients import AwsTarget
    from engine.adapters.azure.arm import AzureTarget
    from engine.adapters.azure.blob import BlobContainer
    from engine.adapters.kube.workloads import KubeWorkloads

T = TypeVar("T")

_SQS_REGION = re.compile(r"^https://sqs\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/")
"""A queue's region, from its URL: the client must sign for it."""


class CloudPorts:
    """Every stage port over the real SDKs, configured by ``clouds``."""

    def __init__(
        self,
        clouds: Clouds,
        default_region: str,
        secrets: SecretResolver,
        *,
        azure_credential: Any = None,
        azure_client_options: Mapping[str, Any] | None = None,
        kube_timeout: float = 30.0,
        poll_interval: float = 5.0,
    ) -> None:
        self._clouds = clouds
        self._region = clouds.aws.region or default_region
        self._secrets = secrets
        self._azure_credential = azure_credential
        self._azure_options = dict(azure_client_options or {})
        self._kube_timeout = kube_timeout
        self._poll_interval = poll_interval
        self._made: dict[tuple[Any, ...], Any] = {}
        self._lock = threading.Lock()

    @property
    def secrets(self) -> SecretResolver:
        """The resolver of every secret reference (stages and signals share it, and its cache)."""
        return self._secrets

    # -- ObjectStores

    def store(self, kind: StoreKind, name: str) -> ObjectStore:
        if kind == "s3":
            from engine.adapters.aws.s3 import S3Bucket

            target = replace(self._aws(None), max_pool_connections=MAX_CONCURRENCY)
            return self._once(("s3", name), lambda: S3Bucket(name, target))
        return self._once(("blob", name), lambda: self._blob(name))

    def change_feed(self, queue_url: str, bucket: str) -> ChangeFeed:
        """The bucket's S3 Event Notifications, as the SQS queue at ``queue_url`` receives them."""
        from engine.adapters.aws.s3_events import S3EventQueue

        region = _SQS_REGION.match(queue_url)
        target = self._aws(region.group(1) if region else None)
        return self._once(
            ("sqs", queue_url, bucket), lambda: S3EventQueue(queue_url, bucket, target)
        )

    # -- Databases

    def replica_database(self, region: str | None) -> ReplicaDatabase:
        from engine.adapters.aws.rds import RdsInstances

        return self._once(("rds", region), lambda: RdsInstances(self._aws(region)))

    def replication_lag(
        self, source: LagSource, region: str | None, query: str | None
    ) -> ReplicationLagSource:
        if source == "promql":
            from engine.adapters.prometheus.lag import PrometheusReplicaLag

            url = self._clouds.prometheus.url
            return self._once(("promql", query), lambda: PrometheusReplicaLag(url, query or ""))
        from engine.adapters.aws.rds import CloudWatchReplicaLag

        return self._once(("cloudwatch", region), lambda: CloudWatchReplicaLag(self._aws(region)))

    # -- AwsInfrastructure

    def dns_failover(self) -> DnsFailover:
        from engine.adapters.aws.route53 import Route53Failover

        return self._once(
            ("route53",),
            lambda: Route53Failover(self._aws(None), poll_interval=self._poll_interval),
        )

    def node_groups(self, region: str | None) -> NodeGroups:
        from engine.adapters.aws.eks import EksNodeGroups

        return self._once(("eks", region), lambda: EksNodeGroups(self._aws(region)))

    # -- AzureResources

    def sql_databases(self, resource_group: str | None) -> SqlDatabase:
        from engine.adapters.azure.sql import AzureSqlDatabases

        group = self._group(resource_group)
        return self._once(
            ("sql", group),
            lambda: AzureSqlDatabases(self._arm(group), poll_interval=self._poll_interval),
        )

    def traffic_router(self, resource_group: str | None) -> TrafficRouter:
        from engine.adapters.azure.traffic import AzureTrafficManager

        group = self._group(resource_group)
        return self._once(("traffic", group), lambda: AzureTrafficManager(self._arm(group)))

    # -- Clusters

    def cluster(self, name: str) -> Cluster:
        access = self._clouds.clusters.get(name)
        if access is None:
            known = ", ".join(sorted(self._clouds.clusters)) or "none"
            raise StageFatal(f"no cluster {name!r} in clouds.clusters (known: {known})")

        def build() -> KubeWorkloads:
            from engine.adapters.kube.access import client_configuration
            from engine.adapters.kube.workloads import KubeWorkloads

            token = self._secret(access.token) if access.token else None
            configuration = client_configuration(access, token=token, aws=self._aws(None))
            return KubeWorkloads(configuration, timeout=self._kube_timeout)

        return self._once(("cluster", name), build)

    # -- Webhooks, BuildServers, HttpChecks

    def webhook(self, url: str, secret: str) -> WebhookSender:
        from engine.adapters.http.webhook import SignedWebhook

        # Not cached: the key is the secret's current value, resolved for this send.
        sender = SignedWebhook(url, secret)
        with self._lock:
            self._made[("webhook", id(sender))] = sender
        return sender

    def build_server(self) -> BuildServer:
        from engine.adapters.http.jenkins import JenkinsServer

        jenkins = self._clouds.jenkins
        if jenkins is None:
            raise StageFatal("no Jenkins is configured (clouds.jenkins)")
        return self._once(
            ("jenkins",),
            lambda: JenkinsServer(jenkins.url, jenkins.user, self._secret(jenkins.api_token)),
        )

    def checks(self) -> HttpChecks:
        from engine.adapters.http.checks import HttpxChecks

        return self._once(("http",), HttpxChecks)

    # -- Identities (the readiness sweep's)

    def aws_identity(self) -> Identity:
        from engine.adapters.aws.identity import AwsIdentity

        return self._once(("aws-identity",), lambda: AwsIdentity(self._aws(None)))

    def azure_identity(self) -> Identity:
        from engine.adapters.azure.identity import AzureIdentity

        return self._once(("azure-identity",), lambda: AzureIdentity(self._azure_credential))

    def ports(self) -> Ports:
        provided: dict[PortKey[Any], object] = {
            OBJECT_STORES: self,
            DATABASES: self,
            AWS_INFRA: self,
            AZURE: self,
            CLUSTERS: self,
            WEBHOOKS: self,
            BUILD_SERVERS: self,
            HTTP: self.checks(),
            SECRETS: self._secrets,
            IDENTITIES: self,
        }
        return Ports(provided)

    def close(self) -> None:
        with self._lock:
            made, self._made = list(self._made.values()), {}
        for adapter in made:
            adapter.close()
        close = getattr(self._secrets, "close", None)
        if close is not None:
            close()

    # -- internals

    def _once(self, key: tuple[Any, ...], build: Callable[[], T]) -> T:
        with self._lock:
            if key not in self._made:
                self._made[key] = build()
            made: T = self._made[key]
            return made

    def _aws(self, region: str | None) -> AwsTarget:
        from engine.adapters.aws.clients import AwsTarget

        return AwsTarget(region=region or self._region, endpoint_url=self._clouds.aws.endpoint_url)

    def _group(self, resource_group: str | None) -> str:
        group = resource_group or self._clouds.azure.resource_group
        if not group:
            raise StageFatal("no Azure resource group: set clouds.azure.resource_group")
        return group

    def _arm(self, group: str) -> AzureTarget:
        from engine.adapters.azure.arm import AzureTarget

        azure = self._clouds.azure
        if not azure.subscription_id:
            raise StageFatal("no Azure subscription: set clouds.azure.subscription_id")
        return AzureTarget(
            azure.subscription_id,
            group,
            base_url=azure.arm_url,
            credential=self._azure_credential,
            client_options=self._azure_options,
        )

    def _blob(self, container: str) -> BlobContainer:
        from engine.adapters.azure.blob import BlobContainer

        storage = self._clouds.azure.storage
        if storage.connection_string is not None:
            return BlobContainer.from_connection_string(
                self._secret(storage.connection_string), container, pool_size=MAX_CONCURRENCY
            )
        if storage.account_url is not None:
            return BlobContainer.from_account(
                storage.account_url, container, pool_size=MAX_CONCURRENCY
            )
        raise StageFatal(
            "no Blob Storage account: set clouds.azure.storage.account_url (or connection_string)"
        )

    def _secret(self, reference: str) -> str:
        try:
            value: str = self._secrets.resolve(reference)
        except SecretUnavailable as exc:
            raise StageRetryable(str(exc)) from exc
        except SecretError as exc:
            raise StageFatal(str(exc)) from exc
        return value


def build_cloud_ports(
    config: PhoenixConfig, secrets: SecretResolver | None = None, **options: Any
) -> CloudPorts:
    """The stage ports of ``config``; ``CloudPorts.ports()`` is what the runner takes. Without
    ``secrets``, references resolve from the environment and the configured clouds, with the
    ``azure_credential`` given for Key Vault too."""
    if secrets is None:
        secrets = build_secrets(config.clouds, azure_credential=options.get("azure_credential"))
    return CloudPorts(config.clouds, config.primary.region, secrets, **options)

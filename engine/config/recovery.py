"""phoenix.yaml: how to reach the clouds, and what the built-in recovery plans act on."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from pydantic import Field, model_validator

from engine.config.signals import KubeAccess, PrometheusAccess
from engine.duration import Duration
from engine.fields import Model, Name, SecretRef, SqlObjectiveInput, Url

# ----------------------------------------------------------------------------- clouds
# How to reach the clouds the recovery stages act on. Credentials are never here: AWS uses
# boto3's default chain, Azure DefaultAzureCredential; what must be a secret is a reference.


class AwsCloud(Model):
    region: str | None = None
    """Default region of the AWS APIs; ``primary.region`` when not given."""
    standby_region: str | None = None
    """The standby region of a region failover (level 2)."""
    endpoint_url: Url | None = None
    """Every AWS API at one URL: a stand-in (moto) or a proxy. Not for production."""


class BlobAccess(Model):
    account_url: Url | None = None
    """``https://ACCOUNT.blob.core.windows.net``, reached with DefaultAzureCredential."""
    connection_string: SecretRef | None = None
    """Instead of ``account_url``: a connection string, by reference."""

    @model_validator(mode="after")
    def _one_way(self) -> BlobAccess:
        if self.account_url is not None and self.connection_string is not None:
            raise ValueError("give only one of 'account_url' or 'connection_string'")
        return self


class AzureCloud(Model):
    subscription_id: str | None = None
    resource_group: str | None = None
    """Default resource group of Azure SQL and Traffic Manager."""
    arm_url: Url | None = None
    """The Resource Manager endpoint; Azure's public cloud when not given."""
    key_vault_url: Url | None = None
    """Every Key Vault secret reference read at this one URL instead of its vault's own: a
    stand-in. Not for production (each reference names its vault)."""
    storage: BlobAccess = BlobAccess()


class ClusterAccess(KubeAccess):
    token: SecretRef | None = None
    """A bearer token for ``api_url``, by reference."""


class JenkinsAccess(Model):
    url: Url
    user: str = Field(min_length=1)
    api_token: SecretRef


class Clouds(Model):
    aws: AwsCloud = AwsCloud()
    azure: AzureCloud = AzureCloud()
    clusters: dict[Name, ClusterAccess] = Field(default_factory=dict)
    """Kubernetes clusters by name (e.g. ``eks-primary``, ``aks-dr``), as stages name them."""
    jenkins: JenkinsAccess | None = None
    prometheus: PrometheusAccess = PrometheusAccess()
    """Where a ``promql`` replication lag is read."""


# ----------------------------------------------------------------------------- recovery inputs
# What the built-in plans act on. A part left out keeps its steps ``manual`` (a person does
# them, the run pauses on each), so a plan never pretends to do what it cannot.


class DatabaseInputs(Model):
    replica: str = Field(min_length=1)
    """The RDS read replica that feeds the DR side; its lag is checked against the RPO."""
    region: str | None = None
    lag_source: Literal["cloudwatch", "promql"] = "cloudwatch"
    lag_query: str | None = None
    """PromQL when ``lag_source`` is promql; ``{instance}`` stands for the replica."""
    catch_up_within: Duration = timedelta(minutes=5)

    @model_validator(mode="after")
    def _query(self) -> DatabaseInputs:
        if self.lag_source == "promql" and not self.lag_query:
            raise ValueError("lag_query: is required when lag_source is promql")
        return self


class ContinuousObjectSync(Model):
    """S3 -> Blob between incidents, so a failover's own sync moves only the delta and the
    object RPO stays bounded (see ``engine.sync.continuous``)."""

    every: Duration = timedelta(minutes=5)
    margin: Duration = timedelta(minutes=15)
    """How far before the previous pass an object's ``LastModified`` may lie and still be
    looked at: the longest upload you expect (S3 dates an object by its upload's start), plus
    clock skew. Longer uploads are copied by the next full pass."""
    full_every: Duration = timedelta(hours=24)
    """A full pass (both sides listed and compared) at least this often: it catches longer
    uploads, deletions when no change feed is configured, and a container changed by hand."""
    events_queue: Url | None = None
    """The SQS queue that receives the bucket's S3 Event Notifications (``s3:ObjectCreated:*``,
    ``s3:ObjectRemoved:*``): passes then read only the keys it names, not the bucket."""
    concurrency: int = Field(default=16, ge=1, le=256)

    @model_validator(mode="after")
    def _cadence(self) -> ContinuousObjectSync:
        if self.every < timedelta(seconds=10):
            raise ValueError("every: must be at least 10s")
        if self.full_every < self.every:
            raise ValueError("full_every: must be at least 'every'")
        if self.margin < timedelta(0):
            raise ValueError("margin: must not be negative")
        return self


class ObjectInputs(Model):
    bucket: str = Field(min_length=1)
    container: str = Field(min_length=1)
    prefix: str = ""
    deletion: Literal["keep", "mirror"] = "keep"
    """S3 -> Blob: whether objects gone from S3 are removed from Blob too."""
    failback_deletion: Literal["keep", "mirror"] = "keep"
    """Blob -> S3 on failback."""
    continuous: ContinuousObjectSync | None = None
    """Keep the container warm between incidents (off when not given)."""

    @property
    def s3_location(self) -> str:
        return f"s3://{self.bucket}" + (f"/{self.prefix}" if self.prefix else "")

    @property
    def blob_location(self) -> str:
        return f"blob://{self.container}" + (f"/{self.prefix}" if self.prefix else "")


class AzureSqlInputs(Model):
    server: str = Field(min_length=1)
    database: str = Field(min_length=1)
    resource_group: str | None = None
    sku: SqlObjectiveInput
    """The service objective the DR database is scaled to for production: ``GP_Gen5_4``,
    ``P2``, ``HS_Gen5_2`` ... (see ``SqlObjectiveInput`` for the forms accepted)."""
    standby_sku: SqlObjectiveInput | None = None
    """The one it goes back to on failback (left as it is when not given)."""
    failover_group: str | None = None


class AksInputs(Model):
    cluster: Name
    namespace: str = Field(min_length=1)
    deployments: dict[str, Annotated[int, Field(ge=0)]] = Field(min_length=1)
    """Deployment -> replicas on the DR side during a failover."""
    standby_replicas: int = Field(default=0, ge=0)
    unschedulable_grace: Duration = timedelta(0)
    """How long new pods may wait for a node before the rollout counts as stuck: about the
    time a node takes to join, if the cluster adds nodes on demand."""


class Route53Input(Model):
    zone_id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    type: str = "A"
    dr_record: str = Field(min_length=1)
    """Set identifier of the failover record that points to the DR (or standby) side."""
    primary_record: str = Field(min_length=1)
    """Set identifier of the record that points to the primary."""


class TrafficInputs(Model):
    profile: str = Field(min_length=1)
    resource_group: str | None = None
    dr_endpoint: str = Field(min_length=1)
    aws_endpoint: str = Field(min_length=1)
    route53: Route53Input | None = None


class VerifyInputs(Model):
    urls: Annotated[list[Url], Field(min_length=1)]
    """Checked through the path users take (the public names), after every switch."""


class NotifyInputs(Model):
    url: Url
    secret: SecretRef


class JenkinsJobInput(Model):
    job: str = Field(min_length=1)
    parameters: dict[str, str] = Field(default_factory=dict)


class SelfHealInputs(Model):
    cluster: Name
    namespace: str = Field(min_length=1)
    deployments: list[str] = Field(default_factory=list)
    selector: str | None = None
    unschedulable_grace: Duration = timedelta(0)
    """As ``aks.unschedulable_grace``, for the restarted pods."""


class NodeGroupInput(Model):
    cluster: str = Field(min_length=1)
    name: str = Field(min_length=1)
    desired: int = Field(ge=0)


class RegionFailoverInputs(Model):
    replica: str = Field(min_length=1)
    """The cross-region read replica in ``clouds.aws.standby_region``."""
    route53: Route53Input
    node_group: NodeGroupInput | None = None


class Recovery(Model):
    database: DatabaseInputs | None = None
    objects: ObjectInputs | None = None
    azure_sql: AzureSqlInputs | None = None
    aks: AksInputs | None = None
    traffic: TrafficInputs | None = None
    verify: VerifyInputs | None = None
    notify: NotifyInputs | None = None
    smoke_test: JenkinsJobInput | None = None
    """A Jenkins job run after the services are verified on the DR side."""
    self_heal: SelfHealInputs | None = None
    region_failover: RegionFailoverInputs | None = None

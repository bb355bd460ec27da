"""The phoenix.yaml model.

Every field has a default, so a small file works; unknown keys are errors, so a typo cannot
silently disable a signal. Secrets are never written here, only referenced (see ``SecretRef``).
``load_config`` turns any fault into a ``ConfigError`` whose problems name a field path.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    Field,
    ValidationError,
    ValidationInfo,
    model_validator,
)

from engine.config_errors import problems_from_validation, problems_from_yaml
from engine.config_types import Model, Name, SecretRef, Url
from engine.cron import CronError, parse_cron, zone
from engine.duration import Duration
from engine.errors import ConfigError, Problem
from engine.model import Level, Status, Vantage
from engine.plans_builtin import BUILTIN_PLAN_DATA
from engine.retry import RetryPolicy
from engine.stages import REGISTRY, StageRegistry

# ----------------------------------------------------------------------------- primitives

_SENSITIVE_HEADER = re.compile(r"authorization|cookie|token|secret|api[-_]?key|password", re.I)

Fraction = Annotated[float, Field(ge=0.0, le=1.0)]


# ----------------------------------------------------------------------------- sites


class PrimarySite(Model):
    cloud: Literal["aws"] = "aws"
    region: str = "us-east-1"


class DrSite(Model):
    cloud: Literal["azure"] = "azure"
    region: str = "eastus2"


class AwsAccess(Model):
    """How to reach an AWS API. Credentials come from boto3's default chain, never from here."""

    region: str | None = None
    endpoint_url: Url | None = None


# ----------------------------------------------------------------------------- signals


class Points(Model):
    """Points per status. A field left out falls back to ``scoring.points``."""

    ok: int | None = Field(default=None, ge=0)
    degraded: int | None = Field(default=None, ge=0)
    down: int | None = Field(default=None, ge=0)
    unknown: int | None = Field(default=None, ge=0)

    def get(self, status: Status) -> int | None:
        value: int | None = getattr(self, status.value)
        return value


class Threshold(Model):
    """``status`` holds when the value is above ``above`` (or below ``below``)."""

    above: float | None = None
    below: float | None = None
    status: Literal["degraded", "down"]

    @model_validator(mode="after")
    def _one_bound(self) -> Threshold:
        if (self.above is None) == (self.below is None):
            raise ValueError("give exactly one of 'above' or 'below'")
        return self

    def holds(self, value: float) -> bool:
        if self.above is not None:
            return value > self.above
        assert self.below is not None
        return value < self.below


Thresholds = Annotated[list[Threshold], Field(min_length=1)]


def status_from_thresholds(value: float, thresholds: Sequence[Threshold]) -> Status:
    """The worst status whose threshold holds for ``value``; ``ok`` when none does."""
    held = {t.status for t in thresholds if t.holds(value)}
    if "down" in held:
        return Status.DOWN
    if "degraded" in held:
        return Status.DEGRADED
    return Status.OK


class SignalBase(Model):
    name: Name
    description: str = ""
    vantage: Vantage = Vantage.INTERNAL
    timeout: Duration = timedelta(seconds=5)
    points: Points = Points()

    @model_validator(mode="after")
    def _positive_timeout(self) -> SignalBase:
        if self.timeout <= timedelta(0):
            raise ValueError("timeout must be greater than zero")
        return self


class HttpSignal(SignalBase):
    """Health endpoints probed over HTTP: all answer -> ok, some fail -> degraded, all -> down."""

    kind: Literal["http"]
    targets: Annotated[list[Url], Field(min_length=1)]
    method: Literal["GET", "HEAD"] = "GET"
    expect_status: list[Annotated[int, Field(ge=100, le=599)]] = Field(
        default_factory=lambda: list(range(200, 400))
    )
    slow_after: Duration | None = None
    """An answer slower than this counts as degraded, not ok."""
    headers: dict[str, str] = Field(default_factory=dict)
    bearer_token: SecretRef | None = None

    @model_validator(mode="after")
    def _no_secret_headers(self) -> HttpSignal:
        for header in self.headers:
            if _SENSITIVE_HEADER.search(header):
                raise ValueError(
                    f"header {header!r} would carry a secret: use bearer_token with a "
                    "secret reference instead"
                )
        return self


class Route53HealthCheckSignal(SignalBase):
    """A Route 53 health check's status, as seen by AWS's checkers around the world."""

    kind: Literal["route53_health_check"]
    vantage: Vantage = Vantage.EXTERNAL
    health_check_id: str = Field(min_length=1)
    aws: AwsAccess = AwsAccess()
    thresholds: Thresholds = Field(
        default_factory=lambda: [
            Threshold(above=0.0, status="degraded"),
            Threshold(above=0.5, status="down"),
        ]
    )
    """On the share of checkers that report a failure."""


class RdsReplicaLagSignal(SignalBase):
    """RDS ``ReplicaLag`` from CloudWatch, in seconds."""

    kind: Literal["rds_replica_lag"]
    db_instance: str = Field(min_length=1)
    aws: AwsAccess = AwsAccess()
    lookback: Duration = timedelta(minutes=5)
    thresholds: Thresholds = Field(
        default_factory=lambda: [
            Threshold(above=60, status="degraded"),
            Threshold(above=300, status="down"),
        ]
    )


class PrometheusAccess(Model):
    url: Url = "http://127.0.0.1:9090"


class PromqlSignal(SignalBase):
    """Any PromQL query whose result is compared with thresholds (e.g. replication lag)."""

    kind: Literal["promql"]
    prometheus: PrometheusAccess = PrometheusAccess()
    query: str = Field(min_length=1)
    reduce: Literal["max", "min", "sum", "avg"] = "max"
    """How several returned series become one value."""
    thresholds: Thresholds


class KubeAccess(Model):
    """How to reach a cluster's API: a kubeconfig (and context), in-cluster, or a bare URL."""

    kubeconfig: str | None = None
    context: str | None = None
    in_cluster: bool = False
    api_url: Url | None = None

    @model_validator(mode="after")
    def _one_way(self) -> KubeAccess:
        ways = sum([self.kubeconfig is not None, self.in_cluster, self.api_url is not None])
        if ways > 1:
            raise ValueError("give only one of 'kubeconfig', 'in_cluster' or 'api_url'")
        return self


class EksNodesSignal(SignalBase):
    """The share of cluster nodes that are not Ready, from node conditions."""

    kind: Literal["eks_nodes"]
    cluster: KubeAccess = KubeAccess()
    label_selector: str | None = None
    thresholds: Thresholds = Field(
        default_factory=lambda: [
            Threshold(above=0.2, status="degraded"),
            Threshold(above=0.5, status="down"),
        ]
    )


Signal = Annotated[
    HttpSignal | Route53HealthCheckSignal | RdsReplicaLagSignal | PromqlSignal | EksNodesSignal,
    Field(discriminator="kind"),
]
SIGNAL_KINDS = ("http", "route53_health_check", "rds_replica_lag", "promql", "eks_nodes")


# ----------------------------------------------------------------------------- scoring, levels


class DefaultPoints(Model):
    ok: int = Field(default=0, ge=0)
    degraded: int = Field(default=1, ge=0)
    down: int = Field(default=3, ge=0)
    unknown: int = Field(default=1, ge=0)


class Scoring(Model):
    points: DefaultPoints = DefaultPoints()
    """Points per status for every signal that does not set its own."""


Policy = Literal["auto", "approve", "two-person"]


class LevelRule(Model):
    min_score: int = Field(ge=1)
    policy: Policy
    plan: Name


class Levels(Model):
    self_heal: LevelRule = LevelRule(min_score=4, policy="auto", plan="self-heal")
    region_failover: LevelRule = LevelRule(min_score=8, policy="approve", plan="region-failover")
    dr_failover: LevelRule = LevelRule(min_score=11, policy="two-person", plan="dr-azure")

    @model_validator(mode="after")
    def _increasing(self) -> Levels:
        a, b, c = (
            self.self_heal.min_score,
            self.region_failover.min_score,
            self.dr_failover.min_score,
        )
        if not a < b < c:
            raise ValueError(f"min_score must rise from level to level (got {a}, {b}, {c})")
        return self

    def rule(self, level: Level) -> LevelRule:
        return {
            Level.SELF_HEAL: self.self_heal,
            Level.REGION_FAILOVER: self.region_failover,
            Level.DR_FAILOVER: self.dr_failover,
        }[level]

    def level_for(self, score: int) -> Level:
        if score >= self.dr_failover.min_score:
            return Level.DR_FAILOVER
        if score >= self.region_failover.min_score:
            return Level.REGION_FAILOVER
        if score >= self.self_heal.min_score:
            return Level.SELF_HEAL
        return Level.NONE

    def min_score(self, level: Level) -> int:
        return 0 if level == Level.NONE else self.rule(level).min_score


class FlapDamping(Model):
    window: int = Field(default=21, ge=3)
    start: Fraction = 0.20
    stop: Fraction = 0.05

    @model_validator(mode="after")
    def _stop_below_start(self) -> FlapDamping:
        if self.stop >= self.start:
            raise ValueError("stop must be below start")
        return self


class Quorum(Model):
    """Level 3 needs the loss seen from at least ``min`` of these independent vantages."""

    vantages: list[Vantage] = Field(
        default_factory=lambda: [Vantage.EXTERNAL, Vantage.CROSS_CLOUD], min_length=1
    )
    min: int = Field(default=2, ge=1)

    @model_validator(mode="after")
    def _reachable(self) -> Quorum:
        if self.min > len(set(self.vantages)):
            raise ValueError(f"min is {self.min} but only {len(set(self.vantages))} vantages")
        return self


class Evaluation(Model):
    interval: Duration = timedelta(seconds=30)
    confirm: int = Field(default=2, ge=1)
    """Escalate only after the higher level held for this many evaluations."""
    clear: int = Field(default=4, ge=1)
    """Step down only after this many evaluations below the level's bound minus the margin."""
    margin: int = Field(default=1, ge=0)
    cooldown: Duration = timedelta(minutes=30)
    """After a failover or failback, no automatic proposal for this long."""
    flap: FlapDamping = FlapDamping()
    quorum: Quorum = Quorum()
    blind_above: Fraction = 0.5
    """When more than this share of signals read ``unknown``, the observer cannot see enough
    to act on: nothing escalates until it can (unknown points still show in the score)."""

    @model_validator(mode="after")
    def _positive_interval(self) -> Evaluation:
        if self.interval <= timedelta(0):
            raise ValueError("interval must be greater than zero")
        return self


# ----------------------------------------------------------------------------- slack, plans, drills


class Approvers(Model):
    users: list[Annotated[str, Field(pattern=r"^[UW][A-Z0-9]{2,}$")]] = Field(default_factory=list)
    groups: list[Annotated[str, Field(pattern=r"^S[A-Z0-9]{2,}$")]] = Field(default_factory=list)


class Slack(Model):
    channel: str = Field(default="#incidents", min_length=1)
    approvers: Approvers = Approvers()
    approval_ttl: Duration = timedelta(minutes=30)


class StageSpec(Model):
    """One stage of a plan. Timeout, retry and drill default to what the stage kind declares;
    a ``retry`` here overrides only the fields it names."""

    name: Name
    kind: Name
    group: Name | None = None
    """Consecutive stages that share a group run in parallel."""
    timeout: Duration | None = None
    """Per attempt; past it the attempt is cancelled and counts as failed."""
    retry: RetryPolicy | None = None
    drill: bool | None = None
    """Whether the stage acts in a drill rehearsal (skipped there otherwise)."""
    gate: bool = False
    """Whether a person must confirm before the stage starts."""
    params: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _known_kind_and_params(self, info: ValidationInfo) -> StageSpec:
        """The kind is registered and the params fit its model. The registry is the
        validation context's ``stage_registry``, else the built-in one."""
        problems = [str(p) for p in _stage_registry(info).check(self.kind, self.params)]
        if self.timeout is not None and self.timeout <= timedelta(0):
            problems.append("timeout: must be greater than zero")
        if problems:
            raise ValueError("\n".join(problems))
        return self


def _stage_registry(info: ValidationInfo) -> StageRegistry:
    context = info.context if isinstance(info.context, Mapping) else {}
    registry: StageRegistry = context.get("stage_registry", REGISTRY)
    return registry


class PlanSpec(Model):
    description: str = ""
    stages: Annotated[list[StageSpec], Field(min_length=1)]

    @model_validator(mode="after")
    def _names_and_groups(self) -> PlanSpec:
        problems: list[str] = []
        names: set[str] = set()
        closed_groups: set[str] = set()
        previous_group: str | None = None
        for index, stage in enumerate(self.stages):
            if stage.name in names:
                problems.append(f"stages[{index}].name: {stage.name!r} is used twice")
            names.add(stage.name)
            if stage.group != previous_group:
                if stage.group in closed_groups:
                    problems.append(
                        f"stages[{index}].group: the stages of group {stage.group!r} "
                        "must be next to each other"
                    )
                if previous_group is not None:
                    closed_groups.add(previous_group)
                previous_group = stage.group
        if problems:
            raise ValueError("\n".join(problems))
        return self


BUILTIN_PLANS = tuple(BUILTIN_PLAN_DATA)


class Objectives(Model):
    rto: Duration = timedelta(minutes=15)
    rpo: Duration = timedelta(minutes=5)


class Drill(Model):
    name: Name
    schedule: str = Field(min_length=1)
    """Cron expression: minute hour day-of-month month day-of-week."""
    timezone: str = "UTC"
    plan: Name = "dr-azure"
    mode: Literal["dry-run", "rehearsal"] = "dry-run"
    announce: list[Duration] = Field(
        default_factory=lambda: [timedelta(hours=24), timedelta(hours=1)]
    )
    channel: str | None = None

    @model_validator(mode="after")
    def _cron_shape(self) -> Drill:
        if len(self.schedule.split()) != 5:
            raise ValueError("schedule must be a 5-field cron expression, e.g. '0 10 * * 2'")
        try:
            parse_cron(self.schedule)
            zone(self.timezone)
        except CronError as exc:
            raise ValueError(str(exc)) from None
        if any(offset <= timedelta(0) for offset in self.announce):
            raise ValueError("announce offsets must be greater than zero")
        return self


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


class SqlSkuInput(Model):
    name: str = Field(min_length=1)
    tier: str | None = None
    capacity: int | None = Field(default=None, ge=1)


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


class ObjectInputs(Model):
    bucket: str = Field(min_length=1)
    container: str = Field(min_length=1)
    prefix: str = ""
    deletion: Literal["keep", "mirror"] = "keep"
    """S3 -> Blob: whether objects gone from S3 are removed from Blob too."""
    failback_deletion: Literal["keep", "mirror"] = "keep"
    """Blob -> S3 on failback."""


class AzureSqlInputs(Model):
    server: str = Field(min_length=1)
    database: str = Field(min_length=1)
    resource_group: str | None = None
    sku: SqlSkuInput
    """The production tier the DR database is scaled to."""
    standby_sku: SqlSkuInput | None = None
    """The tier it goes back to on failback (left as it is when not given)."""
    failover_group: str | None = None


class AksInputs(Model):
    cluster: Name
    namespace: str = Field(min_length=1)
    deployments: dict[str, Annotated[int, Field(ge=0)]] = Field(min_length=1)
    """Deployment -> replicas on the DR side during a failover."""
    standby_replicas: int = Field(default=0, ge=0)


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


# ----------------------------------------------------------------------------- the file


class PhoenixConfig(Model):
    environment: Name = "production"
    primary: PrimarySite = PrimarySite()
    dr: DrSite = DrSite()
    signals: list[Signal] = Field(default_factory=list)
    scoring: Scoring = Scoring()
    levels: Levels = Levels()
    evaluation: Evaluation = Evaluation()
    slack: Slack = Slack()
    plans: dict[Name, PlanSpec] = Field(default_factory=dict)
    drills: list[Drill] = Field(default_factory=list)
    objectives: Objectives = Objectives()
    clouds: Clouds = Clouds()
    recovery: Recovery = Recovery()

    @model_validator(mode="after")
    def _cross_references(self) -> PhoenixConfig:
        problems: list[str] = []
        for where, cluster in (
            ("recovery.aks.cluster", self.recovery.aks and self.recovery.aks.cluster),
            (
                "recovery.self_heal.cluster",
                self.recovery.self_heal and self.recovery.self_heal.cluster,
            ),
        ):
            if cluster and cluster not in self.clouds.clusters:
                known = ", ".join(sorted(self.clouds.clusters)) or "none"
                problems.append(f"{where}: no cluster {cluster!r} in clouds.clusters ({known})")
        if self.recovery.region_failover and not self.clouds.aws.standby_region:
            problems.append("clouds.aws.standby_region: is required by recovery.region_failover")
        if self.recovery.smoke_test and self.clouds.jenkins is None:
            problems.append("clouds.jenkins: is required by recovery.smoke_test")
        seen: set[str] = set()
        for index, signal in enumerate(self.signals):
            if signal.name in seen:
                problems.append(f"signals[{index}].name: {signal.name!r} is used twice")
            seen.add(signal.name)
        plans = set(BUILTIN_PLANS) | set(self.plans)
        for field_name in ("self_heal", "region_failover", "dr_failover"):
            rule: LevelRule = getattr(self.levels, field_name)
            if rule.plan not in plans:
                problems.append(f"levels.{field_name}.plan: no plan named {rule.plan!r}")
        drills: set[str] = set()
        for index, drill in enumerate(self.drills):
            if drill.plan not in plans:
                problems.append(f"drills[{index}].plan: no plan named {drill.plan!r}")
            if drill.name in drills:
                problems.append(f"drills[{index}].name: {drill.name!r} is used twice")
            drills.add(drill.name)
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def points_for(self, signal: SignalBase, status: Status) -> int:
        own = signal.points.get(status)
        if own is not None:
            return own
        fallback: int = getattr(self.scoring.points, status.value)
        return fallback

    @cached_property
    def signals_by_name(self) -> Mapping[str, SignalBase]:
        return {s.name: s for s in self.signals}

    def signal(self, name: str) -> SignalBase | None:
        return self.signals_by_name.get(name)

    def summary(self) -> str:
        kinds: dict[str, int] = {}
        for signal in self.signals:
            kinds[signal.kind] = kinds.get(signal.kind, 0) + 1
        kind_text = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) or "none"
        bounds = "/".join(
            str(self.levels.min_score(lv))
            for lv in (Level.SELF_HEAL, Level.REGION_FAILOVER, Level.DR_FAILOVER)
        )
        return (
            f"environment {self.environment}: {len(self.signals)} signals ({kind_text}), "
            f"levels {bounds}, {len(set(BUILTIN_PLANS) | set(self.plans))} plans, "
            f"{len(self.drills)} drills"
        )


# ----------------------------------------------------------------------------- loading


class _UniqueKeyLoader(yaml.SafeLoader):
    """A SafeLoader that refuses duplicate keys instead of keeping the last one silently."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    result: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping",
                node.start_mark,
                f"found duplicate key {key!r}",
                key_node.start_mark,
            )
        result[key] = loader.construct_object(value_node, deep=True)
    return result


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def parse_config(text: str, source: str = "phoenix.yaml") -> PhoenixConfig:
    """Parse and validate phoenix.yaml text; raise ConfigError listing every problem."""
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise ConfigError(source, problems_from_yaml(exc)) from None
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ConfigError(source, [Problem("", "the file must hold a mapping of settings")])
    try:
        return PhoenixConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(source, problems_from_validation(exc, data, PhoenixConfig)) from None


def load_config(path: str | Path) -> PhoenixConfig:
    """Read and validate a phoenix.yaml file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            str(path), [Problem("", f"cannot read the file: {exc.strerror}")]
        ) from None
    except UnicodeDecodeError:
        raise ConfigError(str(path), [Problem("", "the file is not UTF-8 text")]) from None
    return parse_config(text, str(path))

"""phoenix.yaml: the signals — what is probed, from where, and how a value becomes a status."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta
from typing import Annotated, Literal

from pydantic import Field, model_validator

from engine.duration import Duration
from engine.fields import Model, Name, SecretRef, Url
from engine.model import Status, Vantage

_SENSITIVE_HEADER = re.compile(r"authorization|cookie|token|secret|api[-_]?key|password", re.I)


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


class EksAccess(Model):
    """An EKS cluster reached from anywhere with the bot's AWS identity: its endpoint and CA
    from EKS, a token minted from the identity (the role needs ``eks:DescribeCluster`` and an
    EKS access entry on the cluster)."""

    cluster: str = Field(min_length=1)
    """The EKS cluster's name."""
    region: str | None = None
    """Its region; the primary region (or ``clouds.aws.region``) when not given."""
    endpoint_url: Url | None = None
    """EKS's API at this URL: a stand-in. Not for production."""


class KubeAccess(Model):
    """How to reach a cluster's API: a kubeconfig (and context), in-cluster, a bare URL, or
    an EKS cluster by name."""

    kubeconfig: str | None = None
    context: str | None = None
    in_cluster: bool = False
    api_url: Url | None = None
    eks: EksAccess | None = None

    @model_validator(mode="after")
    def _one_way(self) -> KubeAccess:
        ways = sum(
            [
                self.kubeconfig is not None,
                self.in_cluster,
                self.api_url is not None,
                self.eks is not None,
            ]
        )
        if ways > 1:
            raise ValueError("give only one of 'kubeconfig', 'in_cluster', 'api_url' or 'eks'")
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

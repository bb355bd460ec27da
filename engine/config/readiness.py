"""phoenix.yaml: the readiness sweep of the DR side — how often, which checks, how long a drill
stays good, and how long a change must hold before the incident channel is told."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field, field_validator

from engine.duration import Duration
from engine.fields import Model, Name


class ReadinessChecks(Model):
    """Each check on (the default) or off. A check also needs what it looks at to be in the
    plan: no ``azure_sql_ready`` stage, no Azure SQL check."""

    replication_lag: bool = True
    azure_sql: bool = True
    failover_group: bool = True
    blob_backlog: bool = True
    aks_deployments: bool = True
    aks_images: bool = True
    traffic_manager: bool = True
    route53: bool = True
    aws_identity: bool = True
    azure_identity: bool = True
    secrets: bool = True
    webhook: bool = True
    slack: bool = True
    smoke_test: bool = True
    drills: bool = True

    def enabled(self, kind: str) -> bool:
        """Whether the check ``kind`` (``traffic-manager``) is on."""
        on: bool = getattr(self, kind.replace("-", "_"))
        return on


class PrimaryWorkloads(Model):
    """Where the primary runs the Deployments the DR plan scales: their images are what the DR
    side's must match."""

    cluster: Name
    namespace: str = Field(min_length=1)


class Readiness(Model):
    interval: Duration = timedelta(minutes=5)
    plan: Name | None = None
    """The plan whose failover the checks are derived from; ``levels.dr_failover.plan`` when
    not given."""
    drill_max_age: Duration = timedelta(days=35)
    """The last successful drill of the plan must be younger than this."""
    confirm: int = Field(default=2, ge=1)
    """Sweeps in a row a check must read otherwise before the incident channel is told it
    stopped (or started again) being ready: one notice a change, not one a sweep."""
    timeout: Duration = timedelta(seconds=30)
    """How long one check may take; past it, it reads ``unknown``."""
    checks: ReadinessChecks = ReadinessChecks()
    primary: PrimaryWorkloads | None = None
    """Where to compare the DR side's images with; the self-heal plan's cluster and namespace
    when not given."""

    @field_validator("interval", "drill_max_age", "timeout")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be greater than zero")
        return value

"""The readiness checks of a configuration, derived from what its DR plan will act on.

Each stage of the plan names resources in its params; each resource becomes a check of the
state the stage needs to find it in. The other plans say what the DR side looks like between
incidents: the failback scales the DR database back to its standby objective and the DR
services back to their standby replicas, so that is what the checks expect to find. Beside the
stages: the bot's identities where the plan reaches a cloud, every secret reference of the
configuration, Slack, and the plan's drills.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any

from engine.config import BuiltinPlan, PhoenixConfig, PrimaryWorkloads
from engine.fields import secret_kind
from engine.health.readiness import access, database, drills, objects, traffic, workloads
from engine.health.readiness.check import Check, Look
from engine.plans.model import Plan, PlanStage
from engine.readiness import Area
from engine.sql_objectives import ServiceObjective
from engine.stages.azure_sql import AzureSqlReadyParams
from engine.stages.jenkins import JenkinsJobParams
from engine.stages.notify import NotifyParams
from engine.stages.objects import ObjectSyncParams
from engine.stages.region import RegionFailoverParams
from engine.stages.replication import ReplicationCheckParams
from engine.stages.traffic import TrafficSwitchParams
from engine.stages.workloads import DeployParams, RestartParams
from engine.text import shown_url

_ARM_KINDS = frozenset({"azure_sql_ready", "traffic_switch"})


def readiness_checks(
    config: PhoenixConfig,
    book: Mapping[str, Plan],
    history: drills.DrillHistory,
    sync_states: objects.SyncStates,
    now: Callable[[], datetime],
) -> list[Check]:
    """The checks of ``config.readiness_plan`` that ``readiness.checks`` leaves on."""
    plan = book[config.readiness_plan]
    found: list[Check] = []
    for stage in plan.stages:
        found += _of_stage(stage, config, book)
        if _copies_to_blob(stage):
            assert isinstance(stage.params, ObjectSyncParams)
            backlog = objects.blob_backlog(stage.params, sync_states, config.objectives.rpo, now)
            found.append(
                _check(
                    stage,
                    "blob-backlog",
                    Area.OBJECTS,
                    f"{stage.params.destination} from {stage.params.source}",
                    backlog,
                )
            )
    if any(_reaches_aws(stage) for stage in plan.stages):
        found.append(
            Check(
                "aws-identity",
                "aws-identity",
                Area.ACCESS,
                "the bot's AWS identity",
                access.identity(access.aws_identity),
            )
        )
    if any(stage.kind.name in _ARM_KINDS for stage in plan.stages):
        found.append(
            Check(
                "azure-identity",
                "azure-identity",
                Area.ACCESS,
                "the bot's Azure identity",
                access.identity(access.azure_identity),
            )
        )
    references = secret_references(config, plan)
    if references:
        found.append(
            Check(
                "secrets",
                "secrets",
                Area.ACCESS,
                f"{len(references)} secret reference(s)",
                access.secrets(references),
            )
        )
    found.append(
        Check(
            "slack",
            "slack",
            Area.ACCESS,
            "the bot's Slack app",
            access.identity(access.chat_identity),
        )
    )
    runs_it = [d.name for d in config.drills if d.plan == plan.name]
    found.append(
        Check(
            "drills",
            "drills",
            Area.DRILLS,
            f"drills of plan {plan.name}",
            drills.drill_age(plan.name, runs_it, history, config.readiness.drill_max_age, now),
        )
    )
    enabled = [c for c in found if config.readiness.checks.enabled(c.kind)]
    return _named_once(enabled)


def _of_stage(stage: PlanStage, config: PhoenixConfig, book: Mapping[str, Plan]) -> Iterator[Check]:
    params = stage.params
    timeout = config.readiness.timeout.total_seconds()
    if isinstance(params, ReplicationCheckParams):
        yield _check(
            stage,
            "replication-lag",
            Area.DATABASE,
            f"replica {params.instance} ({params.source})",
            database.replication_lag(params),
        )
    elif isinstance(params, AzureSqlReadyParams):
        where = f"Azure SQL database {params.database} on {params.server}"
        yield _check(
            stage,
            "azure-sql",
            Area.DATABASE,
            where,
            database.azure_sql(params, _standby_objective(params, book)),
        )
        if params.failover_group is not None:
            yield _check(
                stage,
                "failover-group",
                Area.DATABASE,
                f"failover group {params.failover_group} of {params.server}",
                database.failover_group(params),
            )
    elif isinstance(params, DeployParams):
        where = f"deployments of {params.cluster}/{params.namespace}"
        yield _check(
            stage, "aks-deployments", Area.WORKLOADS, where, workloads.aks_deployments(params)
        )
        yield _check(
            stage,
            "aks-images",
            Area.WORKLOADS,
            f"images of {where}",
            workloads.aks_images(params, _primary(config, book)),
        )
    elif isinstance(params, TrafficSwitchParams):
        yield _check(
            stage,
            "traffic-manager",
            Area.TRAFFIC,
            f"Traffic Manager profile {params.profile}, endpoint {params.serve}",
            traffic.traffic_manager(params, _standby_empty(book)),
        )
        if params.route53 is not None:
            r = params.route53
            yield _check(
                stage, "route53", Area.TRAFFIC, f"Route 53 {r.name} {r.type}", traffic.route53(r)
            )
    elif isinstance(params, NotifyParams):
        yield _check(
            stage,
            "webhook",
            Area.ACCESS,
            f"webhook {shown_url(params.url)}",
            access.webhook(params.url, timeout),
        )
    elif isinstance(params, JenkinsJobParams):
        yield _check(
            stage, "smoke-test", Area.ACCESS, f"Jenkins job {params.job}", access.smoke_test(params)
        )


def _check(stage: PlanStage, kind: str, area: Area, subject: str, look: Look) -> Check:
    # Named by the kind alone until the plan has two of it (``_named_once``).
    return Check(f"{kind}:{stage.name}", kind, area, subject, look)


def _named_once(checks: list[Check]) -> list[Check]:
    kinds = [c.kind for c in checks]
    return [
        c if kinds.count(c.kind) > 1 else Check(c.kind, c.kind, c.area, c.subject, c.look)
        for c in checks
    ]


def _copies_to_blob(stage: PlanStage) -> bool:
    params = stage.params
    return (
        isinstance(params, ObjectSyncParams)
        and params.source.startswith("s3://")
        and params.destination.startswith("blob://")
    )


def _reaches_aws(stage: PlanStage) -> bool:
    params = stage.params
    if isinstance(params, TrafficSwitchParams):
        return params.route53 is not None
    if isinstance(params, ReplicationCheckParams):
        return params.source == "cloudwatch"
    if isinstance(params, ObjectSyncParams):
        return "s3://" in (params.source[:5], params.destination[:5])
    return isinstance(params, RegionFailoverParams)


def _failback(book: Mapping[str, Plan]) -> Plan | None:
    return book.get(BuiltinPlan.FAILBACK.value)


def _standby_objective(
    params: AzureSqlReadyParams, book: Mapping[str, Plan]
) -> ServiceObjective | None:
    """The objective the failback leaves the same database at: where the DR side waits."""
    back = _failback(book)
    for stage in back.stages if back else ():
        other = stage.params
        if (
            isinstance(other, AzureSqlReadyParams)
            and (other.server, other.database) == (params.server, params.database)
            and other.sku is not None
        ):
            return other.sku.objective
    return None


def _standby_empty(book: Mapping[str, Plan]) -> bool:
    """Whether the failback scales the DR services down to zero (nothing serves between
    incidents)."""
    back = _failback(book)
    scaled = [
        stage.params.deployments
        for stage in (back.stages if back else ())
        if isinstance(stage.params, DeployParams)
    ]
    return bool(scaled) and all(n == 0 for replicas in scaled for n in replicas.values())


def _primary(config: PhoenixConfig, book: Mapping[str, Plan]) -> PrimaryWorkloads | None:
    """Where the primary runs the DR plan's services: ``readiness.primary``, else the cluster
    and namespace the self-heal plan restarts."""
    if config.readiness.primary is not None:
        return config.readiness.primary
    heal = book.get(config.levels.self_heal.plan)
    for stage in heal.stages if heal else ():
        if isinstance(stage.params, RestartParams):
            return PrimaryWorkloads(cluster=stage.params.cluster, namespace=stage.params.namespace)
    return None


def secret_references(config: PhoenixConfig, plan: Plan) -> list[str]:
    """Every secret reference in the configuration and the plan's params, once each."""
    found: dict[str, None] = {}
    for value in _strings(config.model_dump(mode="json")):
        if secret_kind(value) is not None:
            found[value] = None
    for stage in plan.stages:
        for value in _strings(stage.params.model_dump(mode="json")):
            if secret_kind(value) is not None:
                found[value] = None
    return list(found)


def _strings(data: Any) -> Iterator[str]:
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for value in data.values():
            yield from _strings(value)
    elif isinstance(data, list | tuple):
        for value in data:
            yield from _strings(value)

"""The built-in plans, as phoenix.yaml would spell them; a plan of the same name there wins.

Each step is a real stage where the configuration says what it acts on (``recovery:``, the
resources; ``clouds:``, how to reach them), and a ``manual`` step otherwise: a live run
pauses on it with its instruction, so nothing ever pretends to have failed over. A manual
step says the role its automated kind declares (catch-up, cut-over, verification,
notification), so a drill measures both alike.

dr-azure:  replication lag within the RPO and objects synced (in parallel); Azure SQL ready
           and services scaled on AKS (in parallel); traffic switched to Azure with the AWS
           endpoint fenced; services verified through the new path; smoke tests; webhook.
failback:  Blob -> S3 sync of what changed; AWS verified; traffic back to AWS; a final sync
           of what was written meanwhile; services verified; the DR side scaled down; webhook.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine.config.plans import BuiltinPlan
from engine.runs import StageRole

if TYPE_CHECKING:
    from engine.config import PhoenixConfig, Recovery

Stage = dict[str, Any]

_DEFAULT_RPO_SECONDS = 300


def _manual(name: str, instruction: str, *, role: StageRole | None = None, **extra: Any) -> Stage:
    stage = {"name": name, "kind": "manual", "params": {"instruction": instruction}, **extra}
    if role is not None:
        stage["role"] = role.value
    return stage


def _stage(name: str, kind: str, params: dict[str, Any], **extra: Any) -> Stage:
    return {"name": name, "kind": kind, "params": params, **extra}


def _verify(r: Recovery | None, name: str = "verify-services") -> Stage:
    if r is not None and r.verify is not None:
        return _stage(name, "verify", {"urls": list(r.verify.urls)})
    return _manual(
        name,
        "verify every service answers through the new path",
        drill=True,
        role=StageRole.VERIFICATION,
    )


def _notify(r: Recovery | None, event: str, message: str) -> Stage:
    if r is not None and r.notify is not None:
        params = {"url": r.notify.url, "secret": r.notify.secret, "event": event}
        return _stage("notify", "notify_webhook", {**params, "message": message})
    return _manual(
        "notify",
        "notify the webhook (n8n) with an HMAC-signed message",
        drill=True,
        role=StageRole.NOTIFICATION,
    )


def _lag(r: Recovery | None, name: str, rpo: float, region: str | None = None) -> Stage:
    if r is None or r.database is None:
        return _manual(
            name,
            "verify the RDS -> Azure SQL replication lag is within the RPO",
            drill=True,
            role=StageRole.CATCH_UP,
        )
    db = r.database
    params: dict[str, Any] = {
        "instance": db.replica,
        "source": db.lag_source,
        "budget": rpo,
        "catch_up_within": db.catch_up_within.total_seconds(),
    }
    if region or db.region:
        params["region"] = region or db.region
    if db.lag_query:
        params["query"] = db.lag_query
    return _stage(name, "replication_check", params)


def _sync(r: Recovery | None, name: str, back: bool, **extra: Any) -> Stage:
    if r is None or r.objects is None:
        what = "Blob Storage back to S3" if back else "S3 to Blob Storage"
        return _manual(name, f"synchronise {what}", role=StageRole.CATCH_UP, **extra)
    o = r.objects
    s3, blob = o.s3_location, o.blob_location
    params = (
        {"source": blob, "destination": s3, "deletion": o.failback_deletion}
        if back
        else {"source": s3, "destination": blob, "deletion": o.deletion}
    )
    return _stage(name, "object_sync", params, **extra)


def _sql(r: Recovery | None, name: str, *, standby: bool, **extra: Any) -> Stage | None:
    if r is None or r.azure_sql is None:
        if standby:
            return _manual(name, "scale Azure SQL back down to its standby size", **extra)
        return _manual(name, "scale the Azure SQL database up to its production tier", **extra)
    sql = r.azure_sql
    sku = sql.standby_sku if standby else sql.sku
    if standby and sku is None:
        return None
    params: dict[str, Any] = {"server": sql.server, "database": sql.database}
    if sku is not None:
        params["sku"] = sku.objective.name
    if sql.resource_group:
        params["resource_group"] = sql.resource_group
    if sql.failover_group and not standby:
        params["failover_group"] = sql.failover_group
    return _stage(name, "azure_sql_ready", params, **extra)


def _aks(r: Recovery | None, name: str, *, standby: bool, **extra: Any) -> Stage:
    if r is None or r.aks is None:
        if standby:
            return _manual(name, "scale the services on AKS back down to standby", **extra)
        return _manual(
            name, "deploy or scale the services on AKS and wait for the rollout", **extra
        )
    aks = r.aks
    replicas = {n: (aks.standby_replicas if standby else c) for n, c in aks.deployments.items()}
    params: dict[str, Any] = {
        "cluster": aks.cluster,
        "namespace": aks.namespace,
        "deployments": replicas,
    }
    if aks.unschedulable_grace:
        params["unschedulable_grace"] = aks.unschedulable_grace.total_seconds()
    return _stage(name, "aks_deploy", params, **extra)


def _traffic(r: Recovery | None, name: str, *, back: bool) -> Stage:
    if r is None or r.traffic is None:
        if back:
            return _manual(
                name,
                "enable the AWS endpoint and restore Traffic Manager priorities",
                role=StageRole.CUT_OVER,
            )
        return _manual(
            name,
            "raise Azure's Traffic Manager priority and disable the AWS endpoint (fence the "
            "old primary); Route 53 too, if used",
            role=StageRole.CUT_OVER,
        )
    t = r.traffic
    serve, other = (t.aws_endpoint, t.dr_endpoint) if back else (t.dr_endpoint, t.aws_endpoint)
    params: dict[str, Any] = {
        "profile": t.profile,
        "serve": serve,
        "priorities": {serve: 1, other: 2},
        # Failing over fences AWS; failing back leaves Azure enabled, as the standby.
        "disable": [] if back else [t.aws_endpoint],
    }
    if t.resource_group:
        params["resource_group"] = t.resource_group
    if t.route53 is not None:
        record = t.route53.primary_record if back else t.route53.dr_record
        params["route53"] = {
            "zone_id": t.route53.zone_id,
            "name": t.route53.name,
            "type": t.route53.type,
            "primary": record,
        }
    return _stage(name, "traffic_switch", params)


def _self_heal(r: Recovery | None) -> list[Stage | None]:
    if r is None or r.self_heal is None:
        return [
            _manual(
                "find-unhealthy",
                "list the EKS deployments whose pods are not ready",
                drill=True,
            ),
            _manual("restart-unhealthy", "rollout-restart each unhealthy deployment"),
            _manual("wait-rollout", "wait until the restarted deployments are ready again"),
            _verify(r),
        ]
    h = r.self_heal
    params: dict[str, Any] = {"cluster": h.cluster, "namespace": h.namespace}
    if h.deployments:
        params["deployments"] = list(h.deployments)
    if h.selector:
        params["selector"] = h.selector
    if h.unschedulable_grace:
        params["unschedulable_grace"] = h.unschedulable_grace.total_seconds()
    return [_stage("restart-unhealthy", "rollout_restart", params), _verify(r)]


def _region_failover(r: Recovery | None, rpo: float, region: str | None) -> list[Stage | None]:
    if r is None or r.region_failover is None:
        return [
            _manual(
                "check-replica-lag",
                "check the cross-region RDS read replica lags less than the RPO",
                drill=True,
                role=StageRole.CATCH_UP,
            ),
            _manual(
                "promote-replica",
                "promote the RDS read replica in the standby region",
                group="standby",
                role=StageRole.CUT_OVER,
            ),
            _manual(
                "scale-standby-cluster",
                "scale the standby region's EKS node groups up",
                group="standby",
            ),
            _manual(
                "deploy-services",
                "scale the services up in the standby region, wait for rollout",
            ),
            _manual(
                "switch-traffic",
                "fail the Route 53 records over to the standby region",
                role=StageRole.CUT_OVER,
            ),
            _verify(r),
            _notify(r, "phoenix.region_failover", "region failover"),
        ]
    f = r.region_failover
    lag: Stage = _stage(
        "check-replica-lag",
        "replication_check",
        {"instance": f.replica, "region": region, "budget": rpo},
    )
    params: dict[str, Any] = {
        "region": region,
        "replica": f.replica,
        "route53": {
            "zone_id": f.route53.zone_id,
            "name": f.route53.name,
            "type": f.route53.type,
            "primary": f.route53.dr_record,
        },
    }
    if f.node_group is not None:
        params["node_group"] = f.node_group.model_dump()
    return [
        lag,
        _stage("fail-over-region", "region_failover", params),
        _verify(r),
        _notify(r, "phoenix.region_failover", "failed over to the standby AWS region"),
    ]


def _dr_azure(r: Recovery | None, rpo: float) -> list[Stage | None]:
    stages: list[Stage | None] = [
        _lag(r, "check-replication-lag", rpo) | {"group": "catch-up"},
        _sync(r, "sync-objects", back=False, group="catch-up", drill=True),
        _sql(r, "scale-azure-sql", standby=False, group="azure-ready", drill=True),
        _aks(r, "deploy-services", standby=False, group="azure-ready", drill=True),
        _traffic(r, "switch-traffic", back=False),
        _verify(r),
    ]
    if r is not None and r.smoke_test is not None:
        params = {"job": r.smoke_test.job, "parameters": dict(r.smoke_test.parameters)}
        stages.append(_stage("smoke-tests", "jenkins_job", params))
    stages.append(_notify(r, "phoenix.dr_failover", "failed over to Azure"))
    return stages


def _failback(r: Recovery | None) -> list[Stage | None]:
    return [
        # Writing to production S3 is no rehearsal step.
        _sync(r, "sync-objects-back", back=True, drill=False),
        _manual(
            "check-primary",
            "check the primary side (EKS services, RDS) is healthy and caught up",
            role=StageRole.VERIFICATION,
        )
        if r is None or r.verify is None
        else _verify(r, "check-primary"),
        _traffic(r, "switch-traffic-back", back=True),
        _sync(r, "sync-objects-final", back=True, drill=False),
        _verify(r),
        _aks(r, "scale-down-aks", standby=True, group="standby"),
        _sql(r, "scale-down-azure-sql", standby=True, group="standby"),
        _notify(r, "phoenix.failback", "failed back to AWS"),
    ]


def builtin_plan_data(config: PhoenixConfig | None = None) -> dict[str, Any]:
    """Plan name -> its phoenix.yaml mapping (validated into a PlanSpec by ``engine.plans.model``),
    with the resources ``config`` names; all steps ``manual`` without a configuration."""
    r = config.recovery if config is not None else None
    rpo = config.objectives.rpo.total_seconds() if config is not None else _DEFAULT_RPO_SECONDS
    standby_region = config.clouds.aws.standby_region if config is not None else None
    plans: dict[BuiltinPlan, tuple[str, list[Stage | None]]] = {
        BuiltinPlan.SELF_HEAL: (
            "Level 1: restart what is unhealthy in the primary cluster, automatically.",
            _self_heal(r),
        ),
        BuiltinPlan.REGION_FAILOVER: (
            "Level 2: fail over to the standby AWS region.",
            _region_failover(r, rpo, standby_region),
        ),
        BuiltinPlan.DR_AZURE: ("Level 3: DR failover from AWS to Azure.", _dr_azure(r, rpo)),
        BuiltinPlan.FAILBACK: (
            "Return from Azure to AWS once the primary is healthy again.",
            _failback(r),
        ),
    }
    return {
        name.value: {"description": text, "stages": [s for s in stages if s is not None]}
        for name, (text, stages) in plans.items()
    }

"""The sandbox's phoenix.yaml: the seed's signals and levels, pointed at the sandbox world,
with a short evaluation interval so a story plays in a minute.

The plans are the built-in ones (``engine.plans.builtin``), acting through the real stages on
the sim world's resources that ``recovery:`` names (``clouds:`` says which clusters exist;
``sandbox.cloud`` reaches them). The only sandbox touch is time: each stage of the built-in
plans is written out under its own name with short polls, waits, timeouts and retry delays,
since the sim converges in about a second where a cloud takes minutes. The level-2 plan has
no standby AWS region to act on here, so its steps stay ``manual``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import yaml

from engine.adapters.http.probes import HttpProbes
from engine.adapters.sim import SimHealthCheck, SimNodeReadiness, SimReplicaLag, SimWorld
from engine.config import (
    EksNodesSignal,
    HttpSignal,
    PhoenixConfig,
    RdsReplicaLagSignal,
    Route53HealthCheckSignal,
    parse_config,
)
from engine.health.collect import Collector
from engine.model import Reading
from engine.plans.builtin import builtin_plan_data
from engine.ports import Clock, SignalSource
from engine.stages import REGISTRY
from sandbox.network import PUBLIC_HOST, WEBHOOK_HOST, ObserverNetwork

ENVIRONMENT = "sandbox"
APPROVERS = ("UALICE", "UBOB")
RESPONDERS = ("UCAROL",)
"""carol may ask for a failover or failback and silence proposals, but not decide on one."""
WEBHOOK_KEY_VARIABLE = "PHOENIX_SANDBOX_WEBHOOK_KEY"
SECRETS: Mapping[str, str] = {WEBHOOK_KEY_VARIABLE: "sandbox-webhook-signing-key"}
"""What the sandbox's secret references resolve to (never the process environment)."""

_TEMPLATE = """
environment: {environment}
primary: {{cloud: aws, region: us-east-1}}
dr: {{cloud: azure, region: eastus2}}
signals:
  - name: service-a
    kind: http
    description: Service A (API), probed by the observer
    targets:
      - http://service-a.prod.aws/health
      - http://service-a.prod.aws/ready
      - http://service-a.prod.aws/live
    timeout: 2s
    slow_after: 1s
    points: {{degraded: 2, down: 4}}
  - name: service-b
    kind: http
    description: Service B (worker), probed by the observer
    targets:
      - http://service-b.prod.aws/health
      - http://service-b.prod.aws/ready
      - http://service-b.prod.aws/live
    timeout: 2s
    slow_after: 1s
    points: {{degraded: 2, down: 4}}
  - name: external-uptime
    kind: route53_health_check
    vantage: external
    health_check_id: {health_check}
    points: {{degraded: 1, down: 3}}
  - name: cross-cloud
    kind: http
    vantage: cross-cloud
    description: the public endpoint, from the DR side
    targets: [http://app.public/health]
    timeout: 2s
    points: {{degraded: 1, down: 3}}
  - name: rds-replication-lag
    kind: rds_replica_lag
    db_instance: {replica}
    thresholds:
      - {{above: 60, status: degraded}}
      - {{above: 300, status: down}}
    points: {{degraded: 1, down: 3}}
  - name: eks-nodes
    kind: eks_nodes
    thresholds:
      - {{above: 0.2, status: degraded}}
      - {{above: 0.5, status: down}}
    points: {{degraded: 2, down: 4}}
levels:
  self_heal: {{min_score: 4, policy: auto, plan: self-heal}}
  region_failover: {{min_score: 8, policy: approve, plan: region-failover}}
  dr_failover: {{min_score: 11, policy: two-person, plan: dr-azure}}
evaluation:
  interval: {interval}
  confirm: 2
  clear: 3
  margin: 1
  cooldown: {cooldown}
slack:
  channel: "#incidents"
  approvers: {{users: [{approvers}]}}
  responders: {{users: [{responders}]}}
  approval_ttl: 30m
objectives: {{rto: 15m, rpo: 5m}}
drills:
  - name: weekly-dr
    schedule: "0 10 * * 2"
    plan: dr-azure
    mode: rehearsal
clouds:
  aws: {{region: {region}}}
  azure: {{subscription_id: sandbox, resource_group: phoenix-dr}}
  clusters:
    {eks}: {{}}
    {aks}: {{}}
recovery:
  database:
    replica: {replica}
    catch_up_within: {catch_up}
  objects:
    bucket: {bucket}
    container: {container}
    continuous: {{every: {warm_every}, margin: 0s, full_every: 1h}}
  azure_sql:
    server: {sql_server}
    database: {sql_database}
    sku: {{name: P2, tier: Premium, capacity: 250}}
    standby_sku: {{name: S0, tier: Standard, capacity: 10}}
    failover_group: {failover_group}
  aks:
    cluster: {aks}
    namespace: {namespace}
    deployments: {{{deployments}}}
    standby_replicas: 0
  traffic:
    profile: {profile}
    dr_endpoint: azure-dr
    aws_endpoint: aws-primary
    route53:
      zone_id: {zone}
      name: {record}
      dr_record: azure
      primary_record: aws
  verify:
    urls: [http://{public}/health]
  notify:
    url: http://{webhook_host}/webhook/phoenix
    secret: env:{webhook_key}
  self_heal:
    cluster: {eks}
    namespace: {namespace}
    deployments: [{services}]
readiness:
  interval: {readiness_every}
  confirm: 2
  timeout: 5s
"""


def sandbox_config_text(
    world: SimWorld, *, interval: float = 3.0, cooldown: float = 60.0, step: float = 0.5
) -> str:
    """phoenix.yaml of the sandbox, with the built-in plans written out, their waits short."""
    top = world.topology
    text = _TEMPLATE.format(
        environment=ENVIRONMENT,
        health_check=top.health_check_id,
        replica=top.replica_db,
        interval=f"{interval:g}s",
        cooldown=f"{cooldown:g}s",
        approvers=", ".join(APPROVERS),
        responders=", ".join(RESPONDERS),
        region=top.region,
        eks=top.eks,
        aks=top.aks,
        catch_up=f"{max(5.0, step * 20):g}s",
        bucket=top.bucket,
        container=top.container,
        sql_server=top.sql_server,
        sql_database=top.sql_database,
        failover_group=world.sql.failover_group,
        namespace=top.namespace,
        deployments=", ".join(f"{name}: 2" for name in top.services),
        services=", ".join(top.services),
        profile=top.traffic_profile,
        zone=top.zone_id,
        record=top.record,
        public=PUBLIC_HOST,
        webhook_key=WEBHOOK_KEY_VARIABLE,
        webhook_host=WEBHOOK_HOST,
        warm_every="10s",
        readiness_every=f"{max(interval * 2, 2.0):g}s",
    )
    base = parse_config(text, "sandbox phoenix.yaml")
    plans = {name: _quick(plan, step) for name, plan in builtin_plan_data(base).items()}
    return text + yaml.safe_dump({"plans": plans}, sort_keys=False, width=100)


def _quick(plan: dict[str, Any], step: float) -> dict[str, Any]:
    """A built-in plan with the sandbox's pace: polls every ``step``, waits, per-attempt
    timeouts and retry delays in seconds, not minutes."""
    stages = []
    for stage in plan["stages"]:
        kind = REGISTRY.get(stage["kind"])
        fields = kind.params.model_fields if kind is not None else {}
        params = dict(stage.get("params", {}))
        for name, value in (
            ("poll_interval", f"{step:g}s"),
            ("interval", f"{step:g}s"),
            ("wait", f"{max(5.0, step * 20):g}s"),
            ("timeout", "2s"),
        ):
            if name in fields:
                params[name] = value
        quick = {**stage, "params": params}
        if stage["kind"] != "manual":
            quick["timeout"] = "30s"
            quick["retry"] = {"initial_interval": "1s", "maximum_interval": "2s"}
        stages.append(quick)
    return {**plan, "stages": stages}


def sandbox_config(world: SimWorld, **tuning: float) -> PhoenixConfig:
    return parse_config(sandbox_config_text(world, **tuning), "sandbox phoenix.yaml")


def sandbox_collector(
    config: PhoenixConfig, world: SimWorld, network: ObserverNetwork, clock: Clock
) -> Callable[[], Sequence[Reading]]:
    """The signal sources of the sandbox: real HTTP probes over the observer's network, and
    the sim world's sources for the signals that read a cloud API."""
    sources: list[SignalSource] = []
    http: list[HttpSignal] = []
    for signal in config.signals:
        if isinstance(signal, HttpSignal):
            http.append(signal)
        elif isinstance(signal, RdsReplicaLagSignal):
            sources.append(SimReplicaLag(signal, world, clock))
        elif isinstance(signal, EksNodesSignal):
            sources.append(SimNodeReadiness(signal, world, clock))
        elif isinstance(signal, Route53HealthCheckSignal):
            sources.append(SimHealthCheck(signal, clock, network.public_answers))
    if http:
        sources.insert(0, HttpProbes(http, clock, network_factory=network.probe_network))
    vantages = {signal.name: signal.vantage for signal in config.signals}
    return Collector(sources, vantages, clock).collect

"""The sandbox's phoenix.yaml: the seed's signals and levels, pointed at the sandbox world,
with a short evaluation interval so a story plays in a minute.

The plans are the sandbox's own, made of the runner's test stage kinds (``noop``, ``sleep``)
under the real plans' stage names; ``sandbox.actuator`` applies what each finished stage
stands for to the simulated world.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from engine.adapters.http_probes import HttpProbes
from engine.adapters.sim import SimHealthCheck, SimNodeReadiness, SimReplicaLag, SimWorld
from engine.collect import Collector
from engine.config import (
    EksNodesSignal,
    HttpSignal,
    PhoenixConfig,
    RdsReplicaLagSignal,
    Route53HealthCheckSignal,
    parse_config,
)
from engine.model import Reading
from engine.ports import Clock, SignalSource
from sandbox.network import ObserverNetwork

ENVIRONMENT = "sandbox"
APPROVERS = ("UALICE", "UBOB")

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
  approval_ttl: 30m
objectives: {{rto: 15m, rpo: 5m}}
drills:
  - name: weekly-dr
    schedule: "0 10 * * 2"
    plan: dr-azure
    mode: rehearsal
plans:
  self-heal:
    description: "Level 1: restart what is unhealthy in the primary cluster."
    stages:
      - {{name: find-unhealthy, kind: noop, drill: true}}
      - {{name: restart-unhealthy, drill: false, {sleep}}}
      - {{name: wait-rollout, drill: false, {sleep}}}
      - {{name: verify-services, kind: noop, drill: true}}
  region-failover:
    description: "Level 2: fail over to the standby AWS region."
    stages:
      - {{name: check-replica-lag, kind: noop, drill: true}}
      - {{name: promote-replica, drill: false, group: standby, {sleep}}}
      - {{name: scale-standby-cluster, drill: false, group: standby, {sleep}}}
      - {{name: switch-traffic, drill: false, {sleep}}}
      - {{name: verify-services, kind: noop, drill: true}}
      - {{name: notify, kind: noop, drill: true}}
  dr-azure:
    description: "Level 3: DR failover from AWS to Azure."
    stages:
      - {{name: check-replication-lag, kind: noop, drill: true}}
      - {{name: catch-up-database, group: catch-up, drill: true, {sleep}}}
      - {{name: sync-objects, group: catch-up, drill: true, {sleep}}}
      - {{name: scale-azure-sql, group: azure-ready, drill: true, {sleep}}}
      - {{name: scale-aks, group: azure-ready, drill: true, {sleep}}}
      - {{name: deploy-services, drill: true, {sleep}}}
      - {{name: fence-primary, drill: false, kind: noop}}
      - {{name: switch-traffic, drill: false, {sleep}}}
      - {{name: verify-services, kind: noop, drill: true}}
      - {{name: notify, kind: noop, drill: true}}
  failback:
    description: "Return from Azure to AWS once the primary is healthy again."
    stages:
      - {{name: check-reverse-replication, kind: noop, drill: true}}
      - {{name: sync-objects-back, drill: true, {sleep}}}
      - {{name: scale-primary, drill: false, {sleep}}}
      - {{name: switch-traffic-back, drill: false, {sleep}}}
      - {{name: verify-services, kind: noop, drill: true}}
      - {{name: scale-down-azure, drill: false, kind: noop}}
      - {{name: notify, kind: noop, drill: true}}
"""


def sandbox_config_text(
    world: SimWorld, *, interval: float = 3.0, cooldown: float = 60.0, step: float = 0.5
) -> str:
    top = world.topology
    return _TEMPLATE.format(
        environment=ENVIRONMENT,
        health_check=top.health_check_id,
        replica=top.replica_db,
        interval=f"{interval:g}s",
        cooldown=f"{cooldown:g}s",
        approvers=", ".join(APPROVERS),
        sleep=f"kind: sleep, params: {{seconds: {step:g}}}",
    )


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
        sources.insert(0, HttpProbes(http, clock, transport_factory=network.transport))
    vantages = {signal.name: signal.vantage for signal in config.signals}
    return Collector(sources, vantages, clock).collect

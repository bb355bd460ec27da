"""``region_failover`` (level 2): the standby AWS region takes over.

Scales the standby region's EKS node group up (capacity first: it is the slowest), promotes
the cross-region RDS read replica and waits until it is a standalone, available primary, then
makes the standby's Route 53 failover record PRIMARY and waits for INSYNC. Each step checks
its end state first, so a resumed stage goes on where it stopped. Never in a drill rehearsal.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from pydantic import Field

from engine.duration import Duration, format_duration
from engine.retry import RetryPolicy
from engine.runs import StageRole
from engine.stages.common import Params, poll_until, wait_for_operation
from engine.stages.context import StageContext, StageInfo
from engine.stages.ports import AWS_INFRA, DATABASES
from engine.stages.registry import Stage, StageResult, stage_kind
from engine.stages.traffic import Route53Switch


class NodeGroupScale(Params):
    cluster: str = Field(min_length=1)
    name: str = Field(min_length=1)
    desired: int = Field(ge=0)
    minimum: int | None = Field(default=None, ge=0)
    maximum: int | None = Field(default=None, ge=1)


class RegionFailoverParams(Params):
    region: str = Field(min_length=1)
    """The standby region."""
    replica: str = Field(min_length=1)
    """The cross-region read replica to promote."""
    route53: Route53Switch
    node_group: NodeGroupScale | None = None
    wait: Duration = timedelta(minutes=20)
    poll_interval: Duration = timedelta(seconds=15)


@stage_kind(
    "region_failover",
    params=RegionFailoverParams,
    timeout=timedelta(minutes=30),
    retry=RetryPolicy(initial_interval=timedelta(seconds=15), maximum_attempts=3),
    drill=False,
    role=StageRole.CUT_OVER,
)
class RegionFailover(Stage[RegionFailoverParams]):
    """Promotes the cross-region replica, fails Route 53 over, scales the standby nodes."""

    def run(self, ctx: StageContext, params: RegionFailoverParams) -> StageResult:
        infra = ctx.ports.get(AWS_INFRA)
        rds = ctx.ports.get(DATABASES).replica_database(params.region)
        done: list[str] = []
        group = params.node_group
        if group is not None:
            ctx.check()
            nodes = infra.node_groups(params.region)
            if nodes.scale_node_group(
                group.cluster,
                group.name,
                group.desired,
                minimum=group.minimum,
                maximum=group.maximum,
            ):
                done.append(f"node group {group.name} scaled to {group.desired}")
                ctx.progress(done[-1])
        ctx.check()
        if rds.promote(params.replica):
            done.append(f"promoted {params.replica}")
            ctx.progress(f"promoting {params.replica}; waiting until it is available")

        # Promotion runs in the background; the instance is writable once it is available
        # again (moto, unlike RDS, keeps naming the source afterwards: the status is what
        # converges in both).
        poll_until(
            ctx,
            lambda: (
                rds.describe(params.replica).status == "available",
                f"{params.replica} is promoting",
                None,
            ),
            params.wait,
            params.poll_interval,
        )
        r = params.route53
        operation = infra.dns_failover().make_primary(r.zone_id, r.name, r.type, r.primary)
        if operation is not None:
            ctx.progress(f"Route 53: {r.primary} becomes PRIMARY for {r.name}")
            wait_for_operation(ctx, operation, params.wait, params.poll_interval)
            done.append(f"Route 53 {r.name} -> {r.primary}")
        if group is not None:
            state = infra.node_groups(params.region).node_group(group.cluster, group.name)
            if state.status != "ACTIVE":
                poll_until(
                    ctx,
                    lambda: (
                        infra.node_groups(params.region)
                        .node_group(group.cluster, group.name)
                        .status
                        == "ACTIVE",
                        f"node group {group.name} is updating",
                        None,
                    ),
                    params.wait,
                    params.poll_interval,
                )
        return StageResult(
            f"{params.region} is primary: " + ("; ".join(done) or "already failed over"),
            {"region": params.region},
        )

    def preflight(self, ctx: StageContext, params: RegionFailoverParams) -> str:
        infra = ctx.ports.get(AWS_INFRA)
        instance = ctx.ports.get(DATABASES).replica_database(params.region).describe(params.replica)
        text = f"{params.replica} is {instance.status}" + (
            f", replica of {instance.replica_source}" if instance.is_replica else ", standalone"
        )
        r = params.route53
        records = infra.dns_failover().records(r.zone_id, r.name, r.type)
        text += f"; Route 53 {r.name}: " + ", ".join(
            f"{x.set_identifier} {x.role}" for x in records
        )
        if params.node_group is not None:
            g = params.node_group
            state = infra.node_groups(params.region).node_group(g.cluster, g.name)
            text += f"; node group {g.name} {state.status} at {state.desired}"
        return text

    def describe(self, params: RegionFailoverParams, info: StageInfo) -> Sequence[str]:
        actions = []
        if params.node_group is not None:
            g = params.node_group
            actions.append(
                f"scale EKS node group {g.name} of {g.cluster} in {params.region} to "
                f"{g.desired} nodes unless it is"
            )
        r = params.route53
        actions += [
            f"promote RDS read replica {params.replica} in {params.region} unless it is "
            f"standalone, and wait up to {format_duration(params.wait)} until it is available",
            f"make Route 53 failover record {r.primary} PRIMARY for {r.name} {r.type} "
            f"(zone {r.zone_id}) and wait for INSYNC",
        ]
        return actions

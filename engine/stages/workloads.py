"""Deployments on a Kubernetes cluster: ``aks_deploy`` scales the DR services to their target
replicas and waits until they are available; ``rollout_restart`` restarts the unhealthy ones
of the primary cluster as ``kubectl rollout restart`` does and waits for the rollout.

A rollout is done when ``kubectl rollout status`` would say so. One that cannot go on —
its new pods' image cannot be pulled, no node can take them, or the controller declared its
progress deadline exceeded — fails the stage at once as fatal, naming the deployment and the
reason: waiting out the stage's timeout would only spend the RTO, and another attempt
cannot fix a missing image or a full cluster (a person can, then retry the stage).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from pydantic import Field, model_validator

from engine.cloud_ports import Cluster, DeploymentState, StuckPod
from engine.duration import Duration, format_duration
from engine.errors import StageFatal
from engine.retry import RetryPolicy
from engine.stages.common import Params, poll_until
from engine.stages.context import StageContext, StageInfo
from engine.stages.ports import CLUSTERS
from engine.stages.registry import Stage, StageResult, stage_kind

ROLLOUT_STUCK = "RolloutStuck"
"""The ``error_type`` of a rollout that cannot go on."""
SCALED_FACT = "deployments_scaled"
"""How many deployments ``aks_deploy`` scaled (0: the DR side already ran them)."""


class RolloutWait(Params):
    wait: Duration = timedelta(minutes=10)
    poll_interval: Duration = timedelta(seconds=5)
    unschedulable_grace: Duration = timedelta(0)
    """How long new pods may wait for a node before the rollout counts as stuck. Zero fails
    at once; give a cluster that grows on demand (cluster autoscaler, Karpenter, AKS node
    auto-provisioning) about the time it takes to add a node."""


class DeployParams(RolloutWait):
    cluster: str = Field(min_length=1)
    """A cluster of ``clouds.clusters``."""
    namespace: str = Field(min_length=1)
    deployments: dict[str, int] = Field(min_length=1)
    """Deployment name -> the replicas it must run."""


@stage_kind(
    "aks_deploy",
    params=DeployParams,
    timeout=timedelta(minutes=15),
    retry=RetryPolicy(initial_interval=timedelta(seconds=10), maximum_attempts=3),
    drill=True,
)
class AksDeploy(Stage[DeployParams]):
    """Scales Deployments to their target replicas and waits until they are available."""

    def holds(self, ctx: StageContext, params: DeployParams) -> bool:
        cluster = _cluster(ctx, params.cluster)
        states = [cluster.deployment(params.namespace, n) for n in params.deployments]
        return all(s.desired == params.deployments[s.name] and s.rolled_out for s in states)

    def run(self, ctx: StageContext, params: DeployParams) -> StageResult:
        cluster = _cluster(ctx, params.cluster)
        scaled = []
        for name, replicas in params.deployments.items():
            ctx.check()
            if cluster.scale(params.namespace, name, replicas):
                scaled.append(f"{name}={replicas}")
        if scaled:
            ctx.progress(f"scaled {', '.join(scaled)} in {params.cluster}/{params.namespace}")
        seen = _await_rollout(ctx, cluster, params.namespace, list(params.deployments), params)
        return StageResult(
            f"{params.cluster}/{params.namespace}: {seen}"
            + (f" (scaled {', '.join(scaled)})" if scaled else ""),
            {SCALED_FACT: len(scaled)},
        )

    def preflight(self, ctx: StageContext, params: DeployParams) -> str:
        cluster = _cluster(ctx, params.cluster)
        states = [cluster.deployment(params.namespace, n) for n in params.deployments]
        return f"{params.cluster}/{params.namespace}: " + ", ".join(
            f"{s.name} {s.available}/{s.desired} available" for s in states
        )

    def describe(self, params: DeployParams, info: StageInfo) -> Sequence[str]:
        where = f"cluster {params.cluster}, namespace {params.namespace}"
        return [
            *(
                f"scale deployment {name} to {replicas} replicas ({where}) unless it is"
                for name, replicas in params.deployments.items()
            ),
            f"wait up to {format_duration(params.wait)} until every one is rolled out and "
            "available; fail at once if a rollout is stuck",
        ]


class RestartParams(RolloutWait):
    cluster: str = Field(min_length=1)
    namespace: str = Field(min_length=1)
    deployments: list[str] = Field(default_factory=list)
    """Deployments to look at; with ``selector``, or alone; all of the namespace if neither."""
    selector: str | None = None

    @model_validator(mode="after")
    def _unique(self) -> RestartParams:
        if len(set(self.deployments)) != len(self.deployments):
            raise ValueError("deployments: a deployment is named twice")
        return self


@stage_kind(
    "rollout_restart",
    params=RestartParams,
    timeout=timedelta(minutes=15),
    retry=RetryPolicy(initial_interval=timedelta(seconds=10), maximum_attempts=2),
    drill=False,
)
class RolloutRestart(Stage[RestartParams]):
    """Restarts the unhealthy Deployments (kubectl rollout restart) and waits for them."""

    def run(self, ctx: StageContext, params: RestartParams) -> StageResult:
        cluster = _cluster(ctx, params.cluster)
        # One stamp per run and stage: a retried or resumed attempt re-applies the same
        # restart, which the cluster port recognises and does not repeat.
        stamp = _stamp(ctx.run_id, ctx.idempotency_key)
        chosen = _chosen(cluster, params)
        restarted = [d.name for d in chosen if d.restarted_at == _iso(stamp)]
        unhealthy = [d for d in chosen if not d.rolled_out and d.name not in restarted]
        for deployment in unhealthy:
            ctx.check()
            if cluster.restart(params.namespace, deployment.name, stamp):
                restarted.append(deployment.name)
        if not restarted:
            return StageResult(
                f"{params.cluster}/{params.namespace}: all {len(chosen)} deployment(s) healthy, "
                "nothing restarted",
                {"deployments_restarted": 0},
            )
        ctx.progress(f"restarted {', '.join(restarted)}; waiting for the rollout")
        seen = _await_rollout(ctx, cluster, params.namespace, restarted, params)
        return StageResult(
            f"restarted {', '.join(restarted)} in {params.cluster}/{params.namespace}: {seen}",
            {"deployments_restarted": len(restarted)},
        )

    def preflight(self, ctx: StageContext, params: RestartParams) -> str:
        chosen = _chosen(_cluster(ctx, params.cluster), params)
        unhealthy = [d.name for d in chosen if not d.rolled_out]
        return (
            f"{params.cluster}/{params.namespace}: {len(chosen)} deployment(s) read, "
            f"unhealthy: {', '.join(unhealthy) or 'none'}"
        )

    def describe(self, params: RestartParams, info: StageInfo) -> Sequence[str]:
        which = (
            ", ".join(params.deployments)
            if params.deployments
            else f"selector {params.selector}"
            if params.selector
            else "every deployment"
        )
        return [
            f"read {which} in cluster {params.cluster}, namespace {params.namespace}",
            "restart each that is not fully available (the restartedAt annotation, as "
            f"kubectl rollout restart does, stamped for {info.idempotency_key})",
            f"wait up to {format_duration(params.wait)} for the restarted ones to roll out; "
            "fail at once if a rollout is stuck",
        ]


def _cluster(ctx: StageContext, name: str) -> Cluster:
    return ctx.ports.get(CLUSTERS).cluster(name)


def _chosen(cluster: Cluster, params: RestartParams) -> list[DeploymentState]:
    if params.deployments and not params.selector:
        return [cluster.deployment(params.namespace, n) for n in params.deployments]
    found = cluster.deployments(params.namespace, params.selector)
    if params.deployments:
        found = [d for d in found if d.name in params.deployments]
    return found


def _await_rollout(
    ctx: StageContext,
    cluster: Cluster,
    namespace: str,
    names: list[str],
    params: RolloutWait,
) -> str:
    unschedulable_since: dict[str, float] = {}

    def rolled_out() -> tuple[bool, str, float | None]:
        states = [cluster.deployment(namespace, n) for n in names]
        waiting_for_nodes = []
        for state in states:
            if state.deadline_exceeded is not None:
                _stuck(state, f"progress deadline exceeded ({state.deadline_exceeded})")
            rolling = state.observed and not state.rolled_out
            stuck = cluster.stuck_pods(namespace, state.name) if rolling else []
            if any(p.trouble == "image" for p in stuck):
                _stuck(state, _why(stuck))
            if not stuck:
                unschedulable_since.pop(state.name, None)
                continue
            first = unschedulable_since.setdefault(state.name, time.monotonic())
            if time.monotonic() - first >= params.unschedulable_grace.total_seconds():
                _stuck(state, _why(stuck))
            waiting_for_nodes.append(state.name)
        ready = sum(min(s.available, s.desired) for s in states)
        desired = sum(s.desired for s in states)
        seen = ", ".join(f"{s.name} {s.available}/{s.desired}" for s in states)
        done = all(s.rolled_out for s in states)
        text = f"{ready}/{desired} ready ({seen})"
        if waiting_for_nodes:
            text += f"; pods of {', '.join(waiting_for_nodes)} wait for a node"
        return done, text, (ready / desired if desired else 1.0)

    return poll_until(ctx, rolled_out, params.wait, params.poll_interval)


def _why(stuck: list[StuckPod]) -> str:
    image = [p for p in stuck if p.trouble == "image"]
    if image:
        first = image[0]
        return f"image not pullable: {first.reason} on pod {first.name}: {first.message}"
    first = stuck[0]
    return f"pods unschedulable: {len(stuck)} pod(s), e.g. {first.name}: {first.message}"


def _stuck(state: DeploymentState, reason: str) -> None:
    raise StageFatal(
        f"deployment {state.namespace}/{state.name}: rollout stuck, {reason}"[:500],
        error_type=ROLLOUT_STUCK,
    )


def _stamp(run_id: str, key: str) -> datetime:
    """A restart time that is the same on every attempt of this stage in this run: the run's
    start is encoded in its id (``YYYYmmdd-HHMMSS-...``), else a fixed point from the key."""
    try:
        return datetime.strptime(run_id[:15], "%Y%m%d-%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        seconds = int.from_bytes(key.encode()[:4].ljust(4, b"\0"), "big") % 86400
        return datetime(2000, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

"""The level 1 and level 2 built-in plans, ``self-heal`` and ``region-failover``, each run whole
through the durable runner against the stand-ins, as ``phoenix.yaml``'s ``recovery:`` section
builds them: every stage real, every effect checked in the stand-in it landed in."""

from __future__ import annotations

import pytest

from engine.plans.model import plan_book
from engine.records import Surface
from engine.runs import RunState, StageState
from tests.cloud.kube_fake import ControllerLoop
from tests.stages.world import (
    DOMAIN,
    REGION_DOMAIN,
    STANDBY,
    STANDBY_REPLICA,
    World,
    aws,
    failover_roles,
    node_group_size,
    replicas,
    seed_standby_region,
)
from tests.unit.runner_support import Kit

pytestmark = pytest.mark.integration


def _rolled_out(world: World, namespace: str) -> dict[str, bool]:
    with world.kube.lock:
        return {
            name: d["status"].get("availableReplicas", 0) == d["spec"]["replicas"]
            for (ns, name), d in world.kube.deployments.items()
            if ns == namespace
        }


def test_self_heal_restarts_the_unhealthy_deployment_and_waits_for_it(
    world: World, kit: Kit
) -> None:
    plans = plan_book(world.config)
    assert [s.kind.name for s in plans["self-heal"].stages] == ["rollout_restart", "verify"]
    world.kube.crash_pods("prod", "worker")  # the worker's pods are not ready
    runner = kit.runner(plans, owner="phoenix-1", ports=world.ports.ports())

    with ControllerLoop(world.kube):
        run = kit.propose(runner, "self-heal")
        done = runner.run_now(run.run_id, actor="U0SRE", surface=Surface.SLACK)
        stages = {r.stage: r for r in runner.store.get_stages(run.run_id)}
        assert done.state is RunState.SUCCEEDED, (done.reason, stages)

    assert all(r.state is StageState.SUCCEEDED for r in stages.values())
    restart = stages["restart-unhealthy"]
    assert restart.facts["deployments_restarted"] == 1, restart.summary
    assert "restarted worker" in restart.summary
    # Only the unhealthy Deployment was restarted, as `kubectl rollout restart` does it, and
    # the stage waited until its rollout finished.
    assert [p[0] for p in world.kube.patches] == [
        "/apis/apps/v1/namespaces/prod/deployments/worker"
    ]
    annotations = world.kube.patches[0][2]["spec"]["template"]["metadata"]["annotations"]
    assert "kubectl.kubernetes.io/restartedAt" in annotations
    assert _rolled_out(world, "prod") == {"api": True, "worker": True}
    assert replicas(world, "prod") == {"api": 3, "worker": 2}
    assert stages["verify-services"].facts["endpoints_verified"] == 2


def test_region_failover_promotes_switches_and_scales_the_standby_region(
    world: World, kit: Kit
) -> None:
    seed_standby_region(world.moto, world.zone_id)
    plans = plan_book(world.config)
    assert [s.kind.name for s in plans["region-failover"].stages] == [
        "replication_check",
        "region_failover",
        "verify",
        "notify_webhook",
    ]
    runner = kit.runner(plans, owner="phoenix-1", ports=world.ports.ports())

    run = kit.propose(runner, "region-failover")
    done = runner.run_now(run.run_id, actor="U0SRE", surface=Surface.SLACK)
    stages = {r.stage: r for r in runner.store.get_stages(run.run_id)}
    assert done.state is RunState.SUCCEEDED, (done.reason, stages)
    assert all(r.state is StageState.SUCCEEDED for r in stages.values())

    # The cross-region replica's lag was the RPO evidence, read in the standby region.
    assert stages["check-replica-lag"].facts["replication_lag_seconds"] == 4.0
    failover = stages["fail-over-region"]
    assert "node group workers scaled to 3" in failover.summary
    assert "promoted app-db-dr" in failover.summary
    # Every effect, in moto.
    instance = aws("rds", world.moto, STANDBY).describe_db_instances(
        DBInstanceIdentifier=STANDBY_REPLICA
    )["DBInstances"][0]
    assert instance["DBInstanceStatus"] == "available"
    assert failover_roles(world, REGION_DOMAIN) == {"west": "PRIMARY", "east": "SECONDARY"}
    assert failover_roles(world, DOMAIN) == {"aws": "PRIMARY", "azure": "SECONDARY"}
    assert node_group_size(world) == (0, 3, 3, "ACTIVE")
    assert len(world.receiver.accepted) == 1
    assert world.receiver.accepted[0]["payload"]["run_id"] == run.run_id

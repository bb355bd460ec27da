"""A whole ``dr-azure`` run through the durable runner against the stand-ins, then a
``failback``: every stage real, every effect checked in the stand-in it landed in."""

from __future__ import annotations

import pytest

from engine.drills.report import measure
from engine.plans.model import plan_book
from engine.records import Surface
from engine.runs import RunMode, RunState, StageState
from tests.cloud.kube_fake import ControllerLoop
from tests.stages.conftest import OBJECTS
from tests.stages.world import (
    BUCKET,
    DOMAIN,
    World,
    failover_roles,
    replicas,
)
from tests.support.object_fixtures import blob_service, blobs, s3_client
from tests.unit.runner_support import Kit

pytestmark = pytest.mark.integration


def test_dr_azure_then_failback_through_the_runner(world: World, kit: Kit) -> None:
    plans = plan_book(world.config)
    assert all(s.kind.name != "manual" for s in plans["dr-azure"].stages)
    runner = kit.runner(plans, owner="phoenix-1", ports=world.ports.ports())

    with ControllerLoop(world.kube):
        run = kit.propose(runner, "dr-azure")
        done = runner.run_now(run.run_id, actor="U0SRE", surface=Surface.SLACK)
        stages = {r.stage: r for r in runner.store.get_stages(run.run_id)}
        assert done.state is RunState.SUCCEEDED, (done.reason, stages)

    # Every effect, in the stand-in it landed in.
    assert blobs(world.azurite.connection_string, world.container) == OBJECTS
    assert world.arm.objective("dr-sql", "app") == "GP_Gen5_4"
    assert replicas(world, "shop") == {"service-a": 3, "service-b": 2}
    assert world.arm.endpoints("phoenix") == {"azure": (1, "Enabled"), "aws": (2, "Disabled")}
    assert failover_roles(world, DOMAIN) == {"azure": "PRIMARY", "aws": "SECONDARY"}
    assert len(world.receiver.accepted) == 1
    assert world.receiver.accepted[0]["payload"]["run_id"] == run.run_id
    lag = stages["check-replication-lag"]
    assert lag.facts["replication_lag_seconds"] == 12.0
    assert stages["sync-objects"].facts["objects_copied"] == len(OBJECTS)
    # The drill report reads its RPO from the stage's facts, not from its words.
    report = measure("dr", done, list(stages.values()), world.config.objectives)
    assert report.rpo_seconds == 12.0

    # During the outage the DR side takes writes: one object changed, one new.
    s3 = s3_client(world.moto.url)
    client = blob_service(world.azurite.connection_string).get_container_client(world.container)
    client.upload_blob("assets/000.bin", b"changed during the outage", overwrite=True)
    client.upload_blob("assets/new.bin", b"written on azure")

    with ControllerLoop(world.kube):
        back = kit.propose(runner, "failback")
        finished = runner.run_now(back.run_id, actor="U0SRE", surface=Surface.SLACK)
        records = {r.stage: r for r in runner.store.get_stages(back.run_id)}
        assert finished.state is RunState.SUCCEEDED, (finished.reason, records)

    synced = records["sync-objects-back"]
    assert synced.facts["objects_copied"] == 2, synced.summary
    assert s3.get_object(Bucket=BUCKET, Key="assets/new.bin")["Body"].read() == b"written on azure"
    assert world.arm.endpoints("phoenix") == {"aws": (1, "Enabled"), "azure": (2, "Enabled")}
    assert failover_roles(world, DOMAIN) == {"aws": "PRIMARY", "azure": "SECONDARY"}
    assert replicas(world, "shop") == {"service-a": 0, "service-b": 0}
    assert world.arm.objective("dr-sql", "app") == "S0"
    assert len(world.receiver.accepted) == 2
    assert all(r.state is StageState.SUCCEEDED for r in records.values())


def test_a_rehearsal_never_switches_traffic(world: World, kit: Kit) -> None:
    runner = kit.runner(plan_book(world.config), owner="phoenix-1", ports=world.ports.ports())
    with ControllerLoop(world.kube):
        run = kit.propose(runner, "dr-azure", mode=RunMode.REHEARSAL)
        done = runner.run_now(run.run_id, actor="U0SRE", surface=Surface.SYSTEM)
    assert done.state is RunState.SUCCEEDED, done.reason
    stages = {r.stage: r for r in runner.store.get_stages(run.run_id)}
    assert stages["switch-traffic"].state is StageState.SKIPPED
    assert world.arm.endpoints("phoenix") == {"aws": (1, "Enabled"), "azure": (2, "Enabled")}
    assert failover_roles(world, DOMAIN) == {"aws": "PRIMARY", "azure": "SECONDARY"}


def test_a_dry_run_drill_checks_every_stage_and_changes_nothing(world: World, kit: Kit) -> None:
    runner = kit.runner(plan_book(world.config), owner="phoenix-1", ports=world.ports.ports())
    run = kit.propose(runner, "dr-azure", mode=RunMode.DRY_RUN)
    done = runner.run_now(run.run_id, actor="U0SRE", surface=Surface.SYSTEM)
    assert done.state is RunState.SUCCEEDED, done.reason
    assert blobs(world.azurite.connection_string, world.container) == {}
    assert world.arm.calls("PATCH") == 0
    assert world.kube.patches == []
    assert world.receiver.accepted == []
    summary = {r.stage: r.summary for r in runner.store.get_stages(run.run_id)}
    assert "would" in summary["switch-traffic"]

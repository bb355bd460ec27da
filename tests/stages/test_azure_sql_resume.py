"""A run resumed by another runner while its Azure SQL scale is still in flight: the heir
follows the change the first runner sent instead of sending a second one (which Azure would
refuse with 409), and the run finishes."""

from __future__ import annotations

import pytest

from engine.errors import LeaseLost
from engine.records import Surface
from engine.runs import AttemptOutcome, RunState
from tests.stages.world import World
from tests.support.waiting import wait_until
from tests.unit.runner_support import Kit, plan_of

pytestmark = pytest.mark.integration

PLAN = """
stages:
  - name: scale-sql
    kind: azure_sql_ready
    params: {server: dr-sql, database: app, sku: GP_Gen5_4, poll_interval: 0.02}
"""
DATABASE = "/databases/app"


def test_a_run_resumed_during_a_scale_follows_it_and_sends_no_second_update(
    world: World, kit: Kit
) -> None:
    plan = plan_of("scale", PLAN)
    world.arm.hold_operations()
    owner = kit.runner(plan, owner="phoenix-1", ports=world.ports.ports())
    run = kit.propose(owner, "scale")
    running = owner.start(run.run_id, actor="U0SRE", surface=Surface.SLACK)
    wait_until(lambda: world.arm.calls("PATCH", DATABASE) == 1)

    # The first replica is cut off mid-scale: its lease runs out and another one takes over.
    kit.expire_leases()
    with pytest.raises(LeaseLost):
        running.result(timeout=10)
    heir = kit.runner(plan, owner="phoenix-2", ports=world.ports.ports())
    reads = world.arm.calls("GET", DATABASE)
    resumed = heir.start(run.run_id, actor="U0SRE", surface=Surface.SLACK)
    wait_until(lambda: world.arm.calls("GET", DATABASE) > reads + 2)  # following the change
    world.arm.release_operations()

    done = resumed.result(timeout=20)
    assert done.state is RunState.SUCCEEDED, done.reason
    assert world.arm.calls("PATCH", DATABASE) == 1
    assert world.arm.objective("dr-sql", "app") == "GP_Gen5_4"
    (record,) = heir.store.get_stages(run.run_id)
    assert record.summary.startswith("Azure SQL database app on dr-sql Online at GP_Gen5_4")
    assert [a.outcome for a in record.attempts] == [
        AttemptOutcome.INTERRUPTED,
        AttemptOutcome.SUCCEEDED,
    ]

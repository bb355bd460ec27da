"""Crash and resume on a real Redis with real processes: three replicas drive one nine-stage
run; the lease holder is killed (SIGKILL) at every stage boundary and in the middle of a
stage. Another replica takes the lease when it expires (1 s) and finishes the run; every side
effect happens once; nothing is recorded under a lease that was no longer current."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.adapters.clock import SystemClock
from engine.plans.model import Plan
from engine.records import Surface
from engine.runner.runner import Runner
from engine.runs import AttemptOutcome, StageState
from engine.store import Store
from tests.crash.conftest import LEASE_TTL
from tests.crash.fleet import Fleet
from tests.crash.history import assert_done_once, assert_fenced, owner_of
from tests.crash.stages import STAGES, build, nine_stages
from tests.support.redis_server import RedisServer
from tests.support.waiting import wait_until

REPLICAS = ["A", "B", "C"]


def propose(store: Store, plan: Plan) -> str:
    runner = Runner(store, {plan.name: plan}, clock=SystemClock(), owner="proposer")
    try:
        return runner.propose(plan.name, actor="U0PROPOSER", surface=Surface.SLACK).run_id
    finally:
        runner.close()


def drive_config(
    server: RedisServer, prefix: str, plan: dict[str, Any], run_id: str, **extra: Any
) -> dict[str, Any]:
    return {
        "mode": "drive",
        "redis_url": server.url,
        "prefix": prefix,
        "plan": plan,
        "run_id": run_id,
        "lease_ttl": LEASE_TTL,
        **extra,
    }


def assert_taken_over(store: Store, run_id: str, ledger: Path, fleet: Fleet, dead: str) -> str:
    """The run finished once, by another replica than ``dead``; returns the heir."""
    assert_done_once(store, run_id, ledger)
    journal = fleet.journal()
    tokens = assert_fenced(store, run_id, journal)
    heir = owner_of(journal, tokens[-1])
    assert heir != dead
    assert len(tokens) >= 2
    actions = [(a.action, a.actor) for a in store.list_audit(subject=run_id)]
    assert [action for action, _ in actions].count("run.start") == 1
    assert ("run.resume", heir) in actions
    return heir


@pytest.mark.parametrize("stage", STAGES)
def test_killing_the_holder_after_any_stage_finishes_the_run_once(
    stage: str,
    redis_server: RedisServer,
    prefix: str,
    store: Store,
    fleet: Fleet,
    tmp_path: Path,
) -> None:
    ledger = tmp_path / "ledger"
    plan = nine_stages(ledger)
    run_id = propose(store, build(plan))
    pause = {"when": "after", "stage": stage}
    fleet.start(drive_config(redis_server, prefix, plan, run_id, pause=pause), REPLICAS)

    holder = fleet.paused()
    fleet.kill(holder)
    fleet.join()

    assert_taken_over(store, run_id, ledger, fleet, holder)
    last = [e for e in fleet.journal() if e["owner"] == holder][-1]
    assert last["op"] == "paused"
    holder_tokens = {e["token"] for e in fleet.journal() if e["owner"] == holder and "token" in e}
    records = {r.stage: r for r in store.get_stages(run_id)}
    assert records[stage].token in holder_tokens
    done_before = STAGES[: STAGES.index(stage) + 1]
    assert all(records[s].token <= records[stage].token for s in done_before)  # not redone


def test_killing_the_holder_in_the_middle_of_a_stage_finishes_the_run_once(
    redis_server: RedisServer, prefix: str, store: Store, fleet: Fleet, tmp_path: Path
) -> None:
    ledger = tmp_path / "ledger"
    flag = str(fleet.control / "lingering")
    plan = nine_stages(
        ledger, s5={"kind": "record_lingering", "params": {"ledger": str(ledger), "flag": flag}}
    )
    run_id = propose(store, build(plan))
    fleet.start(drive_config(redis_server, prefix, plan, run_id), REPLICAS)

    holder = fleet.owner_of(int(fleet.file("lingering")))  # s5 acted, and lingers
    fleet.kill(holder)
    fleet.join()

    assert_taken_over(store, run_id, ledger, fleet, holder)
    s5 = {r.stage: r for r in store.get_stages(run_id)}["s5"]
    assert [a.outcome for a in s5.attempts] == [
        AttemptOutcome.INTERRUPTED,
        AttemptOutcome.SUCCEEDED,
    ]
    assert s5.summary == "end state already held"


def test_a_holder_that_wakes_after_losing_its_lease_records_nothing(
    redis_server: RedisServer, prefix: str, store: Store, fleet: Fleet, tmp_path: Path
) -> None:
    ledger = tmp_path / "ledger"
    plan = nine_stages(ledger)
    run_id = propose(store, build(plan))
    pause = {"when": "before", "stage": "s5"}  # s5 acted; its result is not recorded yet
    fleet.start(drive_config(redis_server, prefix, plan, run_id, pause=pause), REPLICAS)
    zombie = fleet.paused()

    def s5_succeeded() -> bool:
        records = {r.stage: r for r in store.get_stages(run_id)}
        return "s5" in records and records["s5"].state is StageState.SUCCEEDED

    wait_until(s5_succeeded, 20, "an heir to record s5's success")
    fleet.release()  # the zombie goes on with the write it was about to make
    fleet.join()

    heir = assert_taken_over(store, run_id, ledger, fleet, zombie)
    mine = [e for e in fleet.journal() if e["owner"] == zombie]
    ops = [e["op"] for e in mine]
    assert ops[ops.index("released") + 1] == "refused"
    assert "record" not in ops[ops.index("released") :]
    zombie_tokens = {e["token"] for e in mine if e["op"] == "acquire"}
    records = {r.stage: r for r in store.get_stages(run_id)}
    assert records["s5"].token not in zombie_tokens
    assert owner_of(fleet.journal(), records["s5"].token) == heir

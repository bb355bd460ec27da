"""Two replicas (real processes) asked to start the same approved run at the same instant, as a
double click reaching two replicas would: the run is executed once."""

from __future__ import annotations

import os
import time
from pathlib import Path

from engine.adapters.clock import SystemClock
from engine.plans.model import Plan
from engine.records import Approval, Decision, Surface
from engine.runner.runner import Runner
from engine.runs import EventKind, RunState
from engine.store import Store
from tests.crash.fleet import Fleet
from tests.crash.history import assert_done_once, assert_fenced
from tests.crash.stages import build, nine_stages
from tests.support.redis_server import RedisServer

ROUNDS = 5
LEASE_TTL = 10.0
"""Nobody is killed here: a long lease, so that a loaded machine cannot make the winner lose it."""


def approved_run(store: Store, plan: Plan) -> str:
    runner = Runner(store, {plan.name: plan}, clock=SystemClock(), owner="proposer")
    try:
        run = runner.propose(plan.name, actor="U0PROPOSER", surface=Surface.SLACK)
        runner.request_approval(run.run_id, actor="U0PROPOSER", surface=Surface.SLACK)
    finally:
        runner.close()
    approval = Approval(run.run_id, "U1", Decision.APPROVE, SystemClock().now(), Surface.SLACK)
    assert store.add_approval(approval)
    return run.run_id


def test_two_replicas_starting_one_approved_run_at_once_execute_it_once(
    redis_server: RedisServer, prefix: str, store: Store, fleet: Fleet, tmp_path: Path
) -> None:
    ledger = tmp_path / "ledger"
    plan = nine_stages(ledger)
    run_ids = [approved_run(store, build(plan)) for _ in range(ROUNDS)]
    fleet.start(
        {
            "mode": "race",
            "redis_url": redis_server.url,
            "prefix": prefix,
            "plan": plan,
            "run_ids": run_ids,
            "lease_ttl": LEASE_TTL,
        },
        ["A", "B"],
    )
    for n, run_id in enumerate(run_ids):
        fleet.appeared(f"ready-A-{n}")
        fleet.appeared(f"ready-B-{n}")
        go = fleet.control / f"go-{n}"
        go.with_suffix(".tmp").write_text(str(time.time() + 0.1))
        os.replace(go.with_suffix(".tmp"), go)
        outcomes = sorted(fleet.file(f"outcome-{owner}-{n}") for owner in "AB")

        ran = [o for o in outcomes if o.startswith("ran:")]
        assert ran == [f"ran: {RunState.SUCCEEDED}"], outcomes
        (lost,) = [o for o in outcomes if not o.startswith("ran:")]
        assert lost.startswith(("RunBusy: ", "WrongRunState: ")), lost
        assert_done_once(store, run_id, ledger)
        events = store.list_events(run_id)
        assert [e.kind for e in events].count(EventKind.RUN_STARTED) == 1
        assert [e.kind for e in events].count(EventKind.RUN_RESUMED) == 0
        actions = [a.action for a in store.list_audit(subject=run_id)]
        assert actions == ["run.propose", "run.request_approval", "run.start"]
    fleet.join()
    for run_id in run_ids:
        assert len(assert_fenced(store, run_id, fleet.journal())) == 1

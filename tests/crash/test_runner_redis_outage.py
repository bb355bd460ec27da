"""Redis killed (SIGKILL) in the middle of a run and started again on the same port, with its
append-only file: the run waits, then goes on; nothing is recorded twice, nothing is lost.

The runner waits by itself: the write that meets the outage fails (nothing written, never a
silent drop), the runner backs off until Redis answers, then takes the run back under a new
lease and token — finished stages skipped, the interrupted one re-run.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from engine.adapters.clock import SystemClock
from engine.adapters.stores.redis_store import RedisStore
from engine.records import Surface
from engine.runner.execution import RunnerSettings
from engine.runner.runner import Runner
from engine.runs import AttemptOutcome, RunState
from engine.stages import Ports
from tests.crash.conftest import LEASE_TTL
from tests.crash.history import assert_done_once
from tests.crash.stages import GATE, Gate, build, nine_stages
from tests.support.redis_server import RedisServer

SETTINGS = RunnerSettings(
    lease_ttl=timedelta(seconds=LEASE_TTL), poll_interval=0.02, cancel_grace=1.0
)
OUTAGE = 2 * LEASE_TTL
"""Seconds Redis stays down: longer than the lease, which expires meanwhile."""


class Rig:
    def __init__(self, server: RedisServer, tmp_path: Path) -> None:
        self.server = server
        self.ledger = tmp_path / "ledger"
        gated = {"kind": "record_gated", "params": {"ledger": str(self.ledger)}}
        plan = build(nine_stages(self.ledger, s5=gated))
        self.gate = Gate()
        self.store = RedisStore(server.url, clock=SystemClock(), prefix="outage:")
        self.runner = Runner(
            self.store,
            {plan.name: plan},
            clock=SystemClock(),
            owner="A",
            settings=SETTINGS,
            ports=Ports({GATE: self.gate}),
        )
        self.run_id = self.runner.propose(plan.name, actor="U1", surface=Surface.SLACK).run_id

    def outage_during_s5(self) -> list[object]:
        """Kill Redis while s5 runs (it has acted), let s5 finish, start Redis again later.
        Returns the run's events as they were before the outage."""
        assert self.gate.entered.wait(10)
        before: list[object] = list(self.store.list_events(self.run_id))
        self.server.kill()
        self.gate.release.set()
        time.sleep(OUTAGE)
        self.server.start()
        return before

    def assert_recovered(self, before: list[object]) -> None:
        """Everything done once; what was recorded before the outage is still there."""
        assert_done_once(self.store, self.run_id, self.ledger)
        events = self.store.list_events(self.run_id)
        assert events[: len(before)] == before

    def assert_resumed(self) -> None:
        """Resumed under a new lease: s5 ran again (its end state held), nothing else did."""
        records = {r.stage: r for r in self.store.get_stages(self.run_id)}
        assert [a.outcome for a in records["s5"].attempts] == [
            AttemptOutcome.INTERRUPTED,
            AttemptOutcome.SUCCEEDED,
        ]
        assert {records[s].token for s in ("s1", "s2", "s3", "s4")} == {1}
        assert {records[s].token for s in ("s5", "s6", "s7", "s8", "s9")} == {2}

    def close(self) -> None:
        self.gate.release.set()
        self.runner.close(timeout=5)
        self.store.close()


@pytest.fixture
def rig(own_redis: RedisServer, tmp_path: Path) -> Iterator[Rig]:
    rig = Rig(own_redis, tmp_path)
    yield rig
    rig.close()


def test_the_runner_itself_waits_out_a_redis_outage(rig: Rig) -> None:
    running = rig.runner.start(rig.run_id, actor="A", surface=Surface.SLACK)
    before = rig.outage_during_s5()
    assert running.result(timeout=30).state is RunState.SUCCEEDED
    rig.assert_recovered(before)
    rig.assert_resumed()
    actions = [(a.action, a.actor) for a in rig.store.list_audit(subject=rig.run_id)]
    assert actions == [("run.propose", "U1"), ("run.start", "A"), ("run.resume", "A")]

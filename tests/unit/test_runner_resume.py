"""Crash and resume on SQLite: the lease holder dies at every write of a nine-stage run, or
hangs in the middle of a stage; another runner resumes; every side effect happens once and
nothing is recorded by a runner that lost its lease."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from engine.errors import LeaseLost, PlanChanged, StoreUnavailable, WrongRunState
from engine.records import Surface
from engine.runner.execution import RunnerSettings
from engine.runs import (
    AttemptOutcome,
    EventKind,
    RunState,
    StageRole,
    StageState,
    run_lease_name,
)
from engine.stages import REGISTRY, PortKey, Ports, StageContext
from engine.stages.testing import Record, RecordParams

from .runner_support import (
    FAST as FAST_SETTINGS,
)
from .runner_support import (
    TTL,
    CrashingStore,
    Kit,
    SimulatedCrash,
    kit_fixture,
    ledger,
    plan_of,
)

kit = pytest.fixture(kit_fixture)

RECORDING = ("s1", "s2", "s3", "s4", "s5", "s7", "s9")


def nine_stages(ledger_path: Path, *, last_key: str | None = None) -> str:
    key = f", key: {last_key}" if last_key else ""
    return f"""
stages:
  - {{name: s1, kind: record, params: {{ledger: "{ledger_path}"}}}}
  - {{name: s2, kind: record, params: {{ledger: "{ledger_path}"}}}}
  - {{name: s3, kind: record, group: fan, params: {{ledger: "{ledger_path}"}}}}
  - {{name: s4, kind: record, group: fan, params: {{ledger: "{ledger_path}"}}}}
  - {{name: s5, kind: record, group: fan, params: {{ledger: "{ledger_path}"}}}}
  - {{name: s6, kind: noop}}
  - {{name: s7, kind: record, params: {{ledger: "{ledger_path}"}}}}
  - name: s8
    kind: fail_n_times
    params: {{failures: 1}}
    retry: {{initial_interval: 2s}}
  - {{name: s9, kind: record, params: {{ledger: "{ledger_path}"{key}}}}}
"""


def assert_done_once(kit: Kit, run_id: str, stages: Sequence[str] = RECORDING) -> None:
    store = kit.store()
    run = store.get_run(run_id)
    assert run is not None
    assert run.state is RunState.SUCCEEDED, run.reason
    assert ledger(kit.ledger) == {f"{run_id}:{s}": 1 for s in stages}
    records = {r.stage: r for r in store.get_stages(run_id)}
    assert all(records[f"s{i}"].state is StageState.SUCCEEDED for i in range(1, 10))
    events = store.list_events(run_id)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert [e.kind for e in events].count(EventKind.RUN_FINISHED) == 1


def count_writes(kit: Kit) -> int:
    """How many writes a whole run of the nine stages makes."""
    try:
        plan = plan_of("nine", nine_stages(kit.ledger))
        run = kit.propose(kit.runner(plan, owner="proposer"), "nine")
        store = CrashingStore(kit.store())
        runner = kit.runner(plan, owner="counter", store=store)
        done = runner.run_now(run.run_id, actor="U1", surface=Surface.SLACK)
        assert done.state is RunState.SUCCEEDED
        return store.writes
    finally:
        kit.close()


def test_the_run_finishes_once_whichever_write_the_owner_dies_at(tmp_path: Path) -> None:
    writes = count_writes(Kit(tmp_path / "count"))
    assert writes > 25  # every stage writes before and after acting
    for after in (False, True):
        for crash_at in range(1, writes + 1):
            kit = Kit(tmp_path / f"{crash_at}-{after}")
            try:
                plan = plan_of("nine", nine_stages(kit.ledger))
                run = kit.propose(kit.runner(plan, owner="proposer"), "nine")
                store = CrashingStore(kit.store(), crash_at, after)
                dying = kit.runner(plan, owner="A", store=store)
                with pytest.raises(SimulatedCrash):
                    dying.run_now(run.run_id, actor="U1", surface=Surface.SLACK)

                finished = {r.stage: r for r in kit.store().get_stages(run.run_id) if r.state.done}
                kit.expire_leases()
                heir = kit.runner(plan, owner="B")
                if kit.store().get_run(run.run_id).state is not RunState.SUCCEEDED:
                    heir.run_now(run.run_id, actor="U1", surface=Surface.SLACK)
                assert_done_once(kit, run.run_id)
                after_resume = {r.stage: r for r in kit.store().get_stages(run.run_id)}
                assert all(after_resume[name] == r for name, r in finished.items())
            except BaseException as exc:
                exc.add_note(f"the owner died {'after' if after else 'before'} write {crash_at}")
                raise
            finally:
                kit.close()


def test_a_store_outage_at_any_write_is_waited_out_and_the_run_finishes_once(
    tmp_path: Path,
) -> None:
    writes = count_writes(Kit(tmp_path / "count"))
    for fail_at in range(1, writes):  # the last write, the lease's release, may fail: it expires
        kit = Kit(tmp_path / str(fail_at))
        try:
            plan = plan_of("nine", nine_stages(kit.ledger))
            run = kit.propose(kit.runner(plan, owner="proposer"), "nine")
            runner = kit.runner(
                plan, owner="A", store=CrashingStore(kit.store(), fail_at, outage=True)
            )
            try:
                done = runner.run_now(run.run_id, actor="U1", surface=Surface.SLACK)
            except StoreUnavailable:
                # Only the claim that starts the run reaches the caller: nothing ran yet.
                assert fail_at <= 2
                assert kit.store().get_stages(run.run_id) == []
                done = runner.run_now(run.run_id, actor="U1", surface=Surface.SLACK)
            assert done.state is RunState.SUCCEEDED
            assert_done_once(kit, run.run_id)
        except BaseException as exc:
            exc.add_note(f"the store was unreachable at write {fail_at}")
            raise
        finally:
            kit.close()


def test_a_live_owner_keeps_its_run_until_its_lease_expires(kit: Kit) -> None:
    plan = plan_of("nine", nine_stages(kit.ledger))
    dying = kit.runner(plan, owner="A", store=CrashingStore(kit.store(), crash_at=8))
    run = kit.propose(dying, "nine")
    with pytest.raises(SimulatedCrash):
        dying.run_now(run.run_id, actor="U1", surface=Surface.SLACK)
    heir = kit.runner(plan, owner="B")

    assert heir.resume_orphans() == []
    kit.expire_leases()
    (resumed,) = heir.resume_orphans()
    assert resumed.result(timeout=10).state is RunState.SUCCEEDED
    assert_done_once(kit, run.run_id)
    audit = kit.store().list_audit(subject=run.run_id)
    assert [(a.action, a.actor, a.surface) for a in audit][-1] == (
        "run.resume",
        heir.owner,
        Surface.SYSTEM,
    )


# ----------------------------------------------------------------------------- mid-stage


class HangControl:
    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()


HANG = PortKey[HangControl]("hang control")
TESTING = REGISTRY.copy()


@TESTING.register("record_then_hang", params=RecordParams, timeout=timedelta(minutes=1))
class RecordThenHang(Record):
    """Records its key, then hangs, deaf to cancellation, until the test lets it go."""

    def run(self, ctx: StageContext, params: RecordParams) -> str:
        super().run(ctx, params)
        control = ctx.ports.get(HANG)
        control.entered.set()
        control.release.wait(10)
        return "recorded, after a long pause"


@TESTING.register("wait_for_release", params=RecordParams, timeout=timedelta(minutes=1))
class WaitForRelease(Record):
    """Waits, cooperatively, until the test lets it go; then records its key."""

    def run(self, ctx: StageContext, params: RecordParams) -> str:
        control = ctx.ports.get(HANG)
        control.entered.set()
        while not control.release.is_set():
            ctx.wait(0.01)
        super().run(ctx, params)
        return "recorded"


@pytest.fixture
def control() -> Iterator[HangControl]:
    control = HangControl()
    yield control
    control.release.set()


def with_kind(kit: Kit, stage: str, kind: str) -> str:
    return nine_stages(kit.ledger).replace(
        f"{{name: {stage}, kind: record,", f"{{name: {stage}, kind: {kind},"
    )


def test_an_owner_that_hangs_mid_stage_cannot_record_over_the_new_owner(
    kit: Kit, control: HangControl
) -> None:
    plan = plan_of("nine", with_kind(kit, "s5", "record_then_hang"), TESTING)
    # A looks at its lease only every minute: its first store call after the hang is the
    # fenced write of s5's result, which must be refused.
    slow_poll = RunnerSettings(lease_ttl=TTL, poll_interval=60, cancel_grace=1)
    hung = kit.runner(plan, owner="A", settings=slow_poll, ports=Ports({HANG: control}))
    run = kit.propose(hung, "nine")
    hung_run = hung.start(run.run_id, actor="U1", surface=Surface.SLACK)
    assert control.entered.wait(5)
    token_a = kit.store().get_lease(run_lease_name(run.run_id)).token

    kit.expire_leases()
    heir = kit.runner(plan, owner="B", ports=Ports({HANG: HangControl()}))
    assert heir.run_now(run.run_id, actor="U1", surface=Surface.SLACK).state is RunState.SUCCEEDED
    events_before = kit.store().list_events(run.run_id)

    control.release.set()
    with pytest.raises(LeaseLost):
        hung_run.result(timeout=10)

    assert_done_once(kit, run.run_id)
    records = {r.stage: r for r in kit.store().get_stages(run.run_id)}
    token_b = records["s9"].token
    assert token_b > token_a
    assert {records[s].token for s in ("s5", "s6", "s7", "s8", "s9")} == {token_b}
    assert records["s5"].summary == "end state already held"
    assert [a.outcome for a in records["s5"].attempts] == [
        AttemptOutcome.INTERRUPTED,
        AttemptOutcome.SUCCEEDED,
    ]
    assert kit.store().list_events(run.run_id) == events_before


def test_an_owner_that_notices_its_lease_expired_cancels_its_stage_and_stops(
    kit: Kit, control: HangControl
) -> None:
    plan = plan_of("nine", with_kind(kit, "s7", "wait_for_release"), TESTING)
    owner = kit.runner(plan, owner="A", ports=Ports({HANG: control}))
    run = kit.propose(owner, "nine")
    running = owner.start(run.run_id, actor="U1", surface=Surface.SLACK)
    assert control.entered.wait(5)
    events_before = kit.store().list_events(run.run_id)

    kit.expire_leases()
    with pytest.raises(LeaseLost):
        running.result(timeout=5)  # promptly: the stage saw the cancellation
    assert kit.store().list_events(run.run_id) == events_before
    assert ledger(kit.ledger)[f"{run.run_id}:s7"] == 0

    control.release.set()
    heir = kit.runner(plan, owner="B", ports=Ports({HANG: control}))
    assert heir.run_now(run.run_id, actor="U1", surface=Surface.SLACK).state is RunState.SUCCEEDED
    assert_done_once(kit, run.run_id)


def test_a_closing_runner_hands_its_run_over_at_once(kit: Kit, control: HangControl) -> None:
    plan = plan_of("nine", with_kind(kit, "s2", "wait_for_release"), TESTING)
    owner = kit.runner(plan, owner="A", ports=Ports({HANG: control}))
    run = kit.propose(owner, "nine")
    running = owner.start(run.run_id, actor="U1", surface=Surface.SLACK)
    assert control.entered.wait(5)

    owner.close(timeout=5)
    assert running.result(timeout=5).state is RunState.RUNNING
    assert kit.store().get_lease(run_lease_name(run.run_id)) is None

    control.release.set()
    heir = kit.runner(plan, owner="B", ports=Ports({HANG: control}))
    (resumed,) = heir.resume_orphans()  # no lease to wait for
    assert resumed.result(timeout=10).state is RunState.SUCCEEDED
    assert_done_once(kit, run.run_id)
    s2 = {r.stage: r for r in kit.store().get_stages(run.run_id)}["s2"]
    assert [a.outcome for a in s2.attempts] == [
        AttemptOutcome.INTERRUPTED,
        AttemptOutcome.SUCCEEDED,
    ]


# ----------------------------------------------------------------------------- plan changes


def test_resuming_a_run_whose_plan_changed_is_refused_clearly(kit: Kit) -> None:
    plan = plan_of("nine", nine_stages(kit.ledger))
    dying = kit.runner(plan, owner="A", store=CrashingStore(kit.store(), crash_at=12))
    run = kit.propose(dying, "nine")
    with pytest.raises(SimulatedCrash):
        dying.run_now(run.run_id, actor="U1", surface=Surface.SLACK)
    kit.expire_leases()

    changed = plan_of("nine", nine_stages(kit.ledger, last_key="other"))
    assert changed.version != plan.version
    heir = kit.runner(changed, owner="B")
    with pytest.raises(PlanChanged) as refused:
        heir.run_now(run.run_id, actor="U1", surface=Surface.SLACK)

    message = str(refused.value)
    assert f"plan 'nine' changed since run {run.run_id} started" in message
    assert plan.version in message
    assert changed.version in message
    stored = kit.store().get_run(run.run_id)
    assert stored.state is RunState.PAUSED
    assert stored.reason == message
    assert kit.store().list_audit(subject=run.run_id)[-1].action == "run.refused"
    assert kit.store().get_lease(run_lease_name(run.run_id)) is None
    with pytest.raises(PlanChanged):
        heir.retry(run.run_id, actor="U2", surface=Surface.SLACK)

    # Restoring the plan lets the run go on where it stopped.
    restored = kit.runner(plan, owner="C")
    assert restored.retry(run.run_id, actor="U2", surface=Surface.SLACK).result(10).state is (
        RunState.SUCCEEDED
    )
    assert_done_once(kit, run.run_id)


def test_a_run_keeps_its_stages_roles_and_a_changed_role_is_no_changed_plan(kit: Kit) -> None:
    bare = plan_of("p", "stages: [{name: a, kind: noop}, {name: b, kind: noop}]")
    declared = plan_of(
        "p",
        "stages: [{name: a, kind: noop, role: catch-up}, {name: b, kind: noop, role: cut-over}]",
    )
    roles = {"a": StageRole.CATCH_UP, "b": StageRole.CUT_OVER}
    proposed = kit.propose(kit.runner(declared, owner="A"), "p")
    assert kit.store().get_run(proposed.run_id).roles == roles

    # A run proposed while its stages had no roles (an earlier phoenix.yaml, or an earlier
    # version of the bot) starts under the plan that declares them, measured by them.
    older = kit.propose(kit.runner(bare, owner="B"), "p")
    assert kit.store().get_run(older.run_id).roles == {}
    done = kit.runner(declared, owner="C").run_now(older.run_id, actor="U1", surface=Surface.SLACK)
    assert done.state is RunState.SUCCEEDED
    assert kit.store().get_run(older.run_id).roles == roles


def test_a_run_whose_plan_changed_can_be_aborted(kit: Kit) -> None:
    plan = plan_of("nine", nine_stages(kit.ledger))
    runner = kit.runner(plan, owner="A")
    run = kit.propose(runner, "nine")
    runner.plans["nine"] = plan_of("nine", nine_stages(kit.ledger, last_key="other"))
    with pytest.raises(PlanChanged):
        runner.run_now(run.run_id, actor="U1", surface=Surface.SLACK)
    aborted = runner.abort(run.run_id, actor="U2", surface=Surface.SLACK)
    assert aborted.state is RunState.ABORTED
    with pytest.raises(WrongRunState):
        runner.retry(run.run_id, actor="U2", surface=Surface.SLACK)
    assert ledger(kit.ledger) == {}


# ----------------------------------------------------------------------------- hand-over


def test_a_runner_that_does_not_execute_hands_the_run_over_to_the_next_sweep(kit: Kit) -> None:
    plan = plan_of("nine", nine_stages(kit.ledger))
    recorder = kit.runner(plan, owner="cli", settings=replace(FAST_SETTINGS, executes=False))
    run = kit.propose(recorder, "nine")
    handed = recorder.start(run.run_id, actor="UALICE", surface=Surface.CLI)
    assert handed.done(), "the command line does not wait for the run"
    assert handed.result().state is RunState.RUNNING
    store = kit.store()
    assert store.get_lease(run_lease_name(run.run_id)) is None, "no lease held: nobody runs it"
    assert ledger(kit.ledger) == {}, "nothing executed in the recording process"
    replica = kit.runner(plan, owner="replica")
    (resumed,) = replica.resume_orphans()
    assert resumed.result(timeout=10).state is RunState.SUCCEEDED
    assert_done_once(kit, run.run_id)
    audit = [(a.action, a.actor, a.surface) for a in store.list_audit(subject=run.run_id)]
    assert ("run.start", "UALICE", Surface.CLI) in audit
    assert audit[-1] == ("run.resume", "replica", Surface.SYSTEM)


def test_a_retry_from_a_runner_that_does_not_execute_keeps_its_reason(kit: Kit) -> None:
    plan = plan_of(
        "stuck",
        "stages:\n  - {name: s1, kind: fail_n_times, params: {failures: 1}, "
        "retry: {maximum_attempts: 1}}\n",
    )
    replica = kit.runner(plan, owner="replica")
    run = kit.propose(replica, "stuck")
    assert replica.run_now(run.run_id, actor="U1", surface=Surface.SLACK).state is RunState.PAUSED
    recorder = kit.runner(plan, owner="cli", settings=replace(FAST_SETTINGS, executes=False))
    handed = recorder.retry(run.run_id, actor="UALICE", surface=Surface.CLI, reason="fixed DNS")
    assert handed.result().state is RunState.RUNNING
    [retry] = [a for a in kit.store().list_audit(subject=run.run_id) if a.action == "run.retry"]
    assert (retry.actor, retry.surface, retry.detail) == (
        "UALICE",
        Surface.CLI,
        "stage s1: fixed DNS",
    )
    (resumed,) = replica.resume_orphans()
    assert resumed.result(timeout=10).state is RunState.SUCCEEDED

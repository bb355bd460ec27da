"""The runner's behaviour a person would notice: retries with backoff, timeouts, paused runs
retried, skipped or aborted (audited), gates, drill rehearsals, progress events and their
subscribers, and two runners asked to start one run at once."""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future

import pytest

from engine.errors import RunBusy, RunError, UnknownPlan, WrongRunState
from engine.records import Decision, Surface
from engine.runner.execution import RunnerSettings
from engine.runner.progress import ProgressHub
from engine.runner.runner import Runner
from engine.runs import (
    AttemptOutcome,
    EventKind,
    ProgressEvent,
    Run,
    RunMode,
    RunState,
    StageState,
)

from .runner_support import TTL, Kit, kit_fixture, ledger, plan_of

kit = pytest.fixture(kit_fixture)


def stages_of(kit: Kit, run_id: str) -> dict[str, object]:
    return {r.stage: r for r in kit.store().get_stages(run_id)}


def events_of(kit: Kit, run_id: str, kind: EventKind) -> list[ProgressEvent]:
    return [e for e in kit.store().list_events(run_id) if e.kind is kind]


# ----------------------------------------------------------------------------- retry policy


def test_failed_attempts_are_retried_with_exponential_backoff(kit: Kit) -> None:
    plan = plan_of(
        "flaky",
        """
stages:
  - name: flaky
    kind: fail_n_times
    params: {failures: 4}
    retry: {initial_interval: 1s, backoff_coefficient: 2, maximum_interval: 5s,
            maximum_attempts: 5}
""",
    )
    runner = kit.runner(plan, owner="A")
    run = kit.propose(runner, "flaky")
    done = runner.run_now(run.run_id, actor="U1", surface=Surface.SLACK)

    assert done.state is RunState.SUCCEEDED
    assert kit.sleeper.slept == [1, 2, 4, 5]
    failures = events_of(kit, run.run_id, EventKind.STAGE_FAILED)
    assert [e.retry_in for e in failures] == [1, 2, 4, 5]
    assert [e.attempt for e in failures] == [1, 2, 3, 4]
    record = stages_of(kit, run.run_id)["flaky"]
    assert [a.outcome for a in record.attempts] == [AttemptOutcome.FAILED] * 4 + [
        AttemptOutcome.SUCCEEDED
    ]
    (finished,) = events_of(kit, run.run_id, EventKind.RUN_FINISHED)
    assert finished.durations == {"flaky": 12.0, "total": 12.0}  # the backoff, measured


def test_a_stage_out_of_attempts_pauses_the_run(kit: Kit) -> None:
    plan = plan_of(
        "flaky",
        """
stages:
  - {name: flaky, kind: fail_n_times, params: {failures: 9}, retry: {maximum_attempts: 3}}
  - {name: after, kind: noop}
""",
    )
    runner = kit.runner(plan, owner="A")
    run = kit.propose(runner, "flaky")
    paused = runner.run_now(run.run_id, actor="U1", surface=Surface.SLACK)

    assert paused.state is RunState.PAUSED
    assert paused.reason == "stage flaky failed after 3 attempt(s): planned failure 3 of 9"
    assert kit.sleeper.slept == [1, 2]
    assert stages_of(kit, run.run_id)["flaky"].state is StageState.FAILED
    assert "after" not in stages_of(kit, run.run_id)
    (pause,) = events_of(kit, run.run_id, EventKind.RUN_PAUSED)
    assert pause.stage == "flaky"


@pytest.mark.parametrize(
    ("params", "retry"),
    [
        ("{failures: 3, fatal: true}", "{}"),
        ("{failures: 3, error_type: Throttled}", "{non_retryable: [Throttled]}"),
    ],
    ids=["fatal", "non-retryable-type"],
)
def test_fatal_and_non_retryable_errors_are_not_retried(kit: Kit, params: str, retry: str) -> None:
    plan = plan_of(
        "once",
        f"stages:\n  - {{name: once, kind: fail_n_times, params: {params}, retry: {retry}}}\n",
    )
    runner = kit.runner(plan, owner="A")
    run = kit.propose(runner, "once")
    assert runner.run_now(run.run_id, actor="U1", surface=Surface.SLACK).state is RunState.PAUSED
    assert len(stages_of(kit, run.run_id)["once"].attempts) == 1
    assert kit.sleeper.slept == []


def test_a_stage_past_its_timeout_is_cancelled_and_counts_as_a_failed_attempt(kit: Kit) -> None:
    plan = plan_of(
        "slow",
        """
stages:
  - name: slow
    kind: sleep
    params: {seconds: 30}
    timeout: 50ms
    retry: {maximum_attempts: 2, initial_interval: 3s}
""",
    )
    runner = kit.runner(plan, owner="A")
    run = kit.propose(runner, "slow")
    started = time.monotonic()
    paused = runner.run_now(run.run_id, actor="U1", surface=Surface.SLACK)

    assert time.monotonic() - started < 5  # cancelled, not slept out
    assert paused.state is RunState.PAUSED
    record = stages_of(kit, run.run_id)["slow"]
    assert [a.outcome for a in record.attempts] == [AttemptOutcome.TIMED_OUT] * 2
    assert {a.error_type for a in record.attempts} == {"StageTimeout"}
    assert record.error == "no result within the timeout of 50ms"
    assert kit.sleeper.slept == [3]


def test_a_timeout_listed_as_non_retryable_fails_at_once(kit: Kit) -> None:
    plan = plan_of(
        "slow",
        """
stages:
  - {name: slow, kind: sleep, params: {seconds: 30}, timeout: 20ms,
     retry: {non_retryable: [StageTimeout]}}
""",
    )
    runner = kit.runner(plan, owner="A")
    run = kit.propose(runner, "slow")
    assert runner.run_now(run.run_id, actor="U1", surface=Surface.SLACK).state is RunState.PAUSED
    assert len(stages_of(kit, run.run_id)["slow"].attempts) == 1


# ----------------------------------------------------------------------------- paused runs

FAILING_THEN_RECORD = """
stages:
  - {{name: first, kind: record, params: {{ledger: "{ledger}"}}}}
  - {{name: flaky, kind: fail_n_times, params: {{failures: 2}}, retry: {{maximum_attempts: 1}}}}
  - {{name: last, kind: record, params: {{ledger: "{ledger}"}}}}
"""


def paused_run(kit: Kit) -> tuple[object, str]:
    plan = plan_of("p", FAILING_THEN_RECORD.format(ledger=kit.ledger))
    runner = kit.runner(plan, owner="A")
    run = kit.propose(runner, "p")
    assert runner.run_now(run.run_id, actor="U1", surface=Surface.SLACK).state is RunState.PAUSED
    return runner, run.run_id


def test_retrying_a_paused_run_reruns_the_failed_stage_with_a_fresh_budget(kit: Kit) -> None:
    runner, run_id = paused_run(kit)

    again = runner.retry(run_id, actor="U2RETRY", surface=Surface.SLACK).result(timeout=10)
    assert again.state is RunState.PAUSED  # attempt 2 fails as well (one attempt per round)
    done = runner.retry(run_id, actor="U3RETRY", surface=Surface.CLI).result(timeout=10)

    assert done.state is RunState.SUCCEEDED
    flaky = stages_of(kit, run_id)["flaky"]
    assert [(a.number, a.round, a.outcome) for a in flaky.attempts] == [
        (1, 1, AttemptOutcome.FAILED),
        (2, 2, AttemptOutcome.FAILED),
        (3, 3, AttemptOutcome.SUCCEEDED),
    ]
    assert ledger(kit.ledger) == {f"{run_id}:first": 1, f"{run_id}:last": 1}
    audit = [
        (a.action, a.actor, a.surface, a.detail) for a in kit.store().list_audit(subject=run_id)
    ]
    assert audit[-2:] == [
        ("run.retry", "U2RETRY", Surface.SLACK, "stage flaky"),
        ("run.retry", "U3RETRY", Surface.CLI, "stage flaky"),
    ]


def test_skipping_past_a_failed_stage_goes_on_with_the_next(kit: Kit) -> None:
    runner, run_id = paused_run(kit)

    done = runner.skip(run_id, actor="U4SKIP", surface=Surface.SLACK).result(timeout=10)

    assert done.state is RunState.SUCCEEDED
    flaky = stages_of(kit, run_id)["flaky"]
    assert flaky.state is StageState.SKIPPED
    assert flaky.summary == "skipped by U4SKIP"
    assert ledger(kit.ledger)[f"{run_id}:last"] == 1
    last = kit.store().list_audit(subject=run_id)[-1]
    assert (last.action, last.actor, last.surface, last.detail) == (
        "run.skip",
        "U4SKIP",
        Surface.SLACK,
        "stage flaky",
    )
    (skipped,) = events_of(kit, run_id, EventKind.STAGE_SKIPPED)
    assert skipped.stage == "flaky"


def test_aborting_a_paused_run_ends_it_for_good(kit: Kit) -> None:
    runner, run_id = paused_run(kit)

    aborted = runner.abort(run_id, actor="U5ABORT", surface=Surface.SLACK, reason="not today")

    assert aborted.state is RunState.ABORTED
    assert kit.store().get_run(run_id) == aborted
    last = kit.store().list_audit(subject=run_id)[-1]
    assert (last.action, last.actor, last.detail) == ("run.abort", "U5ABORT", "not today")
    (finished,) = events_of(kit, run_id, EventKind.RUN_FINISHED)
    assert finished.run_state is RunState.ABORTED
    for call in (runner.retry, runner.skip):
        with pytest.raises(WrongRunState, match="is aborted: it is over"):
            call(run_id, actor="U5ABORT", surface=Surface.SLACK)
    assert ledger(kit.ledger)[f"{run_id}:last"] == 0


def test_only_a_paused_run_can_be_retried_or_skipped(kit: Kit) -> None:
    plan = plan_of("p", FAILING_THEN_RECORD.format(ledger=kit.ledger))
    runner = kit.runner(plan, owner="A")
    run = kit.propose(runner, "p")
    for call in (runner.retry, runner.skip):
        with pytest.raises(WrongRunState, match="is proposed"):
            call(run.run_id, actor="U1", surface=Surface.SLACK)
    with pytest.raises(UnknownPlan, match="no plan named 'nope'"):
        kit.propose(runner, "nope")


def test_a_proposal_awaits_approval_once(kit: Kit) -> None:
    plan = plan_of("p", "stages: [{name: a, kind: noop}]")
    runner = kit.runner(plan, owner="A")
    run = kit.propose(runner, "p")
    assert runner.request_approval(run.run_id, actor="U1", surface=Surface.SLACK).state is (
        RunState.AWAITING_APPROVAL
    )
    with pytest.raises(WrongRunState, match="awaiting_approval, not proposed"):
        runner.request_approval(run.run_id, actor="U1", surface=Surface.SLACK)


# ----------------------------------------------------------------------------- gates, drills


def test_a_gated_stage_waits_for_a_person(kit: Kit) -> None:
    plan = plan_of(
        "gated",
        f"""
stages:
  - {{name: prepare, kind: record, params: {{ledger: "{kit.ledger}"}}}}
  - {{name: switch, kind: record, gate: true, params: {{ledger: "{kit.ledger}"}}}}
""",
    )
    runner = kit.runner(plan, owner="A")
    run = kit.propose(runner, "gated")
    waiting = runner.run_now(run.run_id, actor="U1", surface=Surface.SLACK)

    assert waiting.state is RunState.AWAITING_APPROVAL
    assert waiting.reason == "stage switch waits for a person to confirm it"
    assert ledger(kit.ledger) == {f"{run.run_id}:prepare": 1}
    done = runner.approve_gate(run.run_id, "switch", actor="U7", surface=Surface.SLACK)
    assert done.result(timeout=10).state is RunState.SUCCEEDED
    assert ledger(kit.ledger)[f"{run.run_id}:switch"] == 1
    (approval,) = kit.store().list_approvals(f"{run.run_id}:switch")
    assert (approval.user, approval.decision) == ("U7", Decision.APPROVE)
    actions = [a.action for a in kit.store().list_audit(subject=run.run_id)]
    assert "stage.approve" in actions


def test_a_drill_rehearsal_skips_the_stages_not_marked_for_drills(kit: Kit) -> None:
    plan = plan_of(
        "drill",
        f"""
stages:
  - {{name: check, kind: record, params: {{ledger: "{kit.ledger}"}}}}
  - {{name: switch, kind: record, drill: false, params: {{ledger: "{kit.ledger}"}}}}
""",
    )
    runner = kit.runner(plan, owner="A")
    run = kit.propose(runner, "drill", mode=RunMode.REHEARSAL)
    assert runner.run_now(run.run_id, actor="U1", surface=Surface.SCHEDULER).state is (
        RunState.SUCCEEDED
    )
    assert ledger(kit.ledger) == {f"{run.run_id}:check": 1}
    assert stages_of(kit, run.run_id)["switch"].summary == "not part of a drill rehearsal"


def test_a_failed_rehearsal_fails_instead_of_waiting_for_buttons(kit: Kit) -> None:
    plan = plan_of(
        "drill", "stages: [{name: m, kind: manual, drill: true, params: {instruction: x}}]"
    )
    runner = kit.runner(plan, owner="A")
    run = kit.propose(runner, "drill", mode=RunMode.REHEARSAL)
    failed = runner.run_now(run.run_id, actor="U1", surface=Surface.SCHEDULER)
    assert failed.state is RunState.FAILED
    assert "manual step: x" in failed.reason


# ----------------------------------------------------------------------------- progress


NINE_NOOPS = "stages:\n" + "".join(f"  - {{name: n{i}, kind: noop}}\n" for i in range(9))


def test_progress_events_are_stored_in_order_and_delivered(kit: Kit) -> None:
    plan = plan_of("p", "stages: [{name: nap, kind: sleep, params: {seconds: 0.02}}]")
    hub = ProgressHub()
    received: list[ProgressEvent] = []
    hub.subscribe(received.append)
    runner = kit.runner(plan, owner="A", hub=hub)
    run = kit.propose(runner, "p")
    runner.run_now(run.run_id, actor="U1", surface=Surface.SLACK)
    hub.close()

    stored = kit.store().list_events(run.run_id)
    assert received == stored
    assert [e.kind for e in stored] == [
        EventKind.RUN_STARTED,
        EventKind.STAGE_STARTED,
        *[EventKind.STAGE_PROGRESS] * 4,
        EventKind.STAGE_SUCCEEDED,
        EventKind.RUN_FINISHED,
    ]
    assert [e.fraction for e in stored if e.kind is EventKind.STAGE_PROGRESS] == [
        0.25,
        0.5,
        0.75,
        1.0,
    ]
    assert stored[-2].message == "slept 0.02s"


def test_a_slow_or_failing_subscriber_never_slows_or_breaks_the_run(kit: Kit) -> None:
    hub = ProgressHub()
    release = threading.Event()

    def slow(event: ProgressEvent) -> None:
        release.wait(30)

    def failing(event: ProgressEvent) -> None:
        raise RuntimeError("subscriber bug")

    received: list[ProgressEvent] = []
    slow_sub = hub.subscribe(slow, queue_size=4)
    failing_sub = hub.subscribe(failing)
    hub.subscribe(received.append)
    runner = kit.runner(plan_of("p", NINE_NOOPS), owner="A", hub=hub)
    run = kit.propose(runner, "p")

    started = time.monotonic()
    done = runner.start(run.run_id, actor="U1", surface=Surface.SLACK).result(timeout=5)
    elapsed = time.monotonic() - started

    assert done.state is RunState.SUCCEEDED
    assert elapsed < 10  # the slow subscriber alone would take 30 s
    release.set()
    hub.close()
    stored = kit.store().list_events(run.run_id)
    assert received == stored
    assert failing_sub.failures == len(stored)
    assert slow_sub.dropped > 0  # it fell behind; the store still holds every event


# ----------------------------------------------------------------------------- concurrency


def start_together(runners: list[Runner], run_id: str) -> list[Future[Run] | RunError]:
    barrier = threading.Barrier(len(runners))
    outcomes: list[Future[Run] | RunError] = []

    def start(runner: Runner) -> None:
        barrier.wait()
        try:
            outcomes.append(runner.start(run_id, actor="U1", surface=Surface.SLACK))
        except RunError as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=start, args=(r,)) for r in runners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_two_runners_starting_one_run_at_the_same_moment_make_one_run(kit: Kit) -> None:
    plan = plan_of(
        "p",
        "stages:\n"
        + "".join(
            f"  - {{name: r{i}, kind: record, params: {{ledger: '{kit.ledger}'}}}}\n"
            for i in range(3)
        ),
    )
    for attempt in range(10):
        runners = [kit.runner(plan, owner=f"R{attempt}-{n}") for n in range(2)]
        run = kit.propose(runners[0], "p")

        outcomes = start_together(runners, run.run_id)

        futures = [o for o in outcomes if isinstance(o, Future)]
        refused = [o for o in outcomes if isinstance(o, RunError)]
        assert len(futures) == 1, outcomes
        assert len(refused) == 1
        assert isinstance(refused[0], RunBusy | WrongRunState)
        assert futures[0].result(timeout=10).state is RunState.SUCCEEDED
        assert all(ledger(kit.ledger)[f"{run.run_id}:r{i}"] == 1 for i in range(3))
        audit = kit.store().list_audit(subject=run.run_id)
        assert [a.action for a in audit].count("run.start") == 1


def test_one_runner_asked_twice_executes_once(kit: Kit) -> None:
    plan = plan_of("p", "stages: [{name: nap, kind: sleep, params: {seconds: 0.2}}]")
    runner = kit.runner(plan, owner="A")
    run = kit.propose(runner, "p")
    first = runner.start(run.run_id, actor="U1", surface=Surface.SLACK)
    with pytest.raises(RunBusy, match="this runner already"):
        runner.start(run.run_id, actor="U1", surface=Surface.SLACK)
    assert first.result(timeout=5).state is RunState.SUCCEEDED


def test_a_lease_is_renewed_while_a_long_stage_runs(kit: Kit) -> None:
    plan = plan_of("p", "stages: [{name: nap, kind: sleep, params: {seconds: 0.3}}]")
    settings = RunnerSettings(lease_ttl=TTL, poll_interval=0.01)
    runner = kit.runner(plan, owner="A", settings=settings)
    run = kit.propose(runner, "p")
    running = runner.start(run.run_id, actor="U1", surface=Surface.SLACK)
    for _ in range(5):  # a whole ttl passes, in steps shorter than a third of it
        time.sleep(0.03)
        kit.clock.advance(TTL.total_seconds() / 4)
    assert running.result(timeout=5).state is RunState.SUCCEEDED

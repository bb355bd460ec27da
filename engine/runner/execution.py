"""One runner's pass over one run, under one lease, until the run rests (succeeded, paused,
failed, waiting for a gate) or the lease is lost.

Every state change is written through ``Store.record`` under the lease before the next side
effect, so a runner that resumes the run knows exactly what finished: stages that succeeded or
were skipped are passed over, and an attempt left in flight is marked interrupted and re-run
(safe: a stage checks whether its end state already holds before acting).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial

from engine.errors import LeaseLost, StageError, StoreUnavailable
from engine.plans.model import Plan, PlanStage, preflight_of
from engine.ports import Clock
from engine.records import AuditAction, AuditEvent, Decision, Surface
from engine.runner.attempt import AttemptContext, AttemptLimits, StageThreads, run_attempt
from engine.runner.lease import LeaseKeeper
from engine.runner.progress import ProgressHub
from engine.runs import (
    Attempt,
    AttemptOutcome,
    EventKind,
    ProgressEvent,
    Run,
    RunMode,
    RunState,
    StageRecord,
    StageState,
    idempotency_key,
)
from engine.stages import Ports
from engine.store import Store

Sleeper = Callable[[float], None]

log = logging.getLogger(__name__)


class Stopping(Exception):
    """The runner is closing: the execution stops where it is and gives its lease up."""


@dataclass(frozen=True)
class RunnerSettings:
    lease_ttl: timedelta = timedelta(seconds=30)
    poll_interval: float = 0.25
    """Seconds between looks at the lease, the timeout and shutdown while a stage runs."""
    cancel_grace: float = 10.0
    """Seconds a cancelled attempt gets to stop before the runner moves on without it."""
    max_workers: int = 4
    """Runs executed at once by one runner."""
    executes: bool = True
    """False: the runner records a start, retry or skip under the run's lease, then gives the
    lease up and leaves the execution to the bot's replicas, whose sweep takes a running run
    nobody holds (the break-glass command line, a process that ends when its command does)."""


@dataclass(frozen=True)
class Services:
    """What an execution borrows from its runner."""

    store: Store
    clock: Clock
    sleeper: Sleeper
    hub: ProgressHub
    ports: Ports
    settings: RunnerSettings
    threads: StageThreads
    stopping: threading.Event


class Execution:
    def __init__(self, services: Services, keeper: LeaseKeeper, run: Run, plan: Plan) -> None:
        self._s = services
        self.keeper = keeper
        self.run = run
        self.plan = plan
        self._records = {r.stage: r for r in services.store.get_stages(run.run_id)}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ writing

    def write(
        self,
        *,
        run: Run | None = None,
        stages: Sequence[StageRecord] = (),
        events: Sequence[ProgressEvent] = (),
        audit: Sequence[AuditEvent] = (),
    ) -> None:
        """Fenced write, then delivery of the stored events to subscribers."""
        try:
            stored = self._s.store.record(
                self.keeper.lease, run=run, stages=stages, events=events, audit=audit
            )
        except LeaseLost:
            self.keeper.mark_lost()
            raise
        with self._lock:
            if run is not None:
                self.run = run
            for record in stages:
                self._records[record.stage] = replace(record, token=self.keeper.lease.token)
        for event in stored:
            self._s.hub.publish(event)

    def event(
        self,
        kind: EventKind,
        *,
        stage: str | None = None,
        attempt: int | None = None,
        message: str = "",
        fraction: float | None = None,
        retry_in: float | None = None,
        run_state: RunState | None = None,
        durations: dict[str, float] | None = None,
        by: str = "",
    ) -> ProgressEvent:
        return ProgressEvent(
            self.run.run_id,
            kind,
            self._s.clock.now(),
            stage=stage,
            attempt=attempt,
            fraction=fraction,
            message=message,
            retry_in=retry_in,
            run_state=run_state,
            durations=durations or {},
            by=by,
        )

    def record_of(self, stage: str) -> StageRecord:
        with self._lock:
            return self._records.get(stage) or StageRecord(self.run.run_id, stage)

    def failed_stage(self) -> StageRecord | None:
        with self._lock:
            return next((r for r in self._records.values() if r.state is StageState.FAILED), None)

    # ------------------------------------------------------------------ the run

    def begin(
        self,
        *,
        actor: str,
        surface: Surface,
        action: AuditAction,
        detail: str = "",
        stages: Sequence[StageRecord] = (),
        events: Sequence[ProgressEvent] = (),
    ) -> None:
        """Move the run to running, with the request that did it in the audit log."""
        now = self._s.clock.now()
        kind = EventKind.RUN_RESUMED if self.run.started_at else EventKind.RUN_STARTED
        self.write(
            run=replace(
                self.run, state=RunState.RUNNING, started_at=self.run.started_at or now, reason=""
            ),
            stages=stages,
            events=[*events, self.event(kind, message=f"{action} by {actor}")],
            audit=[AuditEvent(now, actor, surface, action, self.run.run_id, detail)],
        )

    def drive(self) -> Run:
        for step in self.plan.steps():
            todo = [s for s in step if not self.record_of(s.name).state.done]
            if not todo:
                continue
            waiting = [s for s in todo if s.gate and not self._gate_open(s)]
            if waiting:
                return self._await(waiting[0])
            finals = self._run_step(todo)
            failed = [r for r in finals if r.state is StageState.FAILED]
            if failed:
                return self._stop_on_failure(failed[0])
        return self._finish(RunState.SUCCEEDED, "")

    def _gate_open(self, stage: PlanStage) -> bool:
        subject = idempotency_key(self.run.run_id, stage.name)
        return any(a.decision is Decision.APPROVE for a in self._s.store.list_approvals(subject))

    def _await(self, stage: PlanStage) -> Run:
        reason = f"stage {stage.name} waits for a person to confirm it"
        self.write(
            run=replace(self.run, state=RunState.AWAITING_APPROVAL, reason=reason),
            events=[self.event(EventKind.RUN_AWAITING_APPROVAL, stage=stage.name, message=reason)],
        )
        return self.run

    def _stop_on_failure(self, record: StageRecord) -> Run:
        attempts = len(record.attempts)
        reason = f"stage {record.stage} failed after {attempts} attempt(s): {record.error}"
        if self.run.mode.is_drill:
            return self._finish(RunState.FAILED, reason)
        self.write(
            run=replace(self.run, state=RunState.PAUSED, reason=reason),
            events=[
                self.event(
                    EventKind.RUN_PAUSED,
                    stage=record.stage,
                    message=reason,
                    run_state=RunState.PAUSED,
                )
            ],
        )
        return self.run

    def _finish(self, state: RunState, reason: str) -> Run:
        now = self._s.clock.now()
        run = replace(self.run, state=state, finished_at=now, reason=reason)
        self.write(
            run=run,
            events=[
                self.event(
                    EventKind.RUN_FINISHED,
                    message=reason or f"run {state.value}",
                    run_state=state,
                    durations=self.durations(now),
                )
            ],
        )
        return self.run

    def durations(self, now: datetime) -> dict[str, float]:
        with self._lock:
            measured = {
                name: seconds
                for name, record in self._records.items()
                if (seconds := record.seconds) is not None
            }
        if self.run.started_at is not None:
            measured["total"] = (now - self.run.started_at).total_seconds()
        return measured

    # ------------------------------------------------------------------ stages

    def _run_step(self, todo: Sequence[PlanStage]) -> list[StageRecord]:
        if len(todo) == 1:
            return [self._drive_stage(todo[0])]
        results: dict[str, StageRecord | BaseException] = {}

        def drive(stage: PlanStage) -> None:
            try:
                results[stage.name] = self._drive_stage(stage)
            except BaseException as exc:  # noqa: BLE001 - re-raised below, on the run's thread
                results[stage.name] = exc

        threads = [
            self._s.threads.start(partial(drive, stage), f"step:{self.run.run_id}:{stage.name}")
            for stage in todo
        ]
        for thread in threads:
            thread.join()
        for stage in todo:
            outcome = results[stage.name]
            if isinstance(outcome, BaseException):
                raise outcome
        return [r for r in results.values() if isinstance(r, StageRecord)]

    def _drive_stage(self, stage: PlanStage) -> StageRecord:
        record = self.record_of(stage.name)
        if self.run.mode is RunMode.REHEARSAL and not stage.drill:
            return self._skip(record, "not part of a drill rehearsal")
        if self.run.mode is RunMode.DRY_RUN:
            stage = preflight_of(stage, self.plan.name)
        if record.attempts and record.attempts[-1].outcome is None:
            record = self._interrupted(record)
        while True:
            if self._s.stopping.is_set():
                raise Stopping
            self.keeper.check()
            now = self._s.clock.now()
            attempt = Attempt(len(record.attempts) + 1, record.round, now)
            record = replace(
                record,
                state=StageState.RUNNING,
                attempts=(*record.attempts, attempt),
                started_at=record.started_at or now,
                error="",
            )
            self.write(
                stages=[record],
                events=[
                    self.event(EventKind.STAGE_STARTED, stage=stage.name, attempt=attempt.number)
                ],
            )
            result = run_attempt(
                stage,
                self._context(stage, attempt.number),
                keeper=self.keeper,
                stopping=self._s.stopping,
                limits=AttemptLimits(self._s.settings.poll_interval, self._s.settings.cancel_grace),
                threads=self._s.threads,
            )
            if result.outcome is AttemptOutcome.INTERRUPTED:
                if self.keeper.lost.is_set():
                    raise LeaseLost(f"lease of run {self.run.run_id} lost during {stage.name}")
                raise Stopping
            now = self._s.clock.now()
            error, error_type = _describe_error(result.error)
            done = replace(
                attempt, finished_at=now, outcome=result.outcome, error=error, error_type=error_type
            )
            record = replace(record, attempts=(*record.attempts[:-1], done))
            if result.outcome is AttemptOutcome.SUCCEEDED:
                record = replace(
                    record,
                    state=StageState.SUCCEEDED,
                    summary=result.summary,
                    facts=dict(result.facts),
                    finished_at=now,
                )
                self.write(
                    stages=[record],
                    events=[
                        self.event(
                            EventKind.STAGE_SUCCEEDED,
                            stage=stage.name,
                            attempt=done.number,
                            message=result.summary,
                        )
                    ],
                )
                return record
            assert result.error is not None
            failures = record.failed_attempts()
            if stage.retry.retries(result.error, failures):
                delay = stage.retry.delay(failures).total_seconds()
                record = replace(record, error=error)
                self.write(
                    stages=[record],
                    events=[
                        self.event(
                            EventKind.STAGE_FAILED,
                            stage=stage.name,
                            attempt=done.number,
                            message=error,
                            retry_in=delay,
                        )
                    ],
                )
                self._back_off(delay)
                continue
            record = replace(record, state=StageState.FAILED, error=error, finished_at=now)
            self.write(
                stages=[record],
                events=[
                    self.event(
                        EventKind.STAGE_FAILED, stage=stage.name, attempt=done.number, message=error
                    )
                ],
            )
            return record

    def _skip(self, record: StageRecord, why: str) -> StageRecord:
        record = replace(
            record, state=StageState.SKIPPED, summary=why, finished_at=self._s.clock.now()
        )
        self.write(
            stages=[record],
            events=[self.event(EventKind.STAGE_SKIPPED, stage=record.stage, message=why)],
        )
        return record

    def _interrupted(self, record: StageRecord) -> StageRecord:
        last = replace(
            record.attempts[-1],
            finished_at=self._s.clock.now(),
            outcome=AttemptOutcome.INTERRUPTED,
            error="its runner stopped during the attempt",
        )
        log.info(
            "re-running an interrupted stage",
            extra={"run_id": record.run_id, "stage": record.stage},
        )
        return replace(record, attempts=(*record.attempts[:-1], last))

    def _back_off(self, seconds: float) -> None:
        """Wait before the next attempt, keeping the lease (in slices of a third of its ttl)."""
        remaining = seconds
        slice_ = self._s.settings.lease_ttl.total_seconds() / 3
        while remaining > 0:
            if self._s.stopping.is_set():
                raise Stopping
            step = min(remaining, slice_)
            self._s.sleeper(step)
            remaining -= step
            if not self.keeper.tick():
                raise LeaseLost(f"lease of run {self.run.run_id} lost during a backoff")

    def _context(self, stage: PlanStage, attempt: int) -> AttemptContext:
        def on_progress(message: str, fraction: float | None) -> None:
            try:
                self.write(
                    events=[
                        self.event(
                            EventKind.STAGE_PROGRESS,
                            stage=stage.name,
                            attempt=attempt,
                            message=message,
                            fraction=fraction,
                        )
                    ]
                )
            except LeaseLost:
                context.cancel()
                context.check()
            except StoreUnavailable:
                log.warning(
                    "progress event not stored: the store is unavailable",
                    extra={"run_id": self.run.run_id, "stage": stage.name},
                )

        context = AttemptContext(
            self.run.run_id, stage.name, attempt, self.run.mode, self._s.ports, on_progress
        )
        return context


def _describe_error(error: BaseException | None) -> tuple[str, str]:
    if error is None:
        return "", ""
    if isinstance(error, StageError):
        return str(error), error.error_type
    return f"{type(error).__name__}: {error}", type(error).__name__

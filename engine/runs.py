"""Value objects of a durable run: the run, its stage records and attempts, its progress events.

Frozen: a change is a new value written to the Store under the run's lease.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Final


class RunState(StrEnum):
    PROPOSED = "proposed"
    AWAITING_APPROVAL = "awaiting_approval"
    RUNNING = "running"
    PAUSED = "paused"
    """A stage failed after its retries (or the plan changed): retry, skip or abort."""
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    """Ended without success and without a person to decide (e.g. a failed drill rehearsal)."""
    ABORTED = "aborted"

    @property
    def terminal(self) -> bool:
        return self in (RunState.SUCCEEDED, RunState.FAILED, RunState.ABORTED)


class StageState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"

    @property
    def done(self) -> bool:
        """Finished for good: a resumed run passes over it."""
        return self in (StageState.SUCCEEDED, StageState.SKIPPED)


class RunMode(StrEnum):
    LIVE = "live"
    REHEARSAL = "rehearsal"
    """A drill: only the stages marked ``drill`` act; the others are skipped."""
    DRY_RUN = "dry-run"
    """A drill that acts nowhere: each stage checks its preconditions and permissions
    (``Stage.preflight``) and says what it would do."""

    @property
    def is_drill(self) -> bool:
        return self is not RunMode.LIVE


class StageRole(StrEnum):
    """What a stage does for the recovery: how a drill report and a run summary tell the
    stages apart, never by their names. A stage kind declares its role where it is registered
    (``engine.stages.registry``); a plan's stage may say another (``role:`` in phoenix.yaml)."""

    CATCH_UP = "catch-up"
    """Brings the DR copy up to date (replication lag checked, objects synced). The lag such
    a stage measured before the first cut-over is the run's RPO evidence."""
    CUT_OVER = "cut-over"
    """Moves the service to the other side: traffic switched, the old primary fenced, a
    replica promoted."""
    VERIFICATION = "verification"
    """Checks that the services answer. The first one to succeed after the last cut-over ends
    the RTO clock; with no verification after it, the cut-over itself does."""
    NOTIFICATION = "notification"
    """Tells the outside world (a webhook) what happened."""


class AttemptOutcome(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    INTERRUPTED = "interrupted"
    """Its runner died or stopped mid-attempt; it does not count against the retry budget."""


LAG_FACT: Final = "replication_lag_seconds"
"""The stage fact that carries a measured replication lag: the run's RPO evidence."""


def run_lease_name(run_id: str) -> str:
    """The lease a runner holds while it executes ``run_id``; it fences every write of the run."""
    return f"run:{run_id}"


def idempotency_key(run_id: str, stage: str) -> str:
    return f"{run_id}:{stage}"


@dataclass(frozen=True)
class Run:
    run_id: str
    plan: str
    plan_version: str
    """The plan's content hash when the run was created: a resume under another is refused."""
    stages: tuple[str, ...]
    mode: RunMode
    state: RunState
    created_at: datetime
    created_by: str
    incident_id: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    reason: str = ""
    """Why the run is paused, waiting, failed or aborted."""
    roles: Mapping[str, StageRole] = field(default_factory=dict)
    """The role of each stage that has one, as its plan said when the run was created."""


@dataclass(frozen=True)
class Attempt:
    number: int
    """1, 2, ... over the whole life of the stage record."""
    round: int
    """A manual retry opens a new round, with a fresh retry budget."""
    started_at: datetime
    finished_at: datetime | None = None
    outcome: AttemptOutcome | None = None
    """None while the attempt is in flight."""
    error: str = ""
    error_type: str = ""

    @property
    def seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


@dataclass(frozen=True)
class StageRecord:
    run_id: str
    stage: str
    state: StageState = StageState.PENDING
    attempts: tuple[Attempt, ...] = ()
    round: int = 1
    started_at: datetime | None = None
    finished_at: datetime | None = None
    summary: str = ""
    error: str = ""
    token: int = 0
    """Fencing token of the lease this record was written under."""
    facts: Mapping[str, float | int | str | bool] = field(default_factory=dict)
    """What the stage measured when it succeeded (e.g. ``replication_lag_seconds``): the
    structured evidence of a run, read by drill reports."""

    def failed_attempts(self) -> int:
        """Failed attempts of the current round: what the retry policy counts."""
        return sum(
            1
            for a in self.attempts
            if a.round == self.round
            and a.outcome in (AttemptOutcome.FAILED, AttemptOutcome.TIMED_OUT)
        )

    @property
    def seconds(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class EventKind(StrEnum):
    RUN_STARTED = "run_started"
    RUN_RESUMED = "run_resumed"
    STAGE_STARTED = "stage_started"
    STAGE_PROGRESS = "stage_progress"
    STAGE_SUCCEEDED = "stage_succeeded"
    STAGE_FAILED = "stage_failed"
    STAGE_SKIPPED = "stage_skipped"
    RUN_AWAITING_APPROVAL = "run_awaiting_approval"
    RUN_PAUSED = "run_paused"
    RUN_FINISHED = "run_finished"


@dataclass(frozen=True)
class ProgressEvent:
    """One neutral event of a run; a sink (the Slack reporter) renders it."""

    run_id: str
    kind: EventKind
    at: datetime
    stage: str | None = None
    attempt: int | None = None
    fraction: float | None = None
    message: str = ""
    retry_in: float | None = None
    """Seconds until the next attempt, on a failure that will be retried."""
    run_state: RunState | None = None
    """The run's state after a ``run_paused``/``run_finished`` event."""
    durations: Mapping[str, float] = field(default_factory=dict)
    """On ``run_finished``: measured seconds per finished stage, and ``total``."""
    by: str = ""
    """The person whose request the event records (who skipped a stage), as a user id; the
    surfaces name them their way. Empty for what the runner did by itself."""
    seq: int = 0
    """Position in the run's event log, from 1; the store assigns it when it appends."""

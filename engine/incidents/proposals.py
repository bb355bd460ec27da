"""The neutral values the Slack surfaces render: a proposal and where it stands.

A proposal is a run waiting for (or past) its approvals, plus what was true when it was made:
level, score, the per-signal breakdown, the reason. That snapshot is persisted once, as the
detail of the ``proposal.open`` audit event (``ProposalRecord``: pydantic, the boundary), so
every replica renders the same message from the Store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from engine.incidents.approvals import ApprovalRule
from engine.model import Level, LevelDecision
from engine.readiness import ReadinessSweep
from engine.records import BOT, Approval, AuditAction, Incident, Silence, Surface
from engine.runs import Run, RunState


class SignalLine(BaseModel):
    """One signal's part of a score."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    signal: str
    status: str
    value: float | None = None
    points: int
    detail: str = ""


class FailingCheck(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    verdict: str
    reason: str


class ReadinessDigest(BaseModel):
    """What a proposal shows of the DR side's readiness: how many checks are ready, which are
    not and why, and what a failover started then would cost. Shown, never a gate."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    at: datetime
    """When the sweep it comes from looked."""
    ready: int
    total: int
    failing: tuple[FailingCheck, ...] = ()
    rto_seconds: float | None = None
    rto_complete: bool = True
    rpo_seconds: float | None = None
    rpo_complete: bool = True

    @classmethod
    def of(cls, sweep: ReadinessSweep) -> ReadinessDigest:
        return cls(
            at=sweep.at,
            ready=sweep.ready_count,
            total=len(sweep.checks),
            failing=tuple(
                FailingCheck(name=c.name, verdict=c.verdict.value, reason=c.reason)
                for c in sweep.failing
            ),
            rto_seconds=sweep.rto.seconds,
            rto_complete=sweep.rto.complete,
            rpo_seconds=sweep.rpo.seconds,
            rpo_complete=sweep.rpo.complete,
        )


class SilenceMark(BaseModel):
    """A silence that was active when a level-3 proposal went past it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    silence_id: str
    by: str
    """Who silenced (a user id)."""
    until: datetime
    reason: str

    @classmethod
    def of(cls, silence: Silence) -> SilenceMark:
        return cls(
            silence_id=silence.silence_id,
            by=silence.created_by,
            until=silence.until,
            reason=silence.reason,
        )


class ProposalRecord(BaseModel):
    """What a proposal showed when it was opened; persisted as JSON in the audit log."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    run_id: str
    plan: str
    level: int
    score: int | None
    environment: str
    breakdown: tuple[SignalLine, ...] = ()
    reason: str
    requested_by: str
    """Who asked for it by hand (a user id), or the bot for a level's proposal."""
    manual: bool
    required: int
    created_at: datetime
    expires_at: datetime
    incident_id: str | None = None
    readiness: ReadinessDigest | None = None
    """The DR side's readiness when the proposal opened (proposals of the readiness plan)."""
    silenced: tuple[SilenceMark, ...] = ()
    """The silences active when it was proposed all the same (a level-3 loss confirmed by
    quorum is never held back)."""

    @property
    def rule(self) -> ApprovalRule:
        return ApprovalRule(
            self.required, self.requested_by if self.manual else None, self.expires_at
        )

    @property
    def typed_confirmation(self) -> bool:
        """Level 3 asks each approver to type the environment's name."""
        return self.level >= Level.DR_FAILOVER


def breakdown_of(decision: LevelDecision) -> tuple[SignalLine, ...]:
    return tuple(
        SignalLine(
            signal=sp.signal,
            status=sp.reading.status.value,
            value=sp.reading.value,
            points=sp.points,
            detail=sp.reading.detail,
        )
        for sp in decision.score.breakdown
    )


class Stand(StrEnum):
    """Where a proposal stands, as people read it."""

    AWAITING = "awaiting approval"
    RUNNING = "running"
    PAUSED = "paused"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    DECLINED = "declined"
    SNOOZED = "snoozed"
    EXPIRED = "expired"
    ABORTED = "aborted"

    @property
    def waiting(self) -> bool:
        return self is Stand.AWAITING


@dataclass(frozen=True)
class EndedBy:
    """Who ended a proposal without running it (declined, snoozed) or aborted its run, through
    which surface, and what they said. A user id: the surfaces name the person their way."""

    user: str
    surface: Surface
    reason: str = ""
    """The person's own words (a decline's reason), unescaped."""
    until: datetime | None = None
    """When a snooze ends."""

    @property
    def by_person(self) -> bool:
        return self.user != BOT


@dataclass(frozen=True)
class Proposal:
    record: ProposalRecord
    run: Run
    approvals: tuple[Approval, ...]
    stand: Stand
    ended_by: EndedBy | None = None
    """Who declined, snoozed or aborted it; None while it waits, runs or ran to its end."""
    note: str = ""
    """The run's reason: why it paused or failed, or why the bot ended it (expired,
    withdrawn)."""
    incident: Incident | None = None
    """The incident the proposal belongs to, as it stands now (escalated, resolved)."""
    readiness: ReadinessDigest | None = None
    """The DR side's readiness to show: the latest sweep's while the proposal waits for its
    approvals, the one it opened with once it was decided."""

    @property
    def run_id(self) -> str:
        return self.record.run_id


_CLOSED_AS: dict[str, Stand] = {
    AuditAction.PROPOSAL_DECLINE: Stand.DECLINED,
    AuditAction.PROPOSAL_SNOOZE: Stand.SNOOZED,
    AuditAction.PROPOSAL_EXPIRE: Stand.EXPIRED,
}


def stand_of(run: Run, now: datetime, record: ProposalRecord, closing: str) -> Stand:
    """The proposal's stand from its run's state; ``closing`` is the audit action that ended
    it by hand (``proposal.decline`` / ``proposal.snooze`` / ``proposal.expire``), if any."""
    if run.state in (RunState.PROPOSED, RunState.AWAITING_APPROVAL):
        return Stand.EXPIRED if now >= record.expires_at else Stand.AWAITING
    if run.state is RunState.RUNNING:
        return Stand.RUNNING
    if run.state is RunState.PAUSED:
        return Stand.PAUSED
    if run.state is RunState.SUCCEEDED:
        return Stand.SUCCEEDED
    if run.state is RunState.FAILED:
        return Stand.FAILED
    return _CLOSED_AS.get(closing, Stand.ABORTED)

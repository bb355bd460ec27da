"""What the Store keeps besides runs: leases, approvals, the audit log and its actions,
incidents, silences and score samples. Frozen values; the store adapters persist them as JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from engine.model import Level, LevelState, Status


class Surface(StrEnum):
    """Through which surface a person (or the bot itself) asked for something."""

    SLACK = "slack"
    CLI = "cli"
    SCHEDULER = "scheduler"
    SYSTEM = "system"


@dataclass(frozen=True)
class Lease:
    """A time-limited right to act on ``name``; ``token`` fences writes made under it.

    Tokens of one name only ever grow: every new holder gets a larger one than any before.
    """

    name: str
    owner: str
    token: int
    expires_at: datetime


class Decision(StrEnum):
    APPROVE = "approve"
    DECLINE = "decline"


@dataclass(frozen=True)
class Approval:
    subject: str
    """What is approved: a run id, or ``run_id:stage`` for a gated stage."""
    user: str
    decision: Decision
    at: datetime
    surface: Surface


BOT = "phoenix"
"""The actor of what the bot does by itself (proposals of a level, expiries, resolutions)."""


class AuditAction(StrEnum):
    """What an audit event records. Its value is what the Store keeps, so a member is renamed
    freely but its value never changes. A drill's notes are audit events too, under the
    actions of ``engine.drills.schedule.NoteKind``."""

    RUN_PROPOSE = "run.propose"
    RUN_REQUEST_APPROVAL = "run.request_approval"
    RUN_START = "run.start"
    RUN_RESUME = "run.resume"
    RUN_RETRY = "run.retry"
    RUN_SKIP = "run.skip"
    RUN_ABORT = "run.abort"
    RUN_REFUSED = "run.refused"
    STAGE_APPROVE = "stage.approve"

    PROPOSAL_OPEN = "proposal.open"
    """The detail is the proposal's ``ProposalRecord`` as JSON."""
    PROPOSAL_DECLINE = "proposal.decline"
    PROPOSAL_SNOOZE = "proposal.snooze"
    PROPOSAL_EXPIRE = "proposal.expire"
    PROPOSAL_WITHDRAW = "proposal.withdraw"
    APPROVAL_GRANT = "approval.grant"
    INCIDENT_RESOLVE = "incident.resolve"
    SILENCE_ADD = "silence.add"
    SILENCE_REMOVE = "silence.remove"
    BREAK_GLASS = "break_glass"
    """A decision taken from the command line, to be shown in Slack once it answers; the
    detail is its ``BreakGlassNote`` as JSON, the subject ``break-glass``."""
    MESSAGE_POSTED = "message.posted"
    """Where the bot posted a message of the subject; the detail is its ``role``, ``channel``
    and ``ts`` as JSON."""

    APPROVE_REFUSED = "approve.refused"
    DECLINE_REFUSED = "decline.refused"
    SNOOZE_REFUSED = "snooze.refused"
    RETRY_REFUSED = "retry.refused"
    SKIP_REFUSED = "skip.refused"
    ABORT_REFUSED = "abort.refused"
    FAILOVER_REFUSED = "failover.refused"
    FAILBACK_REFUSED = "failback.refused"
    SILENCE_REFUSED = "silence.refused"
    UNSILENCE_REFUSED = "unsilence.refused"

    DRILL_RUN = "drill.run"
    """The run of a drill; the detail is the drill's name."""
    DRILL_REPORT = "drill.report"
    DRILL_RUN_REFUSED = "drill.run.refused"
    DRILL_POSTPONE_REFUSED = "drill.postpone.refused"
    DRILL_SKIP_REFUSED = "drill.skip.refused"


@dataclass(frozen=True)
class AuditEvent:
    """Who did what, when, through which surface. Append-only."""

    at: datetime
    actor: str
    surface: Surface
    action: str
    """An ``AuditAction`` (or a drill's ``NoteKind``); kept as the string the Store holds, so
    an action a newer release writes is read back, never refused."""
    subject: str
    detail: str = ""
    seq: int = 0
    """Position in the audit log, from 1; the store assigns it when it appends."""


class IncidentStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


@dataclass(frozen=True)
class Incident:
    incident_id: str
    title: str
    level: Level
    status: IncidentStatus
    opened_at: datetime
    updated_at: datetime
    resolved_at: datetime | None = None
    run_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Silence:
    """No automatic proposal for ``scope`` from ``created_at`` until ``until``."""

    silence_id: str
    reason: str
    created_by: str
    created_at: datetime
    until: datetime
    scope: str = "*"


@dataclass(frozen=True)
class SignalSample:
    """What one signal read in an evaluation, as the score history keeps it."""

    status: Status
    value: float | None = None


@dataclass(frozen=True)
class ScoreSample:
    """One evaluation's score, as the bounded score history keeps it."""

    at: datetime
    total: int
    level: Level
    points: Mapping[str, int] = field(default_factory=dict)
    signals: Mapping[str, SignalSample] = field(default_factory=dict)
    """Each signal's status and value in this evaluation (empty in samples stored before the
    score history kept them)."""
    state: LevelState | None = None
    """The level state after this evaluation: what the next one starts from, on any replica."""
    reason: str = ""
    """Why the evaluation decided what it did (hysteresis, quorum, held back by ...)."""

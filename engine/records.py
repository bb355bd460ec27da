"""What the Store keeps besides runs: leases, approvals, the audit log, incidents, silences and
score samples. Frozen values; the store adapters persist them as JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from engine.model import Level, LevelState


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


@dataclass(frozen=True)
class AuditEvent:
    """Who did what, when, through which surface. Append-only."""

    at: datetime
    actor: str
    surface: Surface
    action: str
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
class ScoreSample:
    """One evaluation's score, as the bounded score history keeps it."""

    at: datetime
    total: int
    level: Level
    points: Mapping[str, int] = field(default_factory=dict)
    state: LevelState | None = None
    """The level state after this evaluation: what the next one starts from, on any replica."""
    reason: str = ""
    """Why the evaluation decided what it did (hysteresis, quorum, held back by ...)."""

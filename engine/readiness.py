"""The vocabulary of DR readiness: what one check found, the forecast of a failover started now,
and the sweep that holds them, as the Store keeps it.

A check reads like a signal: ``ready``, ``not_ready`` or ``unknown``, always with the reason,
and ``unknown`` (the check could not tell) is never taken for ready. Readiness never triggers
anything by itself: it is shown to the people who decide.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Verdict(StrEnum):
    READY = "ready"
    NOT_READY = "not_ready"
    UNKNOWN = "unknown"
    """The check could not tell (a cloud API did not answer, a reading is missing)."""

    @property
    def words(self) -> str:
        return self.value.replace("_", " ")


class Area(StrEnum):
    """What part of the DR side a check looks at."""

    DATABASE = "database"
    OBJECTS = "objects"
    WORKLOADS = "workloads"
    TRAFFIC = "traffic"
    ACCESS = "access"
    """Identities, secrets and the services a failover talks to (webhook, Slack, Jenkins)."""
    DRILLS = "drills"


@dataclass(frozen=True)
class CheckResult:
    name: str
    """Unique within a sweep: the kind, or ``kind:stage`` when the plan has two of a kind."""
    kind: str
    """What it checks, as ``readiness.checks`` turns it on or off: ``traffic-manager`` ..."""
    area: Area
    verdict: Verdict
    reason: str
    """Why, in one sentence a person can act on."""
    subject: str = ""
    """What was looked at, e.g. ``Azure SQL database app on dr-sql``."""
    measured: Mapping[str, float] = field(default_factory=dict)
    """Figures the forecast uses, named in ``engine.health.readiness.check``."""
    since: datetime | None = None
    """Since when the check has read this verdict (the first sweep that did)."""

    @property
    def ready(self) -> bool:
        return self.verdict is Verdict.READY


@dataclass(frozen=True)
class Estimate:
    """A predicted RTO or RPO and how it was derived."""

    seconds: float | None
    """``None`` when nothing could be predicted."""
    basis: tuple[str, ...] = ()
    """How it was derived, one part a line."""
    complete: bool = True
    """False when some part could not be measured: ``seconds`` is then a lower bound."""


@dataclass(frozen=True)
class Announced:
    """What the incident channel was last told about one check, and how many sweeps in a row
    have read otherwise since (a change is told once it has held long enough)."""

    ready: bool
    pending: int = 0


@dataclass(frozen=True)
class ReadinessSweep:
    """One sweep of every readiness check of a plan, and what a failover started then would
    cost. The Store keeps the latest, so every replica shows the same."""

    at: datetime
    plan: str
    """The plan whose failover the checks are derived from (the DR plan)."""
    checks: tuple[CheckResult, ...]
    rto: Estimate
    rpo: Estimate
    announced: Mapping[str, Announced] = field(default_factory=dict)
    seconds: float = 0.0
    """How long the sweep took."""

    @property
    def ready(self) -> bool:
        return all(check.ready for check in self.checks)

    @property
    def ready_count(self) -> int:
        return sum(1 for check in self.checks if check.ready)

    @property
    def failing(self) -> tuple[CheckResult, ...]:
        """The checks that are not ready (``unknown`` included)."""
        return tuple(check for check in self.checks if not check.ready)

    def check(self, name: str) -> CheckResult | None:
        return next((c for c in self.checks if c.name == name), None)

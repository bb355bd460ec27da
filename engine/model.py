"""Value objects that travel along the path of an incident. Frozen: nothing edits them in place."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum, StrEnum


class Status(StrEnum):
    """What one signal says about the service. ``unknown`` means the probe could not tell."""

    OK = "ok"
    DEGRADED = "degraded"
    DOWN = "down"
    UNKNOWN = "unknown"


class Vantage(StrEnum):
    """Where a signal looks from. Independent vantages confirm a loss before a DR failover."""

    INTERNAL = "internal"
    EXTERNAL = "external"
    CROSS_CLOUD = "cross-cloud"


class Level(IntEnum):
    """Recovery levels, in escalating order."""

    NONE = 0
    SELF_HEAL = 1
    REGION_FAILOVER = 2
    DR_FAILOVER = 3


class Action(StrEnum):
    """What a level decision asks the incident logic to do."""

    NONE = "none"
    OPEN = "open"
    ESCALATE = "escalate"
    DE_ESCALATE = "de-escalate"
    RESOLVE = "resolve"
    SUPPRESSED = "suppressed"

    @property
    def is_proposal(self) -> bool:
        return self in (Action.OPEN, Action.ESCALATE)


@dataclass(frozen=True)
class Reading:
    """One signal's observation. ``value`` is the measured number, when there is one."""

    signal: str
    status: Status
    value: float | None
    detail: str
    vantage: Vantage
    observed_at: datetime

    @classmethod
    def unknown(cls, signal: str, vantage: Vantage, reason: str, observed_at: datetime) -> Reading:
        return cls(signal, Status.UNKNOWN, None, reason, vantage, observed_at)


@dataclass(frozen=True)
class SignalPoints:
    """A reading and the points the configuration gives it."""

    reading: Reading
    points: int

    @property
    def signal(self) -> str:
        return self.reading.signal


@dataclass(frozen=True)
class Score:
    """The composite score of one evaluation and the level its bounds give, before any rule."""

    total: int
    raw_level: Level
    breakdown: tuple[SignalPoints, ...]
    at: datetime

    def readings(self) -> tuple[Reading, ...]:
        return tuple(sp.reading for sp in self.breakdown)


@dataclass(frozen=True)
class LevelDecision:
    """The level after hysteresis, quorum, flap damping and cool-down, and why."""

    score: Score
    level: Level
    previous_level: Level
    action: Action
    reasons: tuple[str, ...]
    flapping: frozenset[str] = frozenset()
    partition: bool = False
    notices: tuple[str, ...] = field(default=())

    @property
    def raw_level(self) -> Level:
        return self.score.raw_level

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)


@dataclass(frozen=True)
class LevelState:
    """What the level logic remembers between evaluations. Persisted with each score sample,
    so that a new leader carries on where the old one stopped."""

    level: Level = Level.NONE
    recent: tuple[tuple[Level, int], ...] = ()
    """(effective raw level, score) of the last evaluations, newest last."""
    statuses: Mapping[str, tuple[Status, ...]] = field(default_factory=dict)
    """Each signal's last ``flap.window`` statuses, newest last."""
    flapping: frozenset[str] = frozenset()
    cooldown_until: datetime | None = None

"""Replay recorded readings through the live level logic, to tune thresholds on past incidents.

A trace is JSON Lines, one evaluation a line::

    {"t": "2026-03-01T10:00:00Z", "readings": {"service-a": {"status": "down", "value": 1}}}

A signal missing from a line is ``unknown``; points come from the configuration exactly as in
a live evaluation. ``"event": "failover"`` (or ``"failback"``) on a line starts the cool-down
after that evaluation. A malformed line is reported with its number and skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from engine.config import PhoenixConfig
from engine.health.levels import LevelState, decide, start_cooldown
from engine.health.scoring import score
from engine.model import Action, LevelDecision, Reading, Status


class _TraceReading(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Status
    value: float | None = None


class _TraceLine(BaseModel):
    model_config = ConfigDict(extra="forbid")
    t: datetime
    readings: dict[str, _TraceReading]
    event: Literal["failover", "failback"] | None = None


@dataclass(frozen=True)
class TraceProblem:
    line: int
    message: str


@dataclass(frozen=True)
class BacktestStep:
    line: int
    t: datetime
    decision: LevelDecision


@dataclass
class BacktestSummary:
    steps: int = 0
    proposals: int = 0
    first_proposed: dict[int, datetime] = field(default_factory=dict)
    flaps_suppressed: int = 0
    suppressed: int = 0
    partitions: int = 0
    malformed: int = 0
    unknown_signals: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "steps": self.steps,
            "proposals": self.proposals,
            "first_proposed": {
                str(level): at.isoformat() for level, at in sorted(self.first_proposed.items())
            },
            "flaps_suppressed": self.flaps_suppressed,
            "suppressed": self.suppressed,
            "partitions": self.partitions,
            "malformed_lines": self.malformed,
            "unknown_signals": self.unknown_signals,
        }


class Backtest:
    """Replays a trace; ``summary`` fills in as ``replay`` is consumed."""

    def __init__(self, config: PhoenixConfig) -> None:
        self.config = config
        self.summary = BacktestSummary()
        self._state = LevelState()

    def replay(self, lines: Iterable[str]) -> Iterator[BacktestStep | TraceProblem]:
        for number, text in enumerate(lines, start=1):
            if not text.strip():
                continue
            try:
                line = _TraceLine.model_validate_json(text)
            except ValidationError as exc:
                self.summary.malformed += 1
                yield TraceProblem(number, _describe(exc))
                continue
            yield self._step(number, line)

    def _step(self, number: int, line: _TraceLine) -> BacktestStep:
        at = line.t if line.t.tzinfo else line.t.replace(tzinfo=UTC)
        for name in line.readings:
            if name not in self.config.signals_by_name and name not in self.summary.unknown_signals:
                self.summary.unknown_signals.append(name)
        readings = []
        for signal in self.config.signals:
            recorded = line.readings.get(signal.name)
            if recorded is None:
                readings.append(
                    Reading.unknown(signal.name, signal.vantage, "missing from the trace", at)
                )
            else:
                readings.append(
                    Reading(signal.name, recorded.status, recorded.value, "", signal.vantage, at)
                )
        decision, self._state = decide(self._state, score(readings, self.config, at), self.config)
        if line.event is not None:
            self._state = start_cooldown(self._state, at, self.config.evaluation)
        self._count(decision, at)
        return BacktestStep(number, at, decision)

    def _count(self, decision: LevelDecision, at: datetime) -> None:
        summary = self.summary
        summary.steps += 1
        if decision.action.is_proposal:
            summary.proposals += 1
            summary.first_proposed.setdefault(int(decision.level), at)
        if decision.action == Action.SUPPRESSED:
            summary.suppressed += 1
            if any("flapping" in reason for reason in decision.reasons):
                summary.flaps_suppressed += 1
        if decision.partition:
            summary.partitions += 1


def step_as_dict(step: BacktestStep) -> dict[str, object]:
    d = step.decision
    return {
        "t": step.t.isoformat(),
        "score": d.score.total,
        "raw_level": int(d.raw_level),
        "level": int(d.level),
        "flapping": sorted(d.flapping),
        "action": d.action.value,
        "reason": d.reason,
        "notices": list(d.notices),
    }


def _describe(exc: ValidationError) -> str:
    error = exc.errors(include_url=False)[0]
    if error["type"] == "json_invalid":
        return f"not valid JSON ({error.get('ctx', {}).get('error', 'parse error')})"
    where = ".".join(str(part) for part in error["loc"])
    message = str(error["msg"]).replace("Input should be", "must be")
    return f"{where}: {message}" if where else message

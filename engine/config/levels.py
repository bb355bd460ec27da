"""phoenix.yaml: scoring, level bounds and policies, and the rules of evaluation."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from pydantic import Field, model_validator

from engine.config.plans import BuiltinPlan
from engine.duration import Duration
from engine.fields import Model, Name
from engine.model import Level, Vantage

Fraction = Annotated[float, Field(ge=0.0, le=1.0)]


# ----------------------------------------------------------------------------- scoring, levels


class DefaultPoints(Model):
    ok: int = Field(default=0, ge=0)
    degraded: int = Field(default=1, ge=0)
    down: int = Field(default=3, ge=0)
    unknown: int = Field(default=1, ge=0)


class Scoring(Model):
    points: DefaultPoints = DefaultPoints()
    """Points per status for every signal that does not set its own."""


Policy = Literal["auto", "approve", "two-person"]


class LevelRule(Model):
    min_score: int = Field(ge=1)
    policy: Policy
    plan: Name


class Levels(Model):
    self_heal: LevelRule = LevelRule(min_score=4, policy="auto", plan=BuiltinPlan.SELF_HEAL.value)
    region_failover: LevelRule = LevelRule(
        min_score=8, policy="approve", plan=BuiltinPlan.REGION_FAILOVER.value
    )
    dr_failover: LevelRule = LevelRule(
        min_score=11, policy="two-person", plan=BuiltinPlan.DR_AZURE.value
    )

    @model_validator(mode="after")
    def _increasing(self) -> Levels:
        a, b, c = (
            self.self_heal.min_score,
            self.region_failover.min_score,
            self.dr_failover.min_score,
        )
        if not a < b < c:
            raise ValueError(f"min_score must rise from level to level (got {a}, {b}, {c})")
        return self

    def rule(self, level: Level) -> LevelRule:
        return {
            Level.SELF_HEAL: self.self_heal,
            Level.REGION_FAILOVER: self.region_failover,
            Level.DR_FAILOVER: self.dr_failover,
        }[level]

    def level_for(self, score: int) -> Level:
        if score >= self.dr_failover.min_score:
            return Level.DR_FAILOVER
        if score >= self.region_failover.min_score:
            return Level.REGION_FAILOVER
        if score >= self.self_heal.min_score:
            return Level.SELF_HEAL
        return Level.NONE

    def min_score(self, level: Level) -> int:
        return 0 if level == Level.NONE else self.rule(level).min_score


class FlapDamping(Model):
    window: int = Field(default=21, ge=3)
    start: Fraction = 0.20
    stop: Fraction = 0.05

    @model_validator(mode="after")
    def _stop_below_start(self) -> FlapDamping:
        if self.stop >= self.start:
            raise ValueError("stop must be below start")
        return self


class Quorum(Model):
    """Level 3 needs the loss seen from at least ``min`` of these independent vantages."""

    vantages: list[Vantage] = Field(
        default_factory=lambda: [Vantage.EXTERNAL, Vantage.CROSS_CLOUD], min_length=1
    )
    min: int = Field(default=2, ge=1)

    @model_validator(mode="after")
    def _reachable(self) -> Quorum:
        if self.min > len(set(self.vantages)):
            raise ValueError(f"min is {self.min} but only {len(set(self.vantages))} vantages")
        return self


class Evaluation(Model):
    interval: Duration = timedelta(seconds=30)
    confirm: int = Field(default=2, ge=1)
    """Escalate only after the higher level held for this many evaluations."""
    clear: int = Field(default=4, ge=1)
    """Step down only after this many evaluations below the level's bound minus the margin."""
    margin: int = Field(default=1, ge=0)
    cooldown: Duration = timedelta(minutes=30)
    """After a failover or failback, no automatic proposal for this long."""
    flap: FlapDamping = FlapDamping()
    quorum: Quorum = Quorum()
    blind_above: Fraction = 0.5
    """When more than this share of signals read ``unknown``, the observer cannot see enough
    to act on: nothing escalates until it can (unknown points still show in the score)."""

    @model_validator(mode="after")
    def _positive_interval(self) -> Evaluation:
        if self.interval <= timedelta(0):
            raise ValueError("interval must be greater than zero")
        return self

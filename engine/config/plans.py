"""phoenix.yaml: plans, objectives and drills."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationInfo, model_validator

from engine.cron import CronError, parse_cron, zone
from engine.duration import Duration
from engine.fields import Model, Name
from engine.retry import RetryPolicy
from engine.runs import StageRole
from engine.stages import REGISTRY, StageRegistry


class StageSpec(Model):
    """One stage of a plan. Timeout, retry, drill and role default to what the stage kind
    declares; a ``retry`` here overrides only the fields it names."""

    name: Name
    kind: Name
    group: Name | None = None
    """Consecutive stages that share a group run in parallel."""
    timeout: Duration | None = None
    """Per attempt; past it the attempt is cancelled and counts as failed."""
    retry: RetryPolicy | None = None
    drill: bool | None = None
    """Whether the stage acts in a drill rehearsal (skipped there otherwise)."""
    gate: bool = False
    """Whether a person must confirm before the stage starts."""
    role: StageRole | None = None
    """What the stage does for the recovery (catch-up, cut-over, verification, notification):
    what a drill measures RTO and RPO by. Needed where the kind is generic (``manual``,
    ``jenkins_job``); a stage's name never decides it."""
    params: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _known_kind_and_params(self, info: ValidationInfo) -> StageSpec:
        """The kind is registered and the params fit its model. The registry is the
        validation context's ``stage_registry``, else the built-in one."""
        problems = [str(p) for p in _stage_registry(info).check(self.kind, self.params)]
        if self.timeout is not None and self.timeout <= timedelta(0):
            problems.append("timeout: must be greater than zero")
        if problems:
            raise ValueError("\n".join(problems))
        return self


def _stage_registry(info: ValidationInfo) -> StageRegistry:
    context = info.context if isinstance(info.context, Mapping) else {}
    registry: StageRegistry = context.get("stage_registry", REGISTRY)
    return registry


class PlanSpec(Model):
    description: str = ""
    stages: Annotated[list[StageSpec], Field(min_length=1)]

    @model_validator(mode="after")
    def _names_and_groups(self) -> PlanSpec:
        problems: list[str] = []
        names: set[str] = set()
        closed_groups: set[str] = set()
        previous_group: str | None = None
        for index, stage in enumerate(self.stages):
            if stage.name in names:
                problems.append(f"stages[{index}].name: {stage.name!r} is used twice")
            names.add(stage.name)
            if stage.group != previous_group:
                if stage.group in closed_groups:
                    problems.append(
                        f"stages[{index}].group: the stages of group {stage.group!r} "
                        "must be next to each other"
                    )
                if previous_group is not None:
                    closed_groups.add(previous_group)
                previous_group = stage.group
        if problems:
            raise ValueError("\n".join(problems))
        return self


class BuiltinPlan(StrEnum):
    """The plans every configuration has (``engine.plans.builtin`` spells them out); a plan of
    the same name in phoenix.yaml overrides one."""

    SELF_HEAL = "self-heal"
    REGION_FAILOVER = "region-failover"
    DR_AZURE = "dr-azure"
    FAILBACK = "failback"


BUILTIN_PLANS: tuple[str, ...] = tuple(plan.value for plan in BuiltinPlan)


class Objectives(Model):
    rto: Duration = timedelta(minutes=15)
    rpo: Duration = timedelta(minutes=5)


class Drill(Model):
    name: Name
    schedule: str = Field(min_length=1)
    """Cron expression (minute hour day-of-month month day-of-week) or macro, as Debian's cron
    reads it: ``engine.cron``."""
    timezone: str = "UTC"
    plan: Name = BuiltinPlan.DR_AZURE.value
    mode: Literal["dry-run", "rehearsal"] = "dry-run"
    announce: list[Duration] = Field(
        default_factory=lambda: [timedelta(hours=24), timedelta(hours=1)]
    )
    channel: str | None = None

    @model_validator(mode="after")
    def _cron_shape(self) -> Drill:
        for field, check in (("schedule", parse_cron), ("timezone", zone)):
            try:
                check(getattr(self, field))
            except CronError as exc:
                raise ValueError(f"{field}: {exc}") from None
        if any(offset <= timedelta(0) for offset in self.announce):
            raise ValueError("announce offsets must be greater than zero")
        return self

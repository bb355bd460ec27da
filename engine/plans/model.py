"""Plans: ordered stages, with consecutive stages of one group run in parallel; the built-in
plans; a plan's version hash; and the dry run, which walks a plan touching nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ValidationError

from engine.config import PhoenixConfig, PlanSpec
from engine.errors import ConfigError
from engine.plans.builtin import builtin_plan_data
from engine.problems import problems_from_validation
from engine.retry import RetryPolicy
from engine.runs import RunMode, StageRole, idempotency_key
from engine.stages import REGISTRY, Stage, StageContext, StageInfo, StageKind, StageRegistry


@dataclass(frozen=True)
class PlanStage:
    """A stage with everything resolved: its kind, typed params, and the effective timeout,
    retry policy, drill flag and role (the plan's where it sets them, else the kind's)."""

    name: str
    kind: StageKind
    params: BaseModel
    group: str | None
    timeout: timedelta
    retry: RetryPolicy
    drill: bool
    gate: bool
    role: StageRole | None = None

    def describe(self, plan: str, run_id: str = "<run_id>") -> list[str]:
        info = StageInfo(plan, self.name, idempotency_key(run_id, self.name))
        return list(self.kind.implementation.describe(self.params, info))

    def content(self) -> dict[str, Any]:
        """What the version hash covers: everything that changes what the stage does. Not
        its role, which changes only what a drill measures: a run resumes across it."""
        return {
            "name": self.name,
            "kind": self.kind.name,
            "params": self.params.model_dump(mode="json"),
            "group": self.group,
            "timeout": self.timeout.total_seconds(),
            "retry": self.retry.model_dump(mode="json"),
            "drill": self.drill,
            "gate": self.gate,
        }


@dataclass(frozen=True)
class Plan:
    name: str
    description: str
    stages: tuple[PlanStage, ...]
    version: str
    """A hash of the stages' content (not of the description): a resume checks it."""

    def steps(self) -> list[tuple[PlanStage, ...]]:
        """The stages in order, consecutive members of one group folded into one step."""
        steps: list[tuple[PlanStage, ...]] = []
        for stage in self.stages:
            if steps and stage.group is not None and steps[-1][0].group == stage.group:
                steps[-1] = (*steps[-1], stage)
            else:
                steps.append((stage,))
        return steps

    def stage(self, name: str) -> PlanStage:
        return next(s for s in self.stages if s.name == name)

    def roles(self) -> dict[str, StageRole]:
        """The role of each stage that has one."""
        return {s.name: s.role for s in self.stages if s.role is not None}


def compile_plan(name: str, spec: PlanSpec, registry: StageRegistry = REGISTRY) -> Plan:
    """Resolve a validated spec against the registry (its kinds were checked when it was)."""
    stages = []
    for stage in spec.stages:
        kind = registry.get(stage.kind)
        if kind is None:
            raise ValueError(f"plan {name!r}: stage kind {stage.kind!r} is not registered")
        stages.append(
            PlanStage(
                name=stage.name,
                kind=kind,
                params=kind.parse(stage.params),
                group=stage.group,
                timeout=stage.timeout or kind.timeout,
                retry=stage.retry.over(kind.retry) if stage.retry else kind.retry,
                drill=kind.drill if stage.drill is None else stage.drill,
                gate=stage.gate,
                role=stage.role or kind.role,
            )
        )
    content = json.dumps([s.content() for s in stages], sort_keys=True, separators=(",", ":"))
    version = hashlib.sha256(content.encode()).hexdigest()[:12]
    return Plan(name, spec.description, tuple(stages), version)


def parse_plan(name: str, data: Mapping[str, Any], registry: StageRegistry = REGISTRY) -> Plan:
    """Validate one plan given as phoenix.yaml data; ``ConfigError`` names every fault."""
    try:
        spec = PlanSpec.model_validate(dict(data), context={"stage_registry": registry})
    except ValidationError as exc:
        problems = problems_from_validation(exc, dict(data), PlanSpec)
        raise ConfigError(f"plan {name}", problems) from None
    return compile_plan(name, spec, registry)


def builtin_plans(
    registry: StageRegistry = REGISTRY, config: PhoenixConfig | None = None
) -> dict[str, Plan]:
    """The built-in plans, acting on the resources ``config`` names (``recovery:``)."""
    data = builtin_plan_data(config)
    return {name: parse_plan(name, plan, registry) for name, plan in data.items()}


def plan_book(config: PhoenixConfig, registry: StageRegistry = REGISTRY) -> dict[str, Plan]:
    """Every plan by name: the built-ins, overridden by phoenix.yaml's plans of the same name."""
    plans = builtin_plans(registry, config)
    plans.update({name: compile_plan(name, spec, registry) for name, spec in config.plans.items()})
    return plans


@dataclass(frozen=True)
class DryRunStage:
    stage: PlanStage
    actions: tuple[str, ...]
    skipped: str = ""
    """Why the stage would not act in this mode (e.g. not part of a drill rehearsal)."""


def dry_run(plan: Plan, mode: RunMode = RunMode.LIVE) -> list[tuple[DryRunStage, ...]]:
    """Every action each stage would take, step by step. Calls no stage's ``run`` or ``holds``."""
    walked: list[tuple[DryRunStage, ...]] = []
    for step in plan.steps():
        walked.append(tuple(_dry_stage(plan, stage, mode) for stage in step))
    return walked


def _dry_stage(plan: Plan, stage: PlanStage, mode: RunMode) -> DryRunStage:
    actions = tuple(stage.describe(plan.name))
    if mode is RunMode.REHEARSAL and not stage.drill:
        return DryRunStage(stage, actions, "skipped: not part of a drill rehearsal")
    return DryRunStage(stage, actions)


def plans_for_levels(config: PhoenixConfig) -> dict[str, list[tuple[str, str]]]:
    """Plan name -> the ``levels.*`` rules that propose it, each with its approval policy."""
    uses: dict[str, list[tuple[str, str]]] = {}
    for field_name in ("self_heal", "region_failover", "dr_failover"):
        rule = getattr(config.levels, field_name)
        uses.setdefault(rule.plan, []).append((f"levels.{field_name}", rule.policy))
    return uses


class _Preflight(Stage[BaseModel]):
    """A stage's ``preflight`` in place of its ``run``: what a dry-run drill executes."""

    def __init__(self, stage: PlanStage, plan: str) -> None:
        self._stage = stage
        self._plan = plan

    def run(self, ctx: StageContext, params: BaseModel) -> str:
        checked = self._stage.kind.implementation.preflight(ctx, params)
        would = "; ".join(self._stage.describe(self._plan, ctx.run_id))
        return f"dry run: {checked}; would {would}" if would else f"dry run: {checked}"


def preflight_of(stage: PlanStage, plan: str) -> PlanStage:
    """The stage as a dry run executes it: preconditions checked, nothing acted on, once."""
    kind = replace(stage.kind, implementation=_Preflight(stage, plan))
    return replace(stage, kind=kind, retry=RetryPolicy(maximum_attempts=1))

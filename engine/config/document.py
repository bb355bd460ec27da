"""The phoenix.yaml document: every section, and the checks that span sections (a plan a level
names exists, a cluster a stage names is configured, names are unique)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property

from pydantic import Field, model_validator

from engine.config.levels import Evaluation, LevelRule, Levels, Scoring
from engine.config.plans import BUILTIN_PLANS, BuiltinPlan, Drill, Objectives, PlanSpec
from engine.config.readiness import Readiness
from engine.config.recovery import Clouds, Recovery
from engine.config.signals import Signal, SignalBase
from engine.config.sites import DrSite, PrimarySite
from engine.config.slack import Slack
from engine.fields import Model, Name
from engine.model import Level, Status


class PhoenixConfig(Model):
    environment: Name = "production"
    primary: PrimarySite = PrimarySite()
    dr: DrSite = DrSite()
    signals: list[Signal] = Field(default_factory=list)
    scoring: Scoring = Scoring()
    levels: Levels = Levels()
    evaluation: Evaluation = Evaluation()
    slack: Slack = Slack()
    plans: dict[Name, PlanSpec] = Field(default_factory=dict)
    drills: list[Drill] = Field(default_factory=list)
    objectives: Objectives = Objectives()
    clouds: Clouds = Clouds()
    recovery: Recovery = Recovery()
    readiness: Readiness = Readiness()

    @model_validator(mode="after")
    def _cross_references(self) -> PhoenixConfig:
        problems: list[str] = []
        for where, cluster in (
            ("recovery.aks.cluster", self.recovery.aks and self.recovery.aks.cluster),
            (
                "recovery.self_heal.cluster",
                self.recovery.self_heal and self.recovery.self_heal.cluster,
            ),
        ):
            if cluster and cluster not in self.clouds.clusters:
                known = ", ".join(sorted(self.clouds.clusters)) or "none"
                problems.append(f"{where}: no cluster {cluster!r} in clouds.clusters ({known})")
        if self.recovery.region_failover and not self.clouds.aws.standby_region:
            problems.append("clouds.aws.standby_region: is required by recovery.region_failover")
        if self.recovery.smoke_test and self.clouds.jenkins is None:
            problems.append("clouds.jenkins: is required by recovery.smoke_test")
        seen: set[str] = set()
        for index, signal in enumerate(self.signals):
            if signal.name in seen:
                problems.append(f"signals[{index}].name: {signal.name!r} is used twice")
            seen.add(signal.name)
        plans = set(BUILTIN_PLANS) | set(self.plans)
        for field_name in ("self_heal", "region_failover", "dr_failover"):
            rule: LevelRule = getattr(self.levels, field_name)
            if rule.plan not in plans:
                problems.append(f"levels.{field_name}.plan: no plan named {rule.plan!r}")
        if self.readiness.plan is not None and self.readiness.plan not in plans:
            problems.append(f"readiness.plan: no plan named {self.readiness.plan!r}")
        primary = self.readiness.primary
        if primary is not None and primary.cluster not in self.clouds.clusters:
            known = ", ".join(sorted(self.clouds.clusters)) or "none"
            problems.append(
                f"readiness.primary.cluster: no cluster {primary.cluster!r} in clouds.clusters "
                f"({known})"
            )
        drills: set[str] = set()
        for index, drill in enumerate(self.drills):
            if drill.plan not in plans:
                problems.append(f"drills[{index}].plan: no plan named {drill.plan!r}")
            if drill.name in drills:
                problems.append(f"drills[{index}].name: {drill.name!r} is used twice")
            drills.add(drill.name)
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def points_for(self, signal: SignalBase, status: Status) -> int:
        own = signal.points.get(status)
        if own is not None:
            return own
        fallback: int = getattr(self.scoring.points, status.value)
        return fallback

    @cached_property
    def signals_by_name(self) -> Mapping[str, SignalBase]:
        return {s.name: s for s in self.signals}

    def signal(self, name: str) -> SignalBase | None:
        return self.signals_by_name.get(name)

    @cached_property
    def failover_plans(self) -> frozenset[str]:
        """The plans that move the service between sites: the region and DR failovers the
        levels propose, and the failback. A cool-down follows their live runs, and their
        measured RTO and RPO are the failover's."""
        levels = self.levels
        return frozenset(
            {levels.region_failover.plan, levels.dr_failover.plan, BuiltinPlan.FAILBACK.value}
        )

    @property
    def readiness_plan(self) -> str:
        """The plan whose failover the readiness checks are derived from."""
        return self.readiness.plan or self.levels.dr_failover.plan

    def summary(self) -> str:
        kinds: dict[str, int] = {}
        for signal in self.signals:
            kinds[signal.kind] = kinds.get(signal.kind, 0) + 1
        kind_text = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) or "none"
        bounds = "/".join(
            str(self.levels.min_score(lv))
            for lv in (Level.SELF_HEAL, Level.REGION_FAILOVER, Level.DR_FAILOVER)
        )
        return (
            f"environment {self.environment}: {len(self.signals)} signals ({kind_text}), "
            f"levels {bounds}, {len(set(BUILTIN_PLANS) | set(self.plans))} plans, "
            f"{len(self.drills)} drills"
        )

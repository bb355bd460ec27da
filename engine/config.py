"""The phoenix.yaml model.

Every field has a default, so a small file works; unknown keys are errors, so a typo cannot
silently disable a signal. Secrets are never written here, only referenced (see ``SecretRef``).
``load_config`` turns any fault into a ``ConfigError`` whose problems name a field path.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import Field, ValidationError, model_validator

from engine.config_errors import problems_from_validation, problems_from_yaml
from engine.config_levels import (
    DefaultPoints,
    Evaluation,
    FlapDamping,
    Fraction,
    LevelRule,
    Levels,
    Policy,
    Quorum,
    Scoring,
)
from engine.config_plans import BUILTIN_PLANS, Drill, Objectives, PlanSpec, StageSpec
from engine.config_recovery import Clouds, Recovery
from engine.config_signals import (
    SIGNAL_KINDS,
    AwsAccess,
    EksNodesSignal,
    HttpSignal,
    KubeAccess,
    Points,
    PrometheusAccess,
    PromqlSignal,
    RdsReplicaLagSignal,
    Route53HealthCheckSignal,
    Signal,
    SignalBase,
    Threshold,
    Thresholds,
    status_from_thresholds,
)
from engine.config_types import Model, Name, SecretRef, Url
from engine.duration import Duration
from engine.errors import ConfigError, Problem
from engine.model import Level, Status

# The parts of the model live in config_signals, config_levels, config_plans and
# config_recovery; these are the names callers take from here.
__all__ = [
    "BUILTIN_PLANS",
    "SIGNAL_KINDS",
    "Approvers",
    "AwsAccess",
    "Clouds",
    "DefaultPoints",
    "DrSite",
    "Drill",
    "Duration",
    "EksNodesSignal",
    "Evaluation",
    "FlapDamping",
    "Fraction",
    "HttpSignal",
    "KubeAccess",
    "LevelRule",
    "Levels",
    "Model",
    "Name",
    "Objectives",
    "PhoenixConfig",
    "PlanSpec",
    "Points",
    "Policy",
    "PrimarySite",
    "PrometheusAccess",
    "PromqlSignal",
    "Quorum",
    "RdsReplicaLagSignal",
    "Recovery",
    "Route53HealthCheckSignal",
    "Scoring",
    "SecretRef",
    "Signal",
    "SignalBase",
    "Slack",
    "StageSpec",
    "Threshold",
    "Thresholds",
    "Url",
    "load_config",
    "parse_config",
    "status_from_thresholds",
]

# ----------------------------------------------------------------------------- sites


class PrimarySite(Model):
    cloud: Literal["aws"] = "aws"
    region: str = "us-east-1"


class DrSite(Model):
    cloud: Literal["azure"] = "azure"
    region: str = "eastus2"


# ----------------------------------------------------------------------------- slack


class Approvers(Model):
    users: list[Annotated[str, Field(pattern=r"^[UW][A-Z0-9]{2,}$")]] = Field(default_factory=list)
    groups: list[Annotated[str, Field(pattern=r"^S[A-Z0-9]{2,}$")]] = Field(default_factory=list)


class Slack(Model):
    channel: str = Field(default="#incidents", min_length=1)
    approvers: Approvers = Approvers()
    approval_ttl: Duration = timedelta(minutes=30)


# ----------------------------------------------------------------------------- the file


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


# ----------------------------------------------------------------------------- loading


class _UniqueKeyLoader(yaml.SafeLoader):
    """A SafeLoader that refuses duplicate keys instead of keeping the last one silently."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    result: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping",
                node.start_mark,
                f"found duplicate key {key!r}",
                key_node.start_mark,
            )
        result[key] = loader.construct_object(value_node, deep=True)
    return result


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def parse_config(text: str, source: str = "phoenix.yaml") -> PhoenixConfig:
    """Parse and validate phoenix.yaml text; raise ConfigError listing every problem."""
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise ConfigError(source, problems_from_yaml(exc)) from None
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ConfigError(source, [Problem("", "the file must hold a mapping of settings")])
    try:
        return PhoenixConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(source, problems_from_validation(exc, data, PhoenixConfig)) from None


def load_config(path: str | Path) -> PhoenixConfig:
    """Read and validate a phoenix.yaml file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            str(path), [Problem("", f"cannot read the file: {exc.strerror}")]
        ) from None
    except UnicodeDecodeError:
        raise ConfigError(str(path), [Problem("", "the file is not UTF-8 text")]) from None
    return parse_config(text, str(path))

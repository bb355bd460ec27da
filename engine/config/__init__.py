"""The phoenix.yaml model, one module per section; this facade is where callers take it from.

``document`` (the whole file and the checks that span sections), ``loading`` (reading it),
and the sections: ``sites``, ``signals``, ``levels`` (scoring, levels, policies, evaluation),
``slack`` (the channel and who may do what), ``plans`` (plans, objectives, drills),
``recovery`` (the clouds and what the built-in plans act on), ``readiness``.

Every field has a default, so a small file works; unknown keys are errors, so a typo cannot
silently disable a signal. Secrets are never written here, only referenced (see ``SecretRef``).
``load_config`` turns any fault into a ``ConfigError`` whose problems name a field path.
"""

from __future__ import annotations

from engine.config.document import (
    PhoenixConfig,
)
from engine.config.levels import (
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
from engine.config.loading import (
    load_config,
    parse_config,
)
from engine.config.plans import (
    BUILTIN_PLANS,
    BuiltinPlan,
    Drill,
    Objectives,
    PlanSpec,
    StageSpec,
)
from engine.config.readiness import (
    PrimaryWorkloads,
    Readiness,
    ReadinessChecks,
)
from engine.config.recovery import (
    Clouds,
    Recovery,
)
from engine.config.signals import (
    SIGNAL_KINDS,
    AwsAccess,
    EksAccess,
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
from engine.config.sites import (
    DrSite,
    PrimarySite,
)
from engine.config.slack import (
    Approvers,
    Responders,
    Slack,
)
from engine.duration import (
    Duration,
)
from engine.fields import (
    Model,
    Name,
    SecretRef,
    Url,
)

__all__ = [
    "BUILTIN_PLANS",
    "SIGNAL_KINDS",
    "Approvers",
    "AwsAccess",
    "BuiltinPlan",
    "Clouds",
    "DefaultPoints",
    "DrSite",
    "Drill",
    "Duration",
    "EksAccess",
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
    "PrimaryWorkloads",
    "PrometheusAccess",
    "PromqlSignal",
    "Quorum",
    "RdsReplicaLagSignal",
    "Readiness",
    "ReadinessChecks",
    "Recovery",
    "Responders",
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

"""The stage library, written against ports, never SDKs. Importing it registers every
built-in stage kind in ``REGISTRY``."""

from engine.stages import (
    azure_sql,
    jenkins,
    manual,
    notify,
    objects,
    region,
    replication,
    testing,
    traffic,
    verify,
    workloads,
)
from engine.stages.context import PortKey, Ports, StageContext, StageInfo
from engine.stages.registry import (
    REGISTRY,
    Fact,
    Stage,
    StageKind,
    StageRegistry,
    StageResult,
    stage_kind,
)

__all__ = [
    "REGISTRY",
    "Fact",
    "PortKey",
    "Ports",
    "Stage",
    "StageContext",
    "StageInfo",
    "StageKind",
    "StageRegistry",
    "StageResult",
    "azure_sql",
    "jenkins",
    "manual",
    "notify",
    "objects",
    "region",
    "replication",
    "stage_kind",
    "testing",
    "traffic",
    "verify",
    "workloads",
]

"""The stage library, written against ports, never SDKs. Importing it registers every
built-in stage kind in ``REGISTRY``.

``registry`` (how a kind declares its params, timeout, retry policy, role), ``context`` (what a
stage sees of its run), ``ports`` (the typed ports stages reach the clouds through), ``common``
(the params base, cooperative waiting); the kinds: ``replication``, ``objects``, ``azure_sql``,
``workloads``, ``region``, ``traffic``, ``verify``, ``jenkins``, ``notify``, ``manual``, and
``testing`` (kinds for drills of the runner itself)."""

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

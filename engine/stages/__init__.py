"""The stage library, written against ports, never SDKs. Importing it registers every
built-in stage kind in ``REGISTRY``."""

from engine.stages import manual, testing
from engine.stages.context import PortKey, Ports, StageContext, StageInfo
from engine.stages.registry import REGISTRY, Stage, StageKind, StageRegistry, stage_kind

__all__ = [
    "REGISTRY",
    "PortKey",
    "Ports",
    "Stage",
    "StageContext",
    "StageInfo",
    "StageKind",
    "StageRegistry",
    "manual",
    "stage_kind",
    "testing",
]

"""``sim``: an in-memory AWS and Azure with fault injection (``world``), behind the same cloud
ports (``ports``) and signal sources (``signals``) as the real adapters. The sandbox's world;
tests of stages may use it too."""

from engine.adapters.sim.ports import (
    SimAzureSql,
    SimIdentity,
    SimJenkins,
    SimKubernetes,
    SimNodeGroups,
    SimObjectStore,
    SimOperation,
    SimRds,
    SimRoute53,
    SimTrafficManager,
    SimWebhook,
)
from engine.adapters.sim.signals import SimHealthCheck, SimNodeReadiness, SimReplicaLag
from engine.adapters.sim.world import (
    AWS,
    AZURE,
    DR_ENDPOINT,
    PRIMARY_ENDPOINT,
    SimFaults,
    SimWorld,
    Topology,
)

__all__ = [
    "AWS",
    "AZURE",
    "DR_ENDPOINT",
    "PRIMARY_ENDPOINT",
    "SimAzureSql",
    "SimFaults",
    "SimHealthCheck",
    "SimIdentity",
    "SimJenkins",
    "SimKubernetes",
    "SimNodeGroups",
    "SimNodeReadiness",
    "SimObjectStore",
    "SimOperation",
    "SimRds",
    "SimReplicaLag",
    "SimRoute53",
    "SimTrafficManager",
    "SimWebhook",
    "SimWorld",
    "Topology",
]

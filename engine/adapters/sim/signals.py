"""Signal sources over the simulated world, one per signal kind that reads a cloud API:
``rds_replica_lag`` (CloudWatch ReplicaLag), ``eks_nodes`` (node Ready conditions) and
``route53_health_check`` (Route 53's checkers around the world). They judge values with the
signal's own thresholds, as the real sources do, and read ``unknown`` when the observer
cannot reach the API: never ``ok``."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Final

from engine.adapters.sim.ports import SimKubernetes, SimRds
from engine.adapters.sim.world import SimWorld
from engine.adapters.single_signal import SingleSignalSource
from engine.config import (
    EksNodesSignal,
    RdsReplicaLagSignal,
    Route53HealthCheckSignal,
    status_from_thresholds,
)
from engine.errors import CloudUnavailable
from engine.model import Reading
from engine.ports import Clock

CHECKER_REGIONS: Final = (
    "us-east-1",
    "us-west-1",
    "us-west-2",
    "eu-west-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-northeast-1",
    "sa-east-1",
)


class SimReplicaLag(SingleSignalSource[RdsReplicaLagSignal]):
    """``rds_replica_lag`` read from the world's RDS through the ``ReplicationLagSource``."""

    def __init__(self, signal: RdsReplicaLagSignal, world: SimWorld, clock: Clock) -> None:
        super().__init__(signal, clock)
        self._rds = SimRds(world)

    async def collect(self) -> Sequence[Reading]:
        signal = self._signal
        try:
            lag = self._rds.replica_lag(signal.db_instance, signal.lookback)
        except CloudUnavailable as exc:
            return self._unknown(str(exc))
        if lag is None:
            return self._unknown(f"no ReplicaLag datapoint for {signal.db_instance}")
        status = status_from_thresholds(lag.seconds, signal.thresholds)
        detail = f"{signal.db_instance} lags {lag.seconds:g}s"
        return [Reading(signal.name, status, lag.seconds, detail, signal.vantage, lag.at)]


class SimNodeReadiness(SingleSignalSource[EksNodesSignal]):
    """``eks_nodes``: the share of the world's EKS nodes that are not Ready."""

    def __init__(self, signal: EksNodesSignal, world: SimWorld, clock: Clock) -> None:
        super().__init__(signal, clock)
        self._cluster = SimKubernetes(world, world.topology.eks)

    async def collect(self) -> Sequence[Reading]:
        signal = self._signal
        try:
            nodes = self._cluster.nodes()
        except CloudUnavailable as exc:
            return self._unknown(str(exc))
        now = self._clock.now()
        if not nodes:
            return self._unknown("the cluster has no nodes")
        not_ready = [n.name for n in nodes if not n.ready]
        share = len(not_ready) / len(nodes)
        status = status_from_thresholds(share, signal.thresholds)
        detail = f"{len(not_ready)} of {len(nodes)} nodes not Ready"
        if not_ready:
            detail += f": {', '.join(not_ready[:3])}"
        return [Reading(signal.name, status, share, detail, signal.vantage, now)]


class SimHealthCheck(SingleSignalSource[Route53HealthCheckSignal]):
    """``route53_health_check``: Route 53's checkers probe the public endpoint from outside
    both clouds, so a partition of the observer does not blind them. ``public_answers`` says
    whether the public endpoint answers from the internet right now (a blocking call: it runs
    in a worker thread)."""

    def __init__(
        self,
        signal: Route53HealthCheckSignal,
        clock: Clock,
        public_answers: Callable[[], bool],
    ) -> None:
        super().__init__(signal, clock)
        self._public_answers = public_answers

    async def collect(self) -> Sequence[Reading]:
        signal = self._signal
        answers = await asyncio.to_thread(self._public_answers)
        failing = 0 if answers else len(CHECKER_REGIONS)
        value = failing / len(CHECKER_REGIONS)
        status = status_from_thresholds(value, signal.thresholds)
        detail = f"{failing} of {len(CHECKER_REGIONS)} checkers report a failure"
        if failing:
            detail += f"; {CHECKER_REGIONS[0]}: Failure: the endpoint did not answer"
        return [Reading(signal.name, status, value, detail, signal.vantage, self._clock.now())]

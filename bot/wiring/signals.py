"""The signal sources of a configuration, and the collector that gathers them.

Each kind's adapter (and its SDK) is imported only when the configuration has a signal of that
kind: ``phoenix score`` on http probes alone never loads boto3 or the Kubernetes client.
"""

from __future__ import annotations

from collections.abc import Callable

from engine.config import (
    EksNodesSignal,
    HttpSignal,
    PhoenixConfig,
    PromqlSignal,
    RdsReplicaLagSignal,
    Route53HealthCheckSignal,
    Signal,
)
from engine.health.collect import Collector
from engine.ports import Clock, SignalSource


def build_collector(
    config: PhoenixConfig,
    clock: Clock | None = None,
    *,
    secrets: Callable[[str], str] | None = None,
) -> Collector:
    """One source per signal, except that every ``http`` signal shares one ``HttpProbes``
    (one probe network per evaluation, which resolves each host once). ``secrets`` resolves
    bearer-token references; without it a signal that needs a token reads ``unknown``.
    Collections run on uvloop: thousands of probes cost about half the CPU they cost on
    asyncio's own loop."""
    import uvloop

    from engine.adapters.clock import SystemClock

    clock = clock or SystemClock()
    http = [signal for signal in config.signals if isinstance(signal, HttpSignal)]
    sources: list[SignalSource] = []
    if http:
        from engine.adapters.http.probes import HttpProbes

        sources.append(HttpProbes(http, clock, secrets=secrets))
    sources += [
        _source(signal, config, clock)
        for signal in config.signals
        if not isinstance(signal, HttpSignal)
    ]
    vantages = {signal.name: signal.vantage for signal in config.signals}
    return Collector(sources, vantages, clock, loop_factory=uvloop.new_event_loop)


def _source(signal: Signal, config: PhoenixConfig, clock: Clock) -> SignalSource:
    if isinstance(signal, Route53HealthCheckSignal):
        from engine.adapters.aws.signals import Route53HealthCheck

        return Route53HealthCheck(signal, clock, region=signal.aws.region or config.primary.region)
    if isinstance(signal, RdsReplicaLagSignal):
        from engine.adapters.aws.signals import RdsReplicaLag

        return RdsReplicaLag(signal, clock, region=signal.aws.region or config.primary.region)
    if isinstance(signal, PromqlSignal):
        from engine.adapters.prometheus.query import PrometheusQuery

        return PrometheusQuery(signal, clock)
    if isinstance(signal, EksNodesSignal):
        from engine.adapters.kube.nodes import KubeNodeReadiness

        return KubeNodeReadiness(signal, clock, region=config.primary.region)
    raise TypeError(f"no source for a {signal.kind!r} signal")

"""The switch of traffic: the Traffic Manager profile routes by priority and has the DR
endpoint, enabled, its probes reading it Online; the Route 53 failover records exist.

Between incidents a DR side kept at zero replicas has nothing behind its endpoint, so Traffic
Manager's probes read it ``Degraded``; that is what the plan expects (it scales the services up
before it switches), and the check says so instead of failing on it.
"""

from __future__ import annotations

from engine.health.readiness.check import Finding, Look, not_ready, ready, unknown
from engine.stages import Ports
from engine.stages.ports import AWS_INFRA, AZURE
from engine.stages.traffic import Route53Switch, TrafficSwitchParams

PRIORITY = "Priority"

# Traffic Manager's ``endpointMonitorStatus`` (MicrosoftDocs/azure-docs,
# articles/traffic-manager/traffic-manager-monitoring.md, "Endpoint monitor status").
_NOT_SERVING = {
    "Stopped": "the service behind it is not running, so Traffic Manager sends it no traffic",
    "Disabled": "it is disabled",
    "Inactive": "the profile is disabled",
}


def traffic_manager(params: TrafficSwitchParams, standby_empty: bool) -> Look:
    """``standby_empty``: the DR services wait at zero replicas between incidents."""

    def look(ports: Ports) -> Finding:
        profile = ports.get(AZURE).traffic_router(params.resource_group).profile(params.profile)
        if not profile.enabled:
            return not_ready("the profile is disabled: it answers no DNS query")
        if profile.routing_method != PRIORITY:
            return not_ready(
                f"routing is {profile.routing_method or 'unknown'}, not {PRIORITY}: the "
                "switch works by priorities"
            )
        named = {params.serve, *params.priorities, *params.disable}
        missing = sorted(n for n in named if profile.endpoint(n) is None)
        if missing:
            return not_ready(f"no endpoint {', '.join(missing)}")
        serve = profile.endpoint(params.serve)
        assert serve is not None
        name = params.serve
        if not serve.enabled:
            return not_ready(
                f"{name} is disabled: someone took it out (the failover enables it again, "
                "but it gets no traffic until Traffic Manager has probed it)"
            )
        status = serve.monitor_status
        if status == "Online":
            return ready(f"{name} is enabled and Online")
        if status == "Degraded":
            if standby_empty:
                return ready(
                    f"{name} is Degraded, as expected while the DR services wait at zero "
                    "replicas (the failover scales them up before it switches)"
                )
            return not_ready(
                f"{name} is Degraded: its health probes fail, so Traffic Manager would send "
                "it no traffic"
            )
        if status == "CheckingEndpoint" or status is None:
            return unknown(f"{name}: Traffic Manager has no probe result for it yet")
        why = _NOT_SERVING.get(status, "Traffic Manager sends it no traffic")
        return not_ready(f"{name} is {status}: {why}")

    return look


def route53(switch: Route53Switch) -> Look:
    def look(ports: Ports) -> Finding:
        records = (
            ports.get(AWS_INFRA).dns_failover().records(switch.zone_id, switch.name, switch.type)
        )
        ids = {r.set_identifier: r.role for r in records}
        where = f"{switch.name} {switch.type}"
        if switch.primary not in ids:
            have = ", ".join(sorted(ids)) or "none"
            return not_ready(f"{where} has no failover record {switch.primary} (it has {have})")
        roles = sorted(set(ids.values()))
        if roles != ["PRIMARY", "SECONDARY"]:
            return not_ready(f"{where} is not a PRIMARY and SECONDARY failover pair ({roles})")
        listed = ", ".join(f"{i} {r}" for i, r in sorted(ids.items()))
        return ready(f"{where}: {listed}")

    return look

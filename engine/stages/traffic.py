"""``traffic_switch``: Traffic Manager sends users to the chosen side, and the other is fenced.

With priority routing the enabled, healthy endpoint of the lowest priority number serves. The
stage enables the endpoint that must serve, sets the priorities the plan gives (moving a
holder of a wanted number to a free one first: Traffic Manager refuses two endpoints with the
same priority, so no PATCH may pass through such a state), disables the fenced endpoints (the
old primary) only once the new one is in place, and reads the profile back to prove the
outcome. The switch is done once Traffic Manager's own probes read the serving endpoint
``Online`` (``endpointMonitorStatus``; ``CheckingEndpoint`` right after it is enabled): a
``Degraded`` or ``Stopped`` endpoint gets no traffic whatever its priority, and the stage says
so. A plan that must not wait on the probes sets ``require_online: false``. Then it optionally
makes a Route 53 failover record primary. Never part of a drill rehearsal.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta

from pydantic import Field, model_validator

from engine.cloud_ports import DnsFailover, TrafficEndpoint, TrafficProfile, TrafficRouter
from engine.duration import Duration, format_duration
from engine.errors import CloudNotFound, CloudUnavailable
from engine.retry import RetryPolicy
from engine.runs import StageRole
from engine.stages.common import Params, poll_until, wait_for_operation
from engine.stages.context import StageContext, StageInfo
from engine.stages.ports import AWS_INFRA, AZURE
from engine.stages.registry import Stage, StageResult, stage_kind


class Route53Switch(Params):
    zone_id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    type: str = "A"
    primary: str = Field(min_length=1)
    """The set identifier of the failover record that must become PRIMARY."""


class TrafficSwitchParams(Params):
    profile: str = Field(min_length=1)
    resource_group: str | None = None
    serve: str = Field(min_length=1)
    """The endpoint that must take the traffic: enabled, with the lowest priority number."""
    priorities: dict[str, int] = Field(default_factory=dict)
    """Endpoint -> priority to set (1 is the highest)."""
    disable: list[str] = Field(default_factory=list)
    """Endpoints to fence (disable) once ``serve`` is in place."""
    route53: Route53Switch | None = None
    require_online: bool = True
    """Wait until Traffic Manager's probes read ``serve`` Online before the switch is done."""
    wait: Duration = timedelta(minutes=5)
    poll_interval: Duration = timedelta(seconds=5)

    @model_validator(mode="after")
    def _consistent(self) -> TrafficSwitchParams:
        if self.serve in self.disable:
            raise ValueError("disable: cannot fence the endpoint that must serve")
        if any(p < 1 or p > 1000 for p in self.priorities.values()):
            raise ValueError("priorities: a priority is between 1 and 1000")
        if len(set(self.priorities.values())) != len(self.priorities):
            raise ValueError("priorities: two endpoints cannot share a priority")
        return self


@stage_kind(
    "traffic_switch",
    params=TrafficSwitchParams,
    timeout=timedelta(minutes=10),
    retry=RetryPolicy(initial_interval=timedelta(seconds=5), maximum_attempts=4),
    drill=False,
    role=StageRole.CUT_OVER,
)
class TrafficSwitch(Stage[TrafficSwitchParams]):
    """Traffic Manager to the chosen endpoint, the old primary fenced, read back to verify."""

    def holds(self, ctx: StageContext, params: TrafficSwitchParams) -> bool:
        profile = _router(ctx, params).profile(params.profile)
        if _problem(profile, params) is not None:
            return False
        if params.require_online and _unhealthy(profile, params) is not None:
            return False
        if params.route53 is None:
            return True
        r = params.route53
        records = _dns(ctx).records(r.zone_id, r.name, r.type)
        return any(x.set_identifier == r.primary and x.role == "PRIMARY" for x in records)

    def run(self, ctx: StageContext, params: TrafficSwitchParams) -> StageResult:
        router = _router(ctx, params)
        profile = router.profile(params.profile)
        _check_named(profile, params)
        changed: list[str] = []
        if router.set_endpoint(params.profile, params.serve, enabled=True):
            changed.append(f"enabled {params.serve}")
        current = {e.name: e.priority for e in profile.endpoints}
        for name, target in params.priorities.items():
            if current.get(name) == target:
                continue
            holder = next((o for o, p in current.items() if p == target and o != name), None)
            if holder is not None:
                spare = _free_priority(current.values())
                ctx.check()
                router.set_endpoint(params.profile, holder, priority=spare)
                current[holder] = spare
            ctx.check()
            router.set_endpoint(params.profile, name, priority=target)
            current[name] = target
            changed.append(f"{name} priority {target}")
        for name in params.disable:
            ctx.check()
            if router.set_endpoint(params.profile, name, enabled=False):
                changed.append(f"fenced {name}")
        ctx.progress(f"Traffic Manager {params.profile}: {', '.join(changed) or 'as wanted'}")
        problem = _problem(router.profile(params.profile), params)
        if problem is not None:
            raise CloudUnavailable(f"Traffic Manager {params.profile} reads back wrong: {problem}")
        if params.require_online:
            poll_until(
                ctx,
                lambda: _probed(router.profile(params.profile), params),
                params.wait,
                params.poll_interval,
            )
        if params.route53 is not None:
            r = params.route53
            operation = _dns(ctx).make_primary(r.zone_id, r.name, r.type, r.primary)
            if operation is not None:
                ctx.progress(f"Route 53: {r.primary} becomes PRIMARY for {r.name}")
                wait_for_operation(ctx, operation, params.wait, params.poll_interval)
                changed.append(f"Route 53 {r.name} -> {r.primary}")
        return StageResult(
            f"{params.serve} serves {params.profile}"
            + (f" ({', '.join(changed)})" if changed else ""),
            {"traffic_endpoint": params.serve},
        )

    def preflight(self, ctx: StageContext, params: TrafficSwitchParams) -> str:
        profile = _router(ctx, params).profile(params.profile)
        _check_named(profile, params)
        text = f"profile {params.profile} ({profile.routing_method}): " + ", ".join(
            f"{e.name} p{e.priority} {'enabled' if e.enabled else 'disabled'}"
            + (f" ({e.monitor_status})" if e.monitor_status else "")
            for e in profile.endpoints
        )
        if params.route53 is not None:
            r = params.route53
            records = _dns(ctx).records(r.zone_id, r.name, r.type)
            if not any(x.set_identifier == r.primary for x in records):
                raise CloudNotFound(
                    f"Route 53 {r.name} has no failover record {r.primary!r}", resource=r.name
                )
            text += f"; Route 53 {r.name}: " + ", ".join(
                f"{x.set_identifier} {x.role}" for x in records
            )
        return text

    def describe(self, params: TrafficSwitchParams, info: StageInfo) -> Sequence[str]:
        where = f"Traffic Manager profile {params.profile}"
        actions = [f"enable endpoint {params.serve} of {where} unless it is"]
        actions += [
            f"set endpoint {name}'s priority to {p} (through a free number if taken)"
            for name, p in params.priorities.items()
        ]
        actions += [f"disable endpoint {name} (fence it)" for name in params.disable]
        actions.append(f"read {where} back: {params.serve} must be the enabled top priority")
        if params.require_online:
            actions.append(
                f"wait up to {format_duration(params.wait)} for Traffic Manager's probes to "
                f"read {params.serve} Online"
            )
        if params.route53 is not None:
            r = params.route53
            actions.append(
                f"make Route 53 failover record {r.primary} PRIMARY for {r.name} {r.type} "
                f"(zone {r.zone_id}) and wait up to {format_duration(params.wait)} for INSYNC"
            )
        return actions


def _router(ctx: StageContext, params: TrafficSwitchParams) -> TrafficRouter:
    return ctx.ports.get(AZURE).traffic_router(params.resource_group)


def _dns(ctx: StageContext) -> DnsFailover:
    return ctx.ports.get(AWS_INFRA).dns_failover()


def _check_named(profile: TrafficProfile, params: TrafficSwitchParams) -> None:
    named = {params.serve, *params.priorities, *params.disable}
    missing = sorted(n for n in named if profile.endpoint(n) is None)
    if missing:
        where = f"Traffic Manager profile {params.profile}"
        raise CloudNotFound(
            f"{where} has no endpoint {', '.join(missing)} "
            f"(it has {', '.join(e.name for e in profile.endpoints) or 'none'})",
            resource=where,
        )


def _problem(profile: TrafficProfile, params: TrafficSwitchParams) -> str | None:
    """What keeps the profile from the wanted end state, or ``None``."""
    serve = profile.endpoint(params.serve)
    if serve is None:
        return f"no endpoint {params.serve}"
    if not serve.enabled:
        return f"{params.serve} is disabled"
    for name, priority in params.priorities.items():
        endpoint = profile.endpoint(name)
        if endpoint is None or endpoint.priority != priority:
            return f"{name} has priority {endpoint.priority if endpoint else None}, not {priority}"
    for name in params.disable:
        endpoint = profile.endpoint(name)
        if endpoint is not None and endpoint.enabled:
            return f"{name} is still enabled"
    enabled = [e for e in profile.endpoints if e.enabled and e.priority is not None]
    top = min(enabled, key=lambda e: e.priority or 0, default=None)
    if top is None or top.name != params.serve:
        return f"{top.name if top else 'no endpoint'} takes the traffic, not {params.serve}"
    return None


_WHY_NOT_ONLINE = {
    "CheckingEndpoint": "Traffic Manager has no probe result for it yet",
    "Degraded": "its health probes fail, so Traffic Manager sends it no traffic",
    "Stopped": "the service behind it is not running, so Traffic Manager sends it no traffic",
    "Disabled": "it is disabled",
    "Inactive": "the profile is disabled",
}


def _unhealthy(profile: TrafficProfile, params: TrafficSwitchParams) -> str | None:
    """Why Traffic Manager's probes do not read ``serve`` Online, or ``None`` if they do."""
    serve: TrafficEndpoint | None = profile.endpoint(params.serve)
    status = serve.monitor_status if serve else None
    if status == "Online":
        return None
    why = _WHY_NOT_ONLINE.get(status or "", "Traffic Manager reports no monitor status for it")
    return f"{params.serve} is {status or 'unmonitored'}: {why}"


def _probed(profile: TrafficProfile, params: TrafficSwitchParams) -> tuple[bool, str, None]:
    problem = _unhealthy(profile, params)
    if problem is None:
        return True, f"{params.serve} is Online", None
    return False, f"Traffic Manager {params.profile}: {problem}", None


def _free_priority(taken: Iterable[int | None]) -> int:
    """A priority no endpoint holds (1 to 1000), above the others where there is room."""
    used = {p for p in taken if p is not None}
    above = max(used, default=0) + 1
    if above <= 1000:
        return above
    return next(p for p in range(1, 1001) if p not in used)

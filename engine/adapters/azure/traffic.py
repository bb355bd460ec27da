"""Azure Traffic Manager endpoints (``TrafficRouter``), through azure-mgmt-trafficmanager.

``set_endpoint`` reads the endpoint, PATCHes only the fields that differ, and reads it back:
Traffic Manager answers a PATCH with the new state, but a second read is what proves the
change landed. Nothing is sent when the endpoint already is as asked.
"""

from __future__ import annotations

from typing import Any

from azure.mgmt.trafficmanager import TrafficManagerManagementClient
from azure.mgmt.trafficmanager.models import Endpoint, EndpointProperties

from engine.adapters.azure.arm import AzureTarget, text
from engine.adapters.azure.errors import azure_error
from engine.cloud_ports import TrafficEndpoint, TrafficProfile
from engine.errors import CloudNotFound, CloudUnavailable

_READ = "Microsoft.Network/trafficManagerProfiles/read"


class AzureTrafficManager:
    """Traffic Manager profiles of one resource group."""

    def __init__(self, target: AzureTarget) -> None:
        self._group = target.resource_group
        self._traffic: TrafficManagerManagementClient = target.client(
            TrafficManagerManagementClient
        )

    def profile(self, profile: str) -> TrafficProfile:
        where = f"Traffic Manager profile {profile}"
        try:
            found: Any = self._traffic.profiles.get(self._group, profile)
        except Exception as exc:
            raise azure_error(exc, resource=where, action=_READ) from exc
        properties = found.properties
        dns = properties.dns_config if properties else None
        return TrafficProfile(
            name=profile,
            routing_method=text(properties.traffic_routing_method) if properties else "",
            fqdn=dns.fqdn if dns else None,
            endpoints=tuple(_endpoint(e) for e in (properties.endpoints or [])),
            enabled=text(properties.profile_status if properties else None) != "Disabled",
        )

    def set_endpoint(
        self,
        profile: str,
        endpoint: str,
        *,
        priority: int | None = None,
        enabled: bool | None = None,
    ) -> bool:
        current = self.profile(profile).endpoint(endpoint)
        where = f"Traffic Manager endpoint {endpoint} of profile {profile}"
        if current is None:
            raise CloudNotFound(f"{where} does not exist", resource=where)
        changes: dict[str, Any] = {}
        if priority is not None and current.priority != priority:
            changes["priority"] = priority
        if enabled is not None and current.enabled != enabled:
            changes["endpoint_status"] = "Enabled" if enabled else "Disabled"
        if not changes:
            return False
        kind = current.endpoint_type
        action = f"Microsoft.Network/trafficManagerProfiles/{kind}/write"
        try:
            self._traffic.endpoints.update(
                self._group,
                profile,
                kind,
                endpoint,
                Endpoint(properties=EndpointProperties(**changes)),
            )
            after: Any = self._traffic.endpoints.get(self._group, profile, kind, endpoint)
        except Exception as exc:
            raise azure_error(exc, resource=where, action=action) from exc
        landed = _endpoint(after)
        if (priority is not None and landed.priority != priority) or (
            enabled is not None and landed.enabled != enabled
        ):
            raise CloudUnavailable(
                f"{where} reads back priority {landed.priority}, "
                f"{'enabled' if landed.enabled else 'disabled'} after the change"
            )
        return True

    def close(self) -> None:
        self._traffic.close()


def _endpoint(raw: Any) -> TrafficEndpoint:
    properties = raw.properties
    kind = str(raw.type or "").rsplit("/", 1)[-1]
    return TrafficEndpoint(
        name=str(raw.name),
        endpoint_type=_type_name(kind),
        target=properties.target if properties else None,
        priority=properties.priority if properties else None,
        enabled=text(properties.endpoint_status if properties else None) == "Enabled",
        monitor_status=text(properties.endpoint_monitor_status) or None if properties else None,
    )


def _type_name(kind: str) -> str:
    """``externalEndpoints`` (resource type) -> ``ExternalEndpoints`` (the API's path word)."""
    return kind[:1].upper() + kind[1:] if kind else "ExternalEndpoints"

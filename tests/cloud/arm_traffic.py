"""Traffic Manager as the ARM fake serves it: profiles with priority routing, and endpoints.

Behaviours, each with its source:

- An endpoint's priority is 1 to 1000, and "no two endpoints can share the same priority
  value" (Azure/azure-rest-api-specs, specification/trafficmanager/resource-manager/
  Microsoft.Network/stable/2022-04-01/trafficmanager.json, ``EndpointProperties.priority``).
  A PATCH that would break either is refused whole with 400 ``BadRequest``, Traffic Manager's
  answer to an endpoint it will not accept (Azure/azure-powershell issue 3474 records one).
  The exact message is not recorded anywhere we found; this one names the clash.
- ``endpointMonitorStatus`` follows the table of MicrosoftDocs/azure-docs,
  articles/traffic-manager/traffic-manager-monitoring.md ("Endpoint monitor status"): a
  disabled endpoint reads ``Disabled``; one just enabled reads ``CheckingEndpoint`` until the
  first probe's result is in (also what Endpoint-PATCH-External-Target.json answers); then
  ``Online``, ``Degraded`` (probes failing) or ``Stopped`` (the service behind it is not
  running), as the test sets its health.
- The answer to a PATCH is the endpoint as it now is (Endpoint-PATCH-External-Target.json).
- A profile is ``profileStatus`` Enabled or Disabled; every endpoint of a disabled profile
  reads ``Inactive`` ("the endpoint is enabled, but the profile is disabled",
  traffic-manager-monitoring.md, the same table).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from tests.cloud.arm_operations import Answer

FIRST_PROBE = 0.3
"""Seconds an endpoint just enabled reads ``CheckingEndpoint``: the time Traffic Manager takes
for its first probe (10 or 30 s in Azure; short here)."""


@dataclass
class Endpoint:
    kind: str
    target: str
    priority: int
    status: str
    health: str = "Online"
    checking_until: float = 0.0

    def monitor_status(self) -> str:
        if self.status != "Enabled":
            return "Disabled"
        if time.monotonic() < self.checking_until:
            return "CheckingEndpoint"
        return self.health


class TrafficResources:
    def __init__(self) -> None:
        self.profiles: dict[str, dict[str, Endpoint]] = {}
        self.disabled: set[str] = set()
        """Profiles whose ``profileStatus`` is Disabled."""

    def add_profile(self, name: str, endpoints: dict[str, dict[str, Any]]) -> None:
        self.profiles[name] = {
            endpoint: Endpoint(
                spec.get("kind", "externalEndpoints"),
                spec["target"],
                spec["priority"],
                "Enabled" if spec.get("enabled", True) else "Disabled",
                spec.get("health", "Online"),
            )
            for endpoint, spec in endpoints.items()
        }

    def serve(self, method: str, m: dict[str, str], body: Any, base: str) -> Answer:
        endpoints = self.profiles.get(m["profile"])
        if endpoints is None:
            return 404, _error("ResourceNotFound", f"profile {m['profile']} was not found"), {}
        url = (
            f"/subscriptions/{m['sub']}/resourceGroups/{m['rg']}/providers/Microsoft.Network"
            f"/trafficManagerProfiles/{m['profile']}"
        )
        if m["endpoint"] is None:
            if method == "GET":
                enabled = m["profile"] not in self.disabled
                return 200, _profile_json(url, m["profile"], endpoints, enabled), {}
            return 405, _error("MethodNotAllowed", method), {}
        endpoint = endpoints.get(m["endpoint"])
        if endpoint is None or endpoint.kind.lower() != m["kind"].lower():
            return 404, _error("ResourceNotFound", f"endpoint {m['endpoint']} was not found"), {}
        if method in ("PATCH", "PUT"):
            refused = _change(endpoints, m["endpoint"], (body or {}).get("properties") or {})
            if refused is not None:
                return 400, _error("BadRequest", refused), {}
        if method in ("GET", "PATCH", "PUT"):
            enabled = m["profile"] not in self.disabled
            return 200, _endpoint_json(url, m["endpoint"], endpoint, enabled), {}
        return 405, _error("MethodNotAllowed", method), {}


def _change(endpoints: dict[str, Endpoint], name: str, properties: dict[str, Any]) -> str | None:
    """Apply a PATCH's properties, or say why the whole change is refused."""
    endpoint = endpoints[name]
    priority = properties.get("priority", endpoint.priority)
    if not isinstance(priority, int) or not 1 <= priority <= 1000:
        return f"The priority of endpoint '{name}' must be between 1 and 1000."
    clash = next((n for n, e in endpoints.items() if n != name and e.priority == priority), None)
    if clash is not None:
        return (
            f"Endpoints '{name}' and '{clash}' cannot share priority {priority}: "
            "no two endpoints of a profile can share the same priority value."
        )
    endpoint.priority = priority
    status = properties.get("endpointStatus")
    if status is not None and status != endpoint.status:
        endpoint.status = status
        endpoint.checking_until = time.monotonic() + FIRST_PROBE if status == "Enabled" else 0.0
    if "target" in properties:
        endpoint.target = properties["target"]
    return None


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def _endpoint_json(
    profile_url: str, name: str, endpoint: Endpoint, profile_enabled: bool = True
) -> dict[str, Any]:
    monitor = endpoint.monitor_status()
    if not profile_enabled and monitor != "Disabled":
        monitor = "Inactive"
    return {
        "id": f"{profile_url}/{endpoint.kind}/{name}",
        "name": name,
        "type": f"Microsoft.Network/trafficManagerProfiles/{endpoint.kind}",
        "properties": {
            "target": endpoint.target,
            "endpointStatus": endpoint.status,
            "weight": 1,
            "priority": endpoint.priority,
            "endpointMonitorStatus": monitor,
        },
    }


def _profile_json(
    url: str, name: str, endpoints: dict[str, Endpoint], enabled: bool
) -> dict[str, Any]:
    return {
        "id": url,
        "name": name,
        "type": "Microsoft.Network/trafficManagerProfiles",
        "location": "global",
        "properties": {
            "profileStatus": "Enabled" if enabled else "Disabled",
            "trafficRoutingMethod": "Priority",
            "dnsConfig": {"relativeName": name, "fqdn": f"{name}.trafficmanager.net", "ttl": 30},
            "monitorConfig": {"protocol": "HTTPS", "port": 443, "path": "/health"},
            "endpoints": [_endpoint_json(url, n, e, enabled) for n, e in endpoints.items()],
        },
    }

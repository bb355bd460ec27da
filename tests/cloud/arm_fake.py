"""A local Azure Resource Manager fake for Azure SQL and Traffic Manager, speaking ARM JSON to
the real ``SqlManagementClient`` and ``TrafficManagerManagementClient``.

Long-running operations answer 202 with ``Azure-AsyncOperation``, ``Location`` and
``Retry-After: 0``; the operation reads ``InProgress`` for ``lro_polls`` polls, then the change
lands and it reads ``Succeeded``. Every request is recorded; ``faults`` answers chosen
requests with an ARM error instead.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from tests.cloud.http_base import FakeServer, Fault, JsonHandler

SUBSCRIPTION = "00000000-0000-0000-0000-000000000001"
GROUP = "dr-rg"
_PREFIX = r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers"
_DATABASE = re.compile(
    _PREFIX + r"/Microsoft\.Sql/servers/(?P<server>[^/]+)/databases/(?P<db>[^/]+)$"
)
_GROUP = re.compile(
    _PREFIX + r"/Microsoft\.Sql/servers/(?P<server>[^/]+)/failoverGroups/(?P<fg>[^/]+)"
    r"(?P<action>/failover|/forceFailoverAllowDataLoss)?$"
)
_PROFILE = re.compile(
    _PREFIX + r"/Microsoft\.Network/trafficmanagerprofiles/(?P<profile>[^/]+)"
    r"(?:/(?P<kind>[A-Za-z]+Endpoints)/(?P<endpoint>[^/]+))?$"
)
_OPERATION = re.compile(r"^/operations/(?P<id>\d+)(?P<result>/result)?$")


def arm_error(status: int, code: str, message: str) -> Fault:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    return Fault(status, body, (("Content-Type", "application/json"),))


@dataclass
class _Operation:
    polls_left: int
    apply: Any
    resource_url: str
    result: Any = None
    done: bool = False


@dataclass
class ArmState:
    databases: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    groups: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)


class ArmFake(FakeServer):
    def __init__(self) -> None:
        self.state = ArmState()
        self.operations: dict[str, _Operation] = {}
        self.requests: list[tuple[str, str]] = []
        self.lro_polls = 1
        self.fail_operations = False
        self._ids = itertools.count(1)
        super().__init__(_ArmHandler)

    def reset(self) -> None:
        with self.lock:
            self.state = ArmState()
            self.operations.clear()
            self.requests.clear()
            self.lro_polls = 1
            self.fail_operations = False
        self.faults.clear()

    def calls(self, method: str, fragment: str = "") -> int:
        with self.lock:
            return sum(1 for m, p in self.requests if m == method and fragment in p)

    # -- seeding

    def add_database(
        self,
        server: str,
        name: str,
        sku: str = "S0",
        tier: str = "Standard",
        capacity: int = 10,
        status: str = "Online",
    ) -> None:
        with self.lock:
            self.state.databases[(server, name)] = {
                "sku": {"name": sku, "tier": tier, "capacity": capacity},
                "status": status,
            }

    def add_failover_group(
        self, name: str, primary: str, secondary: str, databases: list[str]
    ) -> None:
        with self.lock:
            for server, role, partner in (
                (primary, "Primary", secondary),
                (secondary, "Secondary", primary),
            ):
                self.state.groups[(server, name)] = {
                    "role": role,
                    "partner": partner,
                    "databases": list(databases),
                }

    def add_profile(self, name: str, endpoints: dict[str, dict[str, Any]]) -> None:
        """``endpoints``: name -> {target, priority, enabled, kind (externalEndpoints)}."""
        with self.lock:
            self.state.profiles[name] = {
                name_: {
                    "kind": spec.get("kind", "externalEndpoints"),
                    "target": spec["target"],
                    "priority": spec["priority"],
                    "status": "Enabled" if spec.get("enabled", True) else "Disabled",
                }
                for name_, spec in endpoints.items()
            }

    def new_operation(self, apply: Any, resource_url: str) -> str:
        op_id = str(next(self._ids))
        self.operations[op_id] = _Operation(self.lro_polls, apply, resource_url)
        return op_id


def _id(sub: str, rg: str, tail: str) -> str:
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/{tail}"


class _ArmHandler(JsonHandler):
    def _serve(self) -> None:
        fake: ArmFake = self.owner
        path = urlsplit(self.path).path
        with fake.lock:
            fake.requests.append((self.command, path))
        if self.fault():
            return
        if self.headers.get("Authorization", "") != "Bearer test-token":
            self.send(401, {"error": {"code": "AuthenticationFailed", "message": "no token"}})
            return
        body = self.json_body() if self.command in ("PUT", "PATCH", "POST") else {}
        with fake.lock:
            for pattern, serve in (
                (_OPERATION, self._operation),
                (_DATABASE, self._database),
                (_GROUP, self._group),
                (_PROFILE, self._profile),
            ):
                match = pattern.match(path)
                if match:
                    serve(fake, match.groupdict(), body)
                    return
        self.send(404, {"error": {"code": "NotFound", "message": f"no route {path}"}})

    do_GET = do_PUT = do_PATCH = do_POST = do_DELETE = _serve

    def _not_found(self, what: str) -> None:
        self.send(404, {"error": {"code": "ResourceNotFound", "message": f"{what} was not found"}})

    def _accepted(self, fake: ArmFake, apply: Any, resource_url: str) -> None:
        op_id = fake.new_operation(apply, resource_url)
        base = f"http://{self.headers.get('Host')}"
        self.send(
            202,
            None,
            {
                "Azure-AsyncOperation": f"{base}/operations/{op_id}?api-version=2025-01-01",
                "Location": f"{base}/operations/{op_id}/result?api-version=2025-01-01",
                "Retry-After": "0",
            },
        )

    def _operation(self, fake: ArmFake, match: dict[str, str], body: Any) -> None:
        operation = fake.operations.get(match["id"])
        if operation is None:
            self._not_found("operation")
            return
        if fake.fail_operations and not match["result"]:
            error = {"code": "InternalServerError", "message": "the operation failed"}
            self.send(200, {"status": "Failed", "error": error})
            return
        if not operation.done:
            if operation.polls_left > 0:
                operation.polls_left -= 1
            else:
                operation.result = operation.apply()
                operation.done = True
        if match["result"]:
            if operation.done:
                self.send(200, operation.result)
            else:
                self.send(202, None, {"Location": self.path, "Retry-After": "0"})
            return
        self.send(200, {"status": "Succeeded" if operation.done else "InProgress"})

    # -- Azure SQL

    def _database(self, fake: ArmFake, m: dict[str, str], body: Any) -> None:
        key = (m["server"], m["db"])
        current = fake.state.databases.get(key)
        if current is None:
            self._not_found(f"database {m['db']}")
            return
        url = _id(m["sub"], m["rg"], f"Microsoft.Sql/servers/{m['server']}/databases/{m['db']}")
        if self.command == "GET":
            self.send(200, _database_json(url, m["db"], current))
            return
        if self.command in ("PATCH", "PUT"):
            wanted = body.get("sku") or {}

            def apply() -> Any:
                current["sku"] = {**current["sku"], **wanted}
                current["status"] = "Online"
                return _database_json(url, m["db"], current)

            current["status"] = "Scaling"
            self._accepted(fake, apply, url)
            return
        self.send(405, {"error": {"code": "MethodNotAllowed", "message": self.command}})

    def _group(self, fake: ArmFake, m: dict[str, str], body: Any) -> None:
        key = (m["server"], m["fg"])
        current = fake.state.groups.get(key)
        if current is None:
            self._not_found(f"failover group {m['fg']}")
            return
        url = _id(
            m["sub"], m["rg"], f"Microsoft.Sql/servers/{m['server']}/failoverGroups/{m['fg']}"
        )
        if self.command == "GET" and not m["action"]:
            self.send(200, _group_json(url, m, current))
            return
        if self.command == "POST" and m["action"]:
            partner = fake.state.groups[(current["partner"], m["fg"])]

            def apply() -> Any:
                current["role"], partner["role"] = "Primary", "Secondary"
                return _group_json(url, m, current)

            self._accepted(fake, apply, url)
            return
        self.send(405, {"error": {"code": "MethodNotAllowed", "message": self.command}})

    # -- Traffic Manager

    def _profile(self, fake: ArmFake, m: dict[str, str], body: Any) -> None:
        endpoints = fake.state.profiles.get(m["profile"])
        if endpoints is None:
            self._not_found(f"profile {m['profile']}")
            return
        url = _id(m["sub"], m["rg"], f"Microsoft.Network/trafficManagerProfiles/{m['profile']}")
        if m["endpoint"] is None:
            if self.command == "GET":
                self.send(200, _profile_json(url, m["profile"], endpoints))
                return
            self.send(405, {"error": {"code": "MethodNotAllowed", "message": self.command}})
            return
        endpoint = endpoints.get(m["endpoint"])
        if endpoint is None or endpoint["kind"].lower() != m["kind"].lower():
            self._not_found(f"endpoint {m['endpoint']}")
            return
        if self.command in ("PATCH", "PUT"):
            properties = body.get("properties") or {}
            if "priority" in properties:
                endpoint["priority"] = properties["priority"]
            if "endpointStatus" in properties:
                endpoint["status"] = properties["endpointStatus"]
        if self.command in ("GET", "PATCH", "PUT"):
            self.send(200, _endpoint_json(url, m["endpoint"], endpoint))
            return
        self.send(405, {"error": {"code": "MethodNotAllowed", "message": self.command}})


def _database_json(url: str, name: str, state: dict[str, Any]) -> dict[str, Any]:
    sku = copy.deepcopy(state["sku"])
    return {
        "id": url,
        "name": name,
        "type": "Microsoft.Sql/servers/databases",
        "location": "westeurope",
        "sku": sku,
        "properties": {
            "status": state["status"],
            "currentServiceObjectiveName": sku["name"],
            "currentSku": sku,
            "maxSizeBytes": 268435456000,
        },
    }


def _group_json(url: str, m: dict[str, str], state: dict[str, Any]) -> dict[str, Any]:
    partner_id = _id(m["sub"], m["rg"], f"Microsoft.Sql/servers/{state['partner']}")
    server_id = _id(m["sub"], m["rg"], f"Microsoft.Sql/servers/{m['server']}")
    return {
        "id": url,
        "name": m["fg"],
        "type": "Microsoft.Sql/servers/failoverGroups",
        "location": "westeurope",
        "properties": {
            "readWriteEndpoint": {"failoverPolicy": "Manual"},
            "replicationRole": state["role"],
            "replicationState": "CATCH_UP",
            "partnerServers": [
                {
                    "id": partner_id,
                    "location": "northeurope",
                    "replicationRole": "Secondary" if state["role"] == "Primary" else "Primary",
                }
            ],
            "databases": [f"{server_id}/databases/{db}" for db in state["databases"]],
        },
    }


def _endpoint_json(profile_url: str, name: str, state: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"{profile_url}/{state['kind']}/{name}",
        "name": name,
        "type": f"Microsoft.Network/trafficManagerProfiles/{state['kind']}",
        "properties": {
            "target": state["target"],
            "endpointStatus": state["status"],
            "priority": state["priority"],
            "endpointMonitorStatus": "Online" if state["status"] == "Enabled" else "Disabled",
        },
    }


def _profile_json(url: str, name: str, endpoints: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": url,
        "name": name,
        "type": "Microsoft.Network/trafficManagerProfiles",
        "location": "global",
        "properties": {
            "profileStatus": "Enabled",
            "trafficRoutingMethod": "Priority",
            "dnsConfig": {"relativeName": name, "fqdn": f"{name}.trafficmanager.net", "ttl": 30},
            "monitorConfig": {"protocol": "HTTPS", "port": 443, "path": "/health"},
            "endpoints": [_endpoint_json(url, n, e) for n, e in endpoints.items()],
        },
    }

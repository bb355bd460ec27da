"""A local Azure Resource Manager fake for Azure SQL and Traffic Manager, speaking ARM JSON to
the real ``SqlManagementClient`` and ``TrafficManagerManagementClient``.

What it shares across both (each behaviour cites its source where it is encoded):

- paths are matched case-insensitively and URL-decoded, as ARM does (an endpoint named
  ``dr west`` arrives as ``dr%20west``);
- long-running operations answer 202 with ``Azure-AsyncOperation`` and ``Location``; the
  status resource reads ``InProgress`` until the operation ends ``Succeeded``, ``Failed`` or
  ``Canceled`` (``arm_operations``);
- Azure works on while nobody asks: every request to the fake moves each running operation one
  step on, unless the test holds them (``hold_operations``);
- every request is recorded; ``faults`` answers chosen requests with an ARM error instead.

The resources themselves are ``arm_sql`` (databases, their operations, failover groups) and
``arm_traffic`` (profiles and endpoints).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urlsplit

from tests.cloud.arm_operations import Operations
from tests.cloud.arm_sql import SqlResources
from tests.cloud.arm_traffic import TrafficResources
from tests.support.http_fake import FakeServer, Fault, JsonHandler

SUBSCRIPTION = "00000000-0000-0000-0000-000000000001"
GROUP = "dr-rg"


def arm_error(status: int, code: str, message: str) -> Fault:
    """An answer in ARM's error format (``{"error": {"code", "message"}}``)."""
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    return Fault(status, body, (("Content-Type", "application/json"),))


class ArmFake(FakeServer):
    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []
        self.operations = Operations()
        self.sql = SqlResources(self.operations)
        self.traffic = TrafficResources()
        super().__init__(_ArmHandler)

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.operations = Operations()
            self.sql = SqlResources(self.operations)
            self.traffic = TrafficResources()
        self.faults.clear()

    def calls(self, method: str, fragment: str = "") -> int:
        """Requests of ``method`` whose decoded path contains ``fragment``."""
        with self.lock:
            return sum(1 for m, p in self.requests if m == method and fragment in p)

    # -- seeding and steering (the tests' side; Azure's own behaviour is in the modules)

    def add_database(
        self, server: str, name: str, objective: str = "S0", status: str = "Online"
    ) -> None:
        with self.lock:
            self.sql.add_database(server, name, objective, status)

    def add_failover_group(
        self, name: str, primary: str, secondary: str, databases: list[str]
    ) -> None:
        with self.lock:
            self.sql.add_failover_group(name, primary, secondary, databases)

    def set_replication_state(self, group: str, state: str) -> None:
        """The group's ``replicationState`` as both of its servers report it."""
        with self.lock:
            for (_, name), found in self.sql.groups.items():
                if name == group:
                    found.state = state

    def add_profile(self, name: str, endpoints: dict[str, dict[str, Any]]) -> None:
        """``endpoints``: name -> {target, priority, enabled (True), kind
        (externalEndpoints), health (Online)}."""
        with self.lock:
            self.traffic.add_profile(name, endpoints)

    def set_health(self, profile: str, endpoint: str, health: str) -> None:
        """What Traffic Manager's probes see of an endpoint: Online, Degraded or Stopped."""
        with self.lock:
            self.traffic.profiles[profile][endpoint].health = health

    def set_profile_enabled(self, profile: str, enabled: bool) -> None:
        """The profile's ``profileStatus``: a disabled one answers no DNS query."""
        with self.lock:
            if enabled:
                self.traffic.disabled.discard(profile)
            else:
                self.traffic.disabled.add(profile)

    def objective(self, server: str, database: str) -> str:
        """The database's current service objective."""
        with self.lock:
            return self.sql.databases[(server, database)].current

    def role(self, server: str, group: str) -> str:
        with self.lock:
            return self.sql.groups[(server, group)].role

    def endpoints(self, profile: str) -> dict[str, tuple[int, str]]:
        """Endpoint -> (priority, endpointStatus)."""
        with self.lock:
            return {n: (e.priority, e.status) for n, e in self.traffic.profiles[profile].items()}

    def hold_operations(self) -> None:
        """Running operations stay ``InProgress`` until ``release_operations``."""
        with self.lock:
            self.operations.held = True

    def release_operations(self) -> None:
        with self.lock:
            self.operations.held = False

    def fail_next_operation(
        self, code: str, message: str, *, status: str = "Failed", user_error: bool = True
    ) -> None:
        """The next long-running operation ends ``status`` (Failed or Canceled) with ``code``."""
        with self.lock:
            self.operations.fail_next = (status, code, message, user_error)

    def set_steps(self, steps: int) -> None:
        """How many requests a long-running operation takes to finish (1 by default)."""
        with self.lock:
            self.operations.steps = steps


_PREFIX = r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers"
_DATABASE = re.compile(
    _PREFIX + r"/Microsoft\.Sql/servers/(?P<server>[^/]+)/databases/(?P<db>[^/]+)"
    r"(?P<operations>/operations)?$",
    re.IGNORECASE,
)
_GROUP = re.compile(
    _PREFIX + r"/Microsoft\.Sql/servers/(?P<server>[^/]+)/failoverGroups/(?P<fg>[^/]+)"
    r"(?:/(?P<action>failover|forceFailoverAllowDataLoss))?$",
    re.IGNORECASE,
)
_PROFILE = re.compile(
    _PREFIX + r"/Microsoft\.Network/trafficmanagerprofiles/(?P<profile>[^/]+)"
    r"(?:/(?P<kind>[A-Za-z]+Endpoints)/(?P<endpoint>[^/]+))?$",
    re.IGNORECASE,
)
# Where Azure SQL puts the status of its long-running operations: under the resource group
# for databases (.../locations/eastus/databaseAzureAsyncOperation/ID), under the subscription
# for failover groups (.../locations/eastus/failoverGroupAzureAsyncOperation/ID), with a
# ...OperationResults/ID twin for the Location header (Azure/azure-sdk-for-python,
# sdk/sql/azure-mgmt-sql/tests/recordings/test_cli_mgmt_sql_database.test_database.yaml and
# test_cli_mgmt_sql_failover_group.test_failover_group.yaml).
_OPERATION = re.compile(
    r"^(?P<path>/subscriptions/[^/]+(?:/resourceGroups/[^/]+)?/providers/Microsoft\.Sql"
    r"/locations/[^/]+/(?P<kind>[A-Za-z]+?)(?P<which>AzureAsyncOperation|OperationResults)"
    r"/(?P<id>[^/]+))$",
    re.IGNORECASE,
)


class _ArmHandler(JsonHandler):
    def _serve(self) -> None:
        fake: ArmFake = self.owner
        path = unquote(urlsplit(self.path).path)
        with fake.lock:
            fake.requests.append((self.command, path))
            fake.operations.advance()
        if self.fault():
            return
        if self.headers.get("Authorization", "") != "Bearer test-token":
            self.send(401, {"error": {"code": "AuthenticationFailed", "message": "no token"}})
            return
        body = self.json_body() if self.command in ("PUT", "PATCH", "POST") else {}
        routes: tuple[tuple[re.Pattern[str], Callable[..., Any]], ...] = (
            (_OPERATION, fake.operations.serve),
            (_DATABASE, fake.sql.serve_database),
            (_GROUP, fake.sql.serve_group),
            (_PROFILE, fake.traffic.serve),
        )
        with fake.lock:
            for pattern, serve in routes:
                match = pattern.match(path)
                if match:
                    status, payload, headers = serve(
                        self.command, match.groupdict(), body, f"http://{self.headers['Host']}"
                    )
                    break
            else:
                status, payload, headers = 404, _error("NotFound", f"no route {path}"), {}
        self.send(status, payload, headers)

    do_GET = do_PUT = do_PATCH = do_POST = do_DELETE = _serve


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}

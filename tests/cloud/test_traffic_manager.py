"""The Traffic Manager adapter through the real ``TrafficManagerManagementClient`` against the
ARM fake: endpoints read and changed, Traffic Manager's refusal of two endpoints with one
priority, endpoint names that need URL-encoding, and the probes' monitor status."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from engine.adapters.azure.traffic import AzureTrafficManager
from engine.errors import CloudAccessDenied, CloudNotFound, CloudRejected, CloudUnavailable
from tests.cloud.arm_clients import arm_target
from tests.cloud.arm_fake import ArmFake, arm_error
from tests.support.http_fake import Fault

pytestmark = pytest.mark.integration


@pytest.fixture
def traffic(arm: ArmFake) -> Iterator[AzureTrafficManager]:
    adapter = AzureTrafficManager(arm_target(arm))
    yield adapter
    adapter.close()


def _profile(arm: ArmFake, **azure: Any) -> None:
    arm.add_profile(
        "app",
        {
            "aws": {"target": "alb.aws.example.com", "priority": 1},
            "azure": {"target": "app.westeurope.cloudapp.azure.com", "priority": 2, **azure},
        },
    )


def _fault(status: int, code: str, **where: Any) -> Fault:
    fault = arm_error(status, code, "injected")
    for key, value in where.items():
        setattr(fault, key, value)
    return fault


def test_profile_lists_endpoints_by_priority(arm: ArmFake, traffic: AzureTrafficManager) -> None:
    _profile(arm)

    profile = traffic.profile("app")

    assert (profile.routing_method, profile.fqdn) == ("Priority", "app.trafficmanager.net")
    assert profile.enabled
    aws = profile.endpoint("aws")
    assert aws is not None
    assert (aws.priority, aws.enabled, aws.endpoint_type, aws.target, aws.monitor_status) == (
        1,
        True,
        "ExternalEndpoints",
        "alb.aws.example.com",
        "Online",
    )


def test_two_endpoints_cannot_share_a_priority(arm: ArmFake, traffic: AzureTrafficManager) -> None:
    _profile(arm)

    with pytest.raises(CloudRejected, match="BadRequest"):
        traffic.set_endpoint("app", "azure", priority=1)

    assert arm.endpoints("app") == {"aws": (1, "Enabled"), "azure": (2, "Enabled")}


def test_switching_priorities_through_a_free_number_and_disabling_reads_back(
    arm: ArmFake, traffic: AzureTrafficManager
) -> None:
    _profile(arm)

    assert traffic.set_endpoint("app", "aws", priority=3)
    assert traffic.set_endpoint("app", "azure", priority=1)
    assert traffic.set_endpoint("app", "aws", priority=2, enabled=False)

    profile = traffic.profile("app")
    azure, aws = profile.endpoint("azure"), profile.endpoint("aws")
    assert azure is not None
    assert aws is not None
    assert (azure.priority, azure.enabled) == (1, True)
    assert (aws.priority, aws.enabled, aws.monitor_status) == (2, False, "Disabled")
    assert arm.calls("PATCH", "/ExternalEndpoints/") == 3


def test_an_endpoint_name_with_spaces_is_sent_url_encoded(
    arm: ArmFake, traffic: AzureTrafficManager
) -> None:
    arm.add_profile(
        "app",
        {
            "aws primary": {"target": "alb.aws.example.com", "priority": 1},
            "dr west europe": {"target": "dr.example.net", "priority": 2, "enabled": False},
        },
    )

    assert traffic.set_endpoint("app", "dr west europe", enabled=True)

    assert arm.endpoints("app")["dr west europe"] == (2, "Enabled")
    assert arm.calls("PATCH", "/ExternalEndpoints/dr west europe") == 1


def test_an_endpoint_just_enabled_is_checked_before_it_reads_online(
    arm: ArmFake, traffic: AzureTrafficManager
) -> None:
    _profile(arm, enabled=False)

    assert traffic.set_endpoint("app", "azure", enabled=True)

    seen = [_monitor_status(traffic)]
    deadline = time.monotonic() + 5
    while seen[-1] != "Online" and time.monotonic() < deadline:
        time.sleep(0.05)
        seen.append(_monitor_status(traffic))
    assert (seen[0], seen[-1]) == ("CheckingEndpoint", "Online")


def _monitor_status(traffic: AzureTrafficManager) -> str | None:
    endpoint = traffic.profile("app").endpoint("azure")
    return endpoint.monitor_status if endpoint else None


@pytest.mark.parametrize("health", ["Degraded", "Stopped"])
def test_an_unhealthy_endpoint_reads_as_traffic_manager_probes_it(
    arm: ArmFake, traffic: AzureTrafficManager, health: str
) -> None:
    _profile(arm, health=health)

    azure = traffic.profile("app").endpoint("azure")

    assert azure is not None
    assert (azure.enabled, azure.monitor_status) == (True, health)


def test_an_endpoint_already_as_asked_is_not_touched(
    arm: ArmFake, traffic: AzureTrafficManager
) -> None:
    _profile(arm)

    assert not traffic.set_endpoint("app", "aws", priority=1, enabled=True)
    assert arm.calls("PATCH") == arm.calls("PUT") == 0


def test_a_missing_endpoint_is_fatal(arm: ArmFake, traffic: AzureTrafficManager) -> None:
    _profile(arm)

    with pytest.raises(CloudNotFound, match="endpoint gcp of profile app"):
        traffic.set_endpoint("app", "gcp", priority=1)


def test_a_traffic_manager_outage_is_retryable(arm: ArmFake, traffic: AzureTrafficManager) -> None:
    _profile(arm)
    arm.faults.add(_fault(503, "ServiceUnavailable", method="PATCH"))

    with pytest.raises(CloudUnavailable, match="ServiceUnavailable"):
        traffic.set_endpoint("app", "azure", priority=3)


def test_traffic_manager_access_denied_names_the_write_action(
    arm: ArmFake, traffic: AzureTrafficManager
) -> None:
    _profile(arm)
    arm.faults.add(_fault(403, "AuthorizationFailed", method="PATCH"))

    with pytest.raises(
        CloudAccessDenied,
        match=r"Microsoft\.Network/trafficManagerProfiles/ExternalEndpoints/write",
    ):
        traffic.set_endpoint("app", "azure", priority=3)


def test_a_disabled_profile_reads_disabled_and_its_endpoints_inactive(
    arm: ArmFake, traffic: AzureTrafficManager
) -> None:
    _profile(arm)
    arm.set_profile_enabled("app", False)

    profile = traffic.profile("app")

    assert not profile.enabled
    assert [(e.name, e.enabled, e.monitor_status) for e in profile.endpoints] == [
        ("aws", True, "Inactive"),
        ("azure", True, "Inactive"),
    ]

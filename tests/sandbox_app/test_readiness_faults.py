"""The fault panel's readiness faults: each turns the check that watches it not ready in the
bot's own sweep of the sim world, and restoring the world makes it ready again."""

from __future__ import annotations

import pytest

from engine.readiness import ReadinessSweep, Verdict
from sandbox.runtime import Sandbox
from tests.support.waiting import wait_until


def verdict(sandbox: Sandbox, check: str) -> Verdict | None:
    assert sandbox.phoenix is not None
    sweep: ReadinessSweep | None = sandbox.phoenix.store.latest_readiness()
    found = sweep.check(check) if sweep is not None else None
    return found.verdict if found is not None else None


@pytest.mark.parametrize(
    ("fault", "check", "said"),
    [
        ("dr-endpoint-disabled", "traffic-manager", "azure-dr is disabled"),
        ("dr-image-missing", "aks-images", "the primary service-a:1.4.2-hotfix"),
        ("geo-link-broken", "failover-group", "replication SUSPENDED"),
        ("blob-behind", "blob-backlog", "over the RPO of 5m"),
    ],
)
def test_a_readiness_fault_turns_its_check_and_restore_turns_it_back(
    sandbox: Sandbox, fault: str, check: str, said: str
) -> None:
    wait_until(lambda: verdict(sandbox, check) is Verdict.READY, 30, f"{check} to read ready")
    sandbox.inject(fault)
    wait_until(lambda: verdict(sandbox, check) is Verdict.NOT_READY, 30, f"{check} not ready")
    assert sandbox.phoenix is not None
    latest = sandbox.phoenix.store.latest_readiness()
    assert latest is not None
    found = latest.check(check)
    assert found is not None
    assert said in found.reason
    sandbox.inject("restore")
    wait_until(lambda: verdict(sandbox, check) is Verdict.READY, 40, f"{check} ready again")

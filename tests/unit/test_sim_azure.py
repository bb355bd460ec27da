"""The sandbox's simulated Azure keeps Azure's semantics: a scaling database stays Online and
is read by its service objective, a change in flight is followed (another is refused), and
Traffic Manager refuses two endpoints with one priority."""

from __future__ import annotations

import pytest

from engine.adapters.sim.ports import SimAzureSql, SimTrafficManager
from engine.adapters.sim.world import SimWorld
from engine.errors import CloudRejected, CloudUnavailable
from engine.sql_objectives import service_objective
from tests.unit.runner_support import ManualClock


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def world(clock: ManualClock) -> SimWorld:
    return SimWorld(clock, convergence=5)


def test_a_simulated_scale_stays_online_and_is_followed_not_repeated(
    world: SimWorld, clock: ManualClock
) -> None:
    sql = SimAzureSql(world)
    server, database = world.topology.sql_server, world.topology.sql_database
    target = service_objective("P2")

    first = sql.scale(server, database, target)
    assert first is not None
    state = sql.database(server, database)
    assert (state.status, state.objective, state.requested_objective) == ("Online", "S0", "P2")
    again = sql.scale(server, database, target)  # a resumed attempt follows the same change
    assert again is not None
    with pytest.raises(CloudUnavailable, match="changing to P2"):
        sql.scale(server, database, service_objective("S3"))

    clock.advance(5)
    assert first.wait(0)
    assert again.wait(0)
    state = sql.database(server, database)
    assert (state.objective, state.sku.name, state.sku.capacity) == ("P2", "Premium", 250)
    assert sql.scale(server, database, target) is None


def test_simulated_traffic_manager_refuses_two_endpoints_with_one_priority(
    world: SimWorld,
) -> None:
    traffic = SimTrafficManager(world)
    profile = traffic.profile(world.topology.traffic_profile)
    first, second = sorted(profile.endpoints, key=lambda e: e.priority or 0)

    with pytest.raises(CloudRejected, match=f"{first.name} holds it"):
        traffic.set_endpoint(profile.name, second.name, priority=first.priority)

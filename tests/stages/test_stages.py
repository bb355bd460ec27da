"""Each recovery stage against the stand-ins: the happy path; an end state already there (no
second side effect); a transient fault, then success; a fatal fault with a clear message; and
a crash in the middle, then a resume that finishes without doing anything twice."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import botocore.session
import pytest
from pydantic import ValidationError

from bot.wiring.cloud import CloudPorts
from engine.cloud_ports import ObjectStore, ObjectWriter
from engine.errors import (
    CloudAccessDenied,
    CloudNotFound,
    CloudUnavailable,
    StageFatal,
    StageRetryable,
    SyncIncomplete,
)
from engine.runs import RunMode
from engine.stages import PortKey, Ports, StageResult
from engine.stages.notify import delivery_id
from engine.stages.ports import OBJECT_STORES, StoreKind
from tests.cloud.arm_fake import arm_error
from tests.cloud.aws_faults import query_error, rest_json_error
from tests.cloud.kube_fake import ControllerLoop, status_fault
from tests.stages.conftest import OBJECTS
from tests.stages.world import (
    DOMAIN,
    NODE_GROUP,
    REGION_DOMAIN,
    STANDBY,
    STANDBY_CLUSTER,
    STANDBY_REPLICA,
    Context,
    Crash,
    World,
    attempt,
    aws,
    facts,
    failover_roles,
    node_group_size,
    put_lag,
    replicas,
    seed_standby_region,
)
from tests.support.fault_proxy import FaultProxy
from tests.support.http_fake import Fault
from tests.support.object_fixtures import blob_service, blobs
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration

FAST = {"poll_interval": 0.02}


def ctx(world: World, **kwargs: Any) -> Context:
    return Context(world.ports.ports(), **kwargs)


@pytest.fixture
def rollouts(world: World) -> Iterator[None]:
    with ControllerLoop(world.kube):
        yield


# ----------------------------------------------------------------------------- replication_check


def test_replication_lag_within_the_budget_is_the_rpo_evidence(world: World) -> None:
    result = attempt("replication_check", {"instance": "app-db-replica", **FAST}, ctx(world))
    assert facts(result)["replication_lag_seconds"] == 12.0
    assert "within the RPO budget of 300s" in str(result)


def test_replication_waits_for_catch_up_then_gives_the_runner_the_retry(world: World) -> None:
    put_lag(world.moto, "app-db-replica", 900)
    context = ctx(world)
    data = {"instance": "app-db-replica", "catch_up_within": 0.2, **FAST}
    with pytest.raises(StageRetryable, match="900s still over the RPO budget of 300s"):
        attempt("replication_check", data, context)
    assert any("waiting to catch up" in m for m, _ in context.reported)


def test_replication_without_a_reading_is_retried_then_succeeds(world: World) -> None:
    data = {"instance": "other-replica", **FAST}
    with pytest.raises(StageRetryable, match="no replication lag reading of other-replica"):
        attempt("replication_check", data, ctx(world))
    put_lag(world.moto, "other-replica", 3)
    assert (
        facts(attempt("replication_check", data, ctx(world, attempt=2)))["replication_lag_seconds"]
        == 3.0
    )


def test_replication_resumed_after_a_crash_records_the_same_evidence(world: World) -> None:
    # Two minutes ago the replica lagged 900s: the check waits for it to catch up, and the
    # process dies while it waits.
    put_lag(world.moto, "lagging-replica", 900, at=datetime.now(UTC) - timedelta(minutes=2))
    data = {"instance": "lagging-replica", "catch_up_within": 5, **FAST}
    with pytest.raises(Crash):
        attempt("replication_check", data, ctx(world, crash_after=1))
    # It caught up meanwhile; the resumed stage accepts the new reading, and reports what a
    # check that was never interrupted reports.
    put_lag(world.moto, "lagging-replica", 20)
    resumed = attempt("replication_check", data, ctx(world))
    assert facts(resumed)["replication_lag_seconds"] == 20.0
    assert facts(resumed) == facts(attempt("replication_check", data, ctx(world)))


def _cloudwatch_error(status: int, code: str, **where: Any) -> Fault:
    """An error as CloudWatch answers the protocol botocore speaks to it: an XML
    ``ErrorResponse`` to the query protocol (older botocore), the code in a JSON body's
    ``__type`` otherwise (query-compatible)."""
    if botocore.session.get_session().get_service_model("cloudwatch").protocol == "query":
        return query_error(status, code, **where)
    body = json.dumps({"__type": code, "message": "injected"}).encode()
    headers = (("Content-Type", "application/x-amz-json-1.0"),)
    return Fault(status, body, headers, **where)


def test_replication_cloudwatch_outage_then_success_and_denied_is_fatal(
    world: World, aws_proxy: FaultProxy, through_proxy: CloudPorts
) -> None:
    data = {"instance": "app-db-replica", **FAST}
    read = "ReplicaLag"  # the metric, named in the request's body
    aws_proxy.faults.add(_cloudwatch_error(503, "ServiceUnavailable", path=read, times=-1))
    with pytest.raises(CloudUnavailable, match="ServiceUnavailable"):
        attempt("replication_check", data, Context(through_proxy.ports()))
    aws_proxy.faults.clear()
    again = attempt("replication_check", data, Context(through_proxy.ports(), attempt=2))
    assert facts(again)["replication_lag_seconds"] == 12.0
    aws_proxy.faults.add(_cloudwatch_error(403, "AccessDenied", path=read))
    with pytest.raises(CloudAccessDenied, match="cloudwatch:GetMetricStatistics") as denied:
        attempt("replication_check", data, Context(through_proxy.ports(), attempt=3))
    assert "app-db-replica" in str(denied.value)


# ----------------------------------------------------------------------------- object_sync


def _sync(world: World, **extra: Any) -> dict[str, Any]:
    return {
        "source": "s3://app-assets",
        "destination": f"blob://{world.container}",
        "deletion": "keep",
        "concurrency": 4,
        **extra,
    }


def test_object_sync_copies_reports_progress_and_then_has_nothing_to_do(world: World) -> None:
    context = ctx(world)
    first = facts(attempt("object_sync", _sync(world), context))
    assert first["objects_copied"] == len(OBJECTS)
    assert blobs(world.azurite.connection_string, world.container) == OBJECTS
    assert context.reported[-1][1] == 1.0
    assert "objects" in context.reported[-1][0]
    again = facts(attempt("object_sync", _sync(world), ctx(world)))
    assert (again["objects_copied"], again["objects_unchanged"]) == (0, len(OBJECTS))


def test_object_sync_mirror_deletes_only_when_the_plan_says_so(world: World) -> None:
    container = blob_service(world.azurite.connection_string).get_container_client(world.container)
    container.upload_blob("stale.bin", b"gone from S3")
    attempt("object_sync", _sync(world), ctx(world))
    assert "stale.bin" in blobs(world.azurite.connection_string, world.container)
    mirrored = facts(attempt("object_sync", _sync(world, deletion="mirror"), ctx(world)))
    assert mirrored["objects_deleted"] == 1
    with pytest.raises(ValidationError, match="deletion"):
        attempt(
            "object_sync", {"source": "s3://app-assets", "destination": "blob://xy"}, ctx(world)
        )


class _FlakyWrites:
    """The real stores, but the destination refuses the first ``failures`` writes."""

    def __init__(self, world: World, failures: int) -> None:
        self._inner = world.ports
        self.failures = failures

    def store(self, kind: StoreKind, name: str) -> ObjectStore:
        real = self._inner.store(kind, name)
        return real if kind == "s3" else _Flaky(real, self)  # type: ignore[return-value]


class _Flaky:
    def __init__(self, inner: ObjectStore, owner: _FlakyWrites) -> None:
        self._inner = inner
        self._owner = owner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def writer(self, key: str, *, content_type: str | None = None) -> ObjectWriter:
        if self._owner.failures > 0:
            self._owner.failures -= 1
            raise CloudUnavailable(f"503 on {key}")
        return self._inner.writer(key, content_type=content_type)


def _with(world: World, key: PortKey[Any], port: object) -> Ports:
    provided: Mapping[PortKey[Any], object] = {
        OBJECT_STORES: world.ports,
        key: port,
    }
    return Ports(dict(provided))


def test_object_sync_transient_failures_are_retryable_and_the_retry_copies_the_rest(
    world: World,
) -> None:
    flaky = _FlakyWrites(world, failures=3)
    with pytest.raises(SyncIncomplete, match="3 failed"):
        attempt("object_sync", _sync(world), Context(_with(world, OBJECT_STORES, flaky)))
    retried = facts(
        attempt("object_sync", _sync(world), Context(_with(world, OBJECT_STORES, flaky)))
    )
    assert retried["objects_copied"] == 3
    assert blobs(world.azurite.connection_string, world.container) == OBJECTS


def test_object_sync_of_a_missing_bucket_fails_fatally_naming_it(world: World) -> None:
    with pytest.raises(CloudNotFound, match="no-such-bucket"):
        attempt("object_sync", _sync(world, source="s3://no-such-bucket"), ctx(world))


def test_object_sync_resumed_after_a_crash_copies_only_what_is_missing(world: World) -> None:
    big = {f"bulk/{i:04d}": bytes([i % 251]) * 2048 for i in range(300)}
    s3 = aws("s3", world.moto)
    for key, data in big.items():
        s3.put_object(Bucket="app-assets", Key=key, Body=data)
    data = _sync(world, concurrency=2)
    with pytest.raises(Crash):
        attempt("object_sync", data, ctx(world, crash_after=2))
    done_before = len(blobs(world.azurite.connection_string, world.container))
    assert 0 < done_before < len(OBJECTS) + len(big)
    resumed = facts(attempt("object_sync", data, ctx(world)))
    assert resumed["objects_unchanged"] >= done_before - 4
    assert resumed["objects_copied"] + resumed["objects_unchanged"] == len(OBJECTS) + len(big)
    assert blobs(world.azurite.connection_string, world.container) == {**OBJECTS, **big}


# ----------------------------------------------------------------------------- azure_sql_ready

SQL = {
    "server": "dr-sql",
    "database": "app",
    "sku": {"name": "GP_Gen5_4", "tier": "GeneralPurpose", "capacity": 4},
    **FAST,
}


def test_azure_sql_is_scaled_and_waited_for_then_left_alone(world: World) -> None:
    result = attempt("azure_sql_ready", SQL, ctx(world))
    assert "Online at GP_Gen5_4" in str(result)
    patches = world.arm.calls("PATCH")
    assert patches == 1
    assert "nothing to change" in str(attempt("azure_sql_ready", SQL, ctx(world)))
    assert world.arm.calls("PATCH") == patches


def test_azure_sql_transient_fault_then_success(world: World) -> None:
    world.arm.faults.add(arm_error(503, "ServiceUnavailable", "busy"))
    with pytest.raises(CloudUnavailable):
        attempt("azure_sql_ready", SQL, ctx(world))
    assert "scaled to GP_Gen5_4" in str(attempt("azure_sql_ready", SQL, ctx(world)))


def test_azure_sql_missing_database_is_fatal_and_named(world: World) -> None:
    with pytest.raises(CloudNotFound, match="database nope"):
        attempt("azure_sql_ready", {**SQL, "database": "nope"}, ctx(world))


def test_azure_sql_resumed_after_a_crash_follows_the_scale_it_started(world: World) -> None:
    world.arm.hold_operations()
    with pytest.raises(Crash):
        attempt("azure_sql_ready", SQL, ctx(world, crash_after=1))
    # The database stays Online through the change; the change shows as requested.
    state = world.ports.sql_databases(None).database("dr-sql", "app")
    assert (state.status, state.objective, state.requested_objective) == (
        "Online",
        "S0",
        "GP_Gen5_4",
    )
    # Azure finishes the operation in the background meanwhile.
    world.arm.release_operations()
    assert "Online at GP_Gen5_4" in str(attempt("azure_sql_ready", SQL, ctx(world)))
    assert world.arm.calls("PATCH") == 1


def test_azure_sql_resumed_while_the_scale_still_runs_waits_for_it_without_a_second_update(
    world: World,
) -> None:
    world.arm.hold_operations()
    with pytest.raises(Crash):
        attempt("azure_sql_ready", SQL, ctx(world, crash_after=1))
    release = threading.Timer(0.3, world.arm.release_operations)
    release.start()
    try:
        resumed = attempt("azure_sql_ready", SQL, ctx(world))
    finally:
        release.join()
    assert "Online at GP_Gen5_4: scaled to GP_Gen5_4" in str(resumed)
    assert world.arm.calls("PATCH") == 1


def test_azure_sql_a_409_during_the_scale_is_waited_out_never_fatal(world: World) -> None:
    refusal = arm_error(409, "ConflictingDatabaseOperation", "There is already some operation")
    refusal.method = "PATCH"
    refusal.times = 2
    world.arm.faults.add(refusal)
    assert "scaled to GP_Gen5_4" in str(attempt("azure_sql_ready", SQL, ctx(world)))
    assert world.arm.calls("PATCH") == 3
    assert world.arm.objective("dr-sql", "app") == "GP_Gen5_4"


@pytest.mark.parametrize(
    ("seeded", "sku"),
    [
        ("GP_Gen5_4", {"name": "GP_Gen5_4", "tier": "GeneralPurpose", "capacity": 4}),
        ("S3", "S3"),
        ("P2", {"name": "P2", "tier": "Premium", "capacity": 250}),
        ("HS_Gen5_2", "HS_Gen5_2"),
    ],
)
def test_azure_sql_at_its_objective_reports_nothing_to_change(
    world: World, seeded: str, sku: Any
) -> None:
    world.arm.add_database("dr-sql", "app", seeded)
    result = attempt("azure_sql_ready", {**SQL, "sku": sku}, ctx(world))
    assert f"Online at {seeded} (nothing to change)" in str(result)
    assert facts(result)["sql_sku"] == seeded
    assert world.arm.calls("PATCH") == 0


def test_azure_sql_a_scale_that_can_never_succeed_is_fatal_with_azures_code(
    world: World,
) -> None:
    world.arm.fail_next_operation("ServerDtuQuotaExceeded", "over the server's DTU quota")
    with pytest.raises(StageFatal, match="ServerDtuQuotaExceeded"):
        attempt("azure_sql_ready", SQL, ctx(world))
    assert world.arm.objective("dr-sql", "app") == "S0"


def test_azure_sql_failover_group_is_left_out_of_a_rehearsal(world: World) -> None:
    world.arm.add_failover_group("fog", "prod-sql", "dr-sql", ["app"])
    data = {**SQL, "failover_group": "fog"}
    rehearsal = attempt("azure_sql_ready", data, ctx(world, mode=RunMode.REHEARSAL))
    assert "left out of the drill" in str(rehearsal)
    assert world.arm.calls("POST", "/failover") == 0
    assert "failed over group fog" in str(attempt("azure_sql_ready", data, ctx(world)))
    assert world.arm.role("dr-sql", "fog") == "Primary"


# ----------------------------------------------------------------------------- aks_deploy

DEPLOY = {
    "cluster": "aks-dr",
    "namespace": "shop",
    "deployments": {"service-a": 3, "service-b": 2},
    **FAST,
}


def test_aks_deploy_scales_waits_and_reports_ready(world: World, rollouts: None) -> None:
    context = ctx(world)
    result = attempt("aks_deploy", DEPLOY, context)
    assert "5/5 ready" in str(result)
    patches = len(world.kube.patches)
    assert patches == 2
    assert attempt("aks_deploy", DEPLOY, ctx(world)) == "end state already held"
    assert len(world.kube.patches) == patches


def test_aks_deploy_transient_api_fault_then_success(world: World, rollouts: None) -> None:
    world.kube.faults.add(status_fault(503, "ServiceUnavailable", method="PATCH"))
    with pytest.raises(CloudUnavailable):
        attempt("aks_deploy", DEPLOY, ctx(world))
    assert "5/5 ready" in str(attempt("aks_deploy", DEPLOY, ctx(world)))


def test_aks_deploy_of_a_missing_deployment_is_fatal(world: World) -> None:
    with pytest.raises(CloudNotFound, match="deployment shop/nope"):
        attempt("aks_deploy", {**DEPLOY, "deployments": {"nope": 1}}, ctx(world))


def test_aks_deploy_that_does_not_converge_is_retryable(world: World) -> None:
    with pytest.raises(StageRetryable, match="0/5 ready"):
        attempt("aks_deploy", {**DEPLOY, "wait": 0.2}, ctx(world))


def test_aks_deploy_resumed_after_a_crash_does_not_scale_again(world: World) -> None:
    with pytest.raises(Crash):
        attempt("aks_deploy", DEPLOY, ctx(world, crash_after=1))
    assert len(world.kube.patches) == 2
    with ControllerLoop(world.kube):
        assert "5/5 ready" in str(attempt("aks_deploy", DEPLOY, ctx(world)))
    assert len(world.kube.patches) == 2


# ----------------------------------------------------------------------------- rollout_restart

RESTART = {"cluster": "eks-primary", "namespace": "prod", **FAST}


def _break(world: World, name: str) -> None:
    world.kube.crash_pods("prod", name)


def test_rollout_restart_restarts_only_the_unhealthy(world: World, rollouts: None) -> None:
    assert "nothing restarted" in str(attempt("rollout_restart", RESTART, ctx(world)))
    _break(world, "worker")
    result = attempt("rollout_restart", RESTART, ctx(world, stage="restart"))
    assert "restarted worker" in str(result)
    assert [p[0] for p in world.kube.patches] == [
        "/apis/apps/v1/namespaces/prod/deployments/worker"
    ]


def test_rollout_restart_resumed_after_a_crash_restarts_once(world: World) -> None:
    _break(world, "api")
    with pytest.raises(Crash):
        attempt("rollout_restart", RESTART, ctx(world, crash_after=1))
    assert len(world.kube.patches) == 1
    with ControllerLoop(world.kube):
        assert "restarted api" in str(attempt("rollout_restart", RESTART, ctx(world)))
    assert len(world.kube.patches) == 1


def test_rollout_restart_transient_api_fault_then_success(world: World, rollouts: None) -> None:
    _break(world, "worker")
    world.kube.faults.add(status_fault(503, "ServiceUnavailable", method="PATCH"))
    with pytest.raises(CloudUnavailable):
        attempt("rollout_restart", RESTART, ctx(world))
    assert world.kube.patches == []
    assert "restarted worker" in str(attempt("rollout_restart", RESTART, ctx(world, attempt=2)))
    assert len(world.kube.patches) == 1


def test_rollout_restart_of_an_unknown_cluster_is_fatal(world: World) -> None:
    with pytest.raises(StageFatal, match="no cluster 'nope'"):
        attempt("rollout_restart", {**RESTART, "cluster": "nope"}, ctx(world))


# ----------------------------------------------------------------------------- traffic_switch


def _switch(world: World) -> dict[str, Any]:
    return {
        "profile": "phoenix",
        "serve": "azure",
        "priorities": {"azure": 1, "aws": 2},
        "disable": ["aws"],
        "route53": {"zone_id": world.zone_id, "name": DOMAIN, "primary": "azure"},
        **FAST,
    }


def _endpoints(world: World) -> dict[str, tuple[int, str]]:
    return world.arm.endpoints("phoenix")


def test_traffic_switch_fences_aws_and_reads_back(world: World) -> None:
    result = attempt("traffic_switch", _switch(world), ctx(world))
    assert "azure serves phoenix" in str(result)
    assert _endpoints(world) == {"azure": (1, "Enabled"), "aws": (2, "Disabled")}
    patches = world.arm.calls("PATCH")
    assert attempt("traffic_switch", _switch(world), ctx(world)) == "end state already held"
    assert world.arm.calls("PATCH") == patches


def test_traffic_switch_transient_fault_then_success(world: World) -> None:
    world.arm.faults.add(arm_error(503, "ServiceUnavailable", "busy"))
    with pytest.raises(CloudUnavailable):
        attempt("traffic_switch", _switch(world), ctx(world))
    attempt("traffic_switch", _switch(world), ctx(world))
    assert _endpoints(world) == {"azure": (1, "Enabled"), "aws": (2, "Disabled")}


def test_traffic_switch_names_a_missing_endpoint(world: World) -> None:
    with pytest.raises(CloudNotFound, match="has no endpoint gcp"):
        attempt("traffic_switch", {**_switch(world), "serve": "gcp"}, ctx(world))


def test_traffic_switch_resumed_after_a_crash_finishes_the_switch(world: World) -> None:
    with pytest.raises(Crash):
        attempt("traffic_switch", _switch(world), ctx(world, crash_after=1))
    attempt("traffic_switch", _switch(world), ctx(world))
    assert _endpoints(world) == {"azure": (1, "Enabled"), "aws": (2, "Disabled")}


def test_traffic_switch_never_passes_through_two_endpoints_with_one_priority(
    world: World,
) -> None:
    # Traffic Manager refuses a profile where two endpoints share a priority (400): a rotation
    # of three goes through a free number, one PATCH at a time.
    world.arm.add_profile(
        "rotate",
        {
            "aws east": {"target": "east.example.com", "priority": 1},
            "aws west": {"target": "west.example.com", "priority": 2},
            "azure dr": {"target": "dr.example.net", "priority": 3},
        },
    )
    data = {
        "profile": "rotate",
        "serve": "azure dr",
        "priorities": {"azure dr": 1, "aws east": 2, "aws west": 3},
        "disable": ["aws east"],
        **FAST,
    }
    assert "azure dr serves rotate" in str(attempt("traffic_switch", data, ctx(world)))
    assert world.arm.endpoints("rotate") == {
        "azure dr": (1, "Enabled"),
        "aws east": (2, "Disabled"),
        "aws west": (3, "Enabled"),
    }
    assert world.arm.calls("PATCH", "/ExternalEndpoints/azure dr") == 1


def test_traffic_switch_is_done_once_the_probes_read_the_dr_endpoint_online(
    world: World,
) -> None:
    world.arm.add_profile(
        "cold",
        {
            "aws": {"target": "alb.example.com", "priority": 1},
            "azure": {"target": "dr.example.net", "priority": 2, "enabled": False},
        },
    )
    data = {"profile": "cold", "serve": "azure", "priorities": {"azure": 1, "aws": 2}, **FAST}
    context = ctx(world)
    assert "azure serves cold" in str(attempt("traffic_switch", data, context))
    assert any("azure is CheckingEndpoint" in m for m, _ in context.reported)
    served = world.ports.traffic_router(None).profile("cold").endpoint("azure")
    assert served is not None
    assert served.monitor_status == "Online"


@pytest.mark.parametrize(
    ("health", "why"),
    [
        ("Degraded", "its health probes fail"),
        ("Stopped", "the service behind it is not running"),
    ],
)
def test_traffic_switch_reports_an_unhealthy_dr_endpoint_and_does_not_call_it_done(
    world: World, health: str, why: str
) -> None:
    world.arm.set_health("phoenix", "azure", health)
    data = {**_switch(world), "wait": 0.2}
    with pytest.raises(StageRetryable, match=f"azure is {health}: {why}"):
        attempt("traffic_switch", data, ctx(world))
    # Fenced and prioritised all the same; Route 53 waits for a serving DR side.
    assert _endpoints(world) == {"azure": (1, "Enabled"), "aws": (2, "Disabled")}
    assert failover_roles(world, DOMAIN) == {"aws": "PRIMARY", "azure": "SECONDARY"}
    with pytest.raises(StageRetryable, match=health):  # a retry does not take it as done
        attempt("traffic_switch", data, ctx(world))
    relaxed = {**data, "require_online": False}
    assert "azure serves phoenix" in str(attempt("traffic_switch", relaxed, ctx(world)))
    assert failover_roles(world, DOMAIN) == {"azure": "PRIMARY", "aws": "SECONDARY"}


# ----------------------------------------------------------------------------- region_failover


def _failover(world: World) -> dict[str, Any]:
    return {
        "region": STANDBY,
        "replica": STANDBY_REPLICA,
        "route53": {"zone_id": world.zone_id, "name": REGION_DOMAIN, "primary": "west"},
        "node_group": {"cluster": STANDBY_CLUSTER, "name": NODE_GROUP, "desired": 3},
        **FAST,
    }


def _summary(result: StageResult | str) -> str:
    assert isinstance(result, StageResult), result
    return result.summary


_PROMOTE = "Action=PromoteReadReplica"
_RRSET = "/rrset"
_SCALE = "/update-config"


def _sent(proxy: FaultProxy) -> tuple[int, int, int]:
    """(promotions, Route 53 changes, node group updates) sent through the proxy."""
    return (
        proxy.calls("POST", _PROMOTE),
        proxy.calls("POST", _RRSET),
        proxy.calls("POST", _SCALE),
    )


def _failed_over(world: World) -> None:
    assert failover_roles(world, REGION_DOMAIN) == {"west": "PRIMARY", "east": "SECONDARY"}
    assert node_group_size(world) == (0, 3, 3, "ACTIVE")
    assert (
        aws("rds", world.moto, STANDBY).describe_db_instances(DBInstanceIdentifier=STANDBY_REPLICA)[
            "DBInstances"
        ][0]["DBInstanceStatus"]
        == "available"
    )
    # Route 53 of the other name (the dr-azure pair) is left alone.
    assert failover_roles(world, DOMAIN) == {"aws": "PRIMARY", "azure": "SECONDARY"}


def test_region_failover_scales_promotes_and_switches_once_each(
    world: World, aws_proxy: FaultProxy, through_proxy: CloudPorts
) -> None:
    seed_standby_region(world.moto, world.zone_id)
    context = Context(through_proxy.ports())
    result = attempt("region_failover", _failover(world), context)
    assert _summary(result).startswith("us-west-2 is primary: node group workers scaled to 3")
    assert "promoted app-db-dr" in _summary(result)
    assert "Route 53 api.example.com -> west" in _summary(result)
    assert facts(result) == {"region": STANDBY}
    assert _sent(aws_proxy) == (1, 1, 1)
    _failed_over(world)


def test_region_failover_already_done_sends_nothing(
    world: World, aws_proxy: FaultProxy, through_proxy: CloudPorts
) -> None:
    seed_standby_region(world.moto, world.zone_id, promoted=True)
    result = attempt("region_failover", _failover(world), Context(through_proxy.ports()))
    assert _summary(result) == "us-west-2 is primary: already failed over"
    assert _sent(aws_proxy) == (0, 0, 0)
    _failed_over(world)


def test_region_failover_throttled_then_succeeds_on_the_retry(
    world: World, aws_proxy: FaultProxy, through_proxy: CloudPorts
) -> None:
    seed_standby_region(world.moto, world.zone_id)
    # EKS throttles for longer than botocore's own attempts: the stage's attempt fails.
    aws_proxy.faults.add(rest_json_error(429, "ThrottlingException", path=_SCALE, times=-1))
    with pytest.raises(CloudUnavailable, match="ThrottlingException"):
        attempt("region_failover", _failover(world), Context(through_proxy.ports()))
    assert _sent(aws_proxy)[:2] == (0, 0)
    assert failover_roles(world, REGION_DOMAIN) == {"east": "PRIMARY", "west": "SECONDARY"}
    aws_proxy.faults.clear()
    throttled = aws_proxy.calls("POST", _SCALE)
    attempt("region_failover", _failover(world), Context(through_proxy.ports(), attempt=2))
    assert _sent(aws_proxy) == (1, 1, throttled + 1)
    _failed_over(world)


def test_region_failover_missing_replica_or_denied_promotion_is_fatal_and_named(
    world: World, aws_proxy: FaultProxy, through_proxy: CloudPorts
) -> None:
    seed_standby_region(world.moto, world.zone_id)
    with pytest.raises(CloudNotFound, match="RDS instance nope"):
        attempt("region_failover", {**_failover(world), "replica": "nope"}, ctx(world))
    aws_proxy.faults.add(query_error(403, "AccessDenied", path=_PROMOTE))
    with pytest.raises(CloudAccessDenied, match="rds:PromoteReadReplica") as denied:
        attempt("region_failover", _failover(world), Context(through_proxy.ports()))
    assert STANDBY_REPLICA in str(denied.value)
    assert failover_roles(world, REGION_DOMAIN) == {"east": "PRIMARY", "west": "SECONDARY"}


def test_region_failover_resumed_after_a_crash_does_each_step_once(
    world: World, aws_proxy: FaultProxy, through_proxy: CloudPorts
) -> None:
    seed_standby_region(world.moto, world.zone_id)
    # Dies once the node group is scaled, before the promotion.
    with pytest.raises(Crash):
        attempt("region_failover", _failover(world), Context(through_proxy.ports(), crash_after=1))
    assert _sent(aws_proxy) == (0, 0, 1)
    assert node_group_size(world)[2] == 3
    result = attempt("region_failover", _failover(world), Context(through_proxy.ports()))
    assert "node group" not in _summary(result)
    assert "promoted app-db-dr" in _summary(result)
    assert _sent(aws_proxy) == (1, 1, 1)
    _failed_over(world)


def test_region_failover_resumed_after_the_dns_change_does_not_change_it_again(
    world: World, aws_proxy: FaultProxy, through_proxy: CloudPorts
) -> None:
    seed_standby_region(world.moto, world.zone_id)
    # Dies right after Route 53 accepted the change (the third progress report).
    with pytest.raises(Crash):
        attempt("region_failover", _failover(world), Context(through_proxy.ports(), crash_after=3))
    assert aws_proxy.calls("POST", _RRSET) == 1
    result = attempt("region_failover", _failover(world), Context(through_proxy.ports()))
    assert "Route 53" not in _summary(result)
    # moto keeps naming the source of a promoted replica, so only the record and the node
    # group are counted here; a promotion already done is covered by the test above.
    assert _sent(aws_proxy)[1:] == (1, 1)
    _failed_over(world)


# ----------------------------------------------------------------------------- verify


def test_verify_retries_within_the_attempt_and_names_failing_endpoints(world: World) -> None:
    assert world.service is not None
    urls = [f"{world.service.url}/health", f"{world.service.url}/ready"]
    data = {"urls": urls, "tries": 2, "interval": 0.01}
    assert "all 2 endpoint(s) answer" in str(attempt("verify", data, ctx(world)))
    world.service.faults.add(Fault(503, path="/ready", times=1))
    assert "all 2 endpoint(s) answer" in str(attempt("verify", data, ctx(world)))
    world.service.faults.add(Fault(503, path="/ready", times=-1))
    with pytest.raises(StageRetryable, match=r"1 of 2 endpoint\(s\) failing.*/ready: HTTP 503"):
        attempt("verify", data, ctx(world))


def test_verify_resumed_after_a_crash_reports_the_same_result(world: World) -> None:
    assert world.service is not None
    urls = [f"{world.service.url}/health", f"{world.service.url}/ready"]
    data = {"urls": urls, "tries": 3, "interval": 0.01}
    # /ready fails its first try; the process dies while the stage waits to try it again.
    world.service.faults.add(Fault(503, path="/ready", times=1))
    with pytest.raises(Crash):
        attempt("verify", data, ctx(world, crash_after=1))
    hits = world.service.hits
    resumed = attempt("verify", data, ctx(world))
    assert isinstance(resumed, StageResult)
    assert resumed.summary.startswith("all 2 endpoint(s) answer")
    assert world.service.hits == hits + 2  # each endpoint once more, nothing else
    fresh = attempt("verify", data, ctx(world))
    assert facts(resumed)["endpoints_verified"] == facts(fresh)["endpoints_verified"] == 2


# ----------------------------------------------------------------------------- notify_webhook


def test_notify_is_signed_and_delivered_once_per_run_and_stage(world: World) -> None:
    data = {"url": f"{world.receiver.url}/hook", "secret": "env:PHOENIX_WEBHOOK_SECRET"}
    context = ctx(world, stage="notify")
    assert facts(attempt("notify_webhook", data, context))["delivery_id"] == delivery_id(
        context.idempotency_key
    )
    attempt("notify_webhook", data, ctx(world, stage="notify", attempt=2))
    assert len(world.receiver.accepted) == 1
    assert world.receiver.duplicates == [delivery_id(context.idempotency_key)]


def test_notify_transient_then_success_and_a_missing_secret_is_fatal(world: World) -> None:
    data = {"url": f"{world.receiver.url}/hook", "secret": "env:PHOENIX_WEBHOOK_SECRET"}
    world.receiver.faults.add(Fault(502))
    with pytest.raises(CloudUnavailable):
        attempt("notify_webhook", data, ctx(world))
    attempt("notify_webhook", data, ctx(world))
    assert len(world.receiver.accepted) == 1
    with pytest.raises(StageFatal, match="env:NOT_SET is not set"):
        attempt("notify_webhook", {**data, "secret": "env:NOT_SET"}, ctx(world))


# ----------------------------------------------------------------------------- stuck rollouts


def _fails_at_once(kind: str, data: dict[str, Any], world: World) -> StageFatal:
    started = time.monotonic()
    with ControllerLoop(world.kube), pytest.raises(StageFatal) as raised:
        attempt(kind, {**data, "wait": 60}, ctx(world))
    assert time.monotonic() - started < 20, "waited instead of failing"
    assert raised.value.error_type == "RolloutStuck"
    return raised.value


def test_aks_deploy_of_an_image_that_cannot_be_pulled_fails_at_once(world: World) -> None:
    world.kube.cluster.unpullable.add("service-b:1")
    error = _fails_at_once("aks_deploy", DEPLOY, world)
    assert "deployment shop/service-b: rollout stuck, image not pullable" in str(error)
    assert "ImagePullBackOff" in str(error)


def test_aks_deploy_with_no_room_for_its_pods_fails_at_once(world: World) -> None:
    world.kube.cluster.pod_capacity = 5 + 2  # prod's pods, and two more
    error = _fails_at_once("aks_deploy", DEPLOY, world)
    assert "rollout stuck, pods unschedulable" in str(error)
    assert "0/1 nodes are available" in str(error)


def test_aks_deploy_waits_its_grace_for_a_node_that_comes(world: World) -> None:
    world.kube.cluster.pod_capacity = 5 + 2
    data = {**DEPLOY, "unschedulable_grace": 30}
    context = ctx(world)
    with ControllerLoop(world.kube):
        waiting = threading.Thread(target=lambda: attempt("aks_deploy", data, context))
        waiting.start()
        wait_until(lambda: any("wait for a node" in m for m, _ in context.reported), 20, "the wait")
        world.kube.cluster.pod_capacity = None  # the autoscaler's node joined
        waiting.join(timeout=30)
    assert not waiting.is_alive()
    assert replicas(world, "shop") == {"service-a": 3, "service-b": 2}
    assert "ready" in context.reported[-1][0]


def test_rollout_restart_past_the_progress_deadline_fails_at_once(world: World) -> None:
    world.kube.crash_pods("prod", "worker")
    world.kube.cluster.crashing_images.add("worker:1")  # the new pods crash too
    with world.kube.lock:
        world.kube.deployments[("prod", "worker")]["spec"]["progressDeadlineSeconds"] = 1
    error = _fails_at_once("rollout_restart", RESTART, world)
    assert "deployment prod/worker: rollout stuck, progress deadline exceeded" in str(error)
    assert "has timed out progressing" in str(error)
